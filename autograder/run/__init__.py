"""Run: execute a notebook's code cells in an isolated process and answer the grader's probes there.

    sandbox.py    run_notebook: one notebook in a fresh worker (the entry point)
    warm.py       WarmPool: warm workers that fork a fresh child per notebook (the fast path)
    isolation.py  the sandbox itself: bubblewrap or rlimits, clean environment, engine files
    supervise.py  watching a worker: time limits, output cap, events, replies, RunResult
    limits.py     Limits: what a notebook may use
    worker.py     runs INSIDE the sandbox: executes the cells, answers the probes
    zygote.py     runs INSIDE the sandbox: a warm worker that forks one worker per notebook

worker.py and zygote.py import nothing of this package: the sandbox cannot see it.
"""

from autograder.run.isolation import isolation_mode
from autograder.run.limits import Limits
from autograder.run.sandbox import run_notebook
from autograder.run.supervise import CellRun, RunResult

__all__ = ["CellRun", "Limits", "RunResult", "isolation_mode", "run_notebook"]
