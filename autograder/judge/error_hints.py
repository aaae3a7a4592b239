"""Hints from the errors a student's code raised: numpy's and torch's shape errors carry the
shapes, and a few pairs of shapes say which mistake it was (a matrix product of sizes that do
not fit, `*` for `@`, a sum that lost its axis). Anything else: "" (the error itself is shown
to the student anyway). The hints from the values a student's code returned are derived_hints.py.
"""

from __future__ import annotations

import re

_MATMUL = [re.compile(r"matmul: Input operand \d has a mismatch in its core dimension \d.*\(size (\d+) is different from (\d+)\)"),
           re.compile(r"shapes \(([\d, ]*)\) and \(([\d, ]*)\) not aligned"),
           re.compile(r"mat1 and mat2 shapes cannot be multiplied \((\d+x\d+) and (\d+x\d+)\)")]
_BROADCAST = re.compile(r"operands could not be broadcast together with shapes \(([\d,]*)\) \(([\d,]*)\)")
_AXIS = re.compile(r"axis (-?\d+) is out of bounds for array of dimension 1")


def _shape(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.split(r"[,x ]+", text.strip(" ,")) if n)


def raised_hint(error: str) -> str:
    """The mistake a shape error names, from its text ("ValueError: operands could not be ...")."""
    error = str(error or "")
    if any(p.search(error) for p in _MATMUL):
        return ("the sizes of a matrix product do not fit: (m x n) @ (n x p) needs the same n inside; is one factor "
                "meant transposed (X.T), or in the other order?")
    match = _BROADCAST.search(error)
    if match:
        a, b = _shape(match.group(1)), _shape(match.group(2))
        if len(a) == len(b) + 1 and a[:-1] == b or len(b) == len(a) + 1 and b[:-1] == a:
            return ("an array lost its last axis in a sum or maximum and no longer lines up with the rows: keep the axis "
                    "with keepdims=True")
        if len(a) == 2 and len(b) == 2 and a[1] == b[0] and a != b:
            return ("`*` multiplies element by element, which arrays of shapes "
                    f"{a} and {b} cannot do; the matrix product is `@`")
    if _AXIS.search(error):
        return "a vector (one example) has only axis 0: axis=-1, the last axis, works for a vector and for a batch"
    return ""
