"""Comparing an answer with the expected one, and naming the known mistake that explains it.

The vocabulary every check judges with: an answer read in its form (`FORMS`: the readers of
autograder/judge/forms.py, plus `exact` for a value taken as it came), compared within the
check's tolerances (`same`; widened to float32's precision for an answer computed in float32,
`tolerances`), a wrong shape said before a wrong value (`shape_message`), the
hints of the known mistakes whose answer equals the student's (`matching_hints`, `join_hints`)
and the text of an exception the student's code raised (`raised_text`). The check classes of
autograder/judge/checks.py and the checks a course writes itself use them alike.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from autograder.judge.forms import FORM_READERS, numeric_array, present
from autograder.probe.answers import Answer

FORMS = dict(FORM_READERS, exact=present)  # "exact": the value as it came, compared with ==


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


# How far an honest single-precision result may lie from the double-precision reference, in
# units of float32's machine epsilon: a handful of roundings, each up to half an ulp, and one
# cancellation (1 - tanh(x)^2 near |x| = 6 keeps about 2 of float32's 7 digits).
FLOAT32_ULPS = 16


def tolerances(value, expected, rtol: float, atol: float) -> tuple[float, float]:
    """The tolerances for an answer `value` as it came back: a result computed in float32 (torch's
    and Keras' default dtype: `torch.Tensor(x)`, `.float()`, `keras.ops` on float32 tensors) is
    judged within float32's own precision, relative to the size of the expected values, where
    the check's tolerances ask for more digits than float32 holds. Other answers: as given.
    (A wrong answer is wrong by far more than float32's rounding: this widens nothing a known
    mistake could hide in.)"""
    if rtol == 0 or not _single_precision(value):  # rtol 0: the check asks for an exact count
        return rtol, atol
    eps = FLOAT32_ULPS * float(np.finfo(np.float32).eps)
    return max(rtol, eps), max(atol, eps * max(1.0, _magnitude(expected)))


def _single_precision(value, depth: int = 0) -> bool:
    """Whether the answer was computed in float32: a float32 array, or numbers that float32 holds
    exactly (a float32 result turned into Python floats, `.tolist()`, `float(t)`; a double-precision
    result is, but for round numbers, never exactly a float32), or a pair holding either."""
    if getattr(value, "dtype", None) == np.float32:
        return True
    if isinstance(value, (bool, int, np.integer, np.bool_)) or getattr(getattr(value, "dtype", None), "kind", "f") in "biu":
        return False  # whole numbers as ints are no float32 result
    array = numeric_array(value)
    if array is not None:
        finite = array[np.isfinite(array)]
        with np.errstate(over="ignore"):
            # at least one number with a fraction: whole numbers alone are as exact in float64
            return bool(np.any(finite != np.round(finite))) and bool(np.all(finite.astype(np.float32).astype(float) == finite))
    return isinstance(value, (list, tuple)) and depth < 2 and any(_single_precision(v, depth + 1) for v in value[:8])


def _magnitude(expected, depth: int = 0) -> float:
    """The largest finite absolute value among the expected numbers (a pair's items included)."""
    array = numeric_array(expected)
    if array is not None:
        finite = np.abs(array[np.isfinite(array)])
        return float(finite.max()) if finite.size else 0.0
    if isinstance(expected, (list, tuple)) and depth < 2:
        return max((_magnitude(v, depth + 1) for v in expected), default=0.0)
    return 0.0


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
