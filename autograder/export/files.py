"""grades.csv (one row per submission) and one JSON document per submission.

Every file is written whole or not at all (`write_atomically`: a temporary `<name>.part`
beside it, renamed over it), and a `.part` left by a write that failed is removed at once;
one left by a killed process is removed by the next batch (export/derived.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

from autograder.export.safe_text import spreadsheet_row
from autograder.record import COLUMNS, row_key

SAFE = re.compile(r"[^A-Za-z0-9._-]+")
SHA256 = re.compile(r"[0-9a-f]{64}")
PART = ".part"


def _clean(text, limit: int = 60) -> str:
    return SAFE.sub("_", str(text or "")).strip("._")[:limit] or "unknown"


def result_filename(result: dict) -> str:
    """A file name that names the student and exercise, cannot escape its folder, and is
    unique per gradebook row. It is built from clean parts only: the student and exercise
    cleaned of odd characters (so `x y` and `x_y` look alike), the first digits of the
    file's sha256 (`unread` for a file that could not be read), and a digest of the row's
    exact key that tells the look-alikes apart."""
    sha = str(result.get("sha256") or "")
    readable = sha[:12] if SHA256.fullmatch(sha) else "unread"
    key = f"{row_key(result)}\0{result.get('student')}".encode("utf-8", "surrogatepass")
    return f"{_clean(result.get('student'))}__{_clean(result.get('exercise'))}__{readable}__" \
           f"{hashlib.sha256(key).hexdigest()[:8]}.json"


def encoded(text: str) -> bytes:
    """UTF-8; a lone surrogate that got this far is written as its escape, never an error."""
    return text.encode("utf-8", "backslashreplace")


def write_atomically(path: Path, text: str) -> Path:
    """Write `text` (UTF-8) as `path`, whole or not at all: a reader never sees half a file.
    On failure (a full disk) the temporary file is removed and the OSError raised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + PART)
    try:
        tmp.write_bytes(encoded(text))
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def result_json(result: dict) -> str:
    return json.dumps(result, indent=2, sort_keys=False)


def write_result_json(result: dict, folder: Path) -> Path:
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


GRADES_EXTRA = ("message", "seconds", "handed_in_at")


def grades_rows(results: list[dict]) -> list[list]:
    rows: list[list] = [list(COLUMNS + GRADES_EXTRA)]
    for r in results:
        rows.append([r.get(c, "") if c not in ("score", "max_score") else f"{r[c]:g}" for c in COLUMNS]
                    + [r.get("message", ""), f"{r.get('seconds', 0):.2f}", r.get("handed_in_at") or ""])
    return rows


def write_grades_csv(results: list[dict], path: Path) -> Path:
    return write_csv(Path(path), grades_rows(results))
