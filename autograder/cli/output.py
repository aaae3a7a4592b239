"""What every command shares: loading the course and results with a clear error, and tables."""

from __future__ import annotations

import os
from pathlib import Path

import click

from autograder.cli.course import COURSE_HELP, course_or_fail  # noqa: F401  (every command's one rule)

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
    return results, results_base(results_path)


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def results_table(results: list[dict]) -> str:
    rows = [
        [r["student"], r.get("exercise") or "?", r["status"], f"{r['score']:g}/{r['max_score']:g}",
         (r.get("message") or "")[:60]]
        for r in sorted(results, key=lambda r: (r["student"], r.get("exercise") or ""))
    ]
    return table(rows, ["student", "exercise", "status", "score", "message"])
