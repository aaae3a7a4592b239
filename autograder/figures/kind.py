"""What a kind of figure is: how it draws from a check's data, and what it needs collected.

Each module of this package but the framework ones defines one `KIND`; autograder/figures/kinds.py
lists them by name, the name a check gives as `figure=`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from autograder.record.result import CheckResult


class NothingToDraw(Exception):
    """The data holds nothing of the student's to draw (a missing answer): no figure, no note."""


@dataclass
class Context:
    """What a kind may use beside its own check's data."""

    show_reference: bool  # draw the right answer (autograder/figures/draw.py decides)
    row: CheckResult = field(default_factory=lambda: CheckResult(name=""))  # the check's: name, points, max_points
    siblings: dict[str, dict] = field(default_factory=dict)  # {check name: figure data} of the same result

    def __post_init__(self):
        self.row = as_check(self.row)  # a figure drawn apart (a test) may give the check's document


def as_check(row: CheckResult | dict) -> CheckResult:
    """A check's result, from a check's result or its document (a figure drawn apart, in a test)."""
    if isinstance(row, CheckResult):
        return row
    try:
        return CheckResult.model_validate({"name": "", **row})
    except ValueError:  # pydantic's ValidationError: a row that is no check's counts as failed, unnamed
        return CheckResult(name="")


@dataclass(frozen=True)
class Kind:
    name: str
    draw: Callable[[dict, Context], Any]  # -> a matplotlib Figure (autograder/figures/canvas.py)
    title: str = ""  # what the figure shows, for its caption
    collect: Callable[[Any, dict], dict] | None = None  # (check, generic data) -> the data it keeps
    probes: Callable[[Any, dict], dict] | None = None  # (check, its asked probes) -> extra {key: Call}
    always: bool = False  # drawn for a passed check too (a training run's curves)
    once: bool = False  # one figure per result: several checks hold parts of its data
    # The teacher's report draws it over the whole class (classroom.py), passed checks included.
    for_the_class: bool = False

    def kept_when_passed(self) -> bool:
        """Whether a passed check keeps this kind's data: only where something draws it (a kind
        drawn always, a part of a figure of several checks, the report's class figures). Other
        data would only make every passed row larger (a function's curve on a grid: tens of KB)."""
        return self.always or self.once or self.for_the_class


def number(value) -> float | None:
    """A finite float from the data, else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, list):
        flat = _flat(value)
        return number(flat[0]) if len(flat) == 1 else None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _flat(value) -> list:
    if isinstance(value, list):
        return [y for v in value for y in _flat(v)]
    return [value]


def numbers(value) -> list[float | None] | None:
    """The numbers of a (nested) list, flat, with None for a missing one; None if not numbers."""
    if value is None or isinstance(value, (str, dict)):
        return None
    flat = _flat(value)
    if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in flat):
        return None
    return [None if v is None else float(v) for v in flat]


def array(value):
    """A (nested) list of numbers as a float array, None as NaN; None when it is not one."""
    import numpy as np

    def nan(v):
        return [nan(x) for x in v] if isinstance(v, list) else (np.nan if v is None else v)

    try:
        return np.asarray(nan(value), dtype=float)
    except (TypeError, ValueError):
        return None
