"""What tests share: builders, hand-written submissions and data, never a test of their own.

A test module imports from here and from the package, never from another test module or a
conftest.py (tests/test_tests_layout.py enforces it; tests/README.md: the layout). One module per
concern:

- judging      an exercise's checks judged on a namespace in this process (no sandbox), Otter's
               tests run on it, a master assigned as the build does (re-exported here)
- courses      the course the tests grade: COURSE, WRITTEN, TRAINING, PEN_AND_PAPER (the six of the
               session's shared build), course_of_six
- contracts    what each written exercise's student version shows and hides (tests/exercises/)
- environment  missing_here: a prerequisite this machine lacks skips here, fails in CI
- submissions  hand-written sigmoid_probability notebooks, right and hostile, graded end to end
- personal     personal notebooks built with a roster, solved, graded
- training     the trainer's half of a timed training task, in this process
- figures      a result document with figure data, judged in this process
- colab        notebooks run in real Jupyter kernels, Colab's stand-in among them
- browser      headless Chromium
- serve        the stand-in LMS and the `autograder serve` tool on loopback, an LTI-following client
- similarity_class  a class of submissions written for the similarity report, its honest students'
               habits (similarity_style) and idioms per question (similarity_answers)
- resource_attacks  notebooks that attack the sandbox's resource limits
- cli          what a command of the command line said
- paths        REPO, TESTS, ARTIFACTS: where things are, from any folder of tests/
"""

from support.judging import (  # noqa: F401  (the helpers most tests use, by their short name)
    assert_otter_tests_pass, assert_slides_answers_fail_their_hidden_tests, assign_master, judge_namespace,
    notebook_namespace, run_otter_test, total,
)
