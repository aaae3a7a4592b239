"""What crosses between the grader and a Dask worker, as plain data.

The task is what `run_notebook` needs and nothing more: the notebook's cells, the probes (the
names to read and the inputs to call with, drawn by the grader), the limits as numbers, the
exercise's data files (the ones students get) and extra environment variables. No check, no
solution, no course secret: the worker never needs them, because judging stays with the grader.

The result comes back as nested dicts, lists, strings, numbers and numpy arrays, tagged where
Python has more forms than that (tuples, Ellipsis, complex numbers, values that were not data),
and is turned into the same `RunResult` that `run_notebook` returns, so that judging cannot
tell a run on a Dask worker from a local one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum

import numpy as np

from autograder.probe import Answer, Probe
from autograder.sandbox.wire import Opaque
from autograder.run import CellRun, Limits, RunResult
from autograder.run.states import CellStatus, Isolation, RunStatus

TAG = "~"  # the key of a tagged value; a plain dict never appears untagged


class PlainDataError(ValueError):
    """A value that is not one of the forms a run result may hold."""


@dataclass
class PlacedRunResult(RunResult):
    """A RunResult that also says where it ran: worker, host, device, dispatch time."""

    placement: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- the task


def make_task(cells: list[str], probes: dict[str, Probe], limits: Limits, files: dict[str, bytes] | None,
              env: dict | None) -> dict:
    """The one thing sent to a worker for a submission (see the module docstring)."""
    return {
        "cells": [str(c) for c in cells],
        "probes": dict(probes),
        "limits": asdict(limits),
        "files": {str(name): bytes(data) for name, data in (files or {}).items()},
        "env": {str(k): str(v) for k, v in (env or {}).items()},
    }


def limits_from_task(task: dict) -> Limits:
    known = {f.name for f in fields(Limits)}
    unknown = set(task["limits"]) - known
    if unknown:
        raise PlainDataError(f"this worker's autograder does not know the limits {sorted(unknown)}: "
                             "install the grader's version of the package on the workers")
    return Limits(**task["limits"])


# --------------------------------------------------------------------------- answer values


def to_plain(value):
    """An answer's value as plain data (see the module docstring); PlainDataError otherwise."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            raise PlainDataError(f"an array of dtype {value.dtype} is not data")
        return value
    if isinstance(value, np.generic):
        return {TAG: "scalar", "v": np.asarray(value)}
    if value is Ellipsis:
        return {TAG: "ellipsis"}
    if type(value) is complex:
        return {TAG: "complex", "v": [value.real, value.imag]}
    if isinstance(value, Opaque):
        return {TAG: "opaque", "v": str(value.type_name)}
    if type(value) is list:
        return [to_plain(v) for v in value]
    if type(value) is tuple:
        return {TAG: "tuple", "v": [to_plain(v) for v in value]}
    if type(value) is dict:
        return {TAG: "dict", "v": [[to_plain(k), to_plain(v)] for k, v in value.items()]}
    raise PlainDataError(f"a {type(value).__name__} is not one of the forms an answer may take")


def from_plain(node):
    """The value `to_plain` made `node` from."""
    if node is None or type(node) in (bool, int, float, str):
        return node
    if isinstance(node, np.ndarray):
        if node.dtype.kind not in "biufc":
            raise PlainDataError(f"an array of dtype {node.dtype} is not data")
        return node
    if type(node) is list:
        return [from_plain(v) for v in node]
    if type(node) is not dict:
        raise PlainDataError(f"a {type(node).__name__} is not plain data")
    tag = node.get(TAG)
    if tag == "scalar":
        return np.asarray(node["v"])[()]
    if tag == "ellipsis":
        return Ellipsis
    if tag == "complex":
        return complex(float(node["v"][0]), float(node["v"][1]))
    if tag == "opaque":
        return Opaque(str(node["v"]))
    if tag == "tuple":
        return tuple(from_plain(v) for v in node["v"])
    if tag == "dict":
        out = {}
        for key, value in node["v"]:
            key = from_plain(key)
            out[key if not isinstance(key, (list, dict, np.ndarray)) else repr(key)] = from_plain(value)
        return out
    raise PlainDataError(f"unknown tag {tag!r}")


# --------------------------------------------------------------------------- the run result


def run_to_plain(run: RunResult) -> dict:
    """A RunResult as plain data (every field; cells and answers as dicts)."""
    out = {}
    for f in fields(RunResult):
        value = getattr(run, f.name)
        if f.name == "cells":
            value = [{**asdict(c), "status": str(c.status)} for c in value]
        elif f.name == "answers":
            value = {key: {"key": a.key, "value": to_plain(a.value), "origin": a.origin, "error": a.error,
                           "raised": a.raised} for key, a in value.items()}
        elif f.name == "resources":  # from the control group: numbers, or None where not measured
            value = {str(k): v for k, v in value.items() if v is None or type(v) in (int, float)}
        elif isinstance(value, dict):  # probe_durations: {key: seconds}
            value = {str(k): float(v) for k, v in value.items()}
        elif isinstance(value, list):  # timed_out_probes: [key]
            value = [str(v) for v in value]
        elif isinstance(value, StrEnum):  # status, isolation: their plain strings
            value = str(value)
        out[f.name] = value
    return out


def run_from_plain(data: dict, placement: dict | None = None) -> PlacedRunResult:
    """The RunResult `run_to_plain` made `data` from, with where it ran."""
    known = {f.name for f in fields(RunResult)}
    missing = known - set(data)
    if missing:
        raise PlainDataError(f"the worker's run result lacks {sorted(missing)}: "
                             "install the grader's version of the package on the workers")
    values = {name: data[name] for name in known}
    try:
        values["status"], values["isolation"] = RunStatus(data["status"]), Isolation(data["isolation"])
        values["cells"] = [CellRun(**{**c, "status": CellStatus(c["status"])}) for c in data["cells"]]
    except (ValueError, TypeError, KeyError) as exc:
        raise PlainDataError(f"the worker's run result has a state this grader does not know ({exc}): "
                             "install the grader's version of the package on the workers") from None
    values["answers"] = {
        str(key): Answer(key=str(a["key"]), value=from_plain(a["value"]), origin=str(a["origin"]),
                         error=a["error"], raised=a["raised"])
        for key, a in data["answers"].items()
    }
    return PlacedRunResult(**values, placement=dict(placement or {}))
