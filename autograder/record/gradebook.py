"""The gradebook: one SQLite row per submission, keyed by its sha256 and student.

A row is written in one transaction when its grading is complete, so a batch killed half
way leaves only whole rows, and running it again grades just the submissions without one.
Two students who hand in byte-identical files still get a row each. A file that could not
be read has no sha256: its row is keyed by its path instead (`row_key`).

The gradebook is the source of truth: every file beside it (results/, feedback/,
grades.csv) is derived from its rows and written again where one is missing.
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder.record.database import open_database
from autograder.record.result import Result

COLUMNS = ("submission", "student", "exercise", "status", "score", "max_score", "sha256")
KEY_COLUMNS = ("sha256", "student", "submission", "exercise")  # what a row says of itself besides its document

SCHEMA = """
CREATE TABLE IF NOT EXISTS grades (
    sha256     TEXT NOT NULL,
    student    TEXT NOT NULL,
    submission TEXT NOT NULL,
    exercise   TEXT,
    status     TEXT NOT NULL,
    score      REAL NOT NULL,
    max_score  REAL NOT NULL,
    graded_at  TEXT NOT NULL,
    result     TEXT NOT NULL,          -- the whole result document, JSON
    PRIMARY KEY (sha256, student)
)
"""


def row_key(result: Result) -> str:
    """What identifies a submission's bytes in the gradebook: its sha256, or for a file that
    could not be read, its path (the same file unreadable again is the same row)."""
    return result.sha256 or result.submission


class Gradebook:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = open_database(self.path, SCHEMA + ";")

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def record(self, result: Result | dict) -> None:
        """Insert or replace the row of `result` (a regrade replaces, never doubles). A result
        document (a dict) must be a valid one: pydantic's ValidationError says what is wrong."""
        if not isinstance(result, Result):
            result = Result.model_validate(result)
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO grades VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    row_key(result), result.student, result.submission, result.exercise,
                    result.status.value, float(result.score), float(result.max_score),
                    result.graded_at, json.dumps(result.document()),
                ),
            )

    def results(self) -> list[Result]:
        """Every result, ordered by student, exercise and submission. A row whose document is
        not a result (edited by hand, written by a broken version) reads as a result of status
        `error` that says so, which the next batch grades again."""
        rows = self.db.execute(f"SELECT result, {', '.join(KEY_COLUMNS)} FROM grades "
                               "ORDER BY student, exercise, submission").fetchall()
        return [self._read(row) for row in rows]

    def result(self, sha256: str, student: str) -> Result | None:
        row = self.db.execute(f"SELECT result, {', '.join(KEY_COLUMNS)} FROM grades WHERE sha256 = ? AND student = ?",
                              (sha256, student)).fetchone()
        return self._read(row) if row else None

    def _read(self, row) -> Result:
        known = dict(zip(KEY_COLUMNS, row[1:]))
        where = f"{self.path.name}, the row of {known['student']!r} for {known['sha256'][:12] or known['submission']!r}"
        return Result.parse(row[0], where, known)
