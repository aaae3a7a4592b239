"""`autograder export`: grades for Canvas and Moodle, a per-student CSV, feedback files."""

from __future__ import annotations

from pathlib import Path

import click

from autograder.cli.output import COURSE_HELP, course_or_fail, results_or_fail, table
from autograder.export.safe_text import terminal_text


@click.command("export")
@click.option("--to", "fmt", type=click.Choice(["canvas", "moodle", "csv", "feedback"]), required=True,
              help="canvas or moodle: an LMS grade import CSV; csv: one row per student; feedback: one Markdown file per submission")
@click.option("--results", "results_path", type=click.Path(exists=True), default="results", show_default=True,
              help="a `grade` output folder, its gradebook.sqlite, or a folder of result JSON files")
@click.option("--roster", type=click.Path(exists=True), default=None, help="roster CSV: student plus name, id, sis_user_id, sis_login_id, section, email, username")
@click.option("--course", "course_path", type=click.Path(), default=None, help=COURSE_HELP)
@click.option("--out", type=click.Path(), default=None, help="file (folder for feedback) to write; default next to the results")
def export_command(fmt, results_path, roster, course_path, out):
    """Grades for Canvas or Moodle import, a per-student CSV, or per-submission feedback files."""
    from autograder.export.feedback import write_all_feedback
    from autograder.export.lms import ExportError, export_grades
    from autograder.intake import Roster, RosterError

    course = course_or_fail(course_path)
    results, base = results_or_fail(results_path)
    try:
        if fmt == "feedback":
            folder = Path(out) if out else base / "feedback"
            written = write_all_feedback(results, folder, {e.id: e.title for e in course.exercises}, course)
            click.echo(terminal_text(f"{len(written)} feedback file(s) written into {folder}"))
            return
        roster_obj = Roster.load(roster) if roster else None
        done = export_grades(fmt, results, roster_obj, course, Path(out) if out else base / f"{fmt}_grades.csv")
    except (ExportError, RosterError) as exc:
        raise click.ClickException(terminal_text(exc)) from None
    except OSError as exc:  # a full disk, a read-only folder: one line, no traceback
        raise click.ClickException(terminal_text(f"cannot write {exc.filename or out}: {exc.strerror or exc}")) from None
    # Roster values and the students' names are printed escaped, as the table's cells are.
    click.echo(terminal_text(f"{done.rows} student row(s) written to {done.path}"))
    if done.without_submission:
        click.echo(f"{len(done.without_submission)} student(s) without any submission (empty cells): "
                   + ", ".join(map(terminal_text, done.without_submission)))
    if done.skipped:
        click.echo(f"{len(done.skipped)} roster student(s) left out, the roster has no identifier for them: "
                   + ", ".join(map(terminal_text, done.skipped)))
    if done.unmatched:
        click.echo(f"{len(done.unmatched)} submission(s) could not be matched and are not in the file:")
        click.echo(table([[u.student, u.exercise or "?", u.reason, u.submission] for u in done.unmatched],
                          ["student", "exercise", "reason", "submission"]))
