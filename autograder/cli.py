"""The command line: build, grade, verify, demo (the names and options are a contract)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from autograder.course import CourseError, load_course

DEFAULT_WORKERS = max(1, min(4, os.cpu_count() or 1))


def _course(path):
    try:
        return load_course(path)
    except CourseError as exc:
        raise click.ClickException(str(exc)) from None


def _results(results_path):
    """(result documents, the folder they belong to) of a `grade` output, or a clear error."""
    from autograder.export.lms import ExportError, load_results

    try:
        results = load_results(results_path)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    return results, _results_base(results_path)


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def results_table(results: list[dict]) -> str:
    rows = [
        [r["student"], r.get("exercise") or "?", r["status"], f"{r['score']:g}/{r['max_score']:g}",
         (r.get("message") or "")[:60]]
        for r in sorted(results, key=lambda r: (r["student"], r.get("exercise") or ""))
    ]
    return _table(rows, ["student", "exercise", "status", "score", "message"])


@click.group()
@click.version_option(package_name="dl-week1-autograder")
def main():
    """Auto-graded exercises for week 1 of Deep Learning, and the engine that grades them."""


@main.command()
@click.option("--course", "course_path", type=click.Path(), default=None, help="course.yaml (default: the bundled course)")
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

    course = _course(course_path)
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


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--course", "course_path", type=click.Path(), default=None, help="course.yaml")
@click.option("--out", type=click.Path(), default="results", show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=DEFAULT_WORKERS, show_default=True,
              help="submissions graded in parallel (each warm worker holds torch and Keras, about 1 GiB)")
@click.option("--roster", type=click.Path(exists=True), default=None, help="roster CSV mapping file names to students")
@click.option("--regrade", is_flag=True, help="grade again submissions the gradebook already has")
@click.option("--quiet", is_flag=True, help="no progress bar and no table")
@click.option("--cluster", default=None, metavar="ADDRESS",
              help="run the notebooks on Dask workers: tcp://HOST:8786 (a running scheduler), local:N "
                   "(N worker processes here) or slurm (course.yaml `cluster:`); --workers: submissions in flight")
def grade(paths, course_path, out, workers, roster, regrade, quiet, cluster):
    """Grade notebooks, Otter export zips and folders of them into OUT/grades.csv and OUT/results/."""
    from autograder.build.variants import VariantError
    from autograder.handout import HandoutError
    from autograder.intake import Roster, RosterError
    from autograder.pipeline import grade_batch

    course = _course(course_path)
    try:
        roster_obj = Roster.load(roster) if roster else None
        if cluster:  # Dask is imported only here: grading on this machine does not need it
            from autograder.cluster.address import ClusterError
            from autograder.cluster.batch import grade_on_cluster
            from autograder.pipeline import BatchStopped

            given = click.get_current_context().get_parameter_source("workers") != click.core.ParameterSource.DEFAULT
            try:
                results = grade_on_cluster(cluster, list(paths), course, Path(out), workers if given else None,
                                           roster=roster_obj, regrade=regrade, progress=not quiet)
            except (ClusterError, BatchStopped) as exc:
                raise click.ClickException(str(exc)) from None
        else:
            results = grade_batch(list(paths), course, Path(out), workers=workers, roster=roster_obj,
                                  regrade=regrade, progress=not quiet)
    except (RosterError, VariantError, HandoutError) as exc:
        raise click.ClickException(str(exc)) from None
    if not quiet:
        click.echo(results_table(results))
    click.echo(f"{len(results)} submission(s) graded into {Path(out) / 'grades.csv'}")


def _verify_rows(course, dist: Path, workers: int) -> tuple[list[list[str]], bool]:
    from autograder.handout import Handout
    from autograder.pipeline import grade_batch

    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        subs = Path(tmp) / "submissions"
        for version in ("solution", "student"):
            for ex in course.exercises:
                target = subs / version / f"{ex.id}.ipynb"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes((dist / ex.id / version / f"{ex.id}.ipynb").read_bytes())
        # The course's own versions carry no personal variant: judged as if nothing was handed out.
        results = grade_batch([str(subs)], course, Path(tmp) / "results", workers=workers, progress=False,
                              handout=Handout())
    rows, ok = [], True
    for r in sorted(results, key=lambda r: (r.get("exercise") or "", r["student"])):
        want = r["max_score"] if r["student"] == "solution" else 0.0
        good = r["status"] == "graded" and r["score"] == want and r["max_score"] > 0
        ok &= good
        rows.append([r.get("exercise") or "?", "solution" if r["student"] == "solution" else "blank",
                     r["status"], f"{r['score']:g}/{r['max_score']:g}", "ok" if good else "FAIL"])
    return rows, ok


def _otter_rows(course, dist: Path) -> tuple[list[list[str]], bool]:
    """Otter's own grading of the same versions, with the autograder zip Otter built."""
    import contextlib
    import io

    from otter.api import grade_submission

    rows, ok = [], True
    for ex in course.exercises:
        zipped = dist / ex.id / "autograder" / "otter_autograder.zip"
        for version, label in (("solution", "solution"), ("student", "blank")):
            nb = dist / ex.id / version / f"{ex.id}.ipynb"
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                res = grade_submission(str(nb), str(zipped), quiet=True)
            total, possible = res.total, res.possible
            good = (total == possible) if label == "solution" else (total == 0)
            ok &= good
            rows.append([ex.id, label, "otter", f"{total:g}/{possible:g}", "ok" if good else "FAIL"])
    return rows, ok


@main.command()
@click.option("--course", "course_path", type=click.Path(), default=None, help="course.yaml")
@click.option("--out", type=click.Path(), default=None, help="build into this folder (default: a temporary one)")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--otter", "with_otter", is_flag=True, help="also grade with Otter's own grading (slow: a kernel per notebook)")
def verify(course_path, out, workers, with_otter):
    """Build, then grade every solution version (must get full marks) and blank version (must get zero)."""
    from autograder.build import MasterError, build_course
    from autograder.build.variants import VariantError
    from autograder.handout import HandoutError

    course = _course(course_path)
    with tempfile.TemporaryDirectory(prefix="dist-") as tmp:
        dist = Path(out) if out else Path(tmp)
        try:
            build_course(course, dist)
        except (MasterError, VariantError) as exc:
            raise click.ClickException(str(exc)) from None
        rows, ok = _verify_rows(course, dist, workers)
        if with_otter:
            more, ok_otter = _otter_rows(course, dist)
            rows, ok = rows + more, ok and ok_otter
    click.echo(_table(rows, ["exercise", "version", "status", "score", "verdict"]))
    if not ok:
        click.echo("verify FAILED: a solution version lacks full marks or a blank version scores", err=True)
        sys.exit(1)
    click.echo("verify ok: every solution version has full marks, every blank version zero")


@main.command()
@click.option("--out", type=click.Path(), default="demo-output", show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--only", multiple=True, help="only these exercise ids (default: the whole course)")
def demo(out, workers, only):
    """Build the course and grade the bundled example submissions: the main job, end to end."""
    from autograder.demo import run_demo

    course = _course(None)
    unknown = set(only) - set(course.ids)
    if unknown:
        raise click.ClickException(f"unknown exercise(s) {sorted(unknown)}; the course has {course.ids}")
    run_demo(Path(out), workers, list(only) or None)


def _results_base(results_path: str) -> Path:
    path = Path(results_path)
    return path if path.is_dir() else path.parent


@main.command("export")
@click.option("--to", "fmt", type=click.Choice(["canvas", "moodle", "csv", "feedback"]), required=True,
              help="canvas or moodle: an LMS grade import CSV; csv: one row per student; feedback: one Markdown file per submission")
@click.option("--results", "results_path", type=click.Path(exists=True), default="results", show_default=True,
              help="a `grade` output folder, its gradebook.sqlite, or a folder of result JSON files")
@click.option("--roster", type=click.Path(exists=True), default=None, help="roster CSV: student plus name, id, sis_user_id, sis_login_id, section, email, username")
@click.option("--course", "course_path", type=click.Path(), default=None, help="course.yaml")
@click.option("--out", type=click.Path(), default=None, help="file (folder for feedback) to write; default next to the results")
def export_command(fmt, results_path, roster, course_path, out):
    """Grades for Canvas or Moodle import, a per-student CSV, or per-submission feedback files."""
    from autograder.export.feedback import write_all_feedback
    from autograder.export.lms import ExportError, export_grades
    from autograder.intake import Roster, RosterError

    course = _course(course_path)
    results, base = _results(results_path)
    if fmt == "feedback":
        folder = Path(out) if out else base / "feedback"
        written = write_all_feedback(results, folder, {e.id: e.title for e in course.exercises})
        click.echo(f"{len(written)} feedback file(s) written into {folder}")
        return
    try:
        roster_obj = Roster.load(roster) if roster else None
        done = export_grades(fmt, results, roster_obj, course, Path(out) if out else base / f"{fmt}_grades.csv")
    except (ExportError, RosterError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{done.rows} student row(s) written to {done.path}")
    if done.without_submission:
        click.echo(f"{len(done.without_submission)} student(s) without any submission (empty cells): "
                   + ", ".join(done.without_submission))
    if done.skipped:
        click.echo(f"{len(done.skipped)} roster student(s) left out, the roster has no identifier for them: "
                   + ", ".join(done.skipped))
    if done.unmatched:
        click.echo(f"{len(done.unmatched)} submission(s) could not be matched and are not in the file:")
        click.echo(_table([[u.student, u.exercise or "?", u.reason, u.submission] for u in done.unmatched],
                          ["student", "exercise", "reason", "submission"]))


@main.command()
@click.option("--results", "results_path", type=click.Path(exists=True), default="results", show_default=True,
              help="a `grade` output folder, its gradebook.sqlite, or a folder of result JSON files")
@click.option("--course", "course_path", type=click.Path(), default=None, help="course.yaml")
@click.option("--out", type=click.Path(), default=None, help="the HTML file (default RESULTS/report.html)")
@click.option("--feedback/--no-feedback", default=True, show_default=True,
              help="also write one Markdown feedback file per submission into RESULTS/feedback/")
def report(results_path, course_path, out, feedback):
    """One self-contained HTML page for teachers: scores, checks, mistakes, failures, training."""
    from autograder.export.feedback import write_all_feedback
    from autograder.export.report import write_report

    course = _course(course_path)
    results, base = _results(results_path)
    path = write_report(results, Path(out) if out else base / "report.html", course)
    click.echo(f"report of {len(results)} submission(s): {path}")
    if feedback:
        written = write_all_feedback(results, base / "feedback", {e.id: e.title for e in course.exercises})
        click.echo(f"{len(written)} feedback file(s) in {base / 'feedback'}")


if __name__ == "__main__":  # pragma: no cover
    main()
