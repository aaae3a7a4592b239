"""`autograder report`: one self-contained HTML page for teachers."""

from __future__ import annotations

from pathlib import Path

import click

from autograder.cli.output import COURSE_HELP, course_or_fail, results_or_fail


@click.command()
@click.option("--results", "results_path", type=click.Path(exists=True), default="results", show_default=True,
              help="a `grade` output folder, its gradebook.sqlite, or a folder of result JSON files")
@click.option("--course", "course_path", type=click.Path(), default=None, help=COURSE_HELP)
@click.option("--out", type=click.Path(), default=None, help="the HTML file (default RESULTS/report.html)")
@click.option("--feedback/--no-feedback", default=True, show_default=True,
              help="also write one Markdown feedback file per submission into RESULTS/feedback/")
def report(results_path, course_path, out, feedback):
    """One self-contained HTML page for teachers: scores, checks, mistakes, failures, training."""
    from autograder.export.feedback import write_all_feedback
    from autograder.export.report import write_report
    from autograder.export.similarity import read_json

    course = course_or_fail(course_path)
    results, base = results_or_fail(results_path)
    # `autograder similarity` keeps its pairs beside the results: the report shows them too.
    feedback_dir = base / "feedback" if feedback or (base / "feedback").is_dir() else None
    path = write_report(results, Path(out) if out else base / "report.html", course, similarity=read_json(base),
                        feedback_dir=feedback_dir)
    click.echo(f"report of {len(results)} submission(s): {path}")
    if feedback:
        written = write_all_feedback(results, base / "feedback", {e.id: e.title for e in course.exercises}, course)
        click.echo(f"{len(written)} feedback file(s) in {base / 'feedback'}")
