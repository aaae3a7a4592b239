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
import sqlite3
from pathlib import Path

COLUMNS = ("submission", "student", "exercise", "status", "score", "max_score", "sha256")

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


def row_key(result: dict) -> str:
    """What identifies a submission's bytes in the gradebook: its sha256, or for a file that
    could not be read, its path (the same file unreadable again is the same row)."""
    return str(result.get("sha256") or result.get("submission") or "")


class Gradebook:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(SCHEMA)
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def record(self, result: dict) -> None:
        """Insert or replace the row of `result` (a regrade replaces, never doubles)."""
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO grades VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    row_key(result), result["student"], result["submission"], result.get("exercise"),
                    result["status"], float(result["score"]), float(result["max_score"]),
                    result["graded_at"], json.dumps(result),
                ),
            )

    def results(self) -> list[dict]:
        """Every result document, ordered by student, exercise and submission."""
        rows = self.db.execute("SELECT result FROM grades ORDER BY student, exercise, submission").fetchall()
        return [json.loads(r[0]) for r in rows]

    def result(self, sha256: str, student: str) -> dict | None:
        row = self.db.execute("SELECT result FROM grades WHERE sha256 = ? AND student = ?", (sha256, student)).fetchone()
        return json.loads(row[0]) if row else None
