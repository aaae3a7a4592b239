"""`autograder coverage`: how many typical mistakes of the course's corpus get their hint."""

from __future__ import annotations

import sys

import click

from autograder.cli.course import COURSE_HELP, course_or_fail


@click.command("coverage")
@click.option("--course", "course_path", type=click.Path(), default=None, help=COURSE_HELP)
@click.option("--details", is_flag=True, help="list every failing check of the corpus and its hint")
def coverage_command(course_path, details):
    """Judge each exercise's mistakes corpus (exercises/<id>/mistakes.py) and count the hints given."""
    from autograder.judge.coverage import main as coverage_main

    course = course_or_fail(course_path)
    sys.exit(coverage_main(["--course", str(course.path)] + (["--details"] if details else [])))
