"""predictions: a model's outputs, the student's against the reference's, one point per output
(on the diagonal where they agree)."""

from __future__ import annotations

from autograder.figures import canvas
from autograder.figures.kind import Context, Kind, NothingToDraw, numbers

MAX_POINTS = 400


def _points(data: dict) -> tuple[list[float], list[float], int]:
    """(reference, student) output pairs of every case whose sizes agree, and the cases that did not."""
    right, yours, mismatched = [], [], 0
    sources = [data["value"]] if data.get("value") else data.get("cases") or []
    for case in sources:
        got, expected = numbers(case.get("got")), numbers(case.get("expected"))
        if got is None or expected is None:
            continue
        if len(got) != len(expected):
            mismatched += 1
            continue
        for e, g in zip(expected, got):
            if e is not None and g is not None:
                right.append(e)
                yours.append(g)
    return right[:MAX_POINTS], yours[:MAX_POINTS], mismatched


def draw(data: dict, ctx: Context):
    if not ctx.show_reference:
        raise NothingToDraw("predictions are drawn against the reference only")
    right, yours, mismatched = _points(data)
    if not right:
        raise NothingToDraw("no outputs")
    fig, (ax,) = canvas.figure(width=3.6, height=3.2)
    low, high = min(right + yours), max(right + yours)
    pad = 0.05 * (high - low or 1.0)
    ax.plot([low - pad, high + pad], [low - pad, high + pad], **canvas.RIGHT_STYLE, label="where they agree")
    ax.scatter(right, yours, s=14, marker="o", color=canvas.YOURS, label="your outputs")
    ax.set_xlabel("the reference's output")
    ax.set_ylabel("your output")
    ax.set_title(f"{len(right)} outputs: yours against the reference's")
    if mismatched:
        canvas.note(ax, f"{mismatched} calls returned another number of outputs", y=0.92)
    canvas.legend(ax)
    ax.set_aspect("equal", adjustable="datalim")
    return fig


KIND = Kind("predictions", draw, title="your outputs against the reference's")
