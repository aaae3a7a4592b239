"""A roster CSV: who the students are, and the names under which their files may arrive.

Columns: `student` (the id the gradebook uses) and any of `id`, `login`, `username`,
`email`, `name`, `sis_login_id`: a file or folder named by any of them maps to the student.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

ALIASES = ("student", "id", "login", "username", "email", "name", "sis_login_id", "sis_user_id")


class RosterError(ValueError):
    pass


@dataclass
class Roster:
    rows: list[dict]

    @classmethod
    def load(cls, path: str | Path) -> "Roster":
        try:
            with open(path, newline="", encoding="utf-8-sig") as f:
                rows = [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]
        except OSError as exc:
            raise RosterError(f"the roster {path} could not be read: {exc}") from None
        if not rows or "student" not in rows[0]:
            raise RosterError(f"the roster {path} needs a header with a 'student' column")
        return cls(rows)

    def match(self, alias: str) -> str | None:
        """The student id whose row names `alias` in any alias column (case-insensitive)."""
        wanted = alias.strip().lower()
        for row in self.rows:
            if any(row.get(col, "").lower() == wanted for col in ALIASES if row.get(col)):
                return row["student"]
        return None

    @property
    def students(self) -> list[str]:
        return [row["student"] for row in self.rows]
