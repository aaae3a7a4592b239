"""A figure's data, collected while judging: plain JSON from the answers, the probes and the reference.

A check that names a figure (`figure="softmax"` on the Check) keeps the data of its figure in
its verdict (`Verdict.figure`). Where the check did not fill it, this module does, from what the
judging holds: the student's value and the expected one (a ValueCheck), the student's earlier
answers (its Upstream), each call's arguments, the student's result and the reference's (a
FunctionCheck, or any check with `cases` and `reference`), and the figure's own extra calls (a
kind that asks for them, autograder/figures/kinds.py). A kind may then reduce that data to what
it draws (`Kind.collect`).

Everything is capped (numbers per array, cases, text length, bytes in all), rounded, and
non-finite numbers become None: the result document stays small plain JSON, whatever the
student's code returned. Collecting never raises into the grade: a failure is recorded as a note.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping

import numpy as np

from autograder.probe.answers import Answer
from autograder.probe.requests import Call

MAX_NUMBERS = 4000  # per array: a larger one is left out of the figure's data
MAX_CASES = 6  # calls kept per check
MAX_TEXT = 300  # characters of any string kept
MAX_BYTES = 48_000  # the figure's data in the result document, as JSON
DIGITS = 6  # significant digits kept


def _number(x) -> float | None:
    try:
        x = float(x)
    except (OverflowError, TypeError, ValueError):  # an int beyond a float's range
        return None
    if not math.isfinite(x):
        return None
    return float(f"{x:.{DIGITS}g}")


def plain(value, depth: int = 0) -> Any:
    """`value` as small plain JSON: arrays as nested lists of rounded floats, capped everywhere."""
    if depth > 6:
        return None
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value) if abs(int(value)) < 2**53 else _number(value)
    if isinstance(value, (float, np.floating)):
        return _number(value)
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf" or value.size > MAX_NUMBERS:
            return None
        return np.vectorize(_number, otypes=[object])(value.astype(float)).tolist() if value.size else value.tolist()
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_NUMBERS:
            return None
        try:
            array = np.asarray(value, dtype=float)
            if array.size <= MAX_NUMBERS:
                return plain(array, depth + 1)
        except (TypeError, ValueError, OverflowError):
            pass
        return [plain(v, depth + 1) for v in value[:50]]
    if isinstance(value, dict):
        return {str(k)[:60]: plain(v, depth + 1) for k, v in list(value.items())[:30]}
    return f"<{type(value).__name__}>"[:MAX_TEXT]


def answer_value(answer: Answer | None) -> Any:
    """The student's answer as plain data, or None when there is none."""
    if answer is None or answer.error is not None or answer.value is Ellipsis:
        return None
    return plain(answer.value)


def _call(check, call: Call, answer: Answer | None) -> dict:
    case = {"args": plain(list(call.args)), "got": answer_value(answer)}
    if answer is not None and answer.raised:
        case["raised"] = f"{answer.raised}: {answer.error or ''}"[:MAX_TEXT]
    reference = getattr(check, "reference", None)
    if callable(reference):
        try:
            case["expected"] = plain(reference(*call.args, **call.kwargs))
        except Exception as exc:  # noqa: BLE001 - a case the reference refuses (it expects an exception)
            case["expected_raises"] = type(exc).__name__
    return case


def generic(check, answers: Mapping[str, Answer], asked: Mapping[str, Any],
            extra_answers: Mapping[str, Answer], extra_asked: Mapping[str, Any]) -> dict:
    """What any check's figure may draw from: value, upstream, cases and the figure's own calls."""
    data: dict = {"kind": check.figure, "answer_is_content": "value" in asked}
    if "value" in asked:
        expected = getattr(check, "expected", None)
        data["value"] = {"got": answer_value(answers.get("value")),
                         "expected": plain(expected() if callable(expected) else expected)}
    upstream = {key[3:]: answer_value(a) for key, a in answers.items() if key.startswith("up:")}
    if upstream:
        data["upstream"] = upstream
    calls = [(k, c) for k, c in asked.items() if isinstance(c, Call) and not k.startswith("up:")]
    if calls:
        data["cases"] = [_call(check, c, answers.get(k)) for k, c in calls[:MAX_CASES]]
    if extra_asked:
        data["extra"] = {k: _call(check, c, extra_answers.get(k)) for k, c in extra_asked.items() if isinstance(c, Call)}
    return data


def fits(data: dict) -> dict:
    """`data`, with cases dropped from the end until its JSON fits MAX_BYTES; a note if nothing fits."""
    data = dict(data)
    while len(json.dumps(data, allow_nan=False)) > MAX_BYTES:
        if data.get("cases"):
            data["cases"] = data["cases"][:-1]
            continue
        return {"kind": data.get("kind"), "note": "the figure's data was too large to keep"}
    return data
