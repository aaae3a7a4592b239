"""Record: the typed result of a grading (result.py) and the SQLite gradebook that stores it,
one row per submission (gradebook.py)."""

from autograder.record.gradebook import COLUMNS, Gradebook, row_key
from autograder.record.result import CellInfo, CheckResult, Result, RunInfo, Status, TrainerRun, results_of

__all__ = ["COLUMNS", "CellInfo", "CheckResult", "Gradebook", "Result", "RunInfo", "Status", "TrainerRun",
           "results_of", "row_key"]
