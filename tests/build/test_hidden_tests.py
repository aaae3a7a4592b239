"""Otter's points and hidden tests are generated from checks.py (autograder/build/hidden_tests.py):
Otter's own grading of the autograder zip the build writes gives the solution full marks and the
blank zero, for an exercise without variants (a new exercise, in a course of its own) and for a
varying one, whose hidden tests judge a student's own numbers, not the slides'. A master that
still states points or a hidden test is refused; verify reports an answer in the student version.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest

from autograder.build import MasterError, build_course, read_master
from autograder.build.contract import contract_problems
from autograder.course import load_course
from autograder.exercises import EXERCISES_DIR

pytestmark = pytest.mark.slow  # Otter's grading starts a kernel per notebook


def otter_grade(notebook, zipped) -> tuple[float, float, dict]:
    """(total, possible, {question: score}) of Otter's own grading, without Docker (as
    `autograder verify --otter` runs it: the notebook's kernel imports this same engine)."""
    from autograder.cli.verify import otter_grade_submission

    res = otter_grade_submission(notebook, zipped)
    return res.total, res.possible, {name: r.score for name, r in res.results.items()}


def _edit_code(path, old: str, new: str, target) -> None:
    nb = nbformat.read(str(path), as_version=4)
    hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
    assert hits, old
    for cell in hits:
        cell.source = cell.source.replace(old, new)
    nbformat.write(nb, str(target))


def test_otter_grades_a_new_exercise_from_its_checks(tmp_path):
    from autograder.build.scaffold import new_exercise

    course = tmp_path / "course"
    course.mkdir()
    new_exercise(course / "course.yaml", "mean_of_values")
    master = course / "exercises" / "mean_of_values" / "mean_of_values.ipynb"
    assert "points:" not in master.read_text() and "TEST CONFIG" not in master.read_text()
    [built] = build_course(load_course(course / "course.yaml"), tmp_path / "dist")
    zipped = built.autograder / "otter_autograder.zip"
    assert otter_grade(built.solution, zipped) == (1, 1, {"mean": 1})
    total, possible, _ = otter_grade(built.student, zipped)
    assert (total, possible) == (0, 1)
    # The sum instead of the mean: the check's hint is the failing hidden test's message.
    wrong = tmp_path / "wrong.ipynb"
    _edit_code(built.solution, "values.sum() / len(values)", "values.sum()", wrong)
    assert otter_grade(wrong, zipped)[0] == 0


def test_otter_grades_a_varying_exercise_with_the_notebooks_own_numbers(built_course, tmp_path):
    folder = built_course / "sigmoid_probability"
    zipped = folder / "autograder" / "otter_autograder.zip"
    solution, student = (folder / v / "sigmoid_probability.ipynb" for v in ("solution", "student"))
    total, possible, scores = otter_grade(solution, zipped)
    assert (total, possible) == (6, 6) and scores["q5_vector_form"] == 2
    assert otter_grade(student, zipped)[:2] == (0, 6)
    # A student's own numbers: the solution computed from them has full marks ...
    own = tmp_path / "own" / "sigmoid_probability.ipynb"
    own.parent.mkdir()
    _edit_code(solution, "w1, w2, b = 0.3, 0.1, 1.0", "w1, w2, b = 0.7, -0.4, 0.5", own)
    assert otter_grade(own, zipped)[:2] == (6, 6)
    # ... and the slides' answer z = 1.52 is wrong for them, and so is p computed from it.
    slides = tmp_path / "slides" / "sigmoid_probability.ipynb"
    slides.parent.mkdir()
    _edit_code(own, "z = w1 * x1 + w2 * x2 + b", "z = 1.52", slides)
    total, _, scores = otter_grade(slides, zipped)
    assert scores["q1_net_input"] == 0 and scores["q3_probability"] == 0 and total == 4


def _course_with(tmp_path, exercise_id: str):
    course = tmp_path / "c"
    shutil.copytree(EXERCISES_DIR / exercise_id, course / "exercises" / exercise_id,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (course / "course.yaml").write_text(f"name: c\nexercises:\n  - id: {exercise_id}\n")
    return course / "exercises" / exercise_id / f"{exercise_id}.ipynb"


@pytest.mark.parametrize("stray", ["points", "hidden test"])
def test_a_master_that_states_points_or_a_hidden_test_is_refused(tmp_path, stray):
    master = _course_with(tmp_path, "backprop")
    nb = nbformat.read(str(master), as_version=4)
    question = next(i for i, c in enumerate(nb.cells) if c.source.startswith("# BEGIN QUESTION"))
    if stray == "points":
        nb.cells[question].source += "\npoints: 2"
    else:
        tests = next(i for i, c in enumerate(nb.cells) if c.source.startswith("# BEGIN TESTS"))
        nb.cells.insert(tests + 1, nbformat.v4.new_code_cell(
            '""" # BEGIN TEST CONFIG\nhidden: true\n""" # END TEST CONFIG\nassert np.isclose(q, x + y)'))
    nbformat.write(nb, str(master))
    words = "points live in checks.py" if stray == "points" else "hand-written hidden test"
    with pytest.raises(MasterError, match=words):
        read_master(master, "backprop")
    with pytest.raises(MasterError, match=words):
        build_course(load_course(master.parents[2] / "course.yaml"), tmp_path / "dist")


def test_questions_must_name_every_check_once(tmp_path):
    master = _course_with(tmp_path, "backprop")
    checks = master.parent / "checks.py"
    checks.write_text(checks.read_text().replace('"q4_grad_f": ["grad_f"],', '"q4_grad_f": [],'))
    with pytest.raises(MasterError, match=r"in no question \['grad_f'\]"):
        build_course(load_course(master.parents[2] / "course.yaml"), tmp_path / "dist")


def test_verify_reports_an_answer_in_the_student_version(built_course, tmp_path):
    dist = tmp_path / "dist"
    shutil.copytree(built_course / "sigmoid_probability", dist / "sigmoid_probability")
    exercise = load_course().exercise("sigmoid_probability")
    assert contract_problems(exercise, dist) == []
    student = dist / "sigmoid_probability" / "student" / "sigmoid_probability.ipynb"
    nb = nbformat.read(str(student), as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("Check: the probability is 0.8205."))
    nbformat.write(nb, str(student))
    problems = contract_problems(exercise, dist)  # p, and p_vec = [[p]]
    assert problems and all(p.startswith("sigmoid_probability: the student version gives an answer away")
                            for p in problems), problems
    assert any("answer p as '0.8205'" in p and "the probability is 0.8205" in p for p in problems), problems
