"""Figures: a check that is better shown than told draws the student's answer against the right one.

    kind         what a kind of figure is (Kind, Context); one module per kind:
                 sigmoid_probability, decision_line, function_curve, gradient_descent, softmax,
                 learning_curves, predictions, training; kinds.py lists them by name
    collect      while judging: the figure's data, plain capped JSON, kept in the check's row
    canvas       drawing: matplotlib's Agg canvas, a colour-blind-safe palette, plain text, size caps
    draw         at export: the figures of one result document, reference or not, within a budget
    classroom    the teacher's report: a few figures over the class

Figures are drawn in the grader's process from the result document's data only (never an image
the notebook made), so every page can be made again from the gradebook. `AUTOGRADER_FIGURES=0`
turns them off (no data kept, no extra probe, nothing drawn).
"""

from __future__ import annotations

from typing import Any, Mapping

from autograder.figures.collect import fits, generic
from autograder.figures.draw import REFERENCE_SETTINGS, Drawn, figures_of
from autograder.figures.kinds import KINDS
from autograder.settings import settings

__all__ = ["KINDS", "REFERENCE_SETTINGS", "Drawn", "enabled", "extra_probes", "figure_data", "figures_of"]


def enabled() -> bool:
    """AUTOGRADER_FIGURES (autograder/settings.py)."""
    return settings().figures


def extra_probes(check, asked: Mapping[str, Any]) -> dict:
    """The extra calls `check`'s figure asks for, {key: Call} (most kinds ask none)."""
    kind = KINDS.get(getattr(check, "figure", None) or "")
    if kind is None or kind.probes is None:
        return {}
    try:
        return dict(kind.probes(check, dict(asked)))
    except Exception:  # noqa: BLE001 - no figure is worth a failed grading
        return {}


def figure_data(check, verdict, answers, asked, extra_answers=None, extra_asked=None) -> dict | None:
    """The data of `check`'s figure (None without one): what the verdict kept, else collected here.
    Never raises: a failure is a note in the data, and the figure is left out with it."""
    name = getattr(check, "figure", None)
    if not name:
        return None
    kind = KINDS.get(name)
    try:
        if kind is not None and not kind.kept_when_passed() and 0 < float(check.points) <= verdict.points:
            return None  # a passed check: nothing would draw it
        if verdict.figure is not None:
            data = dict(verdict.figure)
        else:
            data = generic(check, answers, asked, extra_answers or {}, extra_asked or {})
            if kind is not None and kind.collect is not None:
                data = kind.collect(check, data)
        data["kind"] = name
        return fits(data)
    except Exception as exc:  # noqa: BLE001
        return {"kind": name, "note": f"the figure's data could not be collected ({type(exc).__name__})"}
