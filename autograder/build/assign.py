"""`autograder build`: each master notebook -> dist/<id>/{student,solution,autograder}/.

The build of one exercise is a short list of steps, each one transformation:

    check_master       markers balanced and named, config present (master.py)
    run_otter_assign   Otter assign writes the student and autograder views
    stamp_exercise     metadata.autograder.exercise = <id> in every notebook written
    ship_data          the exercise's data/ folder next to the student and solution notebooks
    collect_views      student/, solution/ (the filled notebook), autograder/ (Otter's bundle)
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.build.master import MasterError, read_master
from autograder.course import Course, Exercise

STAMP_KEY = "autograder"


@dataclass
class BuiltExercise:
    exercise: str
    student: Path  # the student notebook
    solution: Path  # the filled notebook
    autograder: Path  # folder with Otter's autograder notebook and zip


def stamp_exercise(path: Path, exercise_id: str) -> None:
    """Record the exercise id in the notebook, so intake knows what a submission answers."""
    nb = nbformat.read(str(path), as_version=4)
    nb.metadata.setdefault(STAMP_KEY, {})["exercise"] = exercise_id
    nbformat.write(nb, str(path))


def run_otter_assign(master: Path, workdir: Path) -> Path:
    """Otter assign on a copy of the master; returns Otter's result folder."""
    from otter.assign import main as otter_assign

    copy = workdir / master.name
    shutil.copy2(master, copy)
    result = workdir / "otter-out"
    noise = io.StringIO()
    try:
        with contextlib.redirect_stdout(noise), contextlib.redirect_stderr(noise):
            otter_assign(str(copy), str(result), no_pdfs=True, no_run_tests=True)
    except Exception as exc:  # Otter's own errors: give the teacher the file and Otter's words
        raise MasterError(f"{master}: Otter assign failed: {type(exc).__name__}: {exc}") from None
    return result


def ship_data(exercise: Exercise, *folders: Path) -> None:
    data = exercise.folder / "data"
    if data.is_dir():
        for folder in folders:
            shutil.copytree(data, folder / "data", dirs_exist_ok=True)


def build_exercise(exercise: Exercise, out: Path) -> BuiltExercise:
    read_master(exercise.master, exercise.id)
    target = out / exercise.id
    if target.exists():
        shutil.rmtree(target)
    student_dir, solution_dir, autograder_dir = (target / v for v in ("student", "solution", "autograder"))
    with tempfile.TemporaryDirectory(prefix=f"build-{exercise.id}-") as tmp:
        result = run_otter_assign(exercise.master, Path(tmp))
        name = f"{exercise.id}.ipynb"
        shutil.copytree(result / "student", student_dir)
        shutil.copytree(result / "autograder", autograder_dir)
    solution_dir.mkdir(parents=True)
    # Otter's autograder view is the filled notebook; the solution version is that notebook.
    shutil.copy2(autograder_dir / name, solution_dir / name)
    for zipped in autograder_dir.glob("*-autograder_*.zip"):
        zipped.rename(autograder_dir / "otter_autograder.zip")
    for notebook in (student_dir / name, solution_dir / name, autograder_dir / name):
        stamp_exercise(notebook, exercise.id)
    ship_data(exercise, student_dir, solution_dir)
    return BuiltExercise(exercise.id, student_dir / name, solution_dir / name, autograder_dir)


def build_course(course: Course, out: Path, only: list[str] | None = None) -> list[BuiltExercise]:
    out.mkdir(parents=True, exist_ok=True)
    return [build_exercise(e, out) for e in course.exercises if not only or e.id in only]
