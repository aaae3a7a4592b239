"""The teacher's report: a few figures per exercise over the whole class, from the figure data
the results keep (autograder/figures/collect.py). The right answer is always drawn: the report
is the teacher's.

    decision_line        every student's line over the right one (the spread of the class)
    sigmoid_probability  every student's (z, p) on the sigmoid, and the right point
    training             every run's learning curve, and the held-out metric against the thresholds
"""

from __future__ import annotations

import base64
import functools

import numpy as np

from autograder.figures import canvas
from autograder.figures.draw import drawing
from autograder.figures.kind import number, numbers
from autograder.record.result import Result, Status, results_of

MAX_STUDENTS = 300  # drawn per figure


def _rows(results: list[Result], exercise: str, kind: str) -> list[tuple[Result, dict]]:
    """(result, {check name: figure data of this kind}) of the exercise's results, graded ones only."""
    out = []
    for result in results_of(results):
        if result.exercise != exercise or result.status not in (Status.GRADED, Status.TIMEOUT):
            continue
        data = {c.name: c.figure for c in result.checks if c.figure is not None and c.figure.get("kind") == kind}
        if data:
            out.append((result, data))
    return out[:MAX_STUDENTS]


def _value(data: dict | None, key: str = "got") -> float | None:
    return number(((data or {}).get("value") or {}).get(key))


def decision_lines(rows) -> object | None:
    pairs = [(_value(d.get("intercept")), _value(d.get("slope"))) for _, d in rows]
    lines = [(a, b) for a, b in pairs if a is not None and b is not None]
    given = next(((_value(d.get("intercept"), "expected"), _value(d.get("slope"), "expected")) for _, d in rows), None)
    if not lines or given is None or given[0] is None or given[1] is None:
        return None
    right = (given[0], given[1])
    fig, (ax,) = canvas.figure()
    grid = np.array([-3.0, 3.0])
    wrong = [line for line in lines if not np.allclose(line, right, rtol=1e-3, atol=1e-6)]
    for i, (a, b) in enumerate(wrong):
        ax.plot(grid, a + b * grid, color=canvas.YOURS, alpha=0.35, linewidth=1,
                linestyle="--", label=f"students' wrong lines ({len(wrong)})" if i == 0 else None)
    ax.plot(grid, right[0] + right[1] * grid, **canvas.RIGHT_STYLE,
            label=f"right line ({len(lines) - len(wrong)} of {len(lines)} students)")
    span = abs(right[0]) + 3 * abs(right[1]) + 4
    ax.set_ylim(right[0] - span, right[0] + span)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("the class's decision lines")
    canvas.legend(ax)
    return fig


def sigmoid_points(rows) -> object | None:
    first = [next(iter(d.values())) for _, d in rows]
    points = [(number((f.get("upstream") or {}).get("z")), _value(f)) for f in first]
    points = [p for p in points if None not in p]
    right = next((_value(f, "expected") for f in first if _value(f, "expected") is not None), None)
    if not points:
        return None
    fig, (ax,) = canvas.figure()
    grid = np.linspace(-6, 6, 200)
    ax.plot(grid, 1 / (1 + np.exp(-grid)), color=canvas.GREY, label="sigmoid(z)")
    ax.scatter([p[0] for p in points], [p[1] for p in points], s=14, color=canvas.YOURS, alpha=0.5,
               label=f"students' (z, p) ({len(points)})")
    if right is not None and 0 < right < 1:
        ax.plot([np.log(right / (1 - right))], [right], linestyle="none", marker="s", markersize=8,
                color=canvas.RIGHT, label="right")
    ax.set_xlabel("net input z")
    ax.set_ylabel("p")
    ax.set_title("the class's z and p")
    canvas.legend(ax)
    return fig


def training_runs(rows, check: str) -> object | None:
    runs = [d[check] for _, d in rows if check in d and not d[check].get("note")]
    if not runs:
        return None
    fig, (curves, metric) = canvas.figure(width=7.0, panels=2)
    for data in runs:
        loss = [v for v in numbers(data.get("loss_curve")) or [] if v is not None]
        if loss:
            curves.plot(range(1, len(loss) + 1), loss, color=canvas.YOURS, alpha=0.3, linewidth=1)
    curves.set_xlabel("epoch")
    curves.set_ylabel("training loss")
    curves.set_title(f"{len(runs)} learning curves")
    values = [number(d.get("value")) for d in runs]
    values = [v for v in values if v is not None]
    if values:
        metric.hist(values, bins=12, color=canvas.YOURS, edgecolor="white")
    for threshold, _points in runs[0].get("tiers") or []:
        if number(threshold) is not None:
            metric.axvline(number(threshold), color=canvas.OTHER, linestyle=":", linewidth=1)
    metric.set_xlabel(f"held-out {canvas.plain_text(runs[0].get('metric') or 'metric', 20)} (dotted: thresholds)")
    metric.set_ylabel("students")
    metric.set_title("held-out metric of the class")
    return fig


def class_figures(results: list[Result], exercises: list[tuple[str, str]]) -> list[dict]:
    """[{exercise, title, caption, uri}] for the exercises (id, title) that have figure data;
    a figure that cannot be drawn is left out (the report stands without it)."""
    out = []
    for exercise, title in exercises:
        plans = []
        rows = _rows(results, exercise, "decision_line")
        if rows:
            plans.append(("the spread of the class's decision lines", lambda r=rows: decision_lines(r)))
        rows = _rows(results, exercise, "sigmoid_probability")
        if rows:
            plans.append(("the class's z and p on the sigmoid", lambda r=rows: sigmoid_points(r)))
        rows = _rows(results, exercise, "training")
        for check in sorted({name for _, d in rows for name in d}):
            plans.append((f"{check}: learning curves and held-out metric",
                          functools.partial(training_runs, rows, check)))
        for caption, make in plans:
            try:
                with drawing, canvas.settings():
                    fig = make()
                    png = canvas.png(fig, 4 * canvas.FIGURE_BYTES) if fig is not None else None
            except Exception:  # noqa: BLE001 - a class figure is a bonus: the report stands without it
                png = None
            if png:
                out.append({"exercise": exercise, "title": title, "caption": caption,
                            "uri": "data:image/png;base64," + base64.b64encode(png).decode("ascii")})
    return out
