"""Canvas, Moodle and plain CSV exports, column by column, on a small roster and hand-made results."""

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from autograder.cli import main
from autograder.course import Course, Exercise
from autograder.export import write_result_json
from autograder.export.lms import (
    CANVAS_POINTS_ROW, ExportError, export_grades, load_results, match_results,
    write_canvas_csv, write_moodle_csv, write_plain_csv,
)
from autograder.intake import Roster
from autograder.record import Gradebook

ROSTER = """student,name,id,sis_user_id,sis_login_id,section,email,username
ann,"Smith, Ann",1001,S-01,asmith,Group A,ann@uni.edu,asmith
bob,"Jones, Bob",1002,S-02,bjones,Group B,bob@uni.edu,bjones
carol,"Lee, Carol",1003,S-03,clee,Group A,,clee
"""


def course(settings=None, tmp_path=Path("/nonexistent")) -> Course:
    exercises = (
        Exercise(id="ex_a", title="Exercise A", folder=tmp_path / "ex_a"),
        Exercise(id="ex_b", title="Exercise B, vectors", folder=tmp_path / "ex_b"),
    )
    return Course(name="tiny", path=tmp_path / "course.yaml", exercises=exercises, **(settings or {}))


def result(student, exercise, score, max_score=4.0, status="graded", sha="", graded_at="2026-01-01T10:00:00+00:00"):
    return {
        "submission": f"{student}/{exercise}.ipynb", "student": student, "exercise": exercise,
        "sha256": sha or f"{student}-{exercise}-{score}", "status": status, "score": score, "max_score": max_score,
        "message": "", "checks": [], "graded_at": graded_at, "seconds": 1.0,
    }


RESULTS = [
    result("ann", "ex_a", 3.0, graded_at="2026-01-01T10:00:00+00:00"),
    result("ann", "ex_a", 2.5, graded_at="2026-01-02T10:00:00+00:00"),  # a later, worse resubmission
    result("ann", "ex_b", 1.5, max_score=2.0),
    result("bob", "ex_a", 0.0, status="invalid"),  # submitted something unreadable: 0, not empty
    result("asmith", "ex_b", 2.0, max_score=2.0, graded_at="2026-01-03T10:00:00+00:00"),  # ann, by her login
    result("mallory", "ex_a", 4.0),  # not in the roster
    result("ann", None, 0.0, status="unknown_exercise"),  # names no exercise
]


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    return Roster.load(path)


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_canvas_columns(tmp_path, roster):
    done = write_canvas_csv(RESULTS, roster, course(), tmp_path / "canvas.csv")
    rows = read(tmp_path / "canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Exercise A", "Exercise B, vectors"]
    assert rows[1] == [CANVAS_POINTS_ROW, "", "", "", "", "4", "2"]
    assert rows[1][0].strip() == "Points Possible"
    # best of ann's ex_a submissions (3 over 2.5); ex_b reached her under her login too: best is 2
    assert rows[2] == ["Smith, Ann", "1001", "S-01", "asmith", "Group A", "3", "2"]
    assert rows[3] == ["Jones, Bob", "1002", "S-02", "bjones", "Group B", "0", ""]  # unreadable: 0; none: empty
    assert rows[4] == ["Lee, Carol", "1003", "S-03", "clee", "Group A", "", ""]  # no submission: empty cells
    assert len(rows) == 5
    assert done.rows == 3 and done.without_submission == ["carol"]
    assert [(u.student, u.exercise, u.reason) for u in done.unmatched] == [
        ("mallory", "ex_a", "student not in the roster"),
        ("ann", None, "the notebook names no exercise"),
    ]


def test_canvas_titles_from_course_yaml_and_latest_pick(tmp_path, roster):
    settings = {"lms": {"pick": "latest", "canvas": {"assignments": {"ex_a": "Week 1: the neuron (4711)"}}}}
    write_canvas_csv(RESULTS, roster, course(settings), tmp_path / "canvas.csv")
    rows = read(tmp_path / "canvas.csv")
    assert rows[0][5:] == ["Week 1: the neuron (4711)", "Exercise B, vectors"]
    assert rows[2][5:] == ["2.5", "2"]  # the latest of each


def test_canvas_needs_a_roster(tmp_path):
    with pytest.raises(ExportError, match="roster"):
        write_canvas_csv(RESULTS, None, course(), tmp_path / "c.csv")


def test_moodle_by_email(tmp_path, roster):
    done = write_moodle_csv(RESULTS, roster, course(), tmp_path / "moodle.csv")
    rows = read(tmp_path / "moodle.csv")
    assert rows[0] == ["Email address", "Exercise A", "Exercise B, vectors"]
    assert rows[1] == ["ann@uni.edu", "3", "2"]
    assert rows[2] == ["bob@uni.edu", "0", ""]
    assert len(rows) == 3  # carol has no email: she cannot be identified, and is reported
    assert done.skipped == ["carol"]
    assert {u.student for u in done.unmatched} == {"mallory", "ann"}


def test_moodle_by_username_with_item_names(tmp_path, roster):
    settings = {"lms": {"moodle": {"identifier": "username", "items": {"ex_b": "Vectors quiz"}}}}
    done = write_moodle_csv(RESULTS, roster, course(settings), tmp_path / "moodle.csv")
    rows = read(tmp_path / "moodle.csv")
    assert rows[0] == ["Username", "Exercise A", "Vectors quiz"]
    assert rows[1:] == [["asmith", "3", "2"], ["bjones", "0", ""], ["clee", "", ""]]
    assert done.without_submission == ["carol"] and not done.skipped


def test_moodle_bad_identifier_is_refused_with_the_course():
    with pytest.raises(ValidationError, match="identifier"):  # load_course makes it a CourseError
        course({"lms": {"moodle": {"identifier": "shoe size"}}})


def test_plain_csv_with_and_without_roster(tmp_path, roster):
    write_plain_csv(RESULTS, roster, course(), tmp_path / "plain.csv")
    rows = read(tmp_path / "plain.csv")
    assert rows == [
        ["student", "name", "ex_a", "ex_b", "total"],
        ["ann", "Smith, Ann", "3", "2", "5"],
        ["bob", "Jones, Bob", "0", "", "0"],
        ["carol", "Lee, Carol", "", "", ""],
    ]
    done = export_grades("csv", RESULTS, None, course(), tmp_path / "all.csv")
    rows = read(tmp_path / "all.csv")
    # without a roster every student is a row, under the name the files gave
    assert [r[0] for r in rows[1:]] == ["ann", "asmith", "bob", "mallory"]
    assert rows[2] == ["asmith", "", "", "2", "2"]
    assert [u.reason for u in done.unmatched] == ["the notebook names no exercise"]


def test_unknown_format_and_pick(tmp_path, roster):
    with pytest.raises(ExportError, match="unknown export format"):
        export_grades("blackboard", RESULTS, roster, course(), tmp_path / "x.csv")
    with pytest.raises(ExportError, match="pick"):
        match_results(RESULTS, roster, ["ex_a"], pick="worst")


def test_load_results_from_gradebook_and_json(tmp_path):
    out = tmp_path / "out"
    with Gradebook(out / "gradebook.sqlite") as book:
        for r in RESULTS[:3]:
            book.record(r)
    assert len(load_results(out)) == 3
    for r in RESULTS:
        write_result_json(r, tmp_path / "json" / "results")
    assert len(load_results(tmp_path / "json")) == len(RESULTS)
    (tmp_path / "json" / "results" / "similarity.json").write_text('{"pairs": []}')  # not a result: left out
    (tmp_path / "json" / "results" / "junk.json").write_text("{not json")  # a broken result: said, as `error`
    loaded = load_results(tmp_path / "json" / "results")
    assert len(loaded) == len(RESULTS) + 1
    junk, = [r for r in loaded if r.unreadable]
    assert junk.status == "error" and junk.score == 0 and junk.message.startswith(f"{tmp_path / 'json' / 'results' / 'junk.json'}: not JSON")
    with pytest.raises(ExportError, match="no results"):
        load_results(tmp_path / "missing")


def test_cli_export_lists_unmatched(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    folder = tmp_path / "graded"
    for r in [result("ann", "sigmoid_probability", 5.0, 6.0), result("zed", "sigmoid_probability", 1.0, 6.0)]:
        write_result_json(r, folder / "results")
    runner = CliRunner()
    out = runner.invoke(main, ["export", "--to", "canvas", "--results", str(folder), "--roster", str(roster)])
    assert out.exit_code == 0, out.output
    assert "3 student row(s) written" in out.output
    assert "1 submission(s) could not be matched" in out.output and "zed" in out.output
    assert "student not in the roster" in out.output
    assert "bob, carol" in out.output  # students without a submission
    rows = read(folder / "canvas_grades.csv")
    column = rows[0].index("A neuron decides if a banknote is fake")
    assert [r[column] for r in rows[2:]] == ["5", "", ""]

    out = runner.invoke(main, ["export", "--to", "moodle", "--results", str(folder), "--roster", str(roster),
                               "--out", str(tmp_path / "m.csv")])
    assert out.exit_code == 0 and read(tmp_path / "m.csv")[0][0] == "Email address"
    out = runner.invoke(main, ["export", "--to", "canvas", "--results", str(folder)])
    assert out.exit_code == 1 and "needs a roster" in out.output
    out = runner.invoke(main, ["export", "--to", "feedback", "--results", str(folder)])
    assert out.exit_code == 0 and len(list((folder / "feedback").glob("*.md"))) == 2
    assert json.loads(next((folder / "results").glob("ann__*.json")).read_text())["score"] == 5.0
