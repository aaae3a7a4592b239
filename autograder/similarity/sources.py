"""Where the compared submissions come from: a `grade` output (its gradebook and the files its
rows name) or paths of notebooks, read by intake, never run and never graded again.

From a gradebook each (student, exercise) counts once, with its latest row; the row's file is
read again for its code. A file that is gone leaves the result alone (its answers still
compare). Rows that intake could not read or that name no exercise of the course are left out.
"""

from __future__ import annotations

from pathlib import Path

from autograder.intake import intake
from autograder.intake.submissions import read_submission
from autograder.record import Result, Status, results_of
from autograder.similarity.compare import Submitted

UNCOMPARABLE = (Status.INVALID, Status.UNKNOWN_EXERCISE)


def _file_of(submission: str) -> Path | None:
    """The file a result's `submission` names (a zip member is `archive.zip!member`)."""
    for candidate in (submission, submission.rsplit("!", 1)[0]):
        try:
            path = Path(candidate)
            if candidate and path.is_file():
                return path
        except (OSError, ValueError):  # a name the file system refuses (too long, a NUL byte)
            continue
    return None


def latest_results(results: list[Result], exercises) -> list[Result]:
    latest: dict[tuple[str, str], Result] = {}
    for r in results_of(results):
        if r.status in UNCOMPARABLE or r.exercise is None or r.exercise not in exercises:
            continue
        key = (r.student, r.exercise)
        if key not in latest or r.graded_at >= latest[key].graded_at:
            latest[key] = r
    return list(latest.values())


def from_results(results: list[Result], course) -> list[Submitted]:
    ids = set(course.ids)
    out = []
    for r in latest_results(results, ids):
        sub = Submitted(r.submission[:4096], r.student, r.exercise or "", result=r, sha256=r.sha256[:64])
        file = _file_of(sub.submission)
        if file is not None:
            read = read_submission(file, file.parent, list(ids))
            if read.status not in UNCOMPARABLE and read.exercise == sub.exercise:
                sub.cells, sub.metadata = read.cells, read.metadata
        out.append(sub)
    return out


def from_paths(paths: list[str], course, results: list[Result] | None = None) -> list[Submitted]:
    """The notebooks under `paths`, each with its result when `results` has one (same bytes, same student)."""
    by_key = {(r.sha256, r.student): r for r in results_of(results or [])}
    out = []
    for sub in intake(paths, course.ids):
        if sub.status in UNCOMPARABLE or not sub.exercise:
            continue
        out.append(Submitted(sub.path, sub.student, sub.exercise, sub.cells, sub.metadata,
                             by_key.get((sub.sha256, sub.student)), sub.sha256))
    return out
