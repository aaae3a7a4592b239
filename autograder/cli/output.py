"""What every command shares: loading the course and results with a clear error, and tables.

Everything a table shows may be a student's (a file name, an exercise id from a notebook's
metadata, a message quoting either): each cell is escaped for the terminal
(export/safe_text.terminal_text), so no escape sequence, carriage return or line break in it
reaches the screen.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from autograder.cli.course import COURSE_HELP, course_or_fail  # noqa: F401  (every command's one rule)
from autograder.export.safe_text import terminal_text
from autograder.record import Result

DEFAULT_WORKERS = max(1, min(4, os.cpu_count() or 1))


def results_base(results_path: str) -> Path:
    path = Path(results_path)
    return path if path.is_dir() else path.parent


def results_or_fail(results_path):
    """(result documents, the folder they belong to) of a `grade` output, or a clear error."""
    from autograder.export.lms import ExportError, load_results

    try:
        results = load_results(results_path)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    unreadable = [r for r in results if r.unreadable]
    if unreadable:  # shown with status `error` wherever results are listed; said here once
        click.echo(terminal_text(f"{len(unreadable)} result(s) could not be read and count as status error: "
                                 f"{unreadable[0].message}"), err=True)
    return results, results_base(results_path)


def table(rows: list[list[str]], header: list[str]) -> str:
    rows = [[terminal_text(x) for x in row] for row in rows]
    header = [terminal_text(x) for x in header]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def results_table(results: list[Result]) -> str:
    rows = [
        [r.student, r.exercise or "?", r.status.value, f"{r.score:g}/{r.max_score:g}", terminal_text(r.message)[:60]]
        for r in sorted(results, key=lambda r: (r.student, r.exercise or ""))
    ]
    return table(rows, ["student", "exercise", "status", "score", "message"])
