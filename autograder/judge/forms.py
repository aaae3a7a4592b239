"""Honest forms of an answer, turned into the one form a check compares.

This module is the one definition of what counts as an acceptable form. A student may answer
0.8205 as a Python float, a numpy scalar, a 0-d or one-element array, a one-item list, a
`Fraction` or `Decimal` (they cross the sandbox boundary as floats, see sandbox/wire.py) or a
torch tensor; a shape as a tuple, list or array of Python or numpy ints or of whole floats
(`(a[0], b[1])` with `a = np.array(shape)`, `(2.0, 8.0)`, `torch.Size`); a boolean as True or
False, numpy's bools, 0 or 1; a matrix as an array, a tensor or nested lists and tuples of
numbers. Anything else raises FormError with a message that says what was expected.

`HONEST_FORMS` turns a reference answer into every one of these forms (in the student's
process, before the wire), and `REFUSED_FORMS` lists values that are not answers of a check's form;
tests feed both to the hidden checks and to the public tests of the notebooks, so that the two
agree on what is acceptable.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Callable

import numpy as np

from autograder.probe.answers import Answer
from autograder.sandbox.wire import Opaque


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


def numeric_array(value) -> np.ndarray | None:
    """`value` as a float array when it is numeric data, else None.

    Numeric data: Python and numpy numbers and bools, arrays of those kinds (tensors arrive as
    arrays), and lists or tuples of numeric data of equal shapes, nested as deep as the wire
    allows. Strings, complex numbers, None and objects are not numeric data.
    """
    if isinstance(value, (bool, int, float, np.bool_, np.number)) and not isinstance(value, (complex, np.complexfloating)):
        try:
            return np.asarray(float(value))
        except OverflowError:  # an int beyond float range is not a number a check can compare
            return None
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            return None
        try:
            return value.astype(float)
        except (OverflowError, ValueError):
            return None
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, np.ndarray) and v.size == 1 for v in value):
            # a tuple of single numbers: tensors and numpy scalars of any shape, as (df_dx, df_dy, df_dz)
            value = [v.reshape(-1)[0] for v in value]
        items = [numeric_array(v) for v in value]
        arrays = [item for item in items if item is not None]
        if len(arrays) < len(items) or len({a.shape for a in arrays}) > 1:
            return None
        return np.stack(arrays) if arrays else np.zeros(0)
    return None


def as_number(answer: Answer, what: str) -> float:
    value = present(answer, what)
    array = numeric_array(value)
    if array is not None and array.size == 1:
        return float(array.reshape(-1)[0])
    raise FormError(f"{what} should be a single number, got {describe(value)}")


def as_int(answer: Answer, what: str) -> int:
    number = as_number(answer, what)
    if not float(number).is_integer():
        raise FormError(f"{what} should be a whole number, got {number:g}")
    return int(number)


def as_bool(answer: Answer, what: str) -> bool:
    """True or False; numpy's bools, 0 and 1 (also as one-element arrays or tensors) are the same."""
    value = present(answer, what)
    array = numeric_array(value)
    if array is not None and array.size == 1 and float(array.reshape(-1)[0]) in (0.0, 1.0):
        return bool(array.reshape(-1)[0])
    raise FormError(f"{what} should be True or False, got {describe(value)}")


def as_array(answer: Answer, what: str) -> np.ndarray:
    value = present(answer, what)
    array = numeric_array(value)
    if array is not None:
        return array
    raise FormError(f"{what} should be an array of numbers, got {describe(value)}")


def as_shape(answer: Answer, what: str) -> tuple:
    """A shape: a tuple, list, array or tensor of whole numbers (ints of any kind, whole floats)."""
    value = present(answer, what)
    array = numeric_array(value)
    if array is not None and array.ndim == 1 and np.all(np.isfinite(array)) and np.all(array == np.round(array)) \
            and not isinstance(value, (bool, np.bool_)):
        return tuple(int(n) for n in array)
    raise FormError(f"{what} should be a shape such as (2, 3), got {describe(value)}")


def as_text(answer: Answer, what: str) -> str:
    value = present(answer, what)
    if isinstance(value, str):
        return value
    raise FormError(f"{what} should be a string, got {describe(value)}")


# --------------------------------------------------------------------------- the forms, listed
# Each entry turns a reference answer (a Python value as the solution computes it) into one
# honest form a student might hand in. They run where the student's code runs (in tests: in
# this process, before the answer is encoded for the wire).


def _torch(value, dtype=None):
    import torch

    return torch.tensor(value, dtype=dtype)


def _number_forms() -> dict[str, Callable]:
    return {
        "float": float,
        "numpy float": np.float64,
        "numpy float32": lambda v: np.float32(v) if abs(float(v)) < 1e30 else np.float64(v),
        "0-d array": lambda v: np.array(float(v)),
        "one-element array": lambda v: np.array([float(v)]),
        "(1, 1) array": lambda v: np.array([[float(v)]]),
        "one-item list": lambda v: [float(v)],
        "Fraction": lambda v: Fraction(float(v)),
        "Decimal": lambda v: Decimal(repr(float(v))),
        "tensor": lambda v: _torch(float(v)),
        "one-element tensor": lambda v: _torch([float(v)]),
        "int when whole": lambda v: int(v) if float(v).is_integer() else float(v),
        "numpy int when whole": lambda v: np.int64(v) if float(v).is_integer() else float(v),
    }


def _bool_forms() -> dict[str, Callable]:
    return {
        "bool": bool,
        "numpy bool": np.bool_,
        "int 0 or 1": lambda v: int(bool(v)),
        "0-d bool array": lambda v: np.array(bool(v)),
        "bool tensor": lambda v: _torch(bool(v)),
    }


def _shape_forms() -> dict[str, Callable]:
    return {
        "tuple": tuple,
        "list": list,
        "numpy ints": lambda s: tuple(np.array(s)[i] for i in range(len(s))),
        "whole floats": lambda s: tuple(float(n) for n in s),
        "array": np.array,
        "torch.Size": lambda s: _torch(np.zeros(s)).shape,
        "tensor": lambda s: _torch(list(s)),
    }


def _array_forms() -> dict[str, Callable]:
    return {
        "array": lambda a: np.asarray(a, dtype=float),
        "int array when whole": lambda a: np.asarray(a).astype(int) if np.all(np.asarray(a) == np.round(a)) else np.asarray(a),
        "float32 array": lambda a: np.asarray(a, dtype=np.float32) if np.all(np.abs(np.asarray(a)) < 1e30) else np.asarray(a),
        "nested lists": lambda a: np.asarray(a, dtype=float).tolist(),
        "nested tuples": lambda a: _tuples(np.asarray(a, dtype=float).tolist()),
        "lists of Fractions": lambda a: _map_nested(np.asarray(a, dtype=float).tolist(), Fraction),
        "tensor": lambda a: _torch(np.asarray(a, dtype=float)),
    }


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _map_nested(value, function):
    return [_map_nested(v, function) for v in value] if isinstance(value, list) else function(value)


def _text_forms() -> dict[str, Callable]:
    return {"str": str, "padded": lambda s: f" {s} "}


HONEST_FORMS: dict[str, Callable[[], dict[str, Callable]]] = {
    "number": _number_forms,
    "bool": _bool_forms,
    "shape": _shape_forms,
    "array": _array_forms,
    "text": _text_forms,
}

# Values that are not an answer of the check's form, whatever the question: a form check refuses them.
REFUSED_FORMS: dict[str, list] = {
    "number": ["0.82", None, {"p": 0.8}, [0.1, 0.2], 1 + 2j, b"1"],
    "bool": ["True", None, 2, [True, False], 0.5],
    "shape": ["(2, 3)", None, 6, [2.5, 3], [[2, 3]]],
    "array": ["[[1, 2]]", None, {"a": 1}, [[1, 2], [3]]],
    "text": [None, 3, ["B"]],
}


def converters(form: str) -> dict[str, Callable]:
    """{way of writing it: function turning a reference answer of the check's `form` (number, bool,
    shape, array, text) into an honest answer written that way}."""
    return HONEST_FORMS[form]()


FORM_READERS = {"number": as_number, "bool": as_bool, "shape": as_shape, "array": as_array, "text": as_text}
