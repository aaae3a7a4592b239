"""No student notebook gives an answer away: not in its text, its code, its public tests, or
what its given cells print when they run (`autograder verify` and tests/build/test_no_answers.py).

Every answer a check compares (numbers, arrays, shapes) is collected from the exercise's
checks, for the slides' numbers and for a sample of personal variants, written in the ways a
notebook would show it (0.8205, 11,301, 14, 4, 18, (8, 8), ...), and looked for in the student
notebooks the build writes. A value that the notebook gives as an input (z = -4 is given;
df/dq = z is then -4 too) is not an answer the notebook can hide, and is left out; so are small
whole numbers below 10, which any text holds ("Question 3").

What is particular to an exercise is said in its checks.py, all optional:
    ANSWER_TEXTS = [regex, ...]         answers that are formulas or words, looked for as text
    SHAPE_ASKED = ["AB", ...]           checks whose shape the question asks to find: the public
                                        tests must not state it
    GIVEN_ANSWERS = {check: reason}     an answer the notebook must give as the input of a later
                                        question
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import nbformat
import numpy as np

VARIANTS = 3  # personal variants sampled per varying exercise


def expected_answers(exercise, params: dict | None, checks=None) -> dict:
    """{check: the answer it expects} for every check of the exercise that compares a notebook
    value with a reference (numbers, arrays, shapes), for a variant (None: the slides' numbers)."""
    from autograder.exercises import load_checks
    from autograder.judge import ValueCheck, using_variant
    from autograder.judge.checks import _resolve

    found = {}
    with using_variant(params):
        for check in checks if checks is not None else load_checks(exercise):
            if isinstance(check, ValueCheck) and check.form in ("number", "array", "shape"):
                found[check.name] = _resolve(check.expected)
    return found


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
    return [rf"(?<![\d.]){re.escape(t)}0*(?!\d)" for t in texts]  # 0.922 written 0.9220 too


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
    """What the student version's code cells print when run as handed out (blanks still `...`),
    through the sandbox's own cell runner (autograder/sandbox/cells.py), in this process: the
    student version is the build's own output, trusted code."""
    from autograder.sandbox.cells import run_trusted

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        _, outcomes = run_trusted([cell.source for cell in nb.cells if cell.cell_type == "code"])
    # a blank answer may stop a cell, as in class: its error is part of what the student sees
    return printed.getvalue() + "\n".join(error for _, error in outcomes if error)


def _short(params: dict) -> str:
    """A variant as a report names it: its first numbers, not every curve it holds."""
    text = json.dumps(params)
    return text if len(text) <= 80 else text[:77] + "..."


def _solution(exercise):
    from autograder.build.variants import solution_module

    try:
        return solution_module(exercise.id, Path(exercise.folder))
    except FileNotFoundError:
        return None


def _varying_solution(exercise):
    """The exercise's solution module if it draws personal variants, else None."""
    module = _solution(exercise)
    return module if hasattr(module, "draw_variant") else None


def student_versions(exercise, folder: Path, variants: int = VARIANTS) -> list[tuple[dict | None, object]]:
    """(variant, student notebook) of a built exercise (dist/<id>/): the slides' numbers and a
    sample of personal variants, rendered from the build's template as a roster build does."""
    from autograder.build.variants import render

    student = nbformat.read(str(folder / "student" / f"{exercise.id}.ipynb"), as_version=4)
    versions: list[tuple[dict | None, object]] = [(None, student)]
    template = folder / "autograder" / f"{exercise.id}.template.ipynb"
    module = _varying_solution(exercise)
    if module is not None and template.is_file():
        rng = np.random.default_rng(20260101)
        for _ in range(variants):
            params = json.loads(json.dumps(module.draw_variant(rng)))
            nb = nbformat.read(str(template), as_version=4)
            render(nb, params, str(template))
            versions.append((params, nb))
    return versions


def find_leaks(exercise, versions, outputs: bool = True, extra: dict | None = None) -> list[str]:
    """Every answer of `exercise` found in `versions` [(variant, notebook)], each as
    "<id> (<variant>) <where>: answer <check> as '<text>' in ...<context>...". With `outputs`,
    the slides' version's given cells are run (trusted: the course's own notebook) and what they
    print is searched too. `extra`: more {name: value} answers to look for."""
    from autograder.exercises import checks_module, load_checks

    checks = load_checks(exercise)
    module = checks_module(exercise)
    texts_asked = list(getattr(module, "ANSWER_TEXTS", []))
    shape_asked = set(getattr(module, "SHAPE_ASKED", []))
    given_answers = dict(getattr(module, "GIVEN_ANSWERS", {}))
    solution = _varying_solution(exercise)
    default = solution.DEFAULT_VARIANT if solution is not None else None
    found = []
    # What the slides' version says is the same text for every student: a personal variant's
    # answer that only coincides with it (best_epoch 16 and `figsize=(16, 3.5)`) gives nothing away.
    baseline: set[str] = set()
    for params, nb in versions:
        nb = nbformat.from_dict(json.loads(json.dumps(nb)))  # searched on a copy: pictures blanked below
        where = "slides' numbers" if params is None else f"personal variant {_short(params)}"
        for cell in nb.cells:  # pictures are not text: their base64 holds every digit string
            for output in cell.get("outputs", []):
                for mime in [k for k in output.get("data", {}) if k.startswith("image/")]:
                    output["data"][mime] = ""
        # every string of the notebook: sources, public tests (in its metadata), saved outputs
        texts = {"text": "\n".join(_strings({"cells": nb.cells, "metadata": nb.metadata}))}
        if params is None and not baseline:
            baseline = set(texts["text"].splitlines())
        elif params is not None:  # only the lines that are this student's own
            texts["text"] = "\n".join(line for line in texts["text"].splitlines() if line not in baseline)
        tests = "\n".join(_strings(nb.metadata.get("otter", {}).get("tests", {})))
        if outputs and params is None:
            texts["output"] = _run_outputs(nb)
        given = _given_numbers(params if params is not None else default)
        literals = given | {float(n) for cell in nb.cells if cell.cell_type == "code"
                            for n in re.findall(r"(?<![\w.])-?\d+\.?\d*(?![\w.])", cell.source)}
        expected = expected_answers(exercise, params, checks) | dict(extra or {})
        for name, value in expected.items():
            if name in given_answers:
                continue
            array = np.asarray(value, dtype=float)
            if array.size == 1 and float(array.reshape(-1)[0]) in given:
                continue
            for pattern in _patterns(value, literals):
                for place, body in texts.items():
                    match = re.search(pattern, body)
                    if match:
                        context = body[max(0, match.start() - 40):match.end() + 40].replace("\n", " ")
                        found.append(f"{exercise.id} ({where}) {place}: answer {name} as {match.group(0)!r} in ...{context}...")
            if name in shape_asked:  # the public tests do not state a shape the question asks to find
                for pattern in (r"(?:==|shape|be|is)\s*" + p for p in _patterns(tuple(array.shape))):
                    match = re.search(pattern, tests)
                    if match:
                        found.append(f"{exercise.id} ({where}) public tests: the shape of {name}, {match.group(0)!r}")
        for pattern in texts_asked:
            match = re.search(pattern, texts["text"])
            if match:
                found.append(f"{exercise.id} ({where}) text: the answer {match.group(0)!r}")
    return found


def student_leaks(exercise, folder: Path, variants: int = VARIANTS, outputs: bool = True) -> list[str]:
    """The answers found in the built exercise's student version and sampled personal variants."""
    return find_leaks(exercise, student_versions(exercise, folder, variants), outputs=outputs)
