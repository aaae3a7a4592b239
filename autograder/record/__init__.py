"""Record: the SQLite gradebook, one row per submission."""

from autograder.record.gradebook import COLUMNS, Gradebook

__all__ = ["COLUMNS", "Gradebook"]
