"""Comparing an answer with the expected one, and naming the known mistake that explains it.

The vocabulary every check judges with: an answer read in its form (`FORMS`: the readers of
autograder/judge/forms.py, plus `exact` for a value taken as it came), compared within the
check's tolerances (`same`), a wrong shape said before a wrong value (`shape_message`), the
hints of the known mistakes whose answer equals the student's (`matching_hints`, `join_hints`)
and the text of an exception the student's code raised (`raised_text`). The check classes of
autograder/judge/checks.py and the checks a course writes itself use them alike.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from autograder.judge.forms import FORM_READERS, FormError, numeric_array
from autograder.probe.answers import Answer

FORMS = dict(FORM_READERS, exact=lambda answer, what: _exact(answer, what))


def _exact(answer: Answer, what: str):
    if answer.error is not None:
        raise FormError(f"{what}: {answer.error}")
    if answer.value is Ellipsis:
        raise FormError(f"{what}: not answered yet (still `...`)")
    return answer.value


def same(got, expected, form: str, rtol: float, atol: float) -> bool:
    """Whether `got` (already in `form`) equals `expected` within the tolerances."""
    if form == "number":
        return bool(np.isclose(got, float(expected), rtol=rtol, atol=atol))
    if form == "array":
        expected = np.asarray(expected, dtype=float)
        return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))
    if form == "shape":
        return tuple(got) == tuple(expected)
    if form == "text":
        return got.strip().lower() == str(expected).strip().lower()
    return got == expected


def shape_message(got: np.ndarray, expected, what: str) -> str | None:
    """For arrays the shape is checked first: a wrong shape says so, and says if it is transposed."""
    expected = np.asarray(expected)
    if got.shape == expected.shape:
        return None
    return f"{what} should have shape {tuple(expected.shape)}, got {tuple(got.shape)}"


def _resolve(value):
    return value() if callable(value) else value


def join_hints(hints: list[str]) -> str:
    """One hint, or the candidates when several known mistakes give the same answer."""
    unique = list(dict.fromkeys(h for h in hints if h))
    if len(unique) <= 1:
        return unique[0] if unique else ""
    return "one of these explains the answer: " + "; or ".join(unique)


def matching_hints(got, mistakes: Mapping[str, Any], compare: Callable[[Any, Any], bool], *args) -> list[str]:
    """The hints of every mistake whose wrong answer equals `got` (a mistake's model may not
    apply to every input: one that fails is skipped)."""
    found = []
    for hint, wrong in mistakes.items():
        try:
            value = wrong(*args) if args or callable(wrong) else wrong
            if value is not None and compare(got, value):
                found.append(hint)
        except Exception:  # noqa: BLE001 - a model of a mistake that does not apply here
            continue
    return found


def raised_text(answer: Answer) -> str:
    """'TypeError: message' once, however the sandbox worded the error."""
    error = str(answer.error or "")
    name = str(answer.raised or "")
    if name and error.startswith(f"{name}: "):
        error = error[len(name) + 2:]
    elif name and error == name:
        error = ""
    return f"{name}: {error}" if error else name


def _finite(value) -> bool:
    """Whether a numeric answer holds no inf or nan. An answer that is not numbers (None from a
    function that returns nothing, a string) is not called infinite: its form says what is wrong."""
    array = numeric_array(value)
    return True if array is None else bool(np.all(np.isfinite(array)))
