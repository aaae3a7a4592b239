"""`autograder build`: each master notebook -> dist/<id>/{student,solution,autograder}/.

The build of one exercise is a short list of steps, each one transformation:

    check_master       markers balanced and named, config present, no points or hidden tests (master.py);
                       every code cell compiles (cell_syntax.py)
    write_questions    a copy of the master gets each question's points and one hidden test per
                       check, from checks.py (hidden_tests.py)
    run_otter_assign   Otter assign writes the student and autograder views
    runnable_blanks    a placeholder that unpacks gets one `...` per name (placeholders.py)
    ship_checks        the exercise's checks.py and solution into Otter's zip, for its hidden tests
    stamp_exercise     metadata.autograder.exercise = <id> in every notebook written
    install_setup      the first cell installs otter-grader if missing, carries the public checks
                       and data, starts the grader; the hand-in cell works on Colab (setup_cell.py)
    render_default     a varying exercise's placeholders filled with the slides' numbers
    compile_versions   every code cell of the student and solution versions compiles (cell_syntax.py)
    ship_data          the exercise's data/ folder next to the student and solution notebooks
    collect_views      student/, solution/ (the filled notebook), autograder/ (Otter's bundle)
    personalise        with a roster: students/<student>/<id>.ipynb, each with its own signed numbers
    add_link_cell      with `publish:` in course.yaml, an "Open in Colab" link (colab_links.py)
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.gradescope.bundle import write_gradescope_zip
from autograder import handout
from autograder.build import variants
from autograder.build.cell_syntax import check_master_syntax, check_versions_syntax
from autograder.build.colab_links import add_link_cell, write_links
from autograder.build.hidden_tests import ship_checks, write_generated_master
from autograder.build.master import MasterError, read_master
from autograder.build.placeholders import make_placeholders_run
from autograder.build.setup_cell import install_setup
from autograder.course import Course, Exercise
from autograder.exercises import load_checks

STAMP_KEY = "autograder"


@dataclass
class BuiltExercise:
    exercise: str
    student: Path  # the student notebook
    solution: Path  # the filled notebook
    autograder: Path  # folder with Otter's autograder notebook and zip
    personal: dict[str, Path] | None = None  # student -> their own notebook, with a roster
    colab: str | None = None  # the "Open in Colab" link of the published student notebook


def stamp_exercise(path: Path, exercise_id: str) -> None:
    """Record the exercise id in the notebook, so intake knows what a submission answers."""
    nb = nbformat.read(str(path), as_version=4)
    nb.metadata.setdefault(STAMP_KEY, {})["exercise"] = exercise_id
    nbformat.write(nb, str(path))


def run_otter_assign(master: Path, workdir: Path, exercise: Exercise | None = None) -> Path:
    """Otter assign on a copy of the master, its points and hidden tests written in from the
    checks of `exercise` (default: the exercise beside the master); returns Otter's result folder."""
    from otter.assign import main as otter_assign

    copy = workdir / master.name
    write_generated_master(master, copy, exercise)
    if (master.parent / "data").is_dir():  # a master's `files: [data]` names it beside the master
        shutil.copytree(master.parent / "data", workdir / "data")
    result = workdir / "otter-out"
    noise = io.StringIO()
    try:
        with contextlib.redirect_stdout(noise), contextlib.redirect_stderr(noise):
            otter_assign(str(copy), str(result), no_pdfs=True, no_run_tests=True)
    except Exception as exc:  # noqa: BLE001 - Otter's own errors: give the teacher the file and Otter's words
        raise MasterError(f"{master}: Otter assign failed: {type(exc).__name__}: {exc}") from None
    return result


def ship_data(exercise: Exercise, *folders: Path) -> None:
    data = exercise.folder / "data"
    if data.is_dir():
        for folder in folders:
            shutil.copytree(data, folder / "data", dirs_exist_ok=True)


def build_exercise(exercise: Exercise, out: Path, students: list[str] | None = None,
                   secret: bytes | None = None, published: str | None = None,
                   record: handout.Handout | None = None, course: Course | None = None) -> BuiltExercise:
    check_master_syntax(read_master(exercise.master, exercise.id), str(exercise.master))
    try:  # its hidden checks (once written) load and their options are valid, before anything is written
        if (exercise.folder / "checks.py").is_file():
            load_checks(exercise)
    except Exception as exc:  # noqa: BLE001 - a teacher's checks.py: report it with its file
        raise MasterError(f"{exercise.folder / 'checks.py'}: the checks do not load: {type(exc).__name__}: {exc}") from None
    target = out / exercise.id
    if target.exists():
        shutil.rmtree(target)
    student_dir, solution_dir, autograder_dir = (target / v for v in ("student", "solution", "autograder"))
    with tempfile.TemporaryDirectory(prefix=f"build-{exercise.id}-") as tmp:
        result = run_otter_assign(exercise.master, Path(tmp), exercise)
        name = f"{exercise.id}.ipynb"
        make_placeholders_run(result / "student" / name)
        shutil.copytree(result / "student", student_dir)
        shutil.copytree(result / "autograder", autograder_dir)
    solution_dir.mkdir(parents=True)
    # Otter's autograder view is the filled notebook; the solution version is that notebook.
    shutil.copy2(autograder_dir / name, solution_dir / name)
    for zipped in autograder_dir.glob("*-autograder_*.zip"):
        zipped.rename(autograder_dir / "otter_autograder.zip")
    if (exercise.folder / "checks.py").is_file():
        ship_checks(exercise, autograder_dir / "otter_autograder.zip")
    for notebook in (student_dir / name, solution_dir / name, autograder_dir / name):
        stamp_exercise(notebook, exercise.id)
    install_setup(exercise, student_dir / name, solution_dir / name)
    built = BuiltExercise(exercise.id, student_dir / name, solution_dir / name, autograder_dir)
    # Placeholders are filled with the slides' numbers whether or not the course varies the
    # exercise: a course.yaml without `varies: true` still gets notebooks that run.
    if exercise.varies or variants.has_placeholders(student_dir / name):
        template = autograder_dir / f"{exercise.id}.template.ipynb"
        shutil.copy2(student_dir / name, template)  # the student version, placeholders kept
        default = variants.default_variant(exercise.id, exercise.folder)
        for notebook in (student_dir / name, solution_dir / name, autograder_dir / name):
            variants.render_file(notebook, default)
        if students and exercise.varies:
            if secret is None:
                raise variants.VariantError("personal notebooks need the course secret (build_course loads it)")
            built.personal = {
                student: _personal_notebook(template, exercise, student, secret, target / "students")
                for student in students
            }
    check_versions_syntax(exercise.master, student=student_dir / name, solution=solution_dir / name)
    ship_data(exercise, student_dir, solution_dir)
    if published:  # not in the personal notebooks: the published one has the slides' numbers
        built.colab = add_link_cell(student_dir / name, published)
    write_gradescope_zip(exercise, autograder_dir, student_dir / name, course=course, record=record)  # gradescope/bundle.py
    return built


def _personal_notebook(template: Path, exercise: Exercise, student: str, secret: bytes, folder: Path) -> Path:
    target = folder / _safe_name(student) / f"{exercise.id}.ipynb"
    variants.personalise(template, exercise.id, student, secret, target, exercise.folder)
    ship_data(exercise, target.parent)
    return target


def _safe_name(student: str) -> str:
    return re.sub(r"[^A-Za-z0-9._@-]+", "_", student).strip(".") or "unknown"


def build_course(course: Course, out: Path, only: list[str] | None = None,
                 students: list[str] | None = None) -> list[BuiltExercise]:
    """Build every exercise (or `only` these); with `students`, personalised notebooks too."""
    secret = None
    if students:
        secret = variants.load_secret(course)
        if secret is None:
            raise variants.VariantError(
                f"personal variants need a course secret: set ${variants.SECRET_ENV} or "
                f"${variants.SECRET_FILE_ENV}, or `secret_file:` in course.yaml (a file outside the repository)"
            )
    out.mkdir(parents=True, exist_ok=True)
    chosen = [e for e in course.exercises if not only or e.id in only]
    if students and secret is not None:  # (a secret is loaded above whenever there are students)
        # The course's record of what was handed out (the public key, which exercises), written
        # before the bundles so that each Gradescope zip carries it: from now on every grader
        # requires a valid variant block for these exercises.
        handout.write(course, secret, {e.id: list(students) for e in chosen if e.varies})
    record = handout.load(course)
    built = [build_exercise(e, out, students, secret, course.published_notebook(e.id), record, course)
             for e in chosen]
    if any(b.colab for b in built):
        titles = {e.id: e.title for e in chosen}
        write_links(out, [(b.exercise, titles[b.exercise], b.colab) for b in built if b.colab])
    return built
