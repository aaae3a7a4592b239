"""The command line (the names and options are a contract): one module per command.

    build.py    autograder build          master notebooks -> student, solution, autograder versions
    grade.py    autograder grade          submissions -> grades.csv, results/, the gradebook
    verify.py   autograder verify         solutions full marks, blanks zero
    demo.py     autograder demo           the main job on the bundled examples
    export.py   autograder export         Canvas, Moodle, CSV, feedback files
    report.py   autograder report         the HTML report
    serve.py    autograder serve          the LTI 1.3 tool and grading service
    new_exercise.py  autograder new-exercise  scaffold an exercise in a course
    coverage.py autograder coverage       how many typical mistakes of the corpus get their hint
    course.py   which course a command works on (--course, ./course.yaml, the bundled one), said
    similarity.py  autograder similarity  the pairs of submissions most alike, for the teacher
    output.py   what the commands share: the course and results loaded with a clear error, tables
"""

from __future__ import annotations

import errno
import sqlite3

import click

from autograder.cli.build import build
from autograder.cli.coverage import coverage_command
from autograder.cli.demo import demo
from autograder.cli.export import export_command
from autograder.cli.grade import grade
from autograder.cli.new_exercise import new_exercise_command
from autograder.cli.output import results_table
from autograder.cli.report import report
from autograder.cli.serve import serve
from autograder.cli.similarity import similarity
from autograder.cli.verify import verify
from autograder.settings import EnvironmentVariableError, settings


# What the machine refuses, not what the code got wrong: a full disk or quota, a file over the
# size limit, a read-only or forbidden folder. Any command meets them where it writes.
MACHINE_REFUSALS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO,
                    errno.EEXIST, errno.EISDIR}  # and a device or folder where a file is to be written
SQLITE_REFUSALS = ("disk I/O error", "database or disk is full", "readonly database", "unable to open database")


def machine_refusal(exc: BaseException) -> str | None:
    """One line for a write the machine refused (see MACHINE_REFUSALS), None for anything else."""
    from autograder.export.safe_text import terminal_text

    if isinstance(exc, OSError) and exc.errno in MACHINE_REFUSALS:
        where = f" {exc.filename}" if exc.filename else ""
        return terminal_text(f"cannot write{where}: {exc.strerror or exc} (the command stopped there)")
    if isinstance(exc, sqlite3.OperationalError) and any(s in str(exc) for s in SQLITE_REFUSALS):
        return terminal_text(f"the gradebook cannot be opened or written: {exc} (is the disk full or read-only?)")
    return None


class CommandGroup(click.Group):
    """`autograder --help` lists each command with its whole first sentence: click would cut it
    to one line with "...", which hides what a command is for. A write the machine refuses
    (a full disk, a read-only folder) ends any command with one line, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (OSError, sqlite3.OperationalError) as exc:
            message = machine_refusal(exc)
            if message is None:
                raise
            raise click.ClickException(message) from None

    def format_commands(self, ctx, formatter):
        rows = [(name, command.get_short_help_str(limit=10_000))
                for name, command in sorted(self.commands.items()) if not command.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=CommandGroup, context_settings={"max_content_width": 110})
@click.version_option(package_name="dl-week1-autograder")
def main():
    """Auto-graded exercises for week 1 of Deep Learning, and the engine that grades them."""
    try:  # a bad AUTOGRADER_* value is said here, once, before any command starts work
        settings()
    except EnvironmentVariableError as exc:
        raise click.ClickException(str(exc)) from None


for command in (build, grade, verify, demo, export_command, report, new_exercise_command, serve,
                coverage_command, similarity):
    main.add_command(command)

__all__ = ["main", "results_table"]
