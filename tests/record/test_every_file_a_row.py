"""Issue 10: every input gets exactly one row, the grader's own faults are `error` (and retried),
and nothing a submission or its sandbox writes can end the batch or crash the grader.

The broken files are refused at intake (no sandbox); one batch of a few sandbox runs covers the
answers that the grader once failed to decode."""

from __future__ import annotations

import csv
import io
import json
import os
import struct
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.intake import intake
from autograder.intake.notebook import MAX_CELLS
from autograder.sandbox import wire
from autograder.probe.answers import decode_answer
from support.submissions import RIGHT, SETUP  # the banknote neuron's given cell and right answers

EXERCISE = "sigmoid_probability"
KNOWN = [EXERCISE, "decision_line"]


def notebook(*cells: str, metadata: dict | None = None) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata.update({"autograder": {"exercise": EXERCISE}} if metadata is None else metadata)
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


def zip_with(name: str, data: bytes, method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as z:
        z.writestr(name, data)
    return buf.getvalue()


def corrupt_member(data: bytes) -> bytes:
    """A valid zip whose compressed notebook bytes are garbage (the CRC and inflate fail)."""
    raw = bytearray(data)
    start = raw.index(b"PK\x03\x04") + 30 + len("sigmoid_probability.ipynb")
    for i in range(start + 2, start + 40):
        raw[i] ^= 0x5A
    return bytes(raw)


def flag_encrypted(data: bytes) -> bytes:
    """Set the 'encrypted' bit in the local and central headers."""
    raw = bytearray(data)
    local = raw.index(b"PK\x03\x04")
    raw[local + 6] |= 0x1
    central = raw.index(b"PK\x01\x02")
    raw[central + 8] |= 0x1
    return bytes(raw)


def unknown_method(data: bytes) -> bytes:
    """Compression method 99 (AES, or anything zipfile cannot read) in both headers."""
    raw = bytearray(data)
    local = raw.index(b"PK\x03\x04")
    raw[local + 8:local + 10] = struct.pack("<H", 99)
    central = raw.index(b"PK\x01\x02")
    raw[central + 10:central + 12] = struct.pack("<H", 99)
    return bytes(raw)


def deep_json(depth: int = 100_000) -> bytes:
    return b'{"nbformat": 4, "nbformat_minor": 5, "metadata": ' + b"[" * depth + b"]" * depth + b', "cells": []}'


def many_cells(count: int = 550_000) -> bytes:
    cell = b'{"cell_type":"code","execution_count":null,"metadata":{},"outputs":[],"source":""}'
    return (b'{"nbformat":4,"nbformat_minor":5,"metadata":{"autograder":{"exercise":"sigmoid_probability"}},"cells":['
            + b",".join([cell] * count) + b"]}")


# --------------------------------------------------------------------------- intake, one file at a time


def intake_one(tmp_path: Path, name: str, data: bytes):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    subs = intake([str(path)], KNOWN)
    assert len(subs) == 1
    return subs[0]


GOOD = notebook(*RIGHT).encode()
BROKEN = {
    "deep_nesting.ipynb": (deep_json(), "nested"),
    "deep_metadata.ipynb": (deep_json(200), "nested more than"),
    "corrupt_member.zip": (corrupt_member(zip_with("sigmoid_probability.ipynb", GOOD * 3)), "corrupt"),
    "encrypted.zip": (flag_encrypted(zip_with("sigmoid_probability.ipynb", GOOD)), "encrypted"),
    "unknown_method.zip": (unknown_method(zip_with("sigmoid_probability.ipynb", GOOD)), "compression method"),
    "truncated.zip": (zip_with("sigmoid_probability.ipynb", GOOD)[:60], "zip"),
    "many_cells.ipynb": (many_cells(100_000), "more than 2,000 cells"),  # 8 MB
    "half_a_million_cells.ipynb": (many_cells(550_000), "over the limit"),  # 45 MB
    "huge_int.ipynb": (b'{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": {"x": ' + b"9" * 5000 + b"}}",
                       "not JSON"),
    "metadata_list.ipynb": (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": [1], "cells": []}).encode(),
                            "metadata is not a mapping"),
    "cells_not_list.ipynb": (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": 7}).encode(),
                             "'cells' is not a list"),
    "bool_version.ipynb": (json.dumps({"nbformat": True, "cells": []}).encode(), "not supported"),
    "huge_source.ipynb": (notebook("x = 1\n" * 400_000).encode(), "characters of code"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_file_is_invalid_with_a_reason(tmp_path, name):
    data, words = BROKEN[name]
    sub = intake_one(tmp_path, name, data)
    assert sub.status == "invalid", sub.message
    assert words in sub.message, sub.message
    assert sub.cells == [] and "Traceback" not in sub.message


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.ipynb"
    with open(path, "wb") as f:
        f.truncate(3 * 1024**3)  # sparse: 3 GB that are never read
    sub = intake([str(path)], KNOWN)[0]
    assert sub.status == "invalid" and "over the limit" in sub.message


def test_the_cell_limit_is_generous_for_real_notebooks(tmp_path):
    sub = intake_one(tmp_path, "long.ipynb", notebook(*(["x = 1"] * (MAX_CELLS // 2))).encode())
    assert sub.status is None and len(sub.cells) == MAX_CELLS // 2


def test_metadata_autograder_as_a_list_is_not_an_exercise(tmp_path):
    sub = intake_one(tmp_path, "odd.ipynb", notebook(*RIGHT, metadata={"autograder": ["sigmoid_probability"]}).encode())
    assert sub.status == "unknown_exercise"
    # ... but Otter's assignment name still names the exercise, and the odd block is harmless.
    odd = notebook(*RIGHT, metadata={"autograder": [1, 2], "otter": {"assignment_name": EXERCISE}})
    sub = intake_one(tmp_path, "odd2.ipynb", odd.encode())
    assert (sub.status, sub.exercise) == (None, EXERCISE)


def test_colab_metadata_and_image_outputs_are_accepted(tmp_path):
    nb = nbformat.reads(notebook(*RIGHT), as_version=4)
    nb.metadata.update({"colab": {"provenance": [], "gpuType": "T4"}, "accelerator": "GPU",
                        "widgets": {"application/vnd.jupyter.widget-state+json": {"a": {"model_name": "x"}}}})
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="})]
    sub = intake_one(tmp_path, "Copy of sigmoid_probability.ipynb", nbformat.writes(nb).encode())
    assert (sub.status, sub.exercise) == (None, EXERCISE) and sub.cells == RIGHT


def test_links_and_special_files_in_a_folder_are_not_followed(tmp_path, built_course):
    folder = tmp_path / "subs"
    (folder / "mallory").mkdir(parents=True)
    solution = built_course / EXERCISE / "solution" / f"{EXERCISE}.ipynb"
    os.symlink(solution, folder / "mallory" / f"{EXERCISE}.ipynb")
    os.symlink(solution.parent, folder / "trudy")  # a whole student folder that is a link
    os.mkfifo(folder / "eve.ipynb")  # a reader of a FIFO would block forever
    (folder / "honest").mkdir()
    (folder / "honest" / f"{EXERCISE}.ipynb").write_bytes(GOOD)
    subs = {s.student: s for s in intake([str(folder)], KNOWN)}
    assert set(subs) == {"mallory", "trudy", "eve", "honest"}
    for who, kind in (("mallory", "symbolic link"), ("trudy", "symbolic link"), ("eve", "named pipe")):
        assert subs[who].status == "invalid" and kind in subs[who].message and subs[who].cells == []
    assert subs["honest"].status is None


# --------------------------------------------------------------------------- decoding the sandbox's replies


def npy_with_header(folder: Path, name: str, shape: tuple, payload: bytes = b"\0" * 8) -> None:
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    text = repr(header).encode() + b" " * 10 + b"\n"
    with open(folder / name, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + payload)


@pytest.mark.parametrize("node_shape,header_shape", [
    ([1], (10**12,)),        # the header says a terabyte; the node one number
    ([10**6, 10**6], (10**6, 10**6)),  # both lie the same way: over the size budget
    ([2], (2,)),             # honest shape, but the file is shorter than it says
])
def test_a_lying_npy_header_is_an_unreadable_answer(tmp_path, node_shape, header_shape):
    npy_with_header(tmp_path, "a0.npy", header_shape)
    entry = {"ok": True, "value": {"t": "array", "file": "a0.npy", "dtype": "<f8", "shape": node_shape}}
    answer = decode_answer("p", entry, str(tmp_path))
    assert answer.error and "could not be read as data" in answer.error and answer.value is None


def test_an_honest_npy_file_still_decodes(tmp_path):
    store = wire.ArrayStore(str(tmp_path))
    node = wire.encode(np.arange(6.0).reshape(2, 3).T, store)
    answer = decode_answer("W", {"ok": True, "value": node}, str(tmp_path))
    assert answer.error is None and np.array_equal(answer.value, np.arange(6.0).reshape(2, 3).T)


def test_odd_wire_nodes_never_raise(tmp_path):
    """Each odd node decodes to a clear answer: a value, an opaque type name, or an error."""
    def decoded(node):
        return decode_answer("x", {"ok": True, "value": node}, str(tmp_path))

    big = decoded({"t": "int", "v": "9" * 350})  # beyond a float: no check could compare it
    assert isinstance(big.value, wire.Opaque) and "beyond the range of a float" in big.value.type_name
    assert "unknown node type" in decoded({"t": "no such type"}).error
    nested = {"t": "list", "items": [{"t": "list", "items": [{"t": "list", "items": []}]}] * 3}
    assert decoded(nested).value == [[[]]] * 3 and decoded(nested).error is None
    for dtype in ("(100000000,)f8", "O"):  # a subarray dtype of 800 MB per item; objects
        odd = decoded({"t": "array", "dtype": dtype, "shape": [1], "file": "a0.npy"})
        assert odd.value is None and "malformed array" in odd.error
    keyed = decoded({"t": "dict", "items": [[{"t": "float", "v": "nan"}, {"t": "none"}]]}).value
    assert len(keyed) == 1 and list(keyed.values()) == [None]


def test_deeply_nested_reply_file_is_no_reply(tmp_path):
    (tmp_path / "answers.json").write_text("[" * 100_000 + "]" * 100_000)
    from autograder.probe.answers import read_answers

    answers = read_answers(str(tmp_path), ["z/value"])
    assert "could not be read" in answers["z/value"].error


# --------------------------------------------------------------------------- one batch, end to end


def grade(paths, out: Path, course: Path, *extra) -> list[dict]:
    result = CliRunner().invoke(main, ["grade", *map(str, paths), "--out", str(out), "--workers", "2", "--quiet",
                                       "--course", str(course), *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with open(out / "grades.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def batch(fast_course, tmp_path_factory):
    """The broken files and a few odd answers, graded in one batch of the CLI."""
    root = tmp_path_factory.mktemp("batch")
    subs = root / "subs"
    subs.mkdir()
    for name, (data, _words) in BROKEN.items():
        if name != "half_a_million_cells.ipynb":  # 45 MB: its intake test is enough
            (subs / name).write_bytes(data)
    (subs / "honest.ipynb").write_text(notebook(SETUP, *RIGHT))
    # Same bytes from two students whose names clean to the same file name.
    same = notebook(SETUP, *RIGHT)
    for who in ("x y", "x_y"):
        (subs / who).mkdir()
        (subs / who / f"{EXERCISE}.ipynb").write_text(same)
    # Answers the grader once failed to decode or compare: a 350-digit int, a 5000-digit int
    # (which Python refuses to print), an odd metadata block beside Otter's name.
    (subs / "big_ints.ipynb").write_text(notebook(SETUP, *RIGHT, "z = 10**350\nis_fake = 10**5000"))
    (subs / "odd_metadata.ipynb").write_text(
        notebook(SETUP, *RIGHT, metadata={"autograder": ["x"], "otter": {"assignment_name": EXERCISE}}))
    # The responder saves arrays with numpy: a notebook that replaces np.save makes every array
    # reply a file whose header claims a terabyte.
    (subs / "lying_npy.ipynb").write_text(notebook(SETUP, *RIGHT, (
        "import numpy as np, struct\n"
        "def save(path, array, allow_pickle=False):\n"
        "    text = repr({'descr': '<f8', 'fortran_order': False, 'shape': (10**12,)}).encode() + b' ' * 10 + b'\\n'\n"
        "    with open(path, 'wb') as f:\n"
        "        f.write(b'\\x93NUMPY\\x01\\x00' + struct.pack('<H', len(text)) + text + bytes(8))\n"
        "np.save = save")))
    rows = grade([subs], root / "out", fast_course)
    return root, {r["submission"].split("/subs/")[1]: r for r in rows}


def test_the_batch_finishes_with_one_row_per_file(batch):
    root, rows = batch
    files = sorted(str(p.relative_to(root / "subs")) for p in (root / "subs").rglob("*") if p.is_file())
    assert sorted(k.split("!")[0] for k in rows) == files
    for name in BROKEN:
        if name in rows:
            assert rows[name]["status"] == "invalid" and float(rows[name]["score"]) == 0, rows[name]
    assert (rows["honest.ipynb"]["status"], float(rows["honest.ipynb"]["score"])) == ("graded", 6.0)


def test_colliding_names_keep_both_result_files(batch):
    root, rows = batch
    a, b = rows[f"x y/{EXERCISE}.ipynb"], rows[f"x_y/{EXERCISE}.ipynb"]
    assert a["sha256"] == b["sha256"] and {a["student"], b["student"]} == {"x y", "x_y"}
    saved = [json.loads(p.read_text()) for p in (root / "out" / "results").glob("x_y__*.json")]
    assert sorted(r["student"] for r in saved) == ["x y", "x_y"]
    assert len(list((root / "out" / "feedback").glob("x_y__*.md"))) == 2


def test_answers_beyond_a_float_score_zero_without_crashing(batch):
    _, rows = batch
    row = rows["big_ints.ipynb"]
    assert row["status"] == "graded", row
    assert float(row["score"]) == 4.0  # z and is_fake lost, sigmoid, p, p_vec kept


def test_lying_array_files_cost_only_the_array_answers(batch):
    root, rows = batch
    row = rows["lying_npy.ipynb"]
    assert row["status"] == "graded", row
    assert float(row["score"]) == 1.0  # only z, a plain float, crossed: every array reply is refused
    saved = json.loads(next((root / "out" / "results").glob("lying_npy__*.json")).read_text())
    unreadable = [c["name"] for c in saved["checks"] if "could not be read as data" in c["message"]]
    assert {"p", "is_fake", "X", "W", "p_vec"} <= set(unreadable)


def test_an_odd_metadata_block_is_graded(batch):
    _, rows = batch
    assert (rows["odd_metadata.ipynb"]["status"], float(rows["odd_metadata.ipynb"]["score"])) == ("graded", 6.0)


# --------------------------------------------------------------------------- the grader's own faults


def test_a_grader_fault_is_error_and_a_rerun_grades_it_again(fast_course, tmp_path):
    """A checks.py that breaks while judging: `error` (never `crashed`), and the next run of the
    same command grades the submission again by itself, once the checks are fixed."""
    import shutil

    import yaml

    from autograder.exercises import EXERCISES_DIR

    course_dir = tmp_path / "course"
    (course_dir / "exercises").mkdir(parents=True)
    shutil.copytree(EXERCISES_DIR / EXERCISE, course_dir / "exercises" / EXERCISE,
                    ignore=shutil.ignore_patterns("__pycache__"))
    data = yaml.safe_load(Path(fast_course).read_text())
    data["exercises"] = [e for e in data["exercises"] if e["id"] == EXERCISE]
    (course_dir / "course.yaml").write_text(yaml.safe_dump(data))
    checks = course_dir / "exercises" / EXERCISE / "checks.py"
    good = checks.read_text()
    checks.write_text(good + "\n\nclass Broken(CHECKS[0].__class__.__mro__[-2]):\n    name = 'broken'\n    points = 1\n"
                      "    def probes(self, rng):\n        return {}\n    def judge(self, answers, asked):\n"
                      "        raise KeyError('a bug of ours')\n\nCHECKS = [*CHECKS, Broken()]\n")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann.ipynb").write_text(notebook(SETUP, *RIGHT))
    rows = grade([subs], tmp_path / "out", course_dir / "course.yaml")
    assert rows[0]["status"] == "error" and "a bug of ours" in rows[0]["message"]
    assert "not the student's fault" in rows[0]["message"]
    # Fixed checks (a new process would load them afresh; here the cache is cleared).
    checks.write_text(good)
    from autograder import exercises

    exercises._module_from_file.cache_clear()
    exercises._checks_cache.clear()
    rows = grade([subs], tmp_path / "out", course_dir / "course.yaml")
    assert (rows[0]["status"], float(rows[0]["score"])) == ("graded", 6.0)


def test_file_names_that_are_not_utf8_still_get_their_rows(fast_course, tmp_path):
    """Names are bytes on Linux: one that is not UTF-8 must not break the gradebook or the CSV."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in (b"\xff\xfe.ipynb", b"bad\xffname.ipynb", b"new\nline.ipynb"):
        with open(os.path.join(os.fsencode(subs), name), "wb") as f:
            f.write(b"{ not a notebook")
    os.mkdir(os.path.join(os.fsencode(subs), b"\xe9l\xe8ve"))  # latin-1, not UTF-8
    with open(os.path.join(os.fsencode(subs), b"\xe9l\xe8ve", b"nb.ipynb"), "wb") as f:
        f.write(b"")
    rows = grade([subs], tmp_path / "out", fast_course)
    assert len(rows) == 4 and {r["status"] for r in rows} == {"invalid"}
    assert {r["student"] for r in rows} >= {"\\xff\\xfe", "bad\\xffname", "new\nline", "\\xe9l\\xe8ve"}
    assert len(list((tmp_path / "out" / "results").glob("*.json"))) == 4


def test_a_typo_in_a_check_is_a_clear_error_at_build_and_error_at_grading(tmp_path):
    """form="arrray" in checks.py: `build` and `verify` stop with the file and the known forms;
    grading gives every submission of the exercise `error` (the course's fault), never `crashed`."""
    import shutil

    from autograder.exercises import EXERCISES_DIR

    course_dir = tmp_path / "course"
    shutil.copytree(EXERCISES_DIR / EXERCISE, course_dir / "exercises" / EXERCISE,
                    ignore=shutil.ignore_patterns("__pycache__"))
    checks = course_dir / "exercises" / EXERCISE / "checks.py"
    text = checks.read_text()
    assert 'form="array"' in text
    checks.write_text(text.replace('form="array"', 'form="arrray"', 1))
    (course_dir / "course.yaml").write_text(f"name: typo\nexercises:\n  - id: {EXERCISE}\n")
    for command in (["build", "--out", str(tmp_path / "dist")], ["verify"]):
        result = CliRunner().invoke(main, [command[0], "--course", str(course_dir / "course.yaml"), *command[1:]])
        assert result.exit_code != 0
        assert "unknown form 'arrray'" in result.output and "checks.py" in result.output, result.output
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ann.ipynb").write_text(notebook(SETUP, *RIGHT))
    rows = grade([subs], tmp_path / "out", course_dir / "course.yaml")
    assert [(r["status"], float(r["score"])) for r in rows] == [("error", 0.0)]
    assert "unknown form 'arrray'" in rows[0]["message"]
