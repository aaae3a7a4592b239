"""Personal notebooks, end to end: one varying exercise built with a roster, each student's own
notebook answered with the master's solution code (right for every variant), graded in the sandbox."""

from __future__ import annotations

import copy

import nbformat
import pytest

from autograder.exercises import master_notebook, max_score

SECRET = "a course secret for the tests, 0123456789"
STUDENTS = ["alice", "bob"]
# The varying exercises whose answers tests/build/test_variants.py types in as `name = value` lines and
# functions, and grades with more to check; the others are solved with their master's code here.
FILLED_IN = ["sigmoid_probability", "decision_line", "matrix_multiplication", "backprop"]


def solved(personal_path, exercise_id: str):
    """A student's personal notebook with every answer cell replaced by the master's solution
    code, which computes from the notebook's given numbers (right for every variant)."""
    master = nbformat.read(str(master_notebook(exercise_id)), as_version=4)
    solutions, inside = [], False
    for cell in master.cells:
        if cell.cell_type == "raw" and cell.source.strip() in ("# BEGIN SOLUTION", "# END SOLUTION"):
            inside = cell.source.strip() == "# BEGIN SOLUTION"
        elif inside and cell.cell_type == "code":
            solutions.append(cell.source)
    nb = copy.deepcopy(nbformat.read(str(personal_path), as_version=4))
    answer_cells = [c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert len(answer_cells) == len(solutions), exercise_id
    for cell, source in zip(answer_cells, solutions):
        cell.source = source
    return nb


def graded_personal_notebooks(exercise_id: str, tmp_path_factory) -> dict:
    """{student: (variant, result)} for each student's own notebook, solved and graded."""
    from autograder.build import build_course
    from autograder.build.variants import SECRET_ENV, SECRET_FILE_ENV
    from autograder.course import load_course
    from autograder.intake import Roster
    from autograder.batch import grade_batch

    root = tmp_path_factory.mktemp(f"personal_{exercise_id}")
    # The roster build writes the course's record of handed-out notebooks: keep it in this
    # test's folder, not beside the repository's course.yaml (where every later grading reads it).
    base = load_course()
    course = base.model_copy(update={"handed_out": str(root / "handed_out.json")})
    roster = root / "roster.csv"
    roster.write_text("student\n" + "\n".join(STUDENTS) + "\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SECRET_ENV, SECRET)
        mp.delenv(SECRET_FILE_ENV, raising=False)
        [built] = build_course(course, root / "dist", only=[exercise_id], students=STUDENTS)
        variants = {}
        for student in STUDENTS:
            personal = built.personal[student]
            variants[student] = nbformat.read(str(personal), as_version=4).metadata["autograder"]["variant"]["params"]
            target = root / "submissions" / student / f"{exercise_id}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(solved(personal, exercise_id), str(target))
        results = grade_batch([str(root / "submissions")], course, root / "results", workers=2,
                              roster=Roster.load(roster), progress=False)
    return {r["student"]: (variants[r["student"]], r) for r in results}


def assert_full_marks_with_own_numbers(graded: dict, exercise_id: str) -> None:
    assert sorted(graded) == STUDENTS
    (alice, _), (bob, _) = graded["alice"], graded["bob"]
    assert alice != bob  # each student got their own numbers
    for student, (variant, result) in graded.items():
        assert result["status"] == "graded", result.get("message")
        assert result["variant"] == variant
        assert result["score"] == result["max_score"] == max_score(exercise_id), [
            (c["name"], c["message"]) for c in result["checks"] if c["points"] < c["max_points"]]
