"""The files beside the gradebook, made from its rows: the gradebook is the source of truth.

A batch stores a row first and writes the row's files after it, so a batch killed between the
two, or stopped by a full disk, leaves a row whose result JSON or feedback is missing, or a
temporary `.part` file. `bring_up_to_date` (run at the end of every batch) writes every file a
row lacks or holds differently, writes grades.csv, and removes every stale `.part`; a batch
that cannot write says so in one line (`OutputError`) naming the folder and what is missing.

    OUT/gradebook.sqlite      the rows (autograder/record/)
    OUT/results/<name>.json   one per row (export/files.py)
    OUT/feedback/<name>.md    one per row (export/feedback.py)
    OUT/feedback/<name>.html  one per row, written before the .md (export/feedback.py)
    OUT/grades.csv            all rows

A result JSON or Markdown file is compared with its row byte for byte (cheap); the HTML page,
whose figures are costly to draw, is written again with its Markdown file, or when missing.
"""

from __future__ import annotations

import errno
import sqlite3
import tempfile
from pathlib import Path

from autograder.export.feedback import feedback_filename, feedback_markdown, write_feedback
from autograder.export.files import PART, encoded, result_filename, result_json, write_atomically, write_grades_csv
from autograder.record import Result

# What a write into the output folder can fail with: the file system's errors (no space,
# quota, read-only, permission, a file where a folder should be) and SQLite's (disk full,
# read-only database, cannot open).
STORAGE_ERRORS = (OSError, sqlite3.DatabaseError)


class OutputError(RuntimeError):
    """The batch cannot write its output: one line saying where, why and what is missing."""


def folders(out: Path) -> dict[str, Path]:
    return {"results": out / "results", "feedback": out / "feedback"}


def titles_of(course) -> dict[str, str]:
    return {e.id: e.title for e in course.exercises} if course is not None else {}


def title_of(result: Result, course) -> str | None:
    return titles_of(course).get(result.exercise or "")


def _paths(result: Result, out: Path) -> tuple[Path, Path, Path]:
    """(result JSON, feedback Markdown, feedback page) of one row."""
    return (out / "results" / result_filename(result), out / "feedback" / feedback_filename(result),
            out / "feedback" / feedback_filename(result, ".html"))


def _holds(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() == encoded(text)
    except OSError:
        return False


def stale_parts(out: Path) -> list[Path]:
    """Temporary files a killed or failed write left in OUT, OUT/results and OUT/feedback."""
    return [p for folder in (out, *folders(out).values()) if folder.is_dir()
            for p in folder.glob(f"*{PART}") if p.is_file()]


def _lacks(result: Result, out: Path, course) -> tuple[bool, bool]:
    """(its result JSON, its feedback) is absent or differs from the row."""
    data, markdown, page = _paths(result, out)
    return (not _holds(data, result_json(result)),
            not _holds(markdown, feedback_markdown(result, title_of(result, course))) or not page.is_file())


def missing(results: list[Result], out: Path, course) -> int:
    """How many result and feedback files of `results` are absent or differ from their rows."""
    return sum(sum(_lacks(r, out, course)) for r in results)


def bring_up_to_date(results: list[Result], out: Path, course) -> int:
    """Write every result JSON and feedback file the rows lack, grades.csv, and remove stale
    `.part` files; returns how many files were (re)written besides grades.csv. Raises the
    OSError of the first write that fails."""
    for part in stale_parts(out):
        part.unlink(missing_ok=True)
    written = 0
    for r in results:
        data, feedback = _lacks(r, out, course)
        if data:
            write_atomically(_paths(r, out)[0], result_json(r))
        if feedback:
            write_feedback(r, out / "feedback", title_of(r, course), course)
        written += data + feedback
    write_grades_csv(results, out / "grades.csv")
    return written


def check_writable(out: Path) -> None:
    """Fail before anything is graded when OUT or a folder in it cannot be written (a
    read-only mount, a file where a folder should be, no space for even a small file): the
    OSError names the folder."""
    for folder in (out, *folders(out).values()):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-", suffix=PART) as f:
                f.write(b"\0" * 4096)
                f.flush()
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(folder)) from None


def _where(exc: BaseException, out: Path) -> Path:
    """The folder a write failed in."""
    name = getattr(exc, "filename", None)
    if not name or not isinstance(name, (str, bytes)):
        return out  # SQLite names no file: the gradebook lies in OUT
    path = Path(name if isinstance(name, str) else name.decode("utf-8", "replace"))
    return path if path in (out, *folders(out).values()) or path.is_dir() else path.parent


SQLITE_FULL = 13  # SQLite's result code for "database or disk is full"


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT) \
            or getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL:
        return "no space left on the device"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def output_error(exc: BaseException, out: Path, rows: list[Result], ungraded: int | None, course) -> OutputError:
    """The one line a batch stops with when its output cannot be written: where, why, what
    is missing (`ungraded`: submissions without a row, None when none was read yet), and that
    the rows stored are kept."""
    try:
        files = missing(rows, out, course)
    except OSError:
        files = 0
    lacking = [f"{ungraded} submission(s) not graded yet" if ungraded else "",
               f"{files} result or feedback file(s) missing" if files else "",
               "grades.csv not up to date"]
    if ungraded is None:
        lacking[0] = "nothing graded yet"
    return OutputError(
        f"cannot write into {_where(exc, out)}: {_why(exc)}; {', '.join(w for w in lacking if w)}; "
        f"the {len(rows)} row(s) stored are kept in {out / 'gradebook.sqlite'}, and the same command "
        "completes the batch once the folder can be written")
