"""Intake: every file becomes a submission with a student, an exercise or a clear status."""

import io
import json
import zipfile

import nbformat
import pytest

from autograder.intake import Roster, intake
from autograder.intake.submissions import student_from_path

KNOWN = ["sigmoid_probability", "decision_line"]


def notebook(exercise="sigmoid_probability", cells=("z = 1.52",), key="autograder"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# hi")] + [nbformat.v4.new_code_cell(c) for c in cells]
    if key == "autograder":
        nb.metadata["autograder"] = {"exercise": exercise}
    elif key == "otter":
        nb.metadata["otter"] = {"assignment_name": exercise}
    return nbformat.writes(nb)


def one(tmp_path, name, data, **kw):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    subs = intake([str(path)], KNOWN, **kw)
    assert len(subs) == 1
    return subs[0]


def test_notebook_with_stamp(tmp_path):
    sub = one(tmp_path, "alice_sigmoid_probability.ipynb", notebook())
    assert (sub.status, sub.exercise, sub.student) == (None, "sigmoid_probability", "alice")
    assert sub.cells == ["z = 1.52"]
    assert len(sub.sha256) == 64


def test_exercise_from_otter_assignment_name(tmp_path):
    sub = one(tmp_path, "bob.ipynb", notebook("decision_line", key="otter"))
    assert (sub.status, sub.exercise, sub.student) == (None, "decision_line", "bob")


@pytest.mark.parametrize("exercise,key", [("no_such_exercise", "autograder"), (None, None)])
def test_unknown_exercise(tmp_path, exercise, key):
    sub = one(tmp_path, "carol.ipynb", notebook(exercise, key=key))
    assert sub.status == "unknown_exercise"
    assert "exercise" in sub.message


@pytest.mark.parametrize(
    "data,words",
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"{not json", "not JSON"),
        (b"[1, 2, 3]", "nbformat"),
        (json.dumps({"nbformat": 5, "nbformat_minor": 0, "cells": []}).encode(), "version 5"),
        (b"\xff\xfe\x00garbage", "not JSON"),
    ],
)
def test_unreadable_files_are_invalid(tmp_path, data, words):
    sub = one(tmp_path, "dave.ipynb", data)
    assert sub.status == "invalid"
    assert words in sub.message
    assert sub.student == "dave"


def test_version_3_notebook_is_upgraded(tmp_path):
    v3 = {
        "nbformat": 3, "nbformat_minor": 0,
        "metadata": {"autograder": {"exercise": "sigmoid_probability"}},
        "worksheets": [{"cells": [{"cell_type": "code", "input": "z = 1.52", "language": "python", "outputs": []}]}],
    }
    sub = one(tmp_path, "erin.ipynb", json.dumps(v3))
    assert sub.status is None
    assert sub.cells == ["z = 1.52"]


def zipped(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_otter_export_zip(tmp_path):
    data = zipped({"sigmoid_probability.ipynb": notebook(), "sigmoid_probability.pdf": b"%PDF"})
    sub = one(tmp_path, "frank/sigmoid_probability_2026_11_20T10_00_00_123456.zip", data)
    assert sub.status is None and sub.exercise == "sigmoid_probability"
    assert sub.path.endswith("!sigmoid_probability.ipynb")


def test_zip_student_from_name_without_timestamp(tmp_path):
    data = zipped({"sigmoid_probability.ipynb": notebook()})
    sub = one(tmp_path, "gina_sigmoid_probability_2026_11_20T10_00_00_123456.zip", data)
    assert sub.student == "gina"


@pytest.mark.parametrize(
    "members,words",
    [
        ({"../evil.ipynb": notebook()}, "unsafe path"),
        ({"/etc/evil.ipynb": notebook()}, "unsafe path"),
        ({"ok.ipynb": notebook(), "../../x.txt": b"x"}, "unsafe path"),
        ({"readme.txt": b"x"}, "no notebook"),
    ],
)
def test_bad_zips_are_invalid(tmp_path, members, words):
    sub = one(tmp_path, "hank.zip", zipped(members))
    assert sub.status == "invalid" and words in sub.message


def test_not_a_zip(tmp_path):
    sub = one(tmp_path, "ivan.zip", b"PK\x03\x04 truncated")
    assert sub.status == "invalid" and "zip" in sub.message


def test_folder_of_submissions_and_student_folders(tmp_path):
    (tmp_path / "subs" / "jo").mkdir(parents=True)
    (tmp_path / "subs" / "jo" / "anything.ipynb").write_text(notebook())
    (tmp_path / "subs" / "kim_decision_line.ipynb").write_text(notebook("decision_line"))
    (tmp_path / "subs" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "subs" / ".ipynb_checkpoints" / "x.ipynb").write_text(notebook())
    (tmp_path / "subs" / "notes.txt").write_text("ignored")
    subs = intake([str(tmp_path / "subs")], KNOWN)
    assert sorted((s.student, s.exercise) for s in subs) == [("jo", "sigmoid_probability"), ("kim", "decision_line")]


def test_identical_files_of_two_students_are_two_submissions(tmp_path):
    text = notebook()
    for who in ("lea", "max"):
        (tmp_path / "subs" / who).mkdir(parents=True)
        (tmp_path / "subs" / who / "nb.ipynb").write_text(text)
    subs = intake([str(tmp_path / "subs")], KNOWN)
    assert sorted(s.student for s in subs) == ["lea", "max"]
    assert subs[0].sha256 == subs[1].sha256


def test_a_missing_path_is_an_error_naming_it_not_a_row(tmp_path):
    """A path given that does not exist is a typo, not a student (issue 22)."""
    from autograder.intake.files import MissingInput

    (tmp_path / "real.ipynb").write_text(notebook())
    with pytest.raises(MissingInput, match="nope.ipynb"):
        intake([str(tmp_path / "real.ipynb"), str(tmp_path / "nope.ipynb")], KNOWN)


def test_roster_maps_logins(tmp_path):
    roster_file = tmp_path / "roster.csv"
    roster_file.write_text("student,email,login\ns001,nina@uni.example,nina\n")
    roster = Roster.load(roster_file)
    (tmp_path / "subs" / "Nina").mkdir(parents=True)
    (tmp_path / "subs" / "Nina" / "sigmoid.ipynb").write_text(notebook())
    (tmp_path / "subs" / "zed_sigmoid_probability.ipynb").write_text(notebook())
    subs = intake([str(tmp_path / "subs")], KNOWN, roster=roster)
    assert sorted(s.student for s in subs) == ["s001", "zed"]  # zed is not in the roster


def test_student_from_path_strips_exercise(tmp_path):
    assert student_from_path(tmp_path / "oli-sigmoid_probability.ipynb", tmp_path, "sigmoid_probability") == "oli"
    assert student_from_path(tmp_path / "sigmoid_probability.ipynb", tmp_path, "sigmoid_probability") == "unknown"
