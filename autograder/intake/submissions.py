"""Intake: paths on the command line -> submissions, each with a student, an exercise, a sha256.

Accepted: `.ipynb` files, Otter export zips (`grader.export()`), and folders of them. Every
candidate file becomes exactly one submission: one that cannot be read, for whatever reason,
gets status `invalid` and a reason a teacher understands, so that reading one file can never
end the batch (`read_submission` catches everything).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder.intake.archive import notebook_in_zip
from autograder.intake.files import IntakeError, check_inputs, discover, read_limited
from autograder.intake.handed_in import HandInTimes, handed_in_at
from autograder.intake.notebook import MAX_NOTEBOOK_BYTES, exercise_of, read_notebook
from autograder.intake.roster import Roster
from autograder.record.result import Status

# Otter's export names zips <notebook>_<YYYY_MM_DDTHH_MM_SS_ffffff>.zip
OTTER_TIMESTAMP = re.compile(r"_?\d{4}_\d{2}_\d{2}T\d{2}_\d{2}_\d{2}(_\d+)?$")
# Colab names a student's copy "Copy of <name>"; a browser's second download is "<name> (1)".
COLAB_COPY = re.compile(r"(?<![a-z0-9])copy[ _]of[ _]", re.IGNORECASE)
DOWNLOAD_NUMBER = re.compile(r"\s*\(\d+\)$")
MAX_ZIP_FILE_BYTES = 2 * MAX_NOTEBOOK_BYTES  # the zip holds the notebook and maybe a PDF

__all__ = ["Submission", "IntakeError", "discover", "intake", "printable", "read_submission", "student_from_path"]


@dataclass
class Submission:
    path: str  # as given, or zip!member for a notebook inside a zip
    sha256: str
    student: str
    exercise: str | None = None
    cells: list[str] = field(default_factory=list)  # code cells, in order
    status: Status | None = None  # set when intake already knows the outcome: invalid, unknown_exercise
    message: str = ""
    metadata: dict = field(default_factory=dict)  # the notebook's metadata (variants, Otter's)
    handed_in_at: str | None = None  # UTC ISO time the student handed it in (intake/handed_in.py)
    handed_in_from: str = ""  # where that time comes from


def printable(text: str) -> str:
    """A name as text every later stage can store and print: bytes of a file name that are
    not UTF-8 (kept by Python as surrogates U+DC80..U+DCFF) are written as \\xNN escapes, so
    two odd names stay apart, and any other lone surrogate (JSON may hold one) as \\uNNNN;
    no encoder, SQLite included, can write a lone surrogate."""
    if not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return "".join(f"\\x{ord(c) - 0xDC00:02x}" if "\udc80" <= c <= "\udcff"
                   else f"\\u{ord(c):04x}" if "\ud800" <= c <= "\udfff" else c for c in text)


def student_from_path(file: Path, base: Path, exercise: str | None) -> str:
    """The student's id: the first folder under the given one, else the file name's stem,
    without the exercise id and Otter's export timestamp."""
    try:
        parts = file.relative_to(base).parts
    except ValueError:
        parts = (file.name,)
    if not parts:
        parts = (file.name or "unknown",)
    if len(parts) > 1:
        return parts[0]
    stem = OTTER_TIMESTAMP.sub("", DOWNLOAD_NUMBER.sub("", Path(parts[-1]).stem))
    stem = COLAB_COPY.sub("", stem)
    if exercise:
        stem = stem.replace(exercise, "")
    stem = stem.strip("_-. ")
    return stem or "unknown"


def _read(sub: Submission, file: Path, follow_links: bool, known_exercises) -> None:
    limit = MAX_ZIP_FILE_BYTES if file.suffix.lower() == ".zip" else MAX_NOTEBOOK_BYTES
    data = read_limited(file, limit, follow_links)
    sub.sha256 = hashlib.sha256(data).hexdigest()
    if file.suffix.lower() == ".zip" or data[:4] == b"PK\x03\x04":
        member, notebook = notebook_in_zip(data)
        sub.path = printable(f"{file}!{member}")
        sub.handed_in_at, sub.handed_in_from = handed_in_at(file, follow_links, data, member)
        data = notebook
    sub.cells, sub.metadata = read_notebook(data)
    sub.exercise = exercise_of(sub.metadata)
    if sub.exercise is not None:
        sub.exercise = printable(sub.exercise)
    if sub.exercise is None or sub.exercise not in known_exercises:
        named = f"names exercise {sub.exercise!r}" if sub.exercise else "names no exercise"
        sub.status = Status.UNKNOWN_EXERCISE
        sub.message = f"the notebook {named}; this course has {', '.join(known_exercises)}"


def read_submission(file: Path, base: Path, known_exercises, roster: Roster | None = None,
                    follow_links: bool = False, problem: str | None = None) -> Submission:
    """One submission from one file; never raises, whatever the file holds."""
    sub = Submission(printable(str(file)), "", "unknown")
    if problem:
        sub.status, sub.message = Status.INVALID, problem
    else:
        try:
            _read(sub, file, follow_links, known_exercises)
        except IntakeError as exc:
            sub.status, sub.message = Status.INVALID, str(exc)
            sub.exercise = None
        except (Exception, RecursionError) as exc:  # noqa: BLE001 - one bad file must never end the batch
            sub.status = Status.INVALID
            sub.message = f"the file could not be read as a notebook ({type(exc).__name__}: {str(exc)[:200]})"
            sub.exercise = None
    if sub.status == Status.INVALID:
        sub.cells, sub.metadata = [], {}
    if sub.handed_in_at is None:
        sub.handed_in_at, sub.handed_in_from = handed_in_at(file, follow_links)
    try:
        sub.student = printable(student_from_path(file, base, sub.exercise))
        if roster is not None:
            sub.student = roster.match(sub.student) or sub.student
    except Exception:  # noqa: BLE001 - an odd path still gets a row
        sub.student = "unknown"
    return sub


def intake(paths, known_exercises, roster: Roster | None = None, times: HandInTimes | None = None) -> list[Submission]:
    """Every submission under `paths`, duplicates (same bytes, same student) read once.
    A path that does not exist is a MissingInput error before anything is read. `times`:
    hand-in times that a roster or LMS download gives, over those the files say."""
    check_inputs(paths)
    seen: set[tuple[str, str]] = set()
    subs = []
    for found in discover(paths):
        sub = read_submission(found.path, found.base, known_exercises, roster,
                              follow_links=found.explicit, problem=found.problem)
        given = times.time_of(found.path, found.base) if times is not None else None
        if given:
            sub.handed_in_at, sub.handed_in_from = given, "the hand-in times given"
        key = (sub.sha256 or sub.path, sub.student)
        if key not in seen:
            seen.add(key)
            subs.append(sub)
    return subs
