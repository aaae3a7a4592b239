"""`autograder grade` end to end: solutions full marks, blanks zero, and a row with a clear status
for every hostile or broken submission, none of which earns credit it did not earn."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.exercises import REPO_ROOT, max_score
from autograder.record import COLUMNS
from support.submissions import EXERCISE, FULL, HOSTILE, RIGHT, SETUP, notebook

pytestmark = pytest.mark.slow  # end to end: many sandboxes or kernels; CI runs them all the same


def grade(paths, out: Path, course: Path | None = None, *extra, warm: str = "auto") -> list[dict]:
    args = ["grade", *map(str, paths), "--out", str(out), "--workers", "2", "--quiet", *extra]
    if course:
        args += ["--course", str(course)]
    # "warm" and "cold" force the mode (AUTOGRADER_WARM=1 or 0), so each really runs; "auto" lets the
    # measured start-up costs choose.
    env = {"cold": {"AUTOGRADER_WARM": "0"}, "warm": {"AUTOGRADER_WARM": "1"}}.get(warm, {})
    result = CliRunner().invoke(main, args, catch_exceptions=False, env=env)
    assert result.exit_code == 0, result.output
    with open(out / "grades.csv", newline="") as f:
        return list(csv.DictReader(f))


# A numpy exercise and a Keras one (each its own kind of worker): `autograder verify`, which grades
# through the same batch, gives every written exercise's solution full marks and its blank zero
# (test_cli.test_verify_gives_solutions_full_marks_and_blanks_zero); here the files `grade` writes.
GRADED = ("sigmoid_probability", "keras_params")


def test_solutions_get_full_marks_and_blanks_zero(built_course, tmp_path):
    subs = tmp_path / "subs"
    for ex in GRADED:
        for who, version in (("solution", "solution"), ("blank", "student")):
            (subs / who).mkdir(parents=True, exist_ok=True)
            shutil.copy(built_course / ex / version / f"{ex}.ipynb", subs / who / f"{ex}.ipynb")
    rows = grade([subs], tmp_path / "out")
    assert len(rows) == 2 * len(GRADED)
    assert set(COLUMNS) <= set(rows[0])
    for row in rows:
        assert row["status"] == "graded", row
        assert float(row["max_score"]) == max_score(row["exercise"]) > 0
        want = float(row["max_score"]) if row["student"] == "solution" else 0.0
        assert float(row["score"]) == want, row
        assert len(row["sha256"]) == 64
    results = list((tmp_path / "out" / "results").glob("*.json"))
    assert len(results) == len(rows)
    one = json.loads(results[0].read_text())
    assert {"checks", "run", "seed", "status"} <= set(one)
    assert all({"name", "points", "max_points", "message", "hint", "probe_seconds", "judge_seconds"} <= set(c)
               for c in one["checks"])
    assert all(c["probe_seconds"] >= 0 and c["judge_seconds"] >= 0 for c in one["checks"])
    assert len(list((tmp_path / "out" / "feedback").glob("*.md"))) == len(rows)


# --------------------------------------------------------------------------- hostile notebooks


@pytest.fixture(scope="module", params=["warm", "cold"])
def hostile_results(request, fast_course, tmp_path_factory):
    """One batch: every hostile notebook, the broken files, and a correct one; graded together,
    once on the fast path (warm workers, forked per submission) and once with a fresh worker each."""
    root = tmp_path_factory.mktemp("hostile")
    subs, out = root / "subs", root / "out"
    subs.mkdir()
    for name, (cells, *_rest) in HOSTILE.items():
        (subs / f"{name}.ipynb").write_text(notebook(*cells))
    # A notebook that writes into the results folder the grader uses.
    (subs / "write_results.ipynb").write_text(notebook(
        SETUP, *RIGHT, f"import os\nos.makedirs('{out}', exist_ok=True)\nopen('{out}/grades.csv', 'w').write('hacked')"))
    (subs / "honest.ipynb").write_text(notebook(SETUP, *RIGHT))
    (subs / "not_json.ipynb").write_text("{ this is not json")
    (subs / "empty.ipynb").write_text("")
    (subs / "future_version.ipynb").write_text(json.dumps({"nbformat": 5, "nbformat_minor": 0, "cells": []}))
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"autograder": {"exercise": EXERCISE}},
          "worksheets": [{"cells": [{"cell_type": "code", "language": "python", "input": c, "outputs": []}
                                    for c in [SETUP, *RIGHT]]}]}
    (subs / "version3.ipynb").write_text(json.dumps(v3))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../../escape.ipynb", notebook(SETUP, *RIGHT))
    (subs / "traversal.zip").write_bytes(buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"{EXERCISE}.ipynb", notebook(SETUP, *RIGHT))
    (subs / "otter_export_2026_11_20T10_00_00_000000.zip").write_bytes(buf.getvalue())
    (subs / "other_course.ipynb").write_text(notebook(SETUP, exercise="week_9_transformers"))
    rows = grade([subs], out, fast_course, warm=request.param)
    return {row["student"]: row for row in rows}, out


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_notebook(hostile_results, name):
    rows, out = hostile_results
    _cells, status, score = HOSTILE[name]
    row = rows[name]
    if (row["status"], float(row["score"])) != (status, score):  # say what happened, in full
        result = json.loads(next((out / "results").glob(f"{name}__*.json")).read_text())
        pytest.fail(f"{name}: {row['status']} {row['score']} (expected {status} {score}): {result['message']}\n"
                    f"cells: {result.get('run', {}).get('cells')}\noutput tail: {result.get('run', {}).get('output', '')[-500:]}")
    assert float(row["max_score"]) == FULL


def test_honest_notebook_in_the_same_batch(hostile_results):
    rows, _ = hostile_results
    assert (rows["honest"]["status"], float(rows["honest"]["score"])) == ("graded", FULL)


def test_results_folder_cannot_be_written(hostile_results):
    rows, out = hostile_results
    assert (rows["write_results"]["status"], float(rows["write_results"]["score"])) == ("graded", FULL)
    assert (out / "grades.csv").read_text().startswith("submission,")
    assert "hacked" not in (out / "grades.csv").read_text()


def test_evil_pickle_ran_nothing(hostile_results):
    rows, out = hostile_results
    assert not Path("/tmp/autograder-pwned").exists()
    result = json.loads(next((out / "results").glob("evil_pickle__*.json")).read_text())
    p_check = next(c for c in result["checks"] if c["name"] == "p")
    assert p_check["points"] == 0 and "Evil" in p_check["message"]


@pytest.mark.parametrize("name,status,words", [
    ("not_json", "invalid", "not JSON"),
    ("empty", "invalid", "empty"),
    ("future_version", "invalid", "version 5"),
    ("traversal", "invalid", "unsafe path"),
    ("other", "unknown_exercise", "week_9_transformers"),
])
def test_broken_files_get_a_row(hostile_results, name, status, words):
    rows, _ = hostile_results
    row = rows[name] if name in rows else rows[f"{name}_course"]
    assert row["status"] == status and float(row["score"]) == 0.0
    assert words in row["message"]


def test_readable_old_formats_are_graded(hostile_results):
    rows, _ = hostile_results
    assert (rows["version3"]["status"], float(rows["version3"]["score"])) == ("graded", FULL)
    assert (rows["otter_export"]["status"], float(rows["otter_export"]["score"])) == ("graded", FULL)


def test_every_result_document_follows_the_published_schema(hostile_results):
    """The batch's results/*.json (graded, timed out, crashed, invalid, another course's) follow
    schemas/result.schema.json and read back into the typed result as the same text."""
    import jsonschema

    from autograder.record import Result

    rows, out = hostile_results
    validator = jsonschema.Draft202012Validator(json.loads((REPO_ROOT / "schemas" / "result.schema.json").read_text()))
    files = sorted((out / "results").glob("*.json"))
    statuses = set()
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert [e.message for e in validator.iter_errors(json.loads(text))] == [], file.name
        result = Result.parse(text, file.name)
        assert not result.unreadable and result.to_json() == text
        statuses.add(result.status.value)
    assert len(files) == len(rows) and {"graded", "timeout", "crashed", "invalid", "unknown_exercise"} <= statuses


def test_timeouts_say_where(hostile_results):
    rows, _ = hostile_results
    assert "cell" in rows["infinite_loop"]["message"] and "limit" in rows["infinite_loop"]["message"]
    assert "cell 7" in rows["os_exit"]["message"]


# --------------------------------------------------------------------------- resume


def test_a_rerun_grades_only_what_is_missing(fast_course, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for i in range(3):
        (subs / f"s{i}.ipynb").write_text(notebook(SETUP, *RIGHT[: i + 1]))
    out = tmp_path / "out"
    first = grade([subs], out, fast_course)
    assert len(first) == 3
    # A batch killed after its first row: the gradebook keeps whole rows only.
    import sqlite3

    db = sqlite3.connect(out / "gradebook.sqlite")
    db.execute("DELETE FROM grades WHERE student != 's0'")
    db.commit()
    graded_at = db.execute("SELECT graded_at FROM grades").fetchone()[0]
    db.close()
    (subs / "s3.ipynb").write_text(notebook(SETUP, *RIGHT))
    again = grade([subs], out, fast_course)
    assert sorted(r["student"] for r in again) == ["s0", "s1", "s2", "s3"]
    db = sqlite3.connect(out / "gradebook.sqlite")
    assert db.execute("SELECT count(*) FROM grades").fetchone()[0] == 4
    assert db.execute("SELECT graded_at FROM grades WHERE student = 's0'").fetchone()[0] == graded_at
    assert [float(r["score"]) for r in sorted(again, key=lambda r: r["student"])] == [1.0, 2.0, 3.0, FULL]
