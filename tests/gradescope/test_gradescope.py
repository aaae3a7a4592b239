"""The Gradescope bundle: built by `autograder build`, run like Gradescope runs it.

The end-to-end test builds the bundle of `sigmoid_probability` from a course of its own (so
its course.yaml can set the visibility of a hidden check), unpacks it into a temporary folder
laid out like Gradescope's (/autograder/{source,submission,results}), and runs
`run_autograder` on a correct, a wrong, an unreadable and a crashing submission. Every
results.json is checked against the fields and types of Gradescope's specification.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from click.testing import CliRunner

from autograder.cli import main
from autograder.exercises import EXERCISES_DIR
from autograder.gradescope.bundle import _handout, bundle_course
from autograder.handout import RECORD_NAME, Handout, public_key_text
from autograder.course import DEFAULT_COURSE, Course, Exercise, Gradescope
from autograder.gradescope.entry import student_name
from autograder.gradescope.results import (
    hidden_checks, leaderboard, to_gradescope,
)
from autograder.judge import ValueCheck

VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
TOP_FIELDS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
              "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
TEST_FIELDS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
               "tags", "visibility", "extra_data"}
EXERCISE = "sigmoid_probability"


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def validate(doc: dict) -> None:
    """results.json per Gradescope's autograder specification: fields and their types."""
    assert set(doc) <= TOP_FIELDS, set(doc) - TOP_FIELDS
    assert is_number(doc["score"])
    assert isinstance(doc["execution_time"], int) and doc["execution_time"] >= 0
    assert isinstance(doc["output"], str)
    assert doc["visibility"] in VISIBILITIES and doc["stdout_visibility"] in VISIBILITIES
    assert isinstance(doc.get("extra_data", {}), dict)
    assert isinstance(doc["tests"], list)
    for test in doc["tests"]:
        assert set(test) <= TEST_FIELDS, set(test) - TEST_FIELDS
        assert is_number(test["score"]) and is_number(test["max_score"]) and 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["number"], str) and isinstance(test["output"], str)
        assert test["visibility"] in VISIBILITIES and test["status"] in ("passed", "failed")
    assert abs(doc["score"] - sum(t["score"] for t in doc["tests"])) < 1e-6
    for entry in doc.get("leaderboard", []):
        assert set(entry) <= {"name", "value", "order"} and isinstance(entry["name"], str)
        assert is_number(entry["value"]) or isinstance(entry["value"], str)
        assert entry.get("order", "desc") in ("asc", "desc")
    json.dumps(doc)  # plain JSON


# --------------------------------------------------------------------------- without the sandbox

def graded(checks, status="graded", message=""):
    return {"submission": "s.ipynb", "student": "ann", "exercise": "ex", "sha256": "ab" * 32, "status": status,
            "score": sum(c["points"] for c in checks), "max_score": 3.0, "message": message, "checks": checks,
            "graded_at": "2026-01-01T00:00:00+00:00", "seconds": 12.6, "seed": 7,
            "run": {"isolation": "bubblewrap", "seconds": 10.0}}


def test_results_document_visibility_and_leaderboard():
    settings = Gradescope(hidden_visibility="after_published", hidden_checks={"ex": ["b"]})
    checks = [ValueCheck("a", var="a", expected=1.0), ValueCheck("b", var="b", expected=2.0, points=2.0)]
    assert hidden_checks("ex", checks, settings) == {"b"}
    checks[0].hidden = True  # a check may say so itself
    assert hidden_checks("ex", checks, settings) == {"a", "b"}
    assert hidden_checks("other", checks, Gradescope(hidden_checks={"other": "all"})) == {"a", "b"}

    details = {"metric": "accuracy", "value": 0.9123, "device": "cuda", "seconds": 31.25, "epochs": 20}
    result = graded([
        {"name": "a", "description": "one", "points": 1.0, "max_points": 1.0, "message": "", "hint": ""},
        {"name": "b", "description": "two", "points": 0.5, "max_points": 2.0, "message": "b is off",
         "hint": "the bias was forgotten", "details": details},
    ])
    doc = to_gradescope(result, settings, {"b"}, title="Exercise")
    validate(doc)
    a, b = doc["tests"]
    assert (a["visibility"], b["visibility"]) == ("visible", "after_published")
    assert (a["status"], b["status"]) == ("passed", "failed")
    assert b["score"] == 0.5 and b["max_score"] == 2.0
    assert "b is off" in b["output"] and "Hint: the bias was forgotten" in b["output"]
    assert "Held-out accuracy: 0.9123 after 31.2 s of training (20 epochs) on cuda" in b["output"]
    assert doc["execution_time"] == 13 and doc["score"] == 1.5
    assert "points" not in doc["output"]  # a hidden check hides the total in the message too
    assert doc["leaderboard"] == [{"name": "accuracy", "value": 0.9123, "order": "desc"},
                                  {"name": "training time (s)", "value": 31.25, "order": "asc"}]
    assert leaderboard(graded([])) == []


def test_unreadable_submission_lists_every_check_at_zero():
    settings = Gradescope()
    checks = [ValueCheck("a", var="a", expected=1.0), ValueCheck("b", var="b", expected=2.0, points=2.0)]
    doc = to_gradescope(graded([], status="invalid", message="not a notebook: the file is not JSON"), settings, set(), checks)
    validate(doc)
    assert [(t["name"], t["score"], t["max_score"]) for t in doc["tests"]] == [("a", 0.0, 1.0), ("b", 0.0, 2.0)]
    assert all("not a notebook" in t["output"] for t in doc["tests"])
    assert "invalid" in doc["output"] and "leaderboard" not in doc


def test_student_is_the_variant_owner_when_one_of_the_submitters(tmp_path):
    meta = tmp_path / "submission_metadata.json"
    meta.write_text(json.dumps({"users": [{"email": "Ann.Smith@uni.edu", "name": "Ann Smith", "id": 7},
                                          {"email": "bob@uni.edu", "name": "Bob", "id": 8}]}))
    assert student_name(meta, "file") == "Ann.Smith@uni.edu+bob@uni.edu"
    for owner in ("ann.smith", "ann.smith@uni.edu", "Bob", "8"):
        assert student_name(meta, "file", owner) == owner
    assert student_name(meta, "file", "carol") == "Ann.Smith@uni.edu+bob@uni.edu"  # reported as tampered
    assert student_name(None, "file") == "file"


def test_the_record_ships_for_handed_out_exercises_only(tmp_path):
    """The bundle carries the course's public record (never the secret), reduced to its exercise."""
    varying = Exercise(id="ex", title="Ex", folder=tmp_path / "exercises" / "ex", varies=True)
    plain = Exercise(id="ex", title="Ex", folder=tmp_path / "exercises" / "ex")
    assert _handout(varying, None) is None and _handout(varying, Handout()) is None  # nothing handed out yet
    key = public_key_text(b"s" * 32)
    record = Handout(key, {"ex": ["ann"], "other": ["bob"]})
    shipped = json.loads(_handout(varying, record))
    assert shipped["public_key"] == key and shipped["exercises"] == {"ex": ["ann"]}
    assert _handout(plain, record) is None
    course = Course(name="c", exercises=(varying,), secret_file="/home/t/secret", handed_out="x.json",
                    lms={"gradescope": {"visibility": "hidden"}})
    entry = bundle_course(varying, course)
    assert "secret_file" not in entry and "handed_out" not in entry
    assert entry["lms"]["gradescope"]["visibility"] == "hidden" and entry["exercises"][0]["varies"] is True


# --------------------------------------------------------------------------- the bundle, end to end

@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """dist/sigmoid_probability/ built by the CLI from a course whose course.yaml hides p_vec."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(EXERCISES_DIR / EXERCISE, root / "exercises" / EXERCISE,
                    ignore=shutil.ignore_patterns("__pycache__"))
    # the exercise as the repository's course.yaml has it (varies, limits, ...), retitled
    repo = yaml.safe_load(DEFAULT_COURSE.read_text())
    entry = next(e for e in repo["exercises"] if e == EXERCISE or (isinstance(e, dict) and e.get("id") == EXERCISE))
    entry = dict(entry) if isinstance(entry, dict) else {"id": EXERCISE}
    entry["title"] = "The banknote neuron"
    course = {"name": "week 1", "limits": {"cell_timeout": 30, "total_timeout": 120}, "exercises": [entry],
              "lms": {"gradescope": {"hidden_visibility": "after_published", "hidden_checks": {EXERCISE: ["p_vec"]}}}}
    (root / "course.yaml").write_text(yaml.safe_dump(course, sort_keys=False))
    out = CliRunner().invoke(main, ["build", "--course", str(root / "course.yaml"), "--only", EXERCISE,
                                    "--out", str(root / "dist")])
    assert out.exit_code == 0, out.output
    return root / "dist" / EXERCISE


def test_bundle_layout(bundle):
    zipped = bundle / "autograder" / "gradescope.zip"
    with zipfile.ZipFile(zipped) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
        run = zf.read("run_autograder").decode()
        config = json.loads(zf.read("gradescope.json"))
        course = zf.read("course.yaml").decode()
        notebook = zf.read(f"exercises/{EXERCISE}/{EXERCISE}.ipynb")
        constraints = zf.read("constraints.txt").decode()
    assert {"setup.sh", "run_autograder", "pyproject.toml", "README.md", "course.yaml",
            "autograder/gradescope/entry.py", "autograder/pipeline.py", f"solutions/{EXERCISE}.py",
            f"exercises/{EXERCISE}/checks.py"} <= names
    assert not any("__pycache__" in n for n in names)
    assert RECORD_NAME not in names  # only a handed-out exercise ships its record
    assert not any("secret" in n for n in names)
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert setup.startswith("#!/usr/bin/env bash") and run.startswith("#!/usr/bin/env bash")
    assert "bubblewrap libseccomp2" in setup and 'pip install -q -c "$SOURCE/constraints.txt" -e "$SOURCE"' in setup
    assert setup.index('"$TORCH"') < setup.index('-e "$SOURCE"')  # the pinned CPU torch first
    pins = dict(line.split("==") for line in constraints.splitlines() if line and not line.startswith("#"))
    from importlib.metadata import version

    for name in ("torch", "numpy", "keras", "otter-grader", "pydantic", "nbformat", "jinja2"):
        assert pins[name] == version(name), name  # what built the course
    assert "dl-week1-autograder" not in pins
    # Only what this exercise needs: its own solution, no other exercise's, no data generator.
    # (checks.py loads it by path, load_solution(__file__): no package of solutions is needed.)
    assert sorted(n for n in names if n.startswith("solutions/")) == [f"solutions/{EXERCISE}.py"]
    assert len(names) == len(zf.infolist())  # no name twice
    assert "python\" -m autograder.gradescope" in run.replace("$PYTHON", "python")
    assert config["exercise"] == EXERCISE
    assert "hidden_visibility: after_published" in course and "The banknote neuron" in course
    # the notebook standing in for the master is the student version: no answers in it
    assert notebook == (bundle / "student" / f"{EXERCISE}.ipynb").read_bytes()
    for script in (setup, run):
        assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0


@pytest.fixture(scope="module")
def gradescope(bundle, tmp_path_factory):
    """A folder laid out like Gradescope's /autograder, with the bundle unpacked into source/."""
    root = tmp_path_factory.mktemp("gs") / "autograder"
    with zipfile.ZipFile(bundle / "autograder" / "gradescope.zip") as zf:
        zf.extractall(root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission_metadata.json").write_text(json.dumps(
        {"id": 1, "users": [{"email": "ann@uni.edu", "name": "Ann", "id": 7}], "previous_submissions": []}))
    return root


def run_autograder(root: Path, files: dict[str, bytes], users=None) -> dict:
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir()
    for name, data in files.items():
        (root / "submission" / name).write_bytes(data)
    if users is not None:
        (root / "submission_metadata.json").write_text(json.dumps({"id": 2, "users": users}))
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "AUTOGRADER_SUBMISSION", "AUTOGRADER_RESULTS", "AUTOGRADER_SECRET", "AUTOGRADER_SECRET_FILE")}
    env.update(GRADESCOPE_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    done = subprocess.run(["bash", str(root / "run_autograder")], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    validate(doc)
    assert doc["extra_data"]["exercise"] == EXERCISE or doc["extra_data"]["status"] == "invalid"
    return doc


def solution_with(bundle: Path, old: str, new: str) -> bytes:
    nb = nbformat.read(str(bundle / "solution" / f"{EXERCISE}.ipynb"), as_version=4)
    changed = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and old in cell.source:
            cell.source = cell.source.replace(old, new)
            changed += 1
    assert changed, f"{old!r} is not in the solution notebook"
    return nbformat.writes(nb).encode()


def max_points(doc):
    return sum(t["max_score"] for t in doc["tests"])


def test_correct_submission(bundle, gradescope):
    doc = run_autograder(gradescope, {f"{EXERCISE}.ipynb": (bundle / "solution" / f"{EXERCISE}.ipynb").read_bytes()})
    assert doc["extra_data"]["status"] == "graded"
    assert max_points(doc) == 6.0 and doc["score"] == 6.0, doc
    visibility = {t["name"]: t["visibility"] for t in doc["tests"]}
    assert visibility.pop("p_vec") == "after_published" and set(visibility.values()) == {"visible"}
    assert "Some checks are shown only after the due date" in doc["output"]


def test_wrong_submission(bundle, gradescope):
    wrong = solution_with(bundle, "z = w1 * x1 + w2 * x2 + b", "z = w1 * x1 + w2 * x2")
    # uploaded with an Otter-style name next to an unrelated file
    doc = run_autograder(gradescope, {f"{EXERCISE}_2026_01_01T10_00_00_000000.ipynb": wrong, "notes.txt": b"hi"})
    assert doc["extra_data"]["status"] == "graded"
    tests = {t["name"]: t for t in doc["tests"]}
    assert 0 < doc["score"] < max_points(doc)
    assert tests["z"]["score"] == 0 and "Hint: the bias b was forgotten" in tests["z"]["output"]
    assert tests["sigmoid"]["status"] == "passed"
    # p follows from the wrong z: its test shows the student's (z, p) on the sigmoid, drawn by the bundle
    assert tests["p"]["output_format"] == "html" and '<img src="data:image/png;base64,' in tests["p"]["output"]
    assert "output_format" not in tests["z"] and "<img" not in tests["z"]["output"]


def test_broken_submission(gradescope):
    doc = run_autograder(gradescope, {f"{EXERCISE}.ipynb": b"{ this is not a notebook"})
    assert doc["score"] == 0 and doc["extra_data"]["status"] == "invalid"
    assert max_points(doc) == 6.0 and len(doc["tests"]) == 7  # every check listed, at zero
    assert all("not JSON" in t["output"] for t in doc["tests"])
    assert "invalid" in doc["output"]


def test_crashing_submission(bundle, gradescope):
    crash = solution_with(bundle, "import numpy as np", "import os; os._exit(3)\nimport numpy as np")
    doc = run_autograder(gradescope, {f"{EXERCISE}.ipynb": crash})
    assert doc["score"] == 0 and doc["extra_data"]["status"] == "crashed"
    assert len(doc["tests"]) == 7


def test_empty_upload(gradescope):
    doc = run_autograder(gradescope, {})
    assert doc["score"] == 0 and "no notebook" in doc["output"]


def test_personal_variant_verified_with_the_shipped_record(tmp_path):
    """A course handed out personalised: the bundle carries the public record, the submitter's email
    names the roster's student, and a notebook handed in by someone else is `tampered`."""
    shutil.copytree(EXERCISES_DIR / EXERCISE, tmp_path / "exercises" / EXERCISE, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "course.yaml").write_text(f"name: v\nexercises:\n  - id: {EXERCISE}\n    varies: true\n")
    (tmp_path / "roster.csv").write_text("student,email\nann,ann@uni.edu\n")
    out = CliRunner().invoke(main, ["build", "--course", str(tmp_path / "course.yaml"), "--out", str(tmp_path / "dist"),
                                    "--roster", str(tmp_path / "roster.csv")], env={"AUTOGRADER_SECRET": "x" * 32})
    assert out.exit_code == 0, out.output
    dist = tmp_path / "dist" / EXERCISE
    personal = nbformat.read(str(dist / "students" / "ann" / f"{EXERCISE}.ipynb"), as_version=4)
    solution = nbformat.read(str(dist / "solution" / f"{EXERCISE}.ipynb"), as_version=4)
    for mine, answer in zip(personal.cells, solution.cells):  # ann answers, with her own numbers
        if mine.cell_type == "code" and mine.source != answer.source and "w1, w2, b =" not in mine.source:
            mine.source = answer.source
    root = tmp_path / "gs" / "autograder"
    with zipfile.ZipFile(dist / "autograder" / "gradescope.zip") as zf:
        assert RECORD_NAME in zf.namelist() and not any(b"x" * 32 in zf.read(n) for n in zf.namelist())
        zf.extractall(root / "source")
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    handed_in = {f"{EXERCISE}.ipynb": nbformat.writes(personal).encode()}
    doc = run_autograder(root, handed_in, users=[{"email": "ann@uni.edu", "name": "Ann", "id": 1}])
    assert doc["extra_data"]["status"] == "graded" and doc["score"] == max_points(doc) > 0, doc
    doc = run_autograder(root, handed_in, users=[{"email": "bob@uni.edu", "name": "Bob", "id": 2}])
    assert doc["extra_data"]["status"] == "tampered" and doc["score"] == 0
    assert "made for student 'ann'" in doc["output"]
