"""The command line of the README: verify and demo, end to end."""

from __future__ import annotations

import csv
import shutil

import yaml
from click.testing import CliRunner

from autograder.cli import main
from autograder.exercises import EXERCISES_DIR, max_score
from support.courses import WRITTEN, course_of_six
import pytest

pytestmark = pytest.mark.slow  # end to end: many sandboxes or kernels; CI runs them all the same



def test_verify_gives_solutions_full_marks_and_blanks_zero(written_course, tmp_path):
    """Every exercise that is not a training task, in the sandbox: Keras models crossing as data
    (keras_forward) and personal-variant exercises at their default numbers included."""
    written = WRITTEN
    assert len(written) >= 12
    result = CliRunner().invoke(main, ["verify", "--course", str(written_course), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    assert "verify ok" in result.output
    rows = [line.split() for line in result.output.splitlines() if line.split()[:1] and line.split()[0] in written]
    assert sorted((r[0], r[1]) for r in rows) == sorted((e, v) for e in written for v in ("solution", "blank"))
    assert all(r[-1] == "ok" for r in rows)
    for exercise, version, status, score, _ in rows:  # (test_grade_end_to_end grades two of them with `grade`)
        got, out_of = map(float, score.split("/"))
        assert status == "graded" and out_of == max_score(exercise) > 0, (exercise, version, status, score)
        assert got == (out_of if version == "solution" else 0.0), (exercise, version, score)
    for exercise in written:  # the three versions of every exercise, and the LMS bundle
        for version in ("student", "solution", "autograder"):
            assert (tmp_path / "dist" / exercise / version).is_dir()
        assert (tmp_path / "dist" / exercise / "autograder" / "otter_autograder.zip").is_file()


def test_verify_with_otters_own_grading(tmp_path):
    """Otter's grading of its own autograder zip agrees: full marks for the solution, zero for the blank."""
    course = course_of_six(tmp_path)
    data = yaml.safe_load(course.read_text())
    data["exercises"] = [e for e in data["exercises"] if e["id"] == "sigmoid_probability"]
    course.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(main, ["verify", "--course", str(course), "--otter"])
    assert result.exit_code == 0, result.output
    otter_rows = [line.split() for line in result.output.splitlines() if " otter " in f" {line} "]
    assert sorted(r[1] for r in otter_rows) == ["blank", "solution"]
    assert all(r[-1] == "ok" for r in otter_rows)


def test_verify_fails_when_a_solution_loses_marks(tmp_path):
    """A master whose solution is wrong makes verify exit non-zero."""
    (tmp_path / "exercises").mkdir()
    shutil.copytree(EXERCISES_DIR / "backprop", tmp_path / "exercises" / "backprop")
    master = tmp_path / "exercises" / "backprop" / "backprop.ipynb"
    master.write_text(master.read_text().replace("q = x + y  # SOLUTION", "q = x - y  # SOLUTION"))
    (tmp_path / "course.yaml").write_text("exercises:\n  - id: backprop\n    varies: true\n")
    result = CliRunner().invoke(main, ["verify", "--course", str(tmp_path / "course.yaml")])
    assert result.exit_code == 1
    assert "FAIL" in result.output


def test_demo_builds_grades_and_reports(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--only", "sigmoid_probability"])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "results" / "grades.csv", newline="") as f:
        every = list(csv.DictReader(f))
    rows = {r["student"]: r for r in every if r["student"] != "broken"}
    assert set(rows) == {"correct", "blank", "mistaken"}
    assert sorted(r["status"] for r in every if r["student"] == "broken") == ["crashed", "invalid", "unknown_exercise"]
    assert float(rows["correct"]["score"]) == float(rows["correct"]["max_score"]) > 0
    assert float(rows["blank"]["score"]) == 0.0
    assert 0 < float(rows["mistaken"]["score"]) < float(rows["mistaken"]["max_score"])
    assert "hint for sigmoid_probability" in result.output
    assert "next, a course of your own" in result.output and "autograder new-exercise my_first_exercise" in result.output
    assert (tmp_path / "results" / "report.html").is_file()
