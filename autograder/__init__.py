"""Auto-graded exercises for the first week of Deep Learning, and the trusted engine that grades them.

The package follows the grading pipeline, one sub-package per stage:

    course  course.yaml, parsed and validated once into the typed model every stage is given
    build   master notebooks -> student, solution and autograder versions (Otter assign)
    intake  files, zips and folders -> submissions with a student, an exercise and a sha256
    run     a submission's code cells executed in an isolated process: launch, supervise, kill
    sandbox what runs INSIDE that process, and nothing else (the boundary of the grader's trust)
    probe   the data-only questions the grader asks the sandbox, and the safe reading of its answers
    judge   checks that compare those answers with solutions/ in the grader's own process
    record  the SQLite gradebook, one row per submission
    export  grades.csv and per-submission JSON, feedback, LMS files, the report

joined by pipeline.py (one submission: run, probe, judge) and batch.py (intake, the pipeline in
parallel, record, export), and called by cli/, gradescope/ (per submission inside Gradescope) and
cluster/ (the run on Dask workers).

Code runs in four places, and each has a home with its own rule of what it may import (the
contracts of pyproject.toml's [tool.importlinter], checked by tests/test_lint.py):

    sandbox/         in the sandbox, beside the student's code: the standard library, numpy,
                     torch, keras and the notebook's runtime (IPython, matplotlib), nothing else
    student_python/  in the student's own Python (the set-up cell's zip): the standard library,
                     and otter, IPython and torch where the student's Python has them
    otter_kernel/    in Otter's kernel while Otter grades a notebook: the judge and what it uses,
                     nothing that runs processes, keeps a gradebook or writes exports
    everything else  in the grader: the trusted side, which never imports student_python/ (it
                     zips that file) and reaches otter_kernel/ only through the build's hidden tests
"""

__version__ = "0.1.0"
