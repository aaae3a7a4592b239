"""function_curve: an element-wise function (sigmoid, relu, tanh and their derivatives): the
right curve over the range of the grader's inputs, and the student's values at those inputs."""

from __future__ import annotations

import numpy as np

from autograder.figures import canvas
from autograder.figures.collect import plain
from autograder.figures.kind import Context, Kind, NothingToDraw, numbers

GRID = 161


def collect(check, data: dict) -> dict:
    """The student's (x, value) pairs of every case, and the reference on a grid over their range."""
    xs, ys, raised = [], [], None
    for case in data.get("cases") or []:
        x, got = numbers((case.get("args") or [None])[0]), numbers(case.get("got"))
        if case.get("raised") and raised is None:
            raised = case["raised"]
        if x is None or got is None or len(x) != len(got):
            continue
        xs += x
        ys += got
    kept = {"kind": data["kind"], "answer_is_content": False, "function": getattr(check, "function", check.name),
            "x": xs, "got": ys}
    if raised:
        kept["raised"] = raised
    finite = [v for v in xs if v is not None]
    low, high = (min(finite), max(finite)) if finite else (-6.0, 6.0)
    grid = np.linspace(low, high, GRID)
    try:
        kept["curve"] = {"x": plain(grid), "y": plain(np.asarray(check.reference(grid), dtype=float).reshape(-1))}
    except Exception:  # noqa: BLE001 - a reference that is not element-wise: its values at the cases only
        kept["curve"] = None
    return kept


def draw(data: dict, ctx: Context):
    name = canvas.plain_text(data.get("function") or "f", 30)
    pairs = [(x, y) for x, y in zip(data.get("x") or [], data.get("got") or []) if x is not None and y is not None]
    if not pairs and not data.get("raised"):
        raise NothingToDraw("no values")
    fig, (ax,) = canvas.figure()
    curve = data.get("curve") or {}
    if ctx.show_reference and curve.get("x") and curve.get("y"):
        ax.plot(curve["x"], [np.nan if v is None else v for v in curve["y"]], **canvas.RIGHT_STYLE,
                label=f"{canvas.RIGHT_LABEL} {name}(x)")
    if pairs:
        pairs.sort()
        ax.plot([p[0] for p in pairs], [p[1] for p in pairs], **canvas.YOURS_STYLE,
                label=f"{canvas.YOUR_LABEL}: {name}(x) at the grader's inputs")
    if data.get("raised"):
        canvas.note(ax, f"your {name} raised {data['raised']}", y=0.08)
    ax.set_xlabel("x")
    ax.set_ylabel(f"{name}(x)")
    ax.set_title(f"{name}: your values against the right curve")
    canvas.legend(ax)
    return fig


KIND = Kind("function_curve", draw, title="your function against the right curve", collect=collect)
