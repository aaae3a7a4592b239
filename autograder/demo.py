"""The demo's preparation: the course built, the bundled examples laid out as submissions, graded.

`autograder demo` prints what this returns; nothing here talks to the terminal, so the same
run serves the CLI, the tests and a notebook. The examples: for every exercise its solution
version (`correct`), its blank student version (`blank`) and the notebook of typical mistakes
in examples/mistaken/ (`mistaken`), plus the broken files of examples/broken/.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from autograder.build import build_course
from autograder.course import Course
from autograder.exercises import REPO_ROOT
from autograder.handout import Handout
from autograder.batch import grade_batch
from autograder.record import Result

EXAMPLES = REPO_ROOT / "examples"


@dataclass
class DemoRun:
    built: list  # BuiltExercise of every exercise built
    submissions: Path
    results: list[Result]
    results_dir: Path
    report: Path


def prepare_submissions(course: Course, dist: Path, folder: Path, only: list[str] | None = None) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    for ex in course.exercises:
        if only and ex.id not in only:
            continue
        for student, source in (
            ("correct", dist / ex.id / "solution" / f"{ex.id}.ipynb"),
            ("blank", dist / ex.id / "student" / f"{ex.id}.ipynb"),
            ("mistaken", EXAMPLES / "mistaken" / f"{ex.id}.ipynb"),
        ):
            if source.is_file():
                target = folder / student / f"{ex.id}.ipynb"
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
    if not only or "sigmoid_probability" in only:
        shutil.copytree(EXAMPLES / "broken", folder / "broken")
    return folder


def run_demo(course: Course, out: Path, workers: int = 2, only: list[str] | None = None) -> DemoRun:
    from autograder.export.report import write_report

    built = build_course(course, out / "dist", only)
    submissions = prepare_submissions(course, out / "dist", out / "submissions", only)
    # The examples are the course's own versions, never personal notebooks.
    results = grade_batch([str(submissions)], course, out / "results", workers=workers, regrade=True,
                          progress=False, handout=Handout())
    report = write_report(results, out / "results" / "report.html", course=course)
    return DemoRun(built, submissions, results, out / "results", report)
