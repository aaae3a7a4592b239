"""Which course a command works on, and saying so: the one rule every command follows.

`--course PATH` wins; else the `course.yaml` of the folder the teacher stands in; else the
course bundled with this package. The choice is printed (on stderr, so that what a command
writes on stdout stays its own), because grading against the wrong course looks like a
class of students who all handed in the wrong exercise."""

from __future__ import annotations

from pathlib import Path

import click

from autograder.course import Course, CourseError, load_course
from autograder.paths import DEFAULT_COURSE

COURSE_FILE = "course.yaml"
COURSE_HELP = "course.yaml (default: the course.yaml of the current folder, else the bundled course)"


def chosen_course_path(given: str | Path | None, cwd: Path | None = None) -> tuple[Path, str]:
    """(the course file, why it was chosen) for a command's --course value."""
    if given:
        return Path(given), "--course"
    here = (cwd or Path.cwd()) / COURSE_FILE
    if here.is_file():
        return here, "the course.yaml of the current folder"
    return DEFAULT_COURSE, f"the bundled course; no {COURSE_FILE} in the current folder"


def course_or_fail(given: str | Path | None, announce: bool = True) -> Course:
    """The course a command works on (see the module's rule), loaded, or a clear error.
    `announce` prints which course it is and why, on stderr."""
    path, why = chosen_course_path(given)
    try:
        course = load_course(path)
    except CourseError as exc:
        raise click.ClickException(str(exc)) from None
    if announce:
        click.echo(f"course: {course.name} ({path}: {why})", err=True)
    return course


def bundled_course_or_fail() -> Course:
    """The bundled course, for the commands that work on its own examples (demo)."""
    return course_or_fail(DEFAULT_COURSE, announce=False)
