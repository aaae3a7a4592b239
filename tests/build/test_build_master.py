"""The build on a small course of its own: three versions, the stamp, clear errors for bad masters,
the set-up cell that lets a student notebook open alone, Open-in-Colab links."""

import base64
import io
import json
import re
import zipfile

import nbformat
import numpy as np
import otter
import pytest
from click.testing import CliRunner

from autograder.build import MasterError, build_course, read_master
from autograder.build.setup_cell import SETUP_TAG
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
        raw("# BEGIN QUESTION\nname: q_z"),
        md("Compute z."),
        raw("# BEGIN SOLUTION"),
        code("z = 1.52 # SOLUTION"),
        raw("# END SOLUTION"),
        raw("# BEGIN TESTS"),
        code("assert isinstance(z, float)"),
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


# --------------------------------------------------------------------------- the set-up cell


def bundle_of(nb) -> zipfile.ZipFile:
    """The zip the set-up cell carries, from the string on its last line."""
    [cell] = [c for c in nb.cells if SETUP_TAG in c.metadata.get("tags", [])]
    encoded = re.search(r'setup_notebook\("tiny", "([A-Za-z0-9+/=]+)"\)\s*$', cell.source).group(1)
    return zipfile.ZipFile(io.BytesIO(base64.b64decode(encoded)))


def test_setup_cell_replaces_otters_and_carries_public_checks_and_data(tmp_path):
    path = course_dir(tmp_path, master())
    data = tmp_path / "exercises" / "tiny" / "data"
    data.mkdir()
    np.save(data / "x.npy", np.arange(6.0))
    [built] = build_course(load_course(path), tmp_path / "dist")
    for version in (built.student, built.solution):
        nb = nbformat.read(str(version), as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        assert SETUP_TAG in first.metadata["tags"] and first.metadata["cellView"] == "form"
        assert "otter.Notebook(" not in nbformat.writes(nb)  # Otter's own first cell is gone
        assert f'otter_version="{otter.__version__}"' in first.source and "http" not in first.source
        lines = first.source.splitlines()
        assert len(lines) <= 16 and max(map(len, lines[:-1])) <= 110  # short and readable, the bundle last
        with bundle_of(nb) as z:
            assert sorted(z.namelist()) == ["data/x.npy", "manifest.json", "student_setup.py", "tests/q_z.py"]
            assert json.loads(z.read("manifest.json")) == {"exercise": "tiny", "training": False}
            assert z.read("data/x.npy") == (data / "x.npy").read_bytes()
            test = z.read("tests/q_z.py").decode()
            assert "isinstance(z, float)" in test and "1.52" not in test  # public checks only, also in the solution
            env: dict = {}
            exec(compile(test, "q_z.py", "exec"), env)  # noqa: S102 - the test file our build wrote
            assert env["OK_FORMAT"] is True and env["test"]["name"] == "q_z"


def test_hand_in_cell_says_what_to_do_on_colab(tmp_path):
    config = CONFIG.replace("export_cell: false", "export_cell: true")
    [built] = build_course(load_course(course_dir(tmp_path, master(config=config))), tmp_path / "dist")
    nb = nbformat.read(str(built.student), as_version=4)
    [hand_in] = [c for c in nb.cells if c.cell_type == "code" and "grader.export(" in c.source]
    assert "File → Download → Download .ipynb" in hand_in.source
    assert hand_in.source.splitlines()[-1].startswith("grader.export(")
    before = nb.cells[nb.cells.index(hand_in) - 1]
    assert before.source.startswith("## Submission") and "On Colab" in before.source


def test_notebook_without_otters_first_cell_gets_the_setup_first(tmp_path):
    from autograder.build.setup_cell import install_setup_cell, setup_cell

    course = load_course(course_dir(tmp_path, master()))
    nb = nbformat.v4.new_notebook()
    nb.metadata["otter"] = {"OK_FORMAT": True, "tests": {}}
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny"), nbformat.v4.new_code_cell("z = 1")]
    cell = setup_cell(nb, course.exercises[0])
    install_setup_cell(nb, cell)
    install_setup_cell(nb, cell)  # twice: still one set-up cell
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code"]
    assert SETUP_TAG in nb.cells[1].metadata["tags"] and nb.cells[2].source == "z = 1"


def test_data_too_large_for_a_notebook_is_a_clear_error(tmp_path, monkeypatch):
    from autograder.build import setup_cell

    path = course_dir(tmp_path, master())
    (tmp_path / "exercises" / "tiny" / "data").mkdir()
    (tmp_path / "exercises" / "tiny" / "data" / "big.bin").write_bytes(np.random.default_rng(0).bytes(4096))
    monkeypatch.setattr(setup_cell, "MAX_BUNDLE_BYTES", 2048)
    with pytest.raises(MasterError, match="tiny: the checks and data/ come to .* over the"):
        build_course(load_course(path), tmp_path / "dist")


def test_open_in_colab_links_when_the_course_says_where_notebooks_are_published(tmp_path):
    path = course_dir(tmp_path, master())
    url = "https://github.com/dl-course/week1/blob/main/notebooks/{id}.ipynb"
    path.write_text(path.read_text() + f"publish:\n  notebooks: {url}\n")
    [built] = build_course(load_course(path), tmp_path / "dist")
    link = "https://colab.research.google.com/github/dl-course/week1/blob/main/notebooks/tiny.ipynb"
    assert built.colab == link
    student = nbformat.read(str(built.student), as_version=4)
    assert link in student.cells[0].source and student.cells[0].cell_type == "markdown"
    assert link not in built.solution.read_text()
    assert (tmp_path / "dist" / "colab_links.md").read_text().count(link) == 1
    # without `publish:`, no link and no list
    path.write_text(path.read_text().split("publish:")[0])
    [built] = build_course(load_course(path), tmp_path / "dist2")
    assert built.colab is None and "colab.research.google.com" not in built.student.read_text()
    assert not (tmp_path / "dist2" / "colab_links.md").exists()


@pytest.mark.parametrize("url", ["https://gitlab.com/a/b/-/blob/main/{id}.ipynb",
                                 "https://github.com/a/b/blob/main/tiny.ipynb", "https://github.com/a/b/{id}.ipynb"])
def test_publish_url_that_colab_cannot_open_is_refused(tmp_path, url):
    path = course_dir(tmp_path, master())
    path.write_text(path.read_text() + f"publish:\n  notebooks: {url}\n")
    with pytest.raises(CourseError, match="publish.notebooks must be a GitHub file URL with {id}"):
        load_course(path)
