"""`autograder verify`: every solution version gets full marks, every blank version zero."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
import nbformat

from autograder.cli.output import COURSE_HELP, course_or_fail, table
from autograder.record import Result, Status


def blank_cell_errors(results: list[Result], dist: Path) -> list[str]:
    """Each cell of a blank (student) version that raised when run top to bottom, outside the
    public checks (the sandbox runs `grader.check` as a stand-in), as "<id>: the student version's
    cell N (`its first line`) raises <error>". A blank must run before the student writes anything."""
    problems = []
    for r in results:
        if r.student != "blank" or not r.exercise or r.run is None:
            continue
        notebook = dist / r.exercise / "student" / f"{r.exercise}.ipynb"
        code_cells = [(n, cell.source) for n, cell in enumerate(nbformat.read(str(notebook), as_version=4).cells,
                                                                 start=1) if cell.cell_type == "code"]
        for cell in r.run.cells:
            if cell.status != "error" or cell.index >= len(code_cells):
                continue
            number, source = code_cells[cell.index]
            first = next((line.strip() for line in source.splitlines() if line.strip()), "")
            error = (cell.error or "").strip().splitlines()
            problems.append(f"{r.exercise}: the student version's cell {number} (`{first[:60]}`) raises "
                            f"{error[-1] if error else 'an error'}")
    return problems


def _verify_rows(course, dist: Path, workers: int) -> tuple[list[list[str]], bool, list[str]]:
    from autograder.handout import Handout
    from autograder.batch import grade_batch

    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        subs = Path(tmp) / "submissions"
        for version in ("solution", "student"):
            for ex in course.exercises:
                target = subs / ("blank" if version == "student" else version) / f"{ex.id}.ipynb"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes((dist / ex.id / version / f"{ex.id}.ipynb").read_bytes())
        # The course's own versions carry no personal variant: judged as if nothing was handed out.
        results = grade_batch([str(subs)], course, Path(tmp) / "results", workers=workers, progress=False,
                              handout=Handout())
    rows, ok = [], True
    for r in sorted(results, key=lambda r: (r.exercise or "", r.student)):
        want = r.max_score if r.student == "solution" else 0.0
        good = r.status == Status.GRADED and r.score == want and r.max_score > 0
        ok &= good
        rows.append([r.exercise or "?", r.student, r.status.value, f"{r.score:g}/{r.max_score:g}",
                     "ok" if good else "FAIL"])
    return rows, ok, blank_cell_errors(results, dist)


def otter_grade_submission(notebook: Path, zipped: Path):
    """Otter's own grading (otter.api, no Docker) of one notebook with an autograder zip. Its
    hidden tests import `autograder` in the notebook's kernel (build/hidden_tests.py): the kernel
    is given this very engine's folder on its path, so it grades with the code verify runs."""
    import contextlib
    import io
    import os

    import autograder
    from otter.api import grade_submission

    engine = str(Path(autograder.__file__).resolve().parents[1])
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (engine, before) if p)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return grade_submission(str(notebook), str(zipped), quiet=True)
    finally:
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before


def _otter_rows(course, dist: Path) -> tuple[list[list[str]], bool]:
    """Otter's own grading of the same versions, with the autograder zip Otter built."""
    rows, ok = [], True
    for ex in course.exercises:
        zipped = dist / ex.id / "autograder" / "otter_autograder.zip"
        for version, label in (("solution", "solution"), ("student", "blank")):
            nb = dist / ex.id / version / f"{ex.id}.ipynb"
            res = otter_grade_submission(nb, zipped)
            total, possible = res.total, res.possible
            good = (total == possible) if label == "solution" else (total == 0)
            ok &= good
            rows.append([ex.id, label, "otter", f"{total:g}/{possible:g}", "ok" if good else "FAIL"])
    return rows, ok


@click.command()
@click.option("--course", "course_path", type=click.Path(), default=None, help=COURSE_HELP)
@click.option("--out", type=click.Path(), default=None, help="build into this folder (default: a temporary one)")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--otter", "with_otter", is_flag=True, help="also grade with Otter's own grading (slow: a kernel per notebook)")
def verify(course_path, out, workers, with_otter):
    """Build, check the contract (points, public and hidden tests, no answer in the student version or
    sampled personal variants), then grade every solution version (must get full marks) and blank
    version (must get zero)."""
    from autograder.build import MasterError, build_course
    from autograder.build.variants import VariantError
    from autograder.handout import HandoutError

    course = course_or_fail(course_path)
    with tempfile.TemporaryDirectory(prefix="dist-") as tmp:
        dist = Path(out) if out else Path(tmp)
        try:
            build_course(course, dist)
        except (MasterError, VariantError, HandoutError) as exc:
            raise click.ClickException(str(exc)) from None
        from autograder.build.contract import contract_problems

        broken = [p for e in course.exercises for p in contract_problems(e, dist)]
        rows, ok, raising = _verify_rows(course, dist, workers)
        if with_otter:
            more, ok_otter = _otter_rows(course, dist)
            rows, ok = rows + more, ok and ok_otter
    click.echo(table(rows, ["exercise", "version", "status", "score", "verdict"]))
    for problem in broken:
        click.echo(f"contract: {problem}", err=True)
    if broken:
        click.echo("verify FAILED: an exercise breaks the contract (exercises/README.md)", err=True)
        sys.exit(1)
    for problem in raising:
        click.echo(f"blank: {problem}", err=True)
    if not ok:
        click.echo("verify FAILED: a solution version lacks full marks or a blank version scores", err=True)
        sys.exit(1)
    if raising:
        click.echo("verify FAILED: a blank version raises outside its checks when run top to bottom; a student "
                   "would meet that error before writing anything", err=True)
        sys.exit(1)
    click.echo("verify ok: the contract holds; every solution version has full marks, every blank version zero "
               "and runs top to bottom")
