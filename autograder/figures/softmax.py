"""softmax: the student's class probabilities for a few rows against the right ones."""

from __future__ import annotations

import numpy as np

from autograder.figures import canvas
from autograder.figures.kind import Context, Kind, NothingToDraw
from autograder.figures.kind import array as as_array

ROWS = 3
CLASSES = 10


def _rows(value) -> np.ndarray | None:
    array = as_array(value)
    if array is None:
        return None
    if array.ndim == 1:
        array = array[None, :]
    return array if array.ndim == 2 and array.size else None


def _pair(data: dict):
    """(the student's rows, the right rows) of the value, or of the first case given a batch."""
    if data.get("value"):
        return data["value"].get("got"), data["value"].get("expected")
    cases = data.get("cases") or []
    batch = [c for c in cases if len(np.shape((c.get("args") or [None])[0] or [])) == 2]
    case = (batch or cases or [{}])[0]
    return case.get("got"), case.get("expected")


def draw(data: dict, ctx: Context):
    got, expected = _pair(data)
    got, expected = _rows(got), _rows(expected)
    if got is None:
        raise NothingToDraw("no probabilities")
    rows = min(ROWS, got.shape[0])
    fig, axes = canvas.figure(width=2.0 * rows + 1.0, height=2.6, panels=rows)
    for i, ax in enumerate(axes):
        yours = got[i, :CLASSES]
        classes = np.arange(len(yours))
        width = 0.4 if ctx.show_reference and expected is not None else 0.7
        ax.bar(classes - (width / 2 if width < 0.5 else 0), np.nan_to_num(yours), width, color=canvas.YOURS,
               hatch="//", edgecolor="white", label=canvas.YOUR_LABEL)
        if width < 0.5 and expected is not None and i < expected.shape[0]:
            right = expected[i, :CLASSES]
            ax.bar(np.arange(len(right)) + width / 2, right, width, color=canvas.RIGHT, label=canvas.RIGHT_LABEL)
        ax.axhline(1.0, color=canvas.GREY, linestyle=":", linewidth=0.8)
        ax.set_xticks(classes)
        ax.set_xlabel("class")
        finite = bool(np.all(np.isfinite(got[i])))
        ax.set_title(f"row {i}: your sum {np.sum(got[i]):.3g}" if finite else f"row {i}: yours has NaN or inf")
        if i == 0:
            ax.set_ylabel("probability")
            canvas.legend(ax)
    return fig


KIND = Kind("softmax", draw, title="your class probabilities for a few rows")
