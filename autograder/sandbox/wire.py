"""The wire format of probe requests and replies: tagged JSON nodes plus `.npy` arrays.

This file is used on both sides of the sandbox boundary: the grader imports it from the
package, the sandbox gets a read-only copy next to `responder.py`. So it imports nothing
but the standard library and numpy, and it never pickles, evaluates or imports anything.

A value is encoded as a node, a dict with a type tag `t`:

    {"t": "none"} {"t": "ellipsis"} {"t": "bool", "v": true} {"t": "int", "v": "12"}
    {"t": "float", "v": "0.82"}   floats and ints travel as strings (NaN, inf, big ints)
    {"t": "str", "v": "..."}      {"t": "list"|"tuple", "items": [node, ...]}
    {"t": "dict", "items": [[key node, value node], ...]}
    {"t": "array", "file": "a0.npy" | "data": [...], "dtype": "float64", "shape": [2, 3],
     "from": "ndarray" | "tensor" | "numpy scalar" | "list"}
    {"t": "object", "type": "SomeClass"}      anything else: only its type's name crosses

Decoding checks every limit (depth, item count, string length, array bytes) so that a
hostile reply costs the grader no more than a bounded amount of memory and time.
"""

from __future__ import annotations

# The builtins this module uses, bound here when it is imported (in the sandbox: before any
# student code runs), so a notebook that replaces `builtins.float` or `builtins.isinstance`
# does not change how its answers are encoded.
from builtins import (
    bool, complex, dict, float, int, isinstance, len, list, repr, str, tuple, type,  # noqa: A004 - on purpose
)
from decimal import Decimal
from fractions import Fraction
import json
import math
import os

import numpy as np

# Only these dtype kinds cross the boundary: bool, signed/unsigned int, float, complex.
ARRAY_KINDS = "biufc"
MAX_DEPTH = 8
MAX_ITEMS = 10_000
MAX_STR = 100_000
MAX_ARRAY_BYTES = 64 * 1024 * 1024
MAX_REPLY_BYTES = 8 * 1024 * 1024


class WireError(ValueError):
    """A node or file that breaks the format or one of its limits."""


# --------------------------------------------------------------------------- encoding


class ArrayStore:
    """Where encoded arrays go: inline JSON lists (requests) or `.npy` files (replies)."""

    def __init__(self, folder: str | None = None):
        self.folder = folder
        self.count = 0

    def put(self, array: np.ndarray, origin: str) -> dict:
        node = {"t": "array", "dtype": array.dtype.str, "shape": list(array.shape), "from": origin}
        if self.folder is None:
            node["data"] = [_scalar_text(x) for x in array.reshape(-1).tolist()]
            return node
        name = f"a{self.count}.npy"
        self.count += 1
        # np.require keeps 0-d arrays 0-d (ascontiguousarray would make them 1-d).
        np.save(os.path.join(self.folder, name), np.require(array, requirements="C"), allow_pickle=False)
        node["file"] = name
        return node


def _scalar_text(x) -> str | bool:
    if isinstance(x, bool):
        return x
    if isinstance(x, complex):
        return repr(x)
    return repr(x) if isinstance(x, float) else str(x)


def _as_numeric_array(value):
    """A numpy array for array-like values of numeric dtype, else None."""
    if isinstance(value, np.ndarray):
        return value, "ndarray"
    if isinstance(value, np.generic):
        return np.asarray(value), "numpy scalar"
    # torch tensors without importing torch: duck-typed through detach/cpu/numpy.
    module = type(value).__module__ or ""
    if module.startswith("torch") and hasattr(value, "detach"):
        return value.detach().cpu().numpy(), "tensor"
    return None


def encode(value, store: ArrayStore, depth: int = 0) -> dict:
    """Encode `value` as a node. Unknown objects become their type name only."""
    if depth > MAX_DEPTH:
        return {"t": "object", "type": "too deeply nested"}
    if value is None:
        return {"t": "none"}
    if value is Ellipsis:
        return {"t": "ellipsis"}
    # Exact type checks: a subclass of float may override its methods, so it is treated
    # through the generic paths below, where only data is read from it.
    if type(value) is bool:
        return {"t": "bool", "v": value}
    if type(value) is int:
        return {"t": "int", "v": str(value)}
    if type(value) is float:
        return {"t": "float", "v": repr(value)}
    if type(value) is complex:
        return {"t": "complex", "v": [repr(value.real), repr(value.imag)]}
    if type(value) is str:
        return {"t": "str", "v": value[:MAX_STR]}
    if type(value) in (Fraction, Decimal):  # exact numbers an honest answer may be: their value is data
        try:
            return {"t": "float", "v": repr(float(value))}
        except (ArithmeticError, ValueError):
            return {"t": "object", "type": type(value).__name__}
    found = _as_numeric_array(value)
    if found is not None:
        array, origin = found
        if array.dtype.kind not in ARRAY_KINDS:
            return {"t": "object", "type": f"array of {array.dtype}"}
        return store.put(array, origin)
    if type(value) in (list, tuple):
        tag = "list" if type(value) is list else "tuple"
        if len(value) > MAX_ITEMS:
            return {"t": "object", "type": f"{tag} of {len(value)} items"}
        # A list of plain numbers (or of equal-length lists of them) is an array to a student.
        if tag == "list" and value:
            try:
                array = np.asarray(value)
            except (ValueError, TypeError):
                array = None
            if array is not None and array.dtype.kind in ARRAY_KINDS and array.dtype != object:
                node = store.put(array, "list")
                return node
        return {"t": tag, "items": [encode(v, store, depth + 1) for v in value]}
    if isinstance(value, tuple):  # torch.Size, named tuples: a plain tuple of their items
        items = tuple(value)
        if type(items) is tuple:
            return encode(items, store, depth)
    if type(value) is dict:
        pairs = list(value.items())[:MAX_ITEMS]
        return {"t": "dict", "items": [[encode(k, store, depth + 1), encode(v, store, depth + 1)] for k, v in pairs]}
    return {"t": "object", "type": type(value).__name__[:200]}


# --------------------------------------------------------------------------- decoding


def read_json(path: str, limit: int = MAX_REPLY_BYTES):
    """Parse a JSON file no larger than `limit` bytes."""
    size = os.path.getsize(path)
    if size > limit:
        raise WireError(f"{os.path.basename(path)} is {size} bytes, over the limit of {limit}")
    with open(path, "rb") as f:
        text = f.read(limit + 1).decode("utf-8")
    try:
        return json.loads(text)
    except RecursionError:
        raise WireError(f"{os.path.basename(path)} is nested too deeply") from None


# The largest int that still converts to a float: a bigger one is a number no check can compare.
FLOAT_INT_LIMIT = int(np.finfo(np.float64).max)


def _text_number(text, kind):
    if not isinstance(text, str) or len(text) > 400:
        raise WireError("a number must travel as a short string")
    if kind == "int":
        value = int(text)
        if -FLOAT_INT_LIMIT <= value <= FLOAT_INT_LIMIT:
            return value
        return Opaque(f"int of {len(text.lstrip('-'))} digits, beyond the range of a float")
    return float(text)


def decode(node, folder: str | None = None, depth: int = 0, budget: list | None = None):
    """Decode a node. Arrays come from `folder` (replies) or inline data (requests)."""
    if budget is None:
        budget = [MAX_ITEMS * 4, MAX_ARRAY_BYTES]
    budget[0] -= 1
    if budget[0] < 0:
        raise WireError("too many items")
    if depth > MAX_DEPTH + 1 or not isinstance(node, dict):
        raise WireError("malformed node")
    tag = node.get("t")
    if tag == "none":
        return None
    if tag == "ellipsis":
        return Ellipsis
    if tag == "bool":
        if not isinstance(node.get("v"), bool):
            raise WireError("malformed bool")
        return node["v"]
    if tag in ("int", "float"):
        return _text_number(node.get("v"), tag)
    if tag == "complex":
        re, im = node.get("v", [None, None])
        return complex(_text_number(re, "float"), _text_number(im, "float"))
    if tag == "str":
        v = node.get("v")
        if not isinstance(v, str) or len(v) > MAX_STR:
            raise WireError("malformed string")
        return v
    if tag in ("list", "tuple"):
        items = node.get("items")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise WireError("malformed list")
        out = [decode(x, folder, depth + 1, budget) for x in items]
        return out if tag == "list" else tuple(out)
    if tag == "dict":
        items = node.get("items")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise WireError("malformed dict")
        mapping = {}
        for pair in items:
            if not isinstance(pair, list) or len(pair) != 2:
                raise WireError("malformed dict item")
            key = decode(pair[0], folder, depth + 1, budget)
            if isinstance(key, (list, dict, np.ndarray)):
                key = repr(key)
            mapping[key] = decode(pair[1], folder, depth + 1, budget)
        return mapping
    if tag == "array":
        return _decode_array(node, folder, budget)
    if tag == "object":
        return Opaque(str(node.get("type", "?"))[:200])
    raise WireError(f"unknown node type {tag!r}")


def _decode_array(node, folder, budget):
    dtype = np.dtype(str(node.get("dtype"))[:32])
    shape = node.get("shape")
    if dtype.kind not in ARRAY_KINDS or not isinstance(shape, list) or not all(
        isinstance(n, int) and n >= 0 for n in shape
    ):
        raise WireError("malformed array")
    nbytes = dtype.itemsize * math.prod(shape)
    budget[1] -= nbytes
    if budget[1] < 0:
        raise WireError("arrays over the size limit")
    if "data" in node:
        data = node["data"]
        if not isinstance(data, list) or len(data) != math.prod(shape):
            raise WireError("malformed inline array")
        if dtype.kind == "c":
            values = [complex(x) for x in data]
        elif dtype.kind == "b":
            values = [bool(x) for x in data]
        else:
            values = [_text_number(x, "int" if dtype.kind in "iu" else "float") for x in data]
        array = np.asarray(values, dtype=dtype).reshape(shape)
        # A list the grader sent as an argument reaches the student's function as a list.
        return array.tolist() if node.get("from") == "list" else array
    name = node.get("file")
    if folder is None or not isinstance(name, str) or os.path.basename(name) != name or not name.endswith(".npy"):
        raise WireError("malformed array file name")
    path = os.path.join(folder, name)
    if os.path.islink(path) or not os.path.isfile(path) or os.path.getsize(path) > nbytes + 4096:
        raise WireError("array file missing or larger than announced")
    return _load_npy(path, dtype, shape, nbytes)


def _load_npy(path: str, dtype, shape: list, nbytes: int) -> np.ndarray:
    """An .npy file whose own header is read and checked before any data is: its dtype and
    shape must be the node's, and the file exactly as long as they say. A header that lies
    (a shape larger than memory, a pickled dtype) is refused without allocating anything."""
    from numpy.lib import format as npy

    with open(path, "rb") as f:
        try:
            version = npy.read_magic(f)
            if version == (1, 0):
                header = npy.read_array_header_1_0(f, max_header_size=4096)
            elif version in ((2, 0), (3, 0)):
                header = npy.read_array_header_2_0(f, max_header_size=4096)
            else:
                raise WireError("unknown .npy version")
        except (ValueError, TypeError, SyntaxError, OverflowError) as exc:
            raise WireError(f"unreadable .npy header ({str(exc)[:100]})") from None
        file_shape, fortran, file_dtype = header
        if file_dtype != dtype or list(file_shape) != shape or file_dtype.hasobject:
            raise WireError("array file does not match its node")
        offset = f.tell()
        if os.fstat(f.fileno()).st_size != offset + nbytes:
            raise WireError("array file is not as long as its header says")
        data = f.read(nbytes)
    array = np.frombuffer(data, dtype=dtype).copy()
    return array.reshape(shape, order="F" if fortran else "C")


class Opaque:
    """A value that could not cross the boundary as data: only its type name is known."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self):
        return f"<{self.type_name} object>"
