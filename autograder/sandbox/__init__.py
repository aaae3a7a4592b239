"""What runs inside the sandbox, and nothing else: the boundary of the grader's trust.

    worker.py     runs the student's cells one by one and reports each cell's start and end
    cells.py      the shell the cells run in and how one cell runs (tests run trusted notebooks with it)
    zygote.py     the warm worker: imports numpy (torch, keras) once, forks a fresh child per job
    emptying.py   puts a writable folder back as it was after a job: emptied without recursion, attributes restored
    responder.py  answers the grader's probes from the notebook's namespace, as data only
    wire.py       the data-only format of probes and answers: tagged JSON nodes and .npy files
    trainer.py    trains a student's Keras model under its budget (training tasks)

The folder is copied into every sandbox as it is (autograder/run/folders.py); there, the
modules import each other by their bare names. They import only the standard library, numpy,
and (trainer.py, the responder for a Keras model) torch and keras: the `sandbox` contract of
pyproject.toml's [tool.importlinter] (run by tests/test_lint.py) fails on anything else. Everything that launches, supervises or judges lives outside, in run/,
probe/ (the grader's requests and the reading of answers) and judge/.
"""
