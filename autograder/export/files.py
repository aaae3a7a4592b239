"""grades.csv (one row per submission) and one JSON document per submission.

Every file is written whole or not at all (`write_atomically`: a temporary `<name>.part`
beside it, renamed over it), and a `.part` left by a write that failed is removed at once;
one left by a killed process is removed by the next batch (export/derived.py).
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import re
import stat
from collections.abc import Callable
from pathlib import Path

from autograder.export.safe_text import spreadsheet_row
from autograder.record import COLUMNS, Result, results_of, row_key

SAFE = re.compile(r"[^A-Za-z0-9._-]+")
SHA256 = re.compile(r"[0-9a-f]{64}")
PART = ".part"


def _clean(text, limit: int = 60) -> str:
    return SAFE.sub("_", str(text or "")).strip("._")[:limit] or "unknown"


def result_filename(result: Result) -> str:
    """A file name that names the student and exercise, cannot escape its folder, and is
    unique per gradebook row. It is built from clean parts only: the student and exercise
    cleaned of odd characters (so `x y` and `x_y` look alike), the first digits of the
    file's sha256 (`unread` for a file that could not be read), and a digest of the row's
    exact key that tells the look-alikes apart."""
    readable = result.sha256[:12] if SHA256.fullmatch(result.sha256) else "unread"
    key = f"{row_key(result)}\0{result.student}".encode("utf-8", "surrogatepass")
    return f"{_clean(result.student)}__{_clean(result.exercise)}__{readable}__" \
           f"{hashlib.sha256(key).hexdigest()[:8]}.json"


def encoded(text: str) -> bytes:
    """UTF-8; a lone surrogate that got this far is written as its escape, never an error."""
    return text.encode("utf-8", "backslashreplace")


def write_atomically(path: Path, text: str) -> Path:
    """Write `text` (UTF-8) as `path`, whole or not at all: a reader never sees half a file.
    On failure (a full disk) the temporary file is removed and the OSError raised.
    Something at `path` that is not a file (a device such as /dev/full, a FIFO, a socket, a
    folder) is never replaced: the rename would put a file where the device or folder was."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise FileExistsError(errno.EEXIST, "something that is not a file is there (a device, FIFO or folder); "
                              "it is left as it is: name a file", str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + PART)
    try:
        tmp.write_bytes(encoded(text))
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def result_json(result: Result) -> str:
    return result.to_json()


def write_result_json(result: Result | dict, folder: Path) -> Path:
    result = Result.read(result, "the result given")
    return write_atomically(Path(folder) / result_filename(result), result_json(result))


def csv_text(rows) -> str:
    """Rows as CSV text, every cell inert in a spreadsheet (export/safe_text.py)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(spreadsheet_row(row))
    return buffer.getvalue()


def write_csv(path: Path, rows) -> Path:
    """A CSV file whose cells a spreadsheet reads as text or numbers, never as formulas."""
    return write_atomically(Path(path), csv_text(rows))


# grades.csv: its columns, in order, and how each cell is made from a result (the README's list
# of them is checked against this in tests/record/test_result_model.py).
GRADES_CSV: dict[str, Callable[[Result], str]] = {
    "submission": lambda r: r.submission,
    "student": lambda r: r.student,
    "exercise": lambda r: r.exercise or "",
    "status": lambda r: r.status.value,
    "score": lambda r: f"{r.score:g}",
    "max_score": lambda r: f"{r.max_score:g}",
    "sha256": lambda r: r.sha256,
    "message": lambda r: r.message,
    "seconds": lambda r: f"{r.seconds:.2f}",
    "handed_in_at": lambda r: r.handed_in_at or "",
}
assert tuple(GRADES_CSV)[:len(COLUMNS)] == COLUMNS  # the gradebook's columns come first


def grades_rows(results: list[Result]) -> list[list]:
    return [list(GRADES_CSV)] + [[cell(r) for cell in GRADES_CSV.values()] for r in results_of(results)]


def write_grades_csv(results: list[Result], path: Path) -> Path:
    return write_csv(Path(path), grades_rows(results))
