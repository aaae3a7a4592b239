"""`autograder build`: master notebooks -> student, solution and autograder versions."""

from __future__ import annotations

from pathlib import Path

import click

from autograder.cli.output import COURSE_HELP, course_or_fail


@click.command()
@click.option("--course", "course_path", type=click.Path(), default=None, help=COURSE_HELP)
@click.option("--out", type=click.Path(), default="dist", show_default=True, help="where the versions are written")
@click.option("--only", multiple=True, help="build only these exercise ids")
@click.option("--roster", type=click.Path(exists=True), default=None,
              help="roster CSV: also write one personalised notebook per student for varying exercises")
def build(course_path, out, only, roster):
    """Master notebooks -> dist/<id>/{student,solution,autograder}/ (and students/<name>/ with --roster)."""
    from autograder.build import MasterError, build_course
    from autograder.build.variants import VariantError
    from autograder.handout import HandoutError
    from autograder.intake import Roster, RosterError

    course = course_or_fail(course_path)
    unknown = set(only) - set(course.ids)
    if unknown:
        raise click.ClickException(f"unknown exercise(s) {sorted(unknown)}; the course has {course.ids}")
    try:
        students = Roster.load(roster).students if roster else None
        built = build_course(course, Path(out), list(only) or None, students)
    except (MasterError, VariantError, RosterError, HandoutError) as exc:
        raise click.ClickException(str(exc)) from None
    for b in built:
        click.echo(f"{b.exercise:24s} student: {b.student}  solution: {b.solution}  autograder: {b.autograder}")
        if b.personal:
            click.echo(f"{'':24s} {len(b.personal)} personalised notebooks in {b.student.parent.parent / 'students'}")
