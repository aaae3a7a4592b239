"""Honest forms of an answer, turned into the one form a check compares.

A student may answer 0.8205 as a Python float, a numpy scalar, a 0-d or one-element array,
a list or a torch tensor; all of them arrive here as plain data (see probe/wire.py) and are
accepted. Anything else raises FormError with a message that says what was expected.
"""

from __future__ import annotations

import numpy as np

from autograder.probe.answers import Answer
from autograder.probe.wire import Opaque


class FormError(ValueError):
    """The answer has no value, or not the kind of value asked for."""


def describe(value) -> str:
    """A short description of a value's form, never its content."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {tuple(value.shape)}"
    if isinstance(value, Opaque):
        return f"a {value.type_name} object"
    if value is None:
        return "None"
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__}"


def present(answer: Answer, what: str):
    """The answer's value, or FormError when it is missing."""
    if answer.error is not None:
        raise FormError(f"{what}: {answer.error}")
    if answer.value is Ellipsis:
        raise FormError(f"{what}: not answered yet (still `...`)")
    return answer.value


def _is_number(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf"


def as_number(answer: Answer, what: str) -> float:
    value = present(answer, what)
    if isinstance(value, (bool, np.bool_)):
        raise FormError(f"{what} should be a number, got a bool")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.reshape(-1)[0])
    raise FormError(f"{what} should be a single number, got {describe(value)}")


def as_int(answer: Answer, what: str) -> int:
    number = as_number(answer, what)
    if not float(number).is_integer():
        raise FormError(f"{what} should be a whole number, got {number:g}")
    return int(number)


def as_bool(answer: Answer, what: str) -> bool:
    value = present(answer, what)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind == "b":
        return bool(value.reshape(-1)[0])
    if isinstance(value, bool):
        return value
    raise FormError(f"{what} should be True or False, got {describe(value)}")


def as_array(answer: Answer, what: str) -> np.ndarray:
    value = present(answer, what)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value.astype(float)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return np.asarray(float(value))
    if isinstance(value, (tuple, list)) and value and all(_is_number(v) for v in value):
        return np.asarray([float(np.asarray(v).reshape(-1)[0]) for v in value])  # a pair such as (intercept, slope)
    raise FormError(f"{what} should be an array of numbers, got {describe(value)}")


def as_shape(answer: Answer, what: str) -> tuple:
    """A shape given as a tuple, list or array of whole numbers."""
    value = present(answer, what)
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "iu":
        return tuple(int(n) for n in value)
    if isinstance(value, (tuple, list)) and all(isinstance(n, int) and not isinstance(n, bool) for n in value):
        return tuple(value)
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind == "f" and np.all(value == np.round(value)):
        return tuple(int(n) for n in value)
    raise FormError(f"{what} should be a shape such as (2, 3), got {describe(value)}")


def as_text(answer: Answer, what: str) -> str:
    value = present(answer, what)
    if isinstance(value, str):
        return value
    raise FormError(f"{what} should be a string, got {describe(value)}")
