"""Intake: paths on the command line -> submissions, each with a student, an exercise, a sha256.

Accepted: `.ipynb` files, Otter export zips (`grader.export()`), and folders of them. A
file that cannot be read still becomes a submission, with status `invalid` and the reason,
so that every input gets a row in the gradebook.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import nbformat

from autograder.intake.roster import Roster

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 500
MAX_ZIP_BYTES = 200 * 1024 * 1024
SUFFIXES = (".ipynb", ".zip")

# Otter's export names zips <notebook>_<YYYY_MM_DDTHH_MM_SS_ffffff>.zip
OTTER_TIMESTAMP = re.compile(r"_?\d{4}_\d{2}_\d{2}T\d{2}_\d{2}_\d{2}(_\d+)?$")


@dataclass
class Submission:
    path: str  # as given, or zip!member for a notebook inside a zip
    sha256: str
    student: str
    exercise: str | None = None
    cells: list[str] = field(default_factory=list)  # code cells, in order
    status: str | None = None  # set when intake already knows the outcome: invalid, unknown_exercise
    message: str = ""
    metadata: dict = field(default_factory=dict)  # the notebook's metadata (variants, Otter's)


class IntakeError(ValueError):
    """Why a file is not a usable submission; becomes status `invalid`."""


def discover(paths: list[str | Path]) -> list[tuple[Path, Path]]:
    """(file, the argument it came from) for every candidate file under `paths`, sorted."""
    found: list[tuple[Path, Path]] = []
    for given in map(Path, paths):
        if given.is_dir():
            for file in sorted(given.rglob("*")):
                parts = file.relative_to(given).parts
                if file.is_file() and file.suffix.lower() in SUFFIXES and not any(
                    p.startswith(".") for p in parts
                ):
                    found.append((file, given))
        else:
            found.append((given, given.parent))  # missing or odd files still get a row
    return found


def student_from_path(file: Path, base: Path, exercise: str | None) -> str:
    """The student's id: the first folder under the given one, else the file name's stem,
    without the exercise id and Otter's export timestamp."""
    try:
        parts = file.relative_to(base).parts
    except ValueError:
        parts = (file.name,)
    if len(parts) > 1:
        return parts[0]
    stem = OTTER_TIMESTAMP.sub("", Path(parts[-1]).stem)
    if exercise:
        stem = stem.replace(exercise, "")
    stem = stem.strip("_-. ")
    return stem or "unknown"


def notebook_from_bytes(data: bytes) -> nbformat.NotebookNode:
    if not data.strip():
        raise IntakeError("the file is empty")
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise IntakeError(f"the notebook is {len(data)} bytes, over the limit of {MAX_NOTEBOOK_BYTES}")
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IntakeError(f"not a notebook: the file is not JSON ({exc})") from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise IntakeError("not a notebook: the JSON has no 'nbformat' version")
    major = raw.get("nbformat")
    if major not in (3, 4):
        raise IntakeError(f"notebook format version {major!r} is not supported (versions 3 and 4 are)")
    try:
        # nbformat upgrades version 3 notebooks to version 4.
        return nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as exc:  # nbformat raises several kinds for malformed structure
        raise IntakeError(f"not a readable notebook: {type(exc).__name__}: {exc}") from None


def code_cells(nb) -> list[str]:
    cells = []
    for i, cell in enumerate(nb.get("cells", [])):
        if not isinstance(cell, dict):
            raise IntakeError(f"cell {i + 1} is not a cell")
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(source)
            if not isinstance(source, str):
                raise IntakeError(f"cell {i + 1} has no readable source")
            cells.append(source)
    return cells


def exercise_of(nb) -> str | None:
    """The exercise id the build stamped, else Otter's assignment name."""
    meta = nb.get("metadata", {}) or {}
    for getter in (lambda m: m["autograder"]["exercise"], lambda m: m["otter"]["assignment_name"]):
        try:
            value = getter(meta)
        except (KeyError, TypeError):
            continue
        if isinstance(value, str) and value:
            return value
    return None


def notebook_in_zip(data: bytes) -> tuple[str, bytes]:
    """(member name, bytes) of the one notebook in an Otter export zip, read in memory only."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise IntakeError("not a zip file") from None
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise IntakeError(f"the zip holds {len(members)} files, over the limit of {MAX_ZIP_MEMBERS}")
    if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
        raise IntakeError("the zip unpacks to more than the size limit")
    for m in members:
        name = PurePosixPath(m.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or ":" in m.filename:
            raise IntakeError(f"the zip holds an unsafe path {m.filename!r}; refused")
    notebooks = [
        m for m in members
        if m.filename.lower().endswith(".ipynb") and ".ipynb_checkpoints" not in m.filename and not m.is_dir()
    ]
    if not notebooks:
        raise IntakeError("the zip holds no notebook")
    if len(notebooks) > 1:
        # Otter's export holds one notebook at the top; prefer that one.
        top = [m for m in notebooks if "/" not in m.filename.strip("/")]
        if len(top) != 1:
            raise IntakeError(f"the zip holds {len(notebooks)} notebooks; expected one")
        notebooks = top
    member = notebooks[0]
    if member.file_size > MAX_NOTEBOOK_BYTES:
        raise IntakeError("the notebook in the zip is over the size limit")
    with archive.open(member) as f:
        return member.filename, f.read(MAX_NOTEBOOK_BYTES + 1)


def read_submission(file: Path, base: Path, known_exercises, roster: Roster | None = None) -> Submission:
    """One submission from one file; never raises for bad content."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        return Submission(str(file), "", student_from_path(file, base, None), status="invalid",
                          message=f"the file could not be read: {exc.strerror or exc}")
    sha = hashlib.sha256(data).hexdigest()
    sub = Submission(str(file), sha, student_from_path(file, base, None))
    try:
        if file.suffix.lower() == ".zip":
            member, data = notebook_in_zip(data)
            sub.path = f"{file}!{member}"
        nb = notebook_from_bytes(data)
        sub.cells = code_cells(nb)
        sub.metadata = dict(nb.get("metadata", {}))
    except IntakeError as exc:
        sub.status, sub.message = "invalid", str(exc)
        return _with_student(sub, file, base, roster)
    sub.exercise = exercise_of(nb)
    if sub.exercise is None or sub.exercise not in known_exercises:
        named = f"names exercise {sub.exercise!r}" if sub.exercise else "names no exercise"
        sub.status = "unknown_exercise"
        sub.message = f"the notebook {named}; this course has {', '.join(known_exercises)}"
    return _with_student(sub, file, base, roster)


def _with_student(sub: Submission, file: Path, base: Path, roster: Roster | None) -> Submission:
    sub.student = student_from_path(file, base, sub.exercise)
    if roster is not None:
        sub.student = roster.match(sub.student) or sub.student
    return sub


def intake(paths, known_exercises, roster: Roster | None = None) -> list[Submission]:
    """Every submission under `paths`, duplicates (same bytes, same student) read once."""
    seen: set[tuple[str, str]] = set()
    subs = []
    for file, base in discover(paths):
        sub = read_submission(file, base, known_exercises, roster)
        key = (sub.sha256 or sub.path, sub.student)
        if key not in seen:
            seen.add(key)
            subs.append(sub)
    return subs
