"""`autograder new-exercise ID`: scaffold an exercise in the current course."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("new-exercise")
@click.argument("exercise_id")
@click.option("--course", "course_path", type=click.Path(), default="course.yaml", show_default=True,
              help="the course.yaml to add it to (created if missing)")
@click.option("--title", default=None, help="the exercise's title (default: from its id)")
def new_exercise_command(exercise_id, course_path, title):
    """Scaffold an exercise: master notebook, checks, solution, test and course.yaml entry."""
    from autograder.build.scaffold import ScaffoldError, new_exercise

    try:
        written = new_exercise(Path(course_path), exercise_id, title)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(f"wrote {path}")
    here = Path(course_path).resolve() == (Path.cwd() / "course.yaml").resolve()
    verify = "autograder verify" if here else f"autograder verify --course {course_path}"
    click.echo(f"next: edit exercises/{exercise_id}/{exercise_id}.ipynb, its checks.py and "
               f"solutions/{exercise_id}.py, then `python -m pytest tests` and `{verify}`")
