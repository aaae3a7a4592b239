"""A roster CSV: who the students are, and the names under which their files may arrive.

Columns: `student` (the id the gradebook uses) and any of `id`, `login`, `username`,
`email`, `name`, `sis_login_id`: a file or folder named by any of them maps to the student.

A roster that cannot be read as such (not UTF-8, not CSV, a row with more fields than the
header, a row without a student id) is a RosterError of one line naming the file and line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from autograder.text_files import read_text

ALIASES = ("student", "id", "login", "username", "email", "name", "sis_login_id", "sis_user_id")


class RosterError(ValueError):
    pass


@dataclass
class Roster:
    rows: list[dict]

    @classmethod
    def load(cls, path: str | Path) -> "Roster":
        text = read_text(path, RosterError, "roster")
        return cls(_rows(text, path))

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


def _rows(text: str, path) -> list[dict]:
    """The roster's rows as {lower-case column: value}; RosterError naming the line otherwise."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        if "student" not in header:
            raise RosterError(f"{path}, line 1: the roster needs a header with a 'student' column")
        rows = []
        for fields in reader:
            line = reader.line_num
            if not any(field.strip() for field in fields):
                continue  # a blank line
            if len(fields) > len(header):
                raise RosterError(f"{path}, line {line}: {len(fields)} fields, but the header has {len(header)}; "
                                  "a value that holds a comma must be quoted")
            row = {name: "" for name in header if name}
            row.update({name: value.strip() for name, value in zip(header, fields) if name})
            if not row["student"]:
                raise RosterError(f"{path}, line {line}: no student id in the 'student' column")
            rows.append(row)
    except csv.Error as exc:
        raise RosterError(f"{path}, line {reader.line_num}: not a CSV row ({exc})") from None
    if not rows:
        raise RosterError(f"{path}: the roster has a header but no student")
    return rows
