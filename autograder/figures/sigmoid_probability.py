"""sigmoid_probability: the sigmoid curve with the student's (z, p) and, where shown, the right one."""

from __future__ import annotations

import numpy as np

from autograder.figures import canvas
from autograder.figures.kind import Context, Kind, NothingToDraw, number


def draw(data: dict, ctx: Context):
    value = data.get("value") or {}
    p, z = number(value.get("got")), number((data.get("upstream") or {}).get("z"))
    right_p = number(value.get("expected"))
    right_z = float(np.log(right_p / (1 - right_p))) if right_p is not None and 0 < right_p < 1 else None
    if p is None:
        raise NothingToDraw("no p")
    shown = [v for v in (z, right_z if ctx.show_reference else None) if v is not None]
    low, high = min([-6.0] + [v - 1 for v in shown]), max([6.0] + [v + 1 for v in shown])
    low, high = max(low, -60.0), min(high, 60.0)
    fig, (ax,) = canvas.figure()
    grid = np.linspace(low, high, 200)
    ax.plot(grid, 1 / (1 + np.exp(-grid)), color=canvas.GREY, linewidth=1.5, label="sigmoid(z)")
    if z is not None:
        ax.plot([z], [p], linestyle="none", marker="o", markersize=8, color=canvas.YOURS,
                label=f"{canvas.YOUR_LABEL}: z = {z:.4g}, p = {p:.4g}")
        ax.axvline(z, color=canvas.YOURS, linestyle=":", linewidth=1)
    else:
        ax.axhline(p, color=canvas.YOURS, linestyle="--", linewidth=1.5, label=f"your p = {p:.4g} (no z)")
    if ctx.show_reference and right_p is not None and right_z is not None:
        ax.plot([right_z], [right_p], linestyle="none", marker="s", markersize=8, color=canvas.RIGHT,
                label=f"{canvas.RIGHT_LABEL}: z = {right_z:.4g}, p = {right_p:.4g}")
    ax.axhline(0.5, color=canvas.GREY, linestyle=":", linewidth=0.8)
    ax.set_xlabel("net input z")
    ax.set_ylabel("p = sigmoid(z)")
    ax.set_title("your p against the sigmoid of z")
    canvas.legend(ax)
    return fig


KIND = Kind("sigmoid_probability", draw, title="the sigmoid, with your z and p", for_the_class=True)
