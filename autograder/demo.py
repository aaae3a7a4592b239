"""`autograder demo`: build the course, then grade example submissions of three kinds.

correct   the solution version of every exercise
blank     the student version, unanswered
mistaken  hand-written notebooks in examples/mistaken/ with the typical mistakes of the week
          (bias forgotten, z given for p, transposed matrix, ...), to show the hints
broken    examples/broken/: a notebook that ends its own process, a file that is not a
          notebook, a notebook of another course: each still gets a row, with its status
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from autograder.build import build_course
from autograder.course import load_course
from autograder.exercises import REPO_ROOT
from autograder.handout import Handout
from autograder.pipeline import grade_batch

EXAMPLES = REPO_ROOT / "examples"


def prepare_submissions(course, dist: Path, folder: Path, only: list[str] | None = None) -> Path:
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


def run_demo(out: Path, workers: int = 2, only: list[str] | None = None) -> list[dict]:
    from autograder.cli import results_table

    course = load_course()
    click.echo(f"building {len(only or course.exercises)} exercises into {out / 'dist'} ...")
    built = build_course(course, out / "dist", only)
    for b in built:
        click.echo(f"  {b.exercise:24s} {b.student.parent.parent}/{{student,solution,autograder}}")
    submissions = prepare_submissions(course, out / "dist", out / "submissions", only)
    click.echo(f"grading the example submissions in {submissions} ...")
    # The examples are the course's own versions, never personal notebooks.
    results = grade_batch([str(submissions)], course, out / "results", workers=workers, regrade=True,
                          handout=Handout())
    click.echo(results_table(results))
    for r in results:
        if r["student"] == "mistaken":
            for c in r["checks"]:
                if c["hint"]:
                    click.echo(f"  hint for {r['exercise']}/{c['name']}: {c['hint']}")
    from autograder.export.report import write_report

    report = write_report(results, out / "results" / "report.html", course=course)
    click.echo(f"grades: {out / 'results' / 'grades.csv'}; one JSON per submission in {out / 'results' / 'results'}")
    click.echo(f"feedback per submission: {out / 'results' / 'feedback'}")
    click.echo(f"report for teachers (open in a browser): {report}")
    return results
