"""What runs in Otter's kernel while Otter grades a notebook (`otter run`, Gradescope's Otter
autograder), on the notebook's own namespace, and nothing else.

    judge.py   judge_check(globals(), exercise, check): the hidden Otter test that the build writes
               for each check (autograder/build/hidden_tests.py) judges the namespace with the
               grader's checks, in the notebook's process

The rule (a contract of pyproject.toml's [tool.importlinter], run by tests/test_lint.py): it may
use the judge and what the judge uses (the exercises' checks and solutions, the probes answered
in-process by the sandbox's own responder), and nothing that starts processes, keeps a gradebook or
writes exports: not run/, record/, export/, batch, pipeline, serve/, cluster/, gradescope/ or cli/.
Otter's grading trusts the notebook's process, as Otter always does; the trusted grade is the
grader's own (the rest of the package).

`autograder.build.otter_judge` stays importable: hidden tests written by earlier builds (in
Gradescope zips already uploaded) call `autograder.build.otter_judge.judge_check`.
"""
