"""A master's mistakes caught at build and verify, with the file and cell: a syntax error in a
solution cell, a `# SOLUTION` line whose placeholder breaks the student version or cannot be
unpacked, a cell of the blank that raises before the student has written anything."""

from __future__ import annotations

import os

import nbformat
import pytest
from click.testing import CliRunner

from autograder.build.placeholders import runnable_line
from autograder.build.scaffold import new_exercise
from autograder.cli import main

EX = "mean_of_values"


@pytest.fixture
def course(tmp_path):
    """A course folder of its own with the scaffolded exercise; yields (folder, master path)."""
    folder = tmp_path / "c"
    folder.mkdir()
    new_exercise(folder / "course.yaml", EX)
    yield folder, folder / "exercises" / EX / f"{EX}.ipynb"


def solve_with(master, source: str, extra_cell: str | None = None) -> int:
    """Replace the master's solution cell by `source`; returns that cell's number (1-based)."""
    nb = nbformat.read(str(master), as_version=4)
    number = next(n for n, c in enumerate(nb.cells, start=1) if "# SOLUTION" in c.source)
    nb.cells[number - 1].source = source
    if extra_cell:
        nb.cells.append(nbformat.v4.new_code_cell(extra_cell))
    nbformat.write(nb, str(master))
    return number


def invoke(folder, *args):
    old = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(main, list(map(str, args)))
    finally:
        os.chdir(old)


def test_a_syntax_error_in_a_solution_cell_is_reported_with_its_file_and_cell(course, tmp_path):
    folder, master = course
    number = solve_with(master, "def loss(w, x, b, y):\n    return np.mean((w * x + b - y) ** 2  # SOLUTION\n"
                                "mean = values.mean()  # SOLUTION")
    result = invoke(folder, "build", "--out", tmp_path / "dist")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Error: {master}, cell {number}: syntax error on line 2: '(' was never closed: "
        "return np.mean((w * x + b - y) ** 2  # SOLUTION")
    verified = invoke(folder, "verify")
    assert verified.exit_code == 1 and f"{master}, cell {number}: syntax error on line 2" in verified.output


def test_a_solution_line_that_breaks_the_student_version_is_reported(course, tmp_path):
    folder, master = course
    solve_with(master, "if values.size:  # SOLUTION\n    mean = values.mean()  # SOLUTION")
    result = invoke(folder, "build", "--out", tmp_path / "dist")
    assert result.exit_code == 1
    student = tmp_path / "dist" / EX / "student" / f"{EX}.ipynb"
    assert (f"Error: {student}, cell 5: in the student version built from {EX}.ipynb, syntax error on line 2: "
            "unexpected indent: mean = ...") in result.output
    assert "between # BEGIN SOLUTION and # END SOLUTION" in result.output


def test_magics_and_top_level_await_compile():
    from autograder.build.cell_syntax import syntax_problems

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("%matplotlib inline\n!pip list\nx = 1"),
                                         nbformat.v4.new_code_cell("import asyncio\nawait asyncio.sleep(0)"),
                                         nbformat.v4.new_code_cell("x = (1,")])
    assert syntax_problems(nb, "nb.ipynb") == ["nb.ipynb, cell 3: syntax error on line 1: '(' was never closed: x = (1,"]


@pytest.mark.parametrize("line, runnable", [
    ("grad_w, grad_b = ...", "grad_w, grad_b = ..., ..."),
    ("    a, (b, c) = ...", "    a, (b, c) = ..., (..., ...)"),
    ("[a, b] = ...", "[a, b] = ..., ..."),
    ("a, = ...", "a, = ...,"),
    ("a, *rest = ...", "a, *rest = ...,"),
    ("(a, b), = ...", "(a, b), = (..., ...),"),
    ('self.a, d["k"] = ...', 'self.a, d["k"] = ..., ...'),
    ("x = ...", "x = ..."),
    ("a, b = f()", "a, b = f()"),
    ("...", "..."),
])
def test_an_unpacking_placeholder_gets_one_ellipsis_per_name(line, runnable):
    assert runnable_line(line) == runnable
    namespace = {"self": type("S", (), {})(), "d": {}, "f": lambda: (1, 2)}
    exec(runnable.strip(), namespace)  # noqa: S102 - it runs (our own generated line)


def test_an_unpacking_solution_line_gives_a_blank_that_runs_and_scores_zero(course, tmp_path):
    folder, master = course
    solve_with(master, "total, count = values.sum(), len(values)  # SOLUTION\nmean = total / count  # SOLUTION")
    result = invoke(folder, "verify", "--out", tmp_path / "dist")
    assert result.exit_code == 0, result.output
    assert "every blank version zero and runs top to bottom" in result.output
    student = nbformat.read(str(tmp_path / "dist" / EX / "student" / f"{EX}.ipynb"), as_version=4)
    assert any(c.source == "total, count = ..., ...\nmean = ..." for c in student.cells)


def test_verify_reports_a_cell_of_the_blank_that_raises(course, tmp_path):
    folder, master = course
    solve_with(master, "mean = values.sum() / len(values)  # SOLUTION", "print(f'the mean is {mean:.2f}')")
    result = invoke(folder, "verify")
    assert result.exit_code == 1
    assert ("blank: mean_of_values: the student version's cell 7 (`print(f'the mean is {mean:.2f}')`) raises "
            "TypeError: unsupported format string passed to ellipsis.__format__") in result.output.splitlines()
    assert "verify FAILED: a blank version raises outside its checks" in result.output
