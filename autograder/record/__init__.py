"""Record: the SQLite gradebook, one row per submission."""

from autograder.record.gradebook import COLUMNS, Gradebook, row_key

__all__ = ["COLUMNS", "Gradebook", "row_key"]
