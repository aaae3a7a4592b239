"""The typed result (autograder/record/result.py): the documents it writes are the ones the
package wrote before it was typed, byte for byte; its published schema is the model's; a
malformed or hand-edited document reads as a clear `error`; the README's lists match the code.

tests/record/result_documents/ holds real result documents and their grades.csv rows, written by the
package before the result was typed (the demo's examples: a graded pen-and-paper exercise with
hints and figure data, a training task with its trainer's run, a blank, a crash, an unreadable
file, another course's notebook)."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path

import jsonschema
import pytest

from autograder.batch import grade_batch
from autograder.export.feedback import STATUS_WORDS
from autograder.export.files import GRADES_CSV, csv_text, grades_rows, result_json, write_result_json
from autograder.export.lms import CANVAS_FIXED, MOODLE_IDENTIFIERS, PLAIN_FIXED, load_results
from autograder.record import COLUMNS, Gradebook, Result, Status
from autograder.record.result import ALWAYS_WRITTEN, schema_text
from support.paths import REPO

ROOT = REPO
DOCUMENTS = Path(__file__).resolve().parent / "result_documents"
SCHEMA = ROOT / "schemas" / "result.schema.json"
README = (ROOT / "README.md").read_text(encoding="utf-8")


def documents() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(DOCUMENTS.glob("*.json"))}


def published_schema_validator():
    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def test_the_published_schema_is_the_models():
    """schemas/result.schema.json is written from the model: change one, write the other
    (`python -m autograder.record > schemas/result.schema.json`)."""
    assert SCHEMA.read_text(encoding="utf-8") == schema_text()
    jsonschema.Draft202012Validator.check_schema(json.loads(schema_text()))


def test_real_documents_follow_the_published_schema():
    validator = published_schema_validator()
    statuses = set()
    for name, text in documents().items():
        data = json.loads(text)
        assert [e.message for e in validator.iter_errors(data)] == [], name
        statuses.add(data["status"])
    assert statuses == {"graded", "crashed", "invalid", "unknown_exercise"}
    # What the schema rejects: a status that is none of the seven, a score that is no number, a lost key.
    data = json.loads(documents()["mistaken__decision_line__68eec46e0b2a__b25d46ea.json"])
    for broken in ({**data, "status": "passed"}, {**data, "score": "4"}, {k: v for k, v in data.items() if k != "sha256"}):
        assert not validator.is_valid(broken)


def test_documents_written_before_the_typed_result_are_written_again_byte_for_byte(tmp_path):
    """Read into the model and written out, every document is the same text: in results/, in
    the gradebook's rows, and in grades.csv."""
    texts = documents()
    results = {name: Result.parse(text, name) for name, text in texts.items()}
    for name, result in results.items():
        assert not result.unreadable, result.message
        assert result_json(result) == texts[name]
        assert write_result_json(result, tmp_path / "results").name == name  # the same file name too
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        for result in results.values():
            book.record(result)
        stored = book.results()
    rows = sqlite3.connect(tmp_path / "gradebook.sqlite").execute("SELECT result FROM grades").fetchall()
    assert sorted(r[0] for r in rows) == sorted(json.dumps(json.loads(t)) for t in texts.values())
    expected = (DOCUMENTS / "grades.csv").read_bytes().decode("utf-8")
    assert csv_text(grades_rows(stored)) == expected


def test_an_older_document_without_the_newer_fields_is_read_and_kept_as_it_was():
    """A gradebook written by an older version lacks fields added since (handed_in_at,
    seconds, the checks' timings) and may hold keys this version does not know: it loads, and
    it is written back as it was, so a resumed batch rewrites none of its files."""
    old = {"submission": "a.ipynb", "student": "ann", "exercise": "sigmoid_probability", "sha256": "0" * 64,
           "status": "graded", "score": 2, "max_score": 6.0, "message": "",
           "checks": [{"name": "z", "points": 1, "max_points": 1.0, "message": "", "hint": "", "legacy": True}],
           "graded_at": "2025-09-01T10:00:00+00:00", "from_an_old_version": [1, 2]}
    result = Result.read(old, "old.json")
    assert not result.unreadable
    assert (result.score, result.handed_in_at, result.seconds, result.checks[0].probe_seconds) == (2, None, 0.0, 0.0)
    assert json.dumps(result.document()) == json.dumps(old)


MALFORMED = [
    ("{not json", "not JSON"),
    ("[1, 2]", "not a readable result"),
    ('{"submission": "a.ipynb", "student": "ann", "status": "passed", "score": 1, "max_score": 1}', "status"),
    ('{"submission": "a.ipynb", "student": "ann", "status": "graded", "score": "lots", "max_score": 1}', "score"),
    ('{"submission": "a.ipynb", "student": "ann", "status": "graded", "max_score": 1}', "score: Field required"),
    ('{"submission": "a.ipynb", "student": "ann", "status": "graded", "score": 1, "max_score": 1, '
     '"checks": [{"points": 1}]}', "checks.0.name"),
    ('{"submission": "a.ipynb", "student": "ann", "status": "graded", "score": 1, "max_score": 1, '
     '"run": {"cells": [{"index": "first"}]}}', "run.cells.0.index"),
    (b"\xff\xfe{", "not JSON"),
]


@pytest.mark.parametrize("text, said", MALFORMED)
def test_a_malformed_or_hand_edited_document_is_an_error_that_says_why(text, said):
    result = Result.parse(text, "results/ann.json")
    assert result.unreadable and result.status == Status.ERROR and result.score == 0
    assert result.message.startswith("results/ann.json: ") and said in result.message
    assert json.loads(result_json(result))["status"] == "error"  # and it can be written like any other


def test_a_hand_edited_results_folder_and_gradebook_row_load_with_an_error_row(tmp_path):
    texts = documents()
    folder = tmp_path / "results"
    folder.mkdir()
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    edited = next(iter(texts))
    (folder / edited).write_text(texts[edited].replace('"status": "', '"status": "very ', 1), encoding="utf-8")
    loaded = load_results(folder)
    assert len(loaded) == len(texts)
    bad, = [r for r in loaded if r.unreadable]
    assert str(folder / edited) in bad.message and bad.student == json.loads(texts[edited])["student"]

    # A row edited in the gradebook reads as `error`, keyed as it was: the next batch grades it again.
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        for text in texts.values():
            book.record(Result.parse(text, "a document"))
        victim = Result.parse(texts[edited], edited)
        book.db.execute("UPDATE grades SET result = '{\"score\": []}' WHERE sha256 = ?", (victim.sha256,))
        book.db.commit()
        again = book.result(victim.sha256, victim.student)
        assert again.unreadable and again.student == victim.student and again.sha256 == victim.sha256
        assert "gradebook.sqlite" in again.message and len(book.results()) == len(texts)


def test_a_resumed_batch_regrades_a_row_it_cannot_read(tmp_path, monkeypatch):
    """Of a gradebook's rows, a batch trusts those it can read and grades the rest again (no
    sandbox is started: the submissions here are unreadable files, graded by intake alone)."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("a", "b"):
        (subs / f"{name}.ipynb").write_text(f"not a notebook {name}")
    from autograder.course import load_course

    course = load_course(ROOT / "course.yaml")
    out = tmp_path / "out"
    first = {r.student: r for r in grade_batch([str(subs)], course, out, progress=False)}
    assert {r.status for r in first.values()} == {Status.INVALID}
    with Gradebook(out / "gradebook.sqlite") as book:
        book.db.execute("UPDATE grades SET result = 'garbage' WHERE student = 'a'")
        book.db.commit()
    again = {r.student: r for r in grade_batch([str(subs)], course, out, progress=False)}
    assert again["a"].status == Status.INVALID and again["a"].graded_at >= first["a"].graded_at
    assert again["b"].graded_at == first["b"].graded_at  # read, not graded again
    assert all(not r.unreadable for r in load_results(out))


def test_status_is_one_enum_stored_as_its_text():
    assert [s.value for s in Status] == ["graded", "timeout", "crashed", "invalid", "unknown_exercise", "tampered",
                                         "error"]
    assert json.dumps(Status.TAMPERED) == '"tampered"' and f"{Status.TIMEOUT}" == "timeout"
    assert set(STATUS_WORDS) == set(Status)
    # The README's table of statuses is this enum, in its order.
    table = re.search(r"\| status \| meaning \|\n\|---\|---\|\n((?:\|.*\n)+)", README)
    assert re.findall(r"^\| `(\w+)` \|", table[1], re.M) == [s.value for s in Status]


def _readme_columns(intro: str) -> list[str]:
    """The backticked column names of the README's sentence that starts with `intro`, to its end."""
    start = README.index(intro) + len(intro)
    return re.findall(r"`([a-z_0-9]+)`", README[start:README.index(". ", start)])


def test_the_readme_lists_the_columns_the_code_writes():
    assert _readme_columns("The columns of `grades.csv`, in order:") == list(GRADES_CSV)
    assert list(GRADES_CSV)[:len(COLUMNS)] == list(COLUMNS)
    assert set(ALWAYS_WRITTEN) >= set(COLUMNS)
    exports = README[README.index("**The LMS exports' columns**"):]
    exports = exports[:exports.index("\n\n")]
    assert f"`{', '.join(CANVAS_FIXED)}`" in exports
    assert " / ".join(f"`{header}`" for header, _ in MOODLE_IDENTIFIERS.values()) in exports
    assert f"`{', '.join(PLAIN_FIXED)}`" in exports


def test_grades_csv_rows_come_from_the_typed_result():
    result = Result.parse(documents()["broken__unknown__0495f46f1b69__f9a6f638.json"], "x")
    header, row = grades_rows([result])
    assert header == list(GRADES_CSV)
    assert dict(zip(header, row))["exercise"] == "" and dict(zip(header, row))["status"] == "invalid"
    assert next(csv.reader([csv_text([row])])) == row


def test_a_run_on_a_dask_worker_crosses_as_plain_data_and_becomes_typed_in_the_grader():
    """The cluster sends a run back as plain data (autograder/cluster/plain.py); the pipeline turns
    it, and where it ran, into the typed run info, keys in the order the documents always had."""
    from autograder.cluster.plain import run_from_plain, run_to_plain
    from autograder.pipeline import run_info
    from autograder.run import CellRun, RunResult

    run = RunResult("finished", "", [CellRun(0, "ok", 0.5), CellRun(1, "error", 0.1, "NameError: x")], {}, "out",
                    1.25, 0.6, "bubblewrap", boundary="cgroup v2", resources={"memory_peak_mb": 80.5, "tasks_peak": 3})
    placement = {"worker": "w1", "host": "node-3", "device": "gpu", "device_name": "H100", "worker_seconds": 1.3,
                 "dispatch_seconds": 0.02}
    placed = run_from_plain(run_to_plain(run), placement)
    # The grader's own record of the trainer's run (autograder/run/training.py), with where it ran.
    run.trainer = placed.trainer = {"isolation": "bubblewrap", "status": "finished", "seconds": 9.5,
                                    "probe_seconds": 9.0, "warm": False, "worker": "w1"}
    info = run_info(placed)
    assert (info.worker, info.device, info.dispatch_seconds, info.trainer.worker) == ("w1", "gpu", 0.02, "w1")
    assert [c.error for c in info.cells] == ["", "NameError: x"] and info.resources["tasks_peak"] == 3
    assert list(info.document()) == ["isolation", "boundary", "resources", "seconds", "code_seconds", "cells",
                                     "output", "warm", *placement, "trainer"]
    local = run_info(run).document()  # a run on this machine says nothing of a worker
    assert "worker" not in local and list(local["trainer"]) == ["isolation", "status", "seconds", "probe_seconds",
                                                                 "warm", "worker"]
