"""No student notebook gives an answer away: not in its text, its code, its public tests, or
what its given cells print when they run.

Every answer value of every question is collected from the solutions, for the slides' numbers
and for a sample of personal variants, written in the ways a notebook would show it (0.8205,
11,301, 14, 4, 18, (8, 8), ...), and looked for in the student notebooks the build writes. A
value that the notebook gives as an input (z = -4 is given; df/dq = z is then -4 too) is not an
answer the notebook can hide, and is left out; so are small whole numbers below 10, which any
text holds ("Question 3"); the symbolic answers of those questions are looked for as text.
"""

from __future__ import annotations

import contextlib
import io
import json
import re

import nbformat
import numpy as np
import pytest

from autograder.build.variants import render, solution_module
from autograder.course import load_course
from autograder.exercises import load_checks
from solutions import keras_params

PEN_AND_PAPER = ["sigmoid_probability", "decision_line", "matrix_multiplication", "forward_pass", "backprop",
                 "keras_params"]
EXERCISES = load_course().ids  # every exercise of the course: the six above are built with variants
VARIANTS_PER_EXERCISE = 3


def _answers(exercise_id: str, params: dict | None) -> dict:
    """{check: the answer it expects} for every check of the exercise that compares a notebook
    value with a reference (numbers, arrays, shapes), for a variant (None: the slides' numbers)."""
    from autograder.judge import ValueCheck, using_variant
    from autograder.judge.checks import _resolve

    answers = {}
    with using_variant(params):
        for check in load_checks(exercise_id):
            if isinstance(check, ValueCheck) and check.form in ("number", "array", "shape"):
                answers[check.name] = _resolve(check.expected)
    if exercise_id.startswith("train_"):  # a count that keras_params asks for is an answer there too
        answers["params_10_100_100_1 (keras_params q2)"] = keras_params.PARAMS_10_100_100_1
    return answers


# Answers that are formulas or words rather than numbers, for the questions whose numbers are given.
SYMBOLIC = {
    "backprop": [r"\\partial f}{\\partial q} = z", r"\\partial f}{\\partial z} = q", r"df_dq = z\b", r"df_dz = q\b",
                 r"\\partial f / \\partial z = q"],
    "matrix_multiplication": [r"V\s*=\s*W\s*@?\s*U", r"\(W\s*U\)\s*x", r"=\s*\(W U\)"],
    "keras_params": [r"NameError: name 'x' is not defined"],
}
# Matrices whose shape the question asks the student to find with the shape rule.
SHAPE_ASKED = {("matrix_multiplication", "AB"), ("matrix_multiplication", "V")}
# An answer the notebook must give as the input of a later question, with the reason.
GIVEN = {
    ("forward_pass", "shape_W1"): "the one-hidden-layer part gives W1 its shape (2, 8); question 4 asks it again",
    ("forward_pass", "shape_W3"): "the one-hidden-layer part gives its output weights W2 the shape (8, 1), as W3 here",
}


def _given_numbers(params) -> set[float]:
    """Every number of a variant's parameters, however nested (learning_curves keeps its curves in a dict)."""
    if isinstance(params, dict):
        return set().union(*(_given_numbers(v) for v in params.values())) if params else set()
    if params is None or isinstance(params, str):
        return set()
    try:
        return {float(v) for v in np.ravel(np.asarray(params, dtype=float))}
    except (TypeError, ValueError):  # a list of lists of different lengths, or of dicts
        return set().union(*(_given_numbers(v) for v in params)) if isinstance(params, (list, tuple)) else set()


def _number_patterns(value: float) -> list[str]:
    """How a number may be written in a notebook: 0.8205, 0.821, 11301, 11,301, -12."""
    if float(value).is_integer():
        n = int(value)
        if abs(n) < 10:
            return []
        texts = {str(n), f"{n:,}", f"{n:_}", f"{n:,}".replace(",", " ")}
        return [rf"(?<![\w.,+/]){re.escape(t)}(?![\w+/]|\.\d|,\d)" for t in texts]
    texts = {repr(float(value))} | {f"{value:.{d}f}" for d in range(3, 9)}
    texts = {t.rstrip("0") for t in texts if abs(float(t) - value) < 10 ** -3 * max(1.0, abs(value))}
    texts = {t for t in texts if len(t.lstrip("-").replace("0.", "").replace(".", "")) >= 3}  # 3 significant digits
    return [rf"(?<![\d.]){re.escape(t)}(?!\d)" for t in texts]


def _patterns(value, given=frozenset()) -> list[str]:
    """Regular expressions for `value` as a notebook would write it. The rows of a matrix made
    of numbers that the notebook gives anyway (`given`, 0 and 1: a one-hot row, a choice among
    given candidates) are not searched alone, only the whole matrix."""
    array = np.asarray(value, dtype=float)
    if isinstance(value, tuple):  # a shape
        numbers = [str(int(n)) for n in value]
        return [r"\(\s*" + r"\s*,\s*".join(numbers) + r"\s*,?\s*\)",
                r"(?<!\d)" + r"\s*(?:x|×|\\times)\s*".join(numbers) + r"(?!\d)"]
    if array.size == 1:
        return _number_patterns(float(array.reshape(-1)[0]))
    # The whole matrix, row after row, as a list or as LaTeX; a row of 3 or more entries alone too.
    rows = [[str(int(v)) if float(v).is_integer() else repr(float(v)) for v in row] for row in np.atleast_2d(array)]
    comma = [r"\s*,\s*".join(map(re.escape, row)) for row in rows]
    amp = [r"\s*&\s*".join(map(re.escape, row)) for row in rows]
    patterns = [r"(?<![\d.])" + r"\s*\]\s*,\s*\[\s*".join(comma) + r"(?![\d.])",
                r"(?<![\d.])" + r"\s*\\\\\s*".join(amp) + r"(?![\d.])"]
    made_of_given = set(np.ravel(array).tolist()) <= set(given) | {0.0, 1.0, -1.0}
    if made_of_given and len(rows) == 1:  # a row of given numbers: the question is which, not what
        return []
    if not made_of_given:
        patterns += [r"(?<![\d.])" + row + r"(?![\d.])" for row, cells in zip(comma + amp, rows + rows) if len(cells) >= 3]
    return patterns


def _strings(node):
    """Every string in a notebook's JSON tree, cell ids left out (they are not text)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key != "id":
                yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _run_outputs(nb) -> str:
    """What the student version's code cells print when run as handed out (blanks still `...`)."""
    namespace: dict = {}
    printed = io.StringIO()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines()
                           if "otter" not in line and "grader." not in line and not line.lstrip().startswith(("%", "!")))
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            try:
                exec(compile(source, "<student notebook>", "exec"), namespace)
            except Exception as exc:  # noqa: BLE001 - a blank answer may stop a cell, as in class
                print(f"{type(exc).__name__}: {exc}")
    return printed.getvalue()


def _student_versions(built_course, exercise_id: str) -> list[tuple[dict | None, object]]:
    """(variant, student notebook) for the slides' numbers and a sample of personal variants."""
    folder = built_course / exercise_id
    student = nbformat.read(str(folder / "student" / f"{exercise_id}.ipynb"), as_version=4)
    versions = [(None, student)]
    template = folder / "autograder" / f"{exercise_id}.template.ipynb"
    module = _varying_solution(exercise_id)
    if module is not None and template.is_file():
        rng = np.random.default_rng(20260101)
        for _ in range(VARIANTS_PER_EXERCISE):
            params = json.loads(json.dumps(module.draw_variant(rng)))
            nb = nbformat.read(str(template), as_version=4)
            render(nb, params, str(template))
            versions.append((params, nb))
    return versions


def leaks_of(exercise_id: str, versions, outputs: bool = True) -> list[str]:
    found = []
    for params, nb in versions:
        where = "slides' numbers" if params is None else f"variant {params}"
        for cell in nb.cells:  # pictures are not text: their base64 holds every digit string
            for output in cell.get("outputs", []):
                for kind in [k for k in output.get("data", {}) if k.startswith("image/")]:
                    output["data"][kind] = ""
        # every string of the notebook: sources, public tests (in its metadata), saved outputs
        texts = {"text": "\n".join(_strings({"cells": nb.cells, "metadata": nb.metadata}))}
        tests = "\n".join(_strings(nb.metadata.get("otter", {}).get("tests", {})))
        if outputs and params is None:
            texts["output"] = _run_outputs(nb)
        given = _given_numbers(params if params is not None else _default(exercise_id))
        literals = given | {float(n) for cell in nb.cells if cell.cell_type == "code"
                            for n in re.findall(r"(?<![\w.])-?\d+\.?\d*(?![\w.])", cell.source)}
        for name, value in _answers(exercise_id, params).items():
            if (exercise_id, name) in GIVEN:
                continue
            array = np.asarray(value, dtype=float)
            if array.size == 1 and float(array.reshape(-1)[0]) in given:
                continue
            for pattern in _patterns(value, literals):
                for kind, body in texts.items():
                    match = re.search(pattern, body)
                    if match:
                        context = body[max(0, match.start() - 40):match.end() + 40].replace("\n", " ")
                        found.append(f"{exercise_id} ({where}) {kind}: answer {name} as {match.group(0)!r} in ...{context}...")
            if (exercise_id, name) in SHAPE_ASKED:  # the public tests do not state a shape the question asks to find
                for pattern in (r"(?:==|shape|be|is)\s*" + p for p in _patterns(tuple(array.shape))):
                    match = re.search(pattern, tests)
                    if match:
                        found.append(f"{exercise_id} ({where}) public tests: the shape of {name}, {match.group(0)!r}")
        for pattern in SYMBOLIC.get(exercise_id, []):
            match = re.search(pattern, texts["text"])
            if match:
                found.append(f"{exercise_id} ({where}) text: the answer {match.group(0)!r}")
    return found


def _varying_solution(exercise_id: str):
    """solutions/<id>.py of an exercise with personal variants (it draws them), else None."""
    module = solution_module(exercise_id)
    return module if hasattr(module, "draw_variant") else None


def _default(exercise_id: str) -> dict | None:
    module = _varying_solution(exercise_id)
    return module.DEFAULT_VARIANT if module is not None else None


@pytest.mark.parametrize("exercise_id", PEN_AND_PAPER)
def test_no_answer_in_a_student_notebook(built_course, exercise_id):
    leaks = leaks_of(exercise_id, _student_versions(built_course, exercise_id))
    assert not leaks, "\n".join(leaks)


OTHERS = [e for e in EXERCISES if e not in PEN_AND_PAPER and not e.startswith("train_")]


@pytest.mark.parametrize("exercise_id", OTHERS)
def test_no_answer_in_the_student_version_of_the_other_exercises(masters, exercise_id):
    student, _, _ = masters.built(exercise_id)
    leaks = leaks_of(exercise_id, [(None, nbformat.read(str(student), as_version=4))])
    assert not leaks, "\n".join(leaks)


def test_the_search_finds_an_answer_that_is_there():
    """The search is not blind: answers written into a notebook in the usual ways are found."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("so p = 0.8205 and the net has 11,301 parameters; "
                                              "A.B = [[14, 4, 18], [24, 6, 12]]; W2 is (8, 8)"),
                nbformat.v4.new_code_cell("print(11301)")]
    found = "\n".join(leaks_of("sigmoid_probability", [(None, nb)]) + leaks_of("keras_params", [(None, nb)])
                      + leaks_of("matrix_multiplication", [(None, nb)]) + leaks_of("forward_pass", [(None, nb)]))
    for words in ("answer p as '0.8205'", "answer params_10_100_100_1 as '11,301'", "output: answer params_10_100_100_1",
                  "answer AB as '14, 4, 18'", "answer shape_W2 as '(8, 8)'"):
        assert words in found, found
    assert "answer z" not in found  # 1.52 is not in that text
    # the leaks issue 12 found in the student versions
    old = nbformat.v4.new_notebook()
    old.cells = [nbformat.v4.new_markdown_cell(r"| $f = q \cdot z$ | $\dfrac{\partial f}{\partial q} = z, \quad "
                                               r"\dfrac{\partial f}{\partial z} = q$ |")]
    assert len(leaks_of("backprop", [(None, old)])) == 2
    old.cells = [nbformat.v4.new_markdown_cell("In a fresh notebook it stops with `NameError: name 'x' is not defined`")]
    assert leaks_of("keras_params", [(None, old)])
    old.cells = [nbformat.v4.new_markdown_cell(r"$$y = W (U x) = (W U) x = V x$$")]
    old.metadata["otter"] = {"tests": {"q2_product": {"code": 'assert np.shape(AB) == (2, 3), "..."'}}}
    found = "\n".join(leaks_of("matrix_multiplication", [(None, old)]))
    assert "public tests: the shape of AB" in found and "the answer '(W U) x'" in found, found


def test_training_notebooks_give_no_answer_of_the_pen_and_paper_exercises():
    """The training tasks belong to another part of the course, but a count they print is an
    answer of keras_params: they are searched too (their build is slow, so their masters are)."""
    from autograder.exercises import master_notebook

    leaks = []
    for exercise_id in [e for e in EXERCISES if e.startswith("train_")]:
        nb = nbformat.read(str(master_notebook(exercise_id)), as_version=4)
        nb.cells = [c for c in nb.cells if "# SOLUTION" not in c.source and "BEGIN SOLUTION" not in c.source]
        leaks += leaks_of(exercise_id, [(None, nb)], outputs=False)
    assert not leaks, "\n".join(leaks)
