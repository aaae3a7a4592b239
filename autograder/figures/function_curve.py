"""function_curve: an element-wise function of one array (sigmoid, relu, tanh and their
derivatives): the student's function and the right one on the same grid.

The figure asks the student's function for its values on a fixed grid (one extra call, asked
after every graded probe), so that the same function always gives the same figure: a mistake
many students make is drawn once (autograder/figures/draw.py keeps what it drew). Where that
call raised, the figure says so and shows the student's values at the graded calls' inputs.
"""

from __future__ import annotations

import numpy as np

from autograder.figures import canvas
from autograder.figures.collect import plain
from autograder.figures.kind import Context, Kind, NothingToDraw, numbers
from autograder.probe.requests import Call

GRID = np.round(np.linspace(-6.0, 6.0, 121), 6)


def probes(check, asked: dict) -> dict:
    return {"grid": Call(check.function, (GRID.copy(),))}


def _pairs(cases: list[dict]) -> tuple[list, list, str | None]:
    """The (x, value) pairs of calls whose result has one value per input, and the first exception."""
    xs, ys, raised = [], [], None
    for case in cases:
        if case.get("raised") and raised is None:
            raised = case["raised"]
        x, got = numbers((case.get("args") or [None])[0]), numbers(case.get("got"))
        if x is not None and got is not None and len(x) == len(got):
            xs += x
            ys += got
    return xs, ys, raised


def collect(check, data: dict) -> dict:
    grid = (data.get("extra") or {}).get("grid") or {}
    xs, ys, raised = _pairs([grid])
    if not xs:  # the grid call failed: the graded calls' values, where there are some
        xs, ys, graded_raised = _pairs(data.get("cases") or [])
        raised = raised or graded_raised
    kept = {"kind": data["kind"], "answer_is_content": False, "function": getattr(check, "function", check.name),
            "x": xs, "got": ys}
    if raised:
        kept["raised"] = raised
    try:
        kept["curve"] = {"x": plain(GRID), "y": plain(np.asarray(check.reference(GRID.copy()), dtype=float).reshape(-1))}
    except Exception:  # noqa: BLE001 - a reference that is not element-wise: the student's values alone
        kept["curve"] = None
    return kept


def draw(data: dict, ctx: Context):
    name = canvas.plain_text(data.get("function") or "f", 30)
    pairs = sorted((x, y) for x, y in zip(data.get("x") or [], data.get("got") or []) if x is not None and y is not None)
    if not pairs and not data.get("raised"):
        raise NothingToDraw("no values")
    fig, (ax,) = canvas.figure()
    curve = data.get("curve") or {}
    if ctx.show_reference and curve.get("x") and curve.get("y"):
        ax.plot(curve["x"], [np.nan if v is None else v for v in curve["y"]], **canvas.RIGHT_STYLE,
                label=f"{canvas.RIGHT_LABEL}: {name}(x)")
    if pairs:
        ax.plot([p[0] for p in pairs], [p[1] for p in pairs], **(canvas.YOURS_STYLE | {"markersize": 2.5}),
                label=f"{canvas.YOUR_LABEL}: {name}(x)")
    if data.get("raised"):
        canvas.note(ax, f"your {name} raised {data['raised']}", y=0.08)
    ax.set_xlabel("x")
    ax.set_ylabel(f"{name}(x)")
    ax.set_title(f"{name}: yours against the right one")
    canvas.legend(ax)
    return fig


KIND = Kind("function_curve", draw, title="your function against the right one", collect=collect, probes=probes)
