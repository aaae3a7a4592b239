"""Gradescope's entry point: grade one submission inside Gradescope's autograder container.

Gradescope unpacks our `gradescope.zip` (built by `autograder/gradescope/bundle.py`) into
`/autograder/source`, runs `setup.sh` once when it builds the image, then for every submission
runs `run_autograder` with the student's files in `/autograder/submission`, and reads
`/autograder/results/results.json`. `run_autograder` calls this module:

    python -m autograder.gradescope [--root /autograder] [--submission DIR]
        [--results FILE] [--source DIR] [--metadata FILE]

Every path can be overridden (options, or the environment variables GRADESCOPE_ROOT,
AUTOGRADER_SUBMISSION, AUTOGRADER_RESULTS, AUTOGRADER_SOURCE), so a test can run the bundle
in a temporary folder laid out like Gradescope's. The grading is the engine's own
(`autograder.pipeline.grade_submission`); this module only finds the notebook, and turns the
result document into Gradescope's format (`autograder/gradescope/results.py`).

Personal variants (`varies: true`): the bundle carries the course's handed-out record
(`handed_out.json`, the public key only: it verifies a notebook's signed variant and cannot
sign one, and says whether a variant is required), and the student is the variant's owner when the owner is
one of the submitters (email, its local part, name or Gradescope id); otherwise the submitter's
email, and the engine reports the notebook as `tampered`.

A results.json is written for every submission, readable or not; the command exits 0 once it is.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

from autograder import settings as environment
from autograder.gradescope.results import SettingsError, hidden_checks, to_gradescope
from autograder.record import Result, Status

DEFAULT_ROOT = "/autograder"
BUNDLE_CONFIG = "gradescope.json"


def find_submission(folder: Path, exercise_id: str) -> Path | None:
    """The notebook (or Otter export zip) to grade among the uploaded files."""
    from autograder.intake.submissions import discover

    found = [f.path for f in discover([folder]) if f.problem is None and f.path.is_file()]
    if not found:
        return None
    rank = lambda f: (exercise_id not in f.name, f.suffix.lower() != ".ipynb", len(f.parts), str(f))  # noqa: E731
    return sorted(found, key=rank)[0]


def student_name(metadata: Path | None, fallback: str, owner: str | None = None) -> str:
    """The submitters' emails (or names) from Gradescope's submission_metadata.json.

    `owner` is the student a personal variant was made for (the roster's id): when it is one
    of the submitters (by email, the email's local part, name or Gradescope id), that id is
    the student, so the variant's signature checks out."""
    try:
        users = (json.loads(metadata.read_text()).get("users") or []) if metadata else []
    except (OSError, ValueError, AttributeError):
        users = []
    users = [u for u in users if isinstance(u, dict)]
    if owner:
        known = set()
        for u in users:
            email = str(u.get("email") or "")
            known |= {email, email.split("@")[0], str(u.get("name") or ""), str(u.get("id") or "")}
        if owner.strip().lower() in {k.strip().lower() for k in known if k}:
            return owner
    names = [str(u.get("email") or u.get("name") or u.get("id") or "") for u in users]
    return "+".join(n for n in names if n) or fallback


def variant_owner(sub) -> str | None:
    block = ((sub.metadata or {}).get("autograder") or {}).get("variant")
    owner = block.get("student") if isinstance(block, dict) else None
    return owner if isinstance(owner, str) and owner else None


def grade_upload(submission_dir: Path, course, exercise_id: str, metadata: Path | None = None,
                 handout=None) -> Result:
    """Our result for the upload in `submission_dir`."""
    from autograder.intake.submissions import Submission, read_submission
    from autograder.pipeline import failure_result, grade_submission

    started = time.perf_counter()
    file = find_submission(submission_dir, exercise_id)
    if file is None:
        sub = Submission(str(submission_dir), "", "unknown", exercise_id, status=Status.INVALID,
                         message="no notebook (.ipynb) or Otter export (.zip) was uploaded")
    else:
        sub = read_submission(file, submission_dir, course.ids)
        if sub.status == Status.UNKNOWN_EXERCISE and sub.exercise is None:
            # The notebook lost its stamp (copied cells into a new notebook): this bundle grades one exercise.
            sub.status, sub.message, sub.exercise = None, "", exercise_id
    sub.student = student_name(metadata, sub.student, variant_owner(sub))
    try:
        result = grade_submission(sub, course, handout=handout)
    except Exception as exc:  # noqa: BLE001 - a bug of ours still gives the student a result
        traceback.print_exc()
        result = failure_result(sub, exc)
        result.exercise = exercise_id
        result.message = f"the grader failed on this submission ({type(exc).__name__}); please tell your teacher"
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def write_results(document: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(document, indent=2))
    tmp.replace(path)
    return path


def _paths(args) -> dict[str, Path]:
    env = environment.settings()
    root = Path(args.root or env.gradescope_root or DEFAULT_ROOT)
    pick = lambda given, var, default: Path(given or var or default)  # noqa: E731
    return {
        "root": root,
        "submission": pick(args.submission, env.gradescope_submission, root / "submission"),
        "results": pick(args.results, env.gradescope_results, root / "results" / "results.json"),
        "source": pick(args.source, env.gradescope_source, root / "source"),
        "metadata": pick(args.metadata, env.gradescope_metadata, root / "submission_metadata.json"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", help="Gradescope's folder (default $GRADESCOPE_ROOT or /autograder)")
    parser.add_argument("--submission", help="the uploaded files (default ROOT/submission)")
    parser.add_argument("--results", help="results.json to write (default ROOT/results/results.json)")
    parser.add_argument("--source", help="the unpacked bundle (default ROOT/source)")
    parser.add_argument("--metadata", help="submission_metadata.json (default ROOT/submission_metadata.json)")
    parser.add_argument("--course", help="course.yaml (default SOURCE/course.yaml)")
    parser.add_argument("--exercise", help="the exercise id (default from SOURCE/gradescope.json)")
    args = parser.parse_args(argv)
    try:
        paths = _paths(args)
    except environment.EnvironmentVariableError as exc:  # no results.json can be written: the path is the error
        print(f"python -m autograder.gradescope: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        from autograder import handout as handouts
        from autograder.course import load_course
        from autograder.exercises import load_checks

        config = {}
        if (paths["source"] / BUNDLE_CONFIG).is_file():
            config = json.loads((paths["source"] / BUNDLE_CONFIG).read_text())
        course = load_course(args.course or paths["source"] / "course.yaml")
        exercise_id = args.exercise or config.get("exercise") or course.ids[0]
        exercise = course.exercise(exercise_id)
        if exercise is None:
            raise SettingsError(f"the course has no exercise {exercise_id!r}")
        settings = course.lms.gradescope
        checks = load_checks(exercise)
        metadata = paths["metadata"] if paths["metadata"].is_file() else None
        handout = handouts.load(course)  # shipped in the bundle, beside its course.yaml
        result = grade_upload(paths["submission"], course, exercise_id, metadata, handout)
        document = to_gradescope(result, settings, hidden_checks(exercise_id, checks, settings), checks, exercise.title,
                                 exercise.figure_reference)
    except Exception as exc:  # noqa: BLE001 - the bundle itself is broken: say so in results.json
        traceback.print_exc()
        document = {"score": 0.0, "execution_time": int(round(time.perf_counter() - started)),
                    "output": f"The autograder could not run ({type(exc).__name__}: {exc}). Please tell your teacher.",
                    "visibility": "visible", "stdout_visibility": "hidden", "tests": []}
        write_results(document, paths["results"])
        return 0
    write_results(document, paths["results"])
    print(f"{result.student}: {result.exercise} {result.status} "
          f"{document['score']:g}/{sum(t['max_score'] for t in document['tests']):g} -> {paths['results']}")
    for check in result.checks:
        print(f"  {check.name}: {check.points:g}/{check.max_points:g} {check.message} {check.hint}".rstrip())
    if result.message:
        print(f"  note: {result.message}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
