"""The build on a small course of its own: three versions, the stamp, clear errors for bad masters."""


import nbformat
import pytest
from click.testing import CliRunner

from autograder.build import MasterError, build_course, read_master
from autograder.cli import main
from autograder.course import CourseError, load_course

CONFIG = "# ASSIGNMENT CONFIG\nname: tiny\ninit_cell: true\ncheck_all_cell: false\nexport_cell: false\ngenerate: true\nrun_tests: false"


def master(cells=None, config=CONFIG):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    raw, code, md = nbformat.v4.new_raw_cell, nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell
    nb.cells = [raw(config)] + (cells if cells is not None else [
        md("# Tiny"),
        raw("# BEGIN QUESTION\nname: q_z\npoints: 1"),
        md("Compute z."),
        raw("# BEGIN SOLUTION"),
        code("z = 1.52 # SOLUTION"),
        raw("# END SOLUTION"),
        raw("# BEGIN TESTS"),
        code("assert isinstance(z, float)"),
        code('""" # BEGIN TEST CONFIG\nhidden: true\n""" # END TEST CONFIG\nassert abs(z - 1.52) < 1e-9'),
        raw("# END TESTS"),
        raw("# END QUESTION"),
    ])
    return nb


def course_dir(tmp_path, nb):
    (tmp_path / "exercises" / "tiny").mkdir(parents=True)
    nbformat.write(nb, str(tmp_path / "exercises" / "tiny" / "tiny.ipynb"))
    (tmp_path / "course.yaml").write_text("name: t\nexercises:\n  - id: tiny\n")
    return tmp_path / "course.yaml"


def test_three_versions_stamped(tmp_path):
    course = load_course(course_dir(tmp_path, master()))
    [built] = build_course(course, tmp_path / "dist")
    for path in (built.student, built.solution, built.autograder / "tiny.ipynb"):
        nb = nbformat.read(str(path), as_version=4)
        assert nb.metadata["autograder"]["exercise"] == "tiny"
    student = built.student.read_text()
    assert "1.52" not in student and "abs(z - 1.52)" not in student
    cases = [c for t in nbformat.reads(student, 4).metadata.otter.tests.values() for s in t["suites"] for c in s["cases"]]
    assert cases and not any(c["hidden"] for c in cases)
    assert "z = ..." in student
    assert "1.52" in built.solution.read_text()
    assert (built.autograder / "otter_autograder.zip").is_file()


@pytest.mark.parametrize(
    "cells,words",
    [
        ([nbformat.v4.new_raw_cell("# BEGIN QUESTION\nname: q")], "cell 2: BEGIN QUESTION is never closed"),
        ([nbformat.v4.new_raw_cell("# BEGIN QUESTION\npoints: 1"), nbformat.v4.new_raw_cell("# END QUESTION")],
         "cell 2: BEGIN QUESTION needs a 'name:'"),
        ([nbformat.v4.new_raw_cell("# END SOLUTION")], "cell 2: END SOLUTION does not close anything"),
        ([nbformat.v4.new_raw_cell("# BEGIN SOLUTION")], "cell 2: BEGIN SOLUTION outside a question"),
        ([nbformat.v4.new_markdown_cell("nothing")], "no '# BEGIN QUESTION'"),
    ],
)
def test_bad_markers_name_the_cell(tmp_path, cells, words):
    path = course_dir(tmp_path, master(cells))
    with pytest.raises(MasterError, match=words):
        read_master(tmp_path / "exercises" / "tiny" / "tiny.ipynb", "tiny")
    result = CliRunner().invoke(main, ["build", "--course", str(path), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 1
    assert "tiny.ipynb, cell" in result.output or "tiny.ipynb:" in result.output
    assert "Traceback" not in result.output


def test_wrong_assignment_name_and_missing_config(tmp_path):
    course_dir(tmp_path, master(config=CONFIG.replace("name: tiny", "name: other")))
    with pytest.raises(MasterError, match="cell 1: the assignment name is 'other'"):
        read_master(tmp_path / "exercises" / "tiny" / "tiny.ipynb", "tiny")
    nb = master()
    nb.cells = nb.cells[1:]
    (tmp_path / "exercises" / "tiny" / "tiny.ipynb").write_text(nbformat.writes(nb))
    with pytest.raises(MasterError, match="cell 1: the first cell must be a raw '# ASSIGNMENT CONFIG'"):
        read_master(tmp_path / "exercises" / "tiny" / "tiny.ipynb", "tiny")


def test_master_that_is_not_json(tmp_path):
    course_dir(tmp_path, master())
    (tmp_path / "exercises" / "tiny" / "tiny.ipynb").write_text("{oops")
    with pytest.raises(MasterError, match="tiny.ipynb: not a notebook file"):
        read_master(tmp_path / "exercises" / "tiny" / "tiny.ipynb", "tiny")


def test_course_errors(tmp_path):
    with pytest.raises(CourseError, match="no course file"):
        load_course(tmp_path / "missing.yaml")
    (tmp_path / "c.yaml").write_text("exercises:\n  - id: ghost\n")
    with pytest.raises(CourseError, match="'ghost' has no master notebook"):
        load_course(tmp_path / "c.yaml")
    course_dir(tmp_path, master())
    (tmp_path / "course.yaml").write_text("exercises:\n  - id: tiny\n    limits: {cell_timout: 3}\n")
    with pytest.raises(CourseError, match="unknown limit"):
        load_course(tmp_path / "course.yaml")
