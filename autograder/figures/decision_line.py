"""decision_line: the student's line x2 = intercept + slope*x1 against the right one, over notes
that the right model labels (drawn from the line itself, the same points for every student).

Intercept and slope are two checks: each keeps its own value, and the figure takes both from
the result (`Context.siblings`), drawn once, at the first of them that failed.
"""

from __future__ import annotations

import numpy as np

from autograder.figures import canvas
from autograder.figures.collect import plain
from autograder.figures.kind import Context, Kind, NothingToDraw, number
from autograder.judge.variant import current_variant

POINTS = 160


def _pair(ctx: Context, data: dict, key: str) -> tuple[float | None, float | None]:
    """(the student's, the right) value of the check `key` (intercept or slope)."""
    source = ctx.siblings.get(key) or (data if ctx.row.name == key else {})
    value = source.get("value") or {}
    return number(value.get("got")), number(value.get("expected"))


def notes(intercept: float, slope: float, b2_positive: bool, seed: int = 2024):
    """Points around the right line and their class (True: p > 0.5), with some noise."""
    rng = np.random.default_rng(seed)
    x1 = rng.uniform(-3.0, 3.0, POINTS)
    spread = 1.0 + abs(slope)
    x2 = intercept + slope * x1 + rng.normal(0.0, 0.9 * spread, POINTS)
    above = x2 + rng.normal(0.0, 0.25 * spread, POINTS) > intercept + slope * x1
    return x1, x2, above if b2_positive else ~above


def draw(data: dict, ctx: Context):
    intercept, right_intercept = _pair(ctx, data, "intercept")
    slope, right_slope = _pair(ctx, data, "slope")
    if intercept is None or slope is None:
        raise NothingToDraw("no line")
    if right_intercept is None or right_slope is None:
        raise NothingToDraw("no reference")
    variant = data.get("variant") or {}
    b2 = number(variant.get("b2"))
    fig, (ax,) = canvas.figure(height=3.6)
    fig.subplots_adjust(bottom=0.3)
    x1, x2, fake = notes(right_intercept, right_slope, b2 is None or b2 > 0)
    ax.scatter(x1[fake], x2[fake], s=10, marker="^", color=canvas.CLASS_B, label="notes with p > 0.5 (fake)")
    ax.scatter(x1[~fake], x2[~fake], s=10, marker="o", color=canvas.CLASS_A, label="notes with p < 0.5 (genuine)")
    grid = np.array([-3.0, 3.0])
    ax.plot(grid, intercept + slope * grid, color=canvas.YOURS, linestyle="--", linewidth=2,
            label=f"your line: x2 = {intercept:.3g} + {slope:.3g}·x1")
    if ctx.show_reference:
        ax.plot(grid, right_intercept + right_slope * grid, **canvas.RIGHT_STYLE,
                label=f"right line: x2 = {right_intercept:.3g} + {right_slope:.3g}·x1")
    ax.set_ylim(float(np.min(x2)) - 1, float(np.max(x2)) + 1)
    ax.set_xlim(-3, 3)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("your decision line over the notes")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False, fontsize=6)
    return fig


def collect(check, data: dict) -> dict:
    """The value and, for a personal model, its coefficients (b2's sign says which side is fake)."""
    variant = current_variant()
    return data | ({"variant": plain({k: variant[k] for k in ("b0", "b1", "b2") if k in variant})} if variant else {})


KIND = Kind("decision_line", draw, title="your decision line over the notes", collect=collect, once=True,
            for_the_class=True)
