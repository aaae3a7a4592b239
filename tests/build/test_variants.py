"""Per-student variants end to end: `build --roster` writes signed personal notebooks, the grader
judges each student with their own numbers, and a notebook with a swapped, edited or missing
variant block is `tampered`.

The build runs once for the module (Otter assign on the four varying exercises); the grading
part is one batch of a handful of sandbox runs (the tampered notebooks never reach the sandbox).
"""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from otter.test_files.ok_test import OKTestFile

from autograder.build import build_course
from autograder.build.variants import (SECRET_ENV, SECRET_FILE_ENV, VariantError, draw_for, load_secret,
                                       solution_module)
from autograder.handout import Handout, HandoutError, check_variant, public_key_text, record_path
from autograder.cli import main
from autograder.course import load_course
from autograder.exercises import REPO_ROOT, max_score
from autograder.intake import Roster
from autograder.batch import grade_batch
from support import notebook_namespace
from support.personal import FILLED_IN, SECRET, STUDENTS

pytestmark = pytest.mark.slow  # end to end: many sandboxes or kernels; CI runs them all the same


# The varying exercises whose answers `fill` types in as `name = value` lines and FUNCTIONS. The
# others (several functions or a Keras model per answer cell) grade their personal notebooks solved
# with the master's code in test_personal_notebooks.py.
VARYING = FILLED_IN


@pytest.fixture
def secret_env(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.delenv(SECRET_FILE_ENV, raising=False)


def with_record(course, path: Path):
    """The course, keeping its handed-out record at `path` (not beside the repository's course.yaml)."""
    return course.model_copy(update={"handed_out": str(path)})


@pytest.fixture(scope="module")
def handed_course(tmp_path_factory):
    """The bundled course, with its record of handed-out notebooks in a folder of this module."""
    return with_record(load_course(), tmp_path_factory.mktemp("record") / "handed_out.json")


def handout_for(exercise: str) -> Handout:
    return Handout(public_key_text(SECRET.encode()), {exercise: list(STUDENTS)})


@pytest.fixture(scope="module")
def dist(tmp_path_factory, handed_course):
    """The four varying exercises built with a roster of alice and bob."""
    out = tmp_path_factory.mktemp("dist")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SECRET_ENV, SECRET)
        mp.delenv(SECRET_FILE_ENV, raising=False)
        built = build_course(handed_course, out, only=VARYING, students=STUDENTS)
    assert sorted(b.exercise for b in built) == sorted(VARYING)
    assert all(sorted(b.personal) == STUDENTS for b in built)
    return out


def personal(dist: Path, exercise: str, student: str) -> Path:
    return dist / exercise / "students" / student / f"{exercise}.ipynb"


def sources(path: Path, kind: str) -> str:
    nb = nbformat.read(str(path), as_version=4)
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == kind)


def variant_block(path: Path) -> dict:
    return nbformat.read(str(path), as_version=4).metadata["autograder"]["variant"]


# --------------------------------------------------------------------------- the build


def given_lines(exercise: str, p: dict) -> tuple[str, str]:
    """(a line of the given code, a piece of the text) that show the student's numbers."""
    if exercise == "sigmoid_probability":
        return f"w1, w2, b = {p['w1']}, {p['w2']}, {p['b']}", f"| {p['w1']} | {p['w2']} | {p['b']} |"
    if exercise == "decision_line":
        return f"b0, b1, b2 = {p['b0']}, {p['b1']}, {p['b2']}", f"b_0 = {p['b0']}"
    if exercise == "matrix_multiplication":
        return f"A = np.array([{p['A'][0]},", " & ".join(str(v) for v in p["B"][1])
    return f"x, y, z = {p['x']}, {p['y']}, {p['z']}", f"x = {int(p['x'])},\\; y = {int(p['y'])}"


@pytest.mark.parametrize("exercise", VARYING)
def test_two_students_get_their_own_numbers(dist, exercise):
    alice, bob = (variant_block(personal(dist, exercise, s))["params"] for s in STUDENTS)
    assert alice != bob
    for student, params in zip(STUDENTS, (alice, bob)):
        path = personal(dist, exercise, student)
        assert params == draw_for(SECRET.encode(), exercise, student)  # a rebuild repeats them
        code, text = given_lines(exercise, params)
        assert code in sources(path, "code") and text in sources(path, "markdown")
        raw = path.read_text()
        assert "{{" not in raw and "# SOLUTION" not in raw and "hidden\": true" not in raw
    assert sources(personal(dist, exercise, "alice"), "code") != sources(personal(dist, exercise, "bob"), "code")
    assert sources(personal(dist, exercise, "alice"), "markdown") != sources(personal(dist, exercise, "bob"), "markdown")
    # without a roster, the student version has the slides' numbers and no variant block
    default = dist / exercise / "student" / f"{exercise}.ipynb"
    code, text = given_lines(exercise, solution_module(exercise).DEFAULT_VARIANT)
    assert code in sources(default, "code") and text in sources(default, "markdown")
    assert "variant" not in nbformat.read(str(default), as_version=4).metadata["autograder"]


OWN_WORDS = {  # how a personal notebook speaks of the student's own numbers, and the slides' version
    "sigmoid_probability": ("your banknote", "the one of the lecture"),
    "decision_line": ("your own example", "the example of the lecture"),
    "backprop": ("at your own point", None),
}


@pytest.mark.parametrize("exercise", sorted(OWN_WORDS))
def test_a_personal_notebook_speaks_of_the_students_own_numbers(dist, exercise):
    own, lecture = OWN_WORDS[exercise]
    for student in STUDENTS:
        text = sources(personal(dist, exercise, student), "markdown")
        assert own in text and (lecture is None or lecture not in text)
    default = sources(dist / exercise / "student" / f"{exercise}.ipynb", "markdown")
    assert own not in default and (lecture is None or lecture in default)


def test_the_notation_that_differs_from_the_slides_is_said_once(dist):
    text = sources(dist / "decision_line" / "student" / "decision_line.ipynb", "markdown")
    assert text.count("\\beta_0") == 1 and "b_0" in text


@pytest.mark.parametrize("exercise", VARYING)
def test_the_signature_verifies_and_binds_the_student(dist, exercise):
    nb = nbformat.read(str(personal(dist, exercise, "alice")), as_version=4)
    params, reason = check_variant(nb.metadata, exercise, "alice", handout_for(exercise))
    assert reason == "" and params == variant_block(personal(dist, exercise, "alice"))["params"]
    assert "made for student 'alice'" in check_variant(nb.metadata, exercise, "bob", handout_for(exercise))[1]
    other_key = Handout(public_key_text(b"another secret, 0123456789"), {exercise: ["alice"]})
    assert "signature" in check_variant(nb.metadata, exercise, "alice", other_key)[1]
    elsewhere = "backprop" if exercise != "backprop" else "decision_line"
    assert "signature" in check_variant(nb.metadata, elsewhere, "alice", handout_for(elsewhere))[1]  # not valid for another exercise
    # The signature is an Ed25519 signature: 64 bytes, not an HMAC of the secret.
    import base64

    assert len(base64.b64decode(variant_block(personal(dist, exercise, "alice"))["signature"])) == 64


def test_build_without_a_secret_refuses(monkeypatch, tmp_path):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    monkeypatch.delenv(SECRET_FILE_ENV, raising=False)
    course = load_course()
    assert course.secret_file is None
    with pytest.raises(VariantError, match="personal variants need a course secret"):
        build_course(course, tmp_path / "dist", only=["sigmoid_probability"], students=STUDENTS)
    roster = tmp_path / "roster.csv"
    roster.write_text("student\nalice\nbob\n")
    result = CliRunner().invoke(main, ["build", "--only", "sigmoid_probability", "--out", str(tmp_path / "dist"),
                                       "--roster", str(roster)])
    assert result.exit_code != 0 and "need a course secret" in result.output
    assert not (tmp_path / "dist" / "sigmoid_probability" / "students").exists()


def test_a_secret_file_inside_the_repository_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    monkeypatch.setenv(SECRET_FILE_ENV, str(REPO_ROOT / "course_secret.txt"))
    with pytest.raises(VariantError, match="inside the repository"):
        load_secret()
    with pytest.raises(VariantError, match="inside the repository"):
        build_course(load_course(), tmp_path / "dist", only=["sigmoid_probability"], students=STUDENTS)
    outside = tmp_path / "secret.txt"
    outside.write_text("short\n")
    monkeypatch.setenv(SECRET_FILE_ENV, str(outside))
    with pytest.raises(VariantError, match="shorter than 16 bytes"):
        load_secret()
    outside.write_text(SECRET + "\n")
    assert load_secret() == SECRET.encode()


# --------------------------------------------------------------------------- answers for a variant


FUNCTIONS = {
    "sigmoid": "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))",
    "decision_line": "def decision_line(b0, b1, b2):\n    return -b0 / b2, -b1 / b2",
    "product_shape": ("def product_shape(shape_a, shape_b):\n    if shape_a[1] != shape_b[0]:\n"
                      "        raise ValueError('the inner dimensions differ')\n    return (shape_a[0], shape_b[1])"),
    "matmul": "def matmul(A, B):\n    product_shape(np.shape(A), np.shape(B))\n    return np.asarray(A) @ np.asarray(B)",
    "grad_f": "def grad_f(x, y, z):\n    return z, z, x + y",
}


def correct_values(exercise: str, params: dict) -> dict:
    """What a student with these numbers types into the answer cells, from solutions/<id>.py."""
    a = solution_module(exercise).expected(params)
    if exercise == "sigmoid_probability":
        return {"z": a["Z"], "p": round(a["P"], 4), "is_fake": a["IS_FAKE"], "X": a["X"].tolist(),
                "W": a["W"].tolist(), "p_vec": [[round(a["P"], 4)]]}
    if exercise == "decision_line":
        return {"log_odds_at_half": 0.0, "intercept": a["INTERCEPT"], "slope": a["SLOPE"],
                "line_formula": a["LINE_FORMULA"]}
    if exercise == "matrix_multiplication":
        return {"AB": a["AB"].astype(int).tolist(), "V": a["V"].astype(int).tolist()}
    return {"q": a["Q"], "f": a["F"], "df_dq": a["DF_DQ"], "df_dx": a["DF_DX"], "df_dy": a["DF_DY"],
            "df_dz": a["DF_DZ"], "grad_x": a["DF_DX"], "grad_y": a["DF_DY"], "grad_z": a["DF_DZ"]}


def fill(nb, values: dict):
    """A copy of `nb` with every `name = ...` line of `values` answered, and every function written."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for name, source in FUNCTIONS.items():
            if cell.source.startswith(f"def {name}("):
                cell.source = source
        cell.source = "\n".join(
            f"{line.split(' = ')[0]} = {values[line.split(' = ')[0]]!r}"
            if line.endswith(" = ...") and line.split(" = ")[0] in values else line
            for line in cell.source.splitlines()
        )
    return nb


def answered(dist: Path, exercise: str, student: str, answers_of: str | None = None):
    """`student`'s own notebook, answered correctly for the numbers of `answers_of` (default: theirs)."""
    nb = nbformat.read(str(personal(dist, exercise, student)), as_version=4)
    owner = answers_of or student
    return fill(nb, correct_values(exercise, variant_block(personal(dist, exercise, owner))["params"]))


def otter_tests(dist: Path, exercise: str) -> dict[str, OKTestFile]:
    tests = {}
    with zipfile.ZipFile(dist / exercise / "autograder" / "otter_autograder.zip") as z:
        for name in z.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                path = dist / exercise / "autograder" / name.replace("/", "_")
                path.write_bytes(z.read(name))
                tests[Path(name).stem] = OKTestFile.from_file(str(path))
    return tests


@pytest.mark.parametrize("exercise", VARYING)
def test_public_checks_work_in_the_personal_notebooks(dist, exercise, tmp_path):
    """The notebook's own checks (public: form and range) pass on the student's correct answers
    and fail on the blank; Otter's hidden tests follow the numbers in the notebook."""
    tests = otter_tests(dist, exercise)
    for student in STUDENTS:
        path = tmp_path / f"{student}.ipynb"
        nbformat.write(answered(dist, exercise, student), str(path))
        namespace = notebook_namespace(path)
        blank = notebook_namespace(personal(dist, exercise, student))
        for question, test in tests.items():
            test.run(dict(namespace))
            assert all(r.passed for r in test.test_case_results), (student, question)
            test.run(dict(blank))
            assert not any(r.passed for r in test.test_case_results if not r.test_case.hidden), (student, question)
    # alice's answers in bob's notebook fail Otter's hidden tests too
    path = tmp_path / "cross.ipynb"
    nbformat.write(answered(dist, exercise, "bob", answers_of="alice"), str(path))
    namespace = notebook_namespace(path)
    failed = []
    for question, test in tests.items():
        test.run(dict(namespace))
        failed += [question for r in test.test_case_results if not r.passed]
    assert failed


# --------------------------------------------------------------------------- grading, end to end


@pytest.fixture(scope="module")
def graded(dist, tmp_path_factory, handed_course):
    """One batch: each student's notebooks answered for their own numbers, alice's answers in
    bob's notebook, and alice's notebook with a swapped, an edited and a removed variant block."""
    root = tmp_path_factory.mktemp("grading")
    subs = root / "submissions"

    def hand_in(student: str, label: str, nb) -> str:
        path = subs / student / f"{label}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))
        return str(path)

    paths = {}
    for exercise in VARYING:
        for student in STUDENTS:
            paths[exercise, student, "own"] = hand_in(student, f"own_{exercise}", answered(dist, exercise, student))
    for exercise in ("sigmoid_probability", "decision_line"):
        paths[exercise, "bob", "alice's answers"] = hand_in(
            "bob", f"cross_{exercise}", answered(dist, exercise, "bob", answers_of="alice"))

    exercise = "sigmoid_probability"
    swapped = answered(dist, exercise, "alice")
    swapped.metadata["autograder"]["variant"] = variant_block(personal(dist, exercise, "bob"))
    paths[exercise, "alice", "swapped"] = hand_in("alice", "swapped", swapped)
    edited = answered(dist, exercise, "alice", answers_of="bob")
    edited.metadata["autograder"]["variant"]["params"] = variant_block(personal(dist, exercise, "bob"))["params"]
    paths[exercise, "alice", "edited"] = hand_in("alice", "edited", edited)
    removed = answered(dist, exercise, "alice")
    del removed.metadata["autograder"]["variant"]
    paths[exercise, "alice", "removed"] = hand_in("alice", "removed", removed)

    roster = root / "roster.csv"
    roster.write_text("student,email\nalice,alice@uni.example\nbob,bob@uni.example\n")
    with pytest.MonkeyPatch.context() as mp:
        # The grader holds no secret: the course's record (its public key) is all it needs.
        mp.delenv(SECRET_ENV, raising=False)
        mp.delenv(SECRET_FILE_ENV, raising=False)
        results = grade_batch([str(subs)], handed_course, root / "results", workers=4,
                              roster=Roster.load(roster), progress=False)
    by_path = {r["submission"]: r for r in results}
    saved = {}
    for file in (root / "results" / "results").glob("*.json"):
        result = json.loads(file.read_text())
        saved[result["submission"]] = result
    return {key: (by_path[path], saved[path]) for key, path in paths.items()}


@pytest.mark.parametrize("exercise", VARYING)
@pytest.mark.parametrize("student", STUDENTS)
def test_each_student_gets_full_marks_for_their_own_numbers(graded, exercise, student):
    result, _ = graded[exercise, student, "own"]
    assert result["status"] == "graded", result["message"]
    assert result["score"] == result["max_score"] == max_score(exercise), [
        (c["name"], c["message"]) for c in result["checks"] if c["points"] < c["max_points"]]
    assert result["variant"] == draw_for(SECRET.encode(), exercise, student)


@pytest.mark.parametrize("exercise", ["sigmoid_probability", "decision_line"])
def test_another_students_answers_do_not_get_full_marks(graded, exercise):
    result, _ = graded[exercise, "bob", "alice's answers"]
    assert result["status"] == "graded" and result["student"] == "bob"
    assert result["score"] < result["max_score"]
    wrong = {c["name"] for c in result["checks"] if c["points"] < c["max_points"]}
    assert {"intercept", "slope", "line_formula"} <= wrong if exercise == "decision_line" else {"z", "p"} <= wrong


@pytest.mark.parametrize(
    "case,reason",
    [
        ("swapped", "made for student 'bob', but was handed in by 'alice'"),
        ("edited", "the variant block was edited"),
        ("removed", "no personal variant block"),
    ],
)
def test_a_tampered_variant_gets_no_credit_and_says_why(graded, case, reason):
    result, saved = graded["sigmoid_probability", "alice", case]
    assert result["status"] == saved["status"] == "tampered"
    assert result["score"] == saved["score"] == 0 and result["checks"] == []
    assert reason in result["message"] and reason in saved["message"]


# --------------------------------------------------------------------------- enforced by the course


def test_the_record_holds_the_public_key_and_what_was_handed_out(dist, handed_course):
    path = record_path(handed_course)
    record = json.loads(path.read_text())
    assert record["public_key"] == public_key_text(SECRET.encode())
    assert record["exercises"] == {exercise: STUDENTS for exercise in sorted(VARYING)}
    assert SECRET not in path.read_text()
    # Every Gradescope bundle of a personalised exercise ships the record, never the secret.
    for exercise in VARYING:
        with zipfile.ZipFile(dist / exercise / "autograder" / "gradescope.zip") as zf:
            assert json.loads(zf.read("handed_out.json"))["exercises"] == {exercise: STUDENTS}
            assert not any(SECRET.encode() in zf.read(name) for name in zf.namelist())


def test_a_stripped_variant_is_tampered_without_roster_or_secret(dist, handed_course, tmp_path, monkeypatch):
    """Once the course handed out personal notebooks, no grading flag turns the check off."""
    monkeypatch.delenv(SECRET_ENV, raising=False)
    monkeypatch.delenv(SECRET_FILE_ENV, raising=False)
    exercise = "sigmoid_probability"
    # The solution version: the slides' numbers, fully answered, and no variant block.
    stripped = nbformat.read(str(dist / exercise / "solution" / f"{exercise}.ipynb"), as_version=4)
    assert "variant" not in stripped.metadata["autograder"]
    path = tmp_path / "subs" / "alice" / f"{exercise}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(stripped, str(path))
    results = grade_batch([str(tmp_path / "subs")], handed_course, tmp_path / "out", progress=False)
    assert [(r["status"], r["score"]) for r in results] == [("tampered", 0.0)]
    assert "no personal variant block" in results[0]["message"]


def test_a_record_of_another_secret_is_not_overwritten(tmp_path, monkeypatch, handed_course):
    course = with_record(handed_course, tmp_path / "handed_out.json")
    (tmp_path / "handed_out.json").write_text(
        Handout(public_key_text(b"the old secret, 0123456789"), {"backprop": ["zoe"]}).to_json())
    monkeypatch.setenv(SECRET_ENV, SECRET)
    with pytest.raises(HandoutError, match="another course secret"):
        build_course(course, tmp_path / "dist", only=["sigmoid_probability"], students=STUDENTS)


def test_a_broken_record_is_a_clear_error(tmp_path, handed_course):
    course = with_record(handed_course, tmp_path / "handed_out.json")
    (tmp_path / "handed_out.json").write_text("{not json")
    with pytest.raises(HandoutError, match="not valid JSON"):
        grade_batch([str(tmp_path)], course, tmp_path / "out", progress=False)
