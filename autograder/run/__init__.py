"""Run: execute a notebook's code cells in an isolated process and answer the grader's probes there.

`sandbox.py` is the trusted side (isolation, supervision, limits, reading the answers);
`worker.py` runs inside the sandbox and imports nothing of this package.
"""

from autograder.run.sandbox import CellRun, Limits, RunResult, isolation_mode, run_notebook

__all__ = ["CellRun", "Limits", "RunResult", "isolation_mode", "run_notebook"]
