"""loss_curve: a loss of (labels, probabilities), drawn as the loss of one example against the
probability the model gave its label: the student's loss against the right one.

The figure asks the student's loss for a batch of BATCH examples alike (extra calls, asked after
every graded probe) at each probability of a fixed grid: a binary loss for y = 1 and for y = 0
(the slides' two curves, -ln p and -ln(1 - p)), a categorical loss for one-hot rows of three
classes with probability q on the true class and the rest shared by the others. The mean of a
batch of examples alike is the loss of one, so the right curve is the textbook's; a batch of
one would hide a sum taken for the mean. The same function always gives the same figure, so a
mistake many students make is drawn once. What text says at length shows at a glance here: a
missing minus turns the curve over, another log base or a sum scales it, a dropped term leaves
one label flat at zero, swapped arguments give another shape.

A loss that agrees with the right one on the whole grid is not drawn: its mistake lies elsewhere
(probabilities of exactly 0 or 1, said by the check's message), and two curves on top of each
other would tell the student that nothing is wrong.
"""

from __future__ import annotations

import numpy as np

from autograder.figures import canvas
from autograder.figures.kind import Context, Kind, NothingToDraw, number
from autograder.probe.requests import Call

GRID = np.round(np.linspace(0.02, 0.98, 25), 4)  # never exactly 0 or 1: the curve, not the clipping
CLASSES = 3  # of the one-hot rows of a categorical loss
BATCH = 4  # examples alike in each call
AGREE = 1e-4  # relative difference under which the student's loss is the right one at a point


def _categorical(asked: dict) -> bool | None:
    """Whether the graded calls pass one-hot rows (2-D labels), a flat label array, or neither."""
    first = next((c for c in asked.values() if isinstance(c, Call) and len(c.args) == 2), None)
    return None if first is None else np.ndim(first.args[0]) == 2


def _batch(label: int, p: float, categorical: bool) -> tuple:
    """BATCH examples alike: (labels, probabilities) as the graded calls pass them."""
    if categorical:
        rest = (1.0 - p) / (CLASSES - 1)
        return np.eye(CLASSES)[[0] * BATCH], np.array([[p] + [rest] * (CLASSES - 1)] * BATCH)
    return np.full(BATCH, float(label)), np.full(BATCH, p)


def probes(check, asked: dict) -> dict:
    categorical = _categorical(asked)
    if categorical is None:
        return {}
    labels = (1,) if categorical else (1, 0)
    return {f"y{label}_{i}": Call(check.function, _batch(label, float(p), categorical))
            for label in labels for i, p in enumerate(GRID)}


def collect(check, data: dict) -> dict:
    extra = data.get("extra") or {}
    series: dict[str, dict[str, list]] = {}
    raised = None
    categorical = False
    for key, call in extra.items():
        label, _, index = key[1:].partition("_")
        if label not in ("0", "1") or not index.isdigit() or int(index) >= len(GRID):
            continue
        categorical = categorical or np.ndim((call.get("args") or [None])[0]) == 2
        line = series.setdefault(label, {"got": [None] * len(GRID), "expected": [None] * len(GRID)})
        line["got"][int(index)] = number(call.get("got"))
        line["expected"][int(index)] = number(call.get("expected"))
        if call.get("raised") and raised is None:
            raised = call["raised"]
    kept = {"kind": data["kind"], "answer_is_content": False, "function": getattr(check, "function", check.name),
            "p": [float(p) for p in GRID], "categorical": categorical, "labels": dict(sorted(series.items(), reverse=True))}
    if raised:
        kept["raised"] = raised
    return kept


def _points(p: list, values: list) -> tuple[list, list]:
    pairs = [(x, v) for x, v in zip(p, values or []) if x is not None and v is not None]
    return [x for x, _ in pairs], [v for _, v in pairs]


def agrees(labels: dict) -> bool:
    """Whether the student's loss is the right one at every point of the grid."""
    pairs = [(g, e) for line in labels.values() for g, e in zip(line.get("got") or [], line.get("expected") or [])]
    return bool(pairs) and all(g is not None and e is not None and abs(g - e) <= AGREE * max(1.0, abs(e))
                               for g, e in pairs)


def draw(data: dict, ctx: Context):
    p, labels = data.get("p") or [], data.get("labels") or {}
    name = canvas.plain_text(data.get("function") or "loss", 30)
    mine = {label: _points(p, line.get("got")) for label, line in labels.items()}
    if not any(xs for xs, _ in mine.values()) and not data.get("raised"):
        raise NothingToDraw("no losses")
    if agrees(labels):
        raise NothingToDraw("the loss is right on the whole grid: its mistake is elsewhere")
    fig, axes = canvas.figure(width=3.0 * max(1, len(labels)) + 0.6, height=2.9, panels=max(1, len(labels)))
    for ax, (label, line) in zip(axes, labels.items()):
        if ctx.show_reference:
            xs, ys = _points(p, line.get("expected"))
            ax.plot(xs, ys, **canvas.RIGHT_STYLE, label=f"{canvas.RIGHT_LABEL} loss")
        xs, ys = mine[label]
        if xs:
            ax.plot(xs, ys, **(canvas.YOURS_STYLE | {"markersize": 3}), label=f"your {name}")
        if data.get("categorical"):
            ax.set_xlabel("probability given to the true class")
            ax.set_title(f"{BATCH} examples alike, three classes")
        else:
            ax.set_xlabel("p, the predicted probability of y = 1")
            ax.set_title(f"{BATCH} examples alike, y = {label}")
        ax.axhline(0.0, color=canvas.GREY, linestyle=":", linewidth=0.8)
        canvas.legend(ax)
    axes[0].set_ylabel("loss of the batch")
    if data.get("raised"):
        canvas.note(axes[0], f"your {name} raised {data['raised']}", y=0.08)
    return fig


KIND = Kind("loss_curve", draw, title="the loss against the predicted probability, yours against the right one",
            collect=collect, probes=probes)
