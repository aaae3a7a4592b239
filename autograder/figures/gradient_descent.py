"""gradient_descent: the loss over the student's training loop against the reference's.

The figure asks the student's `train_logistic` for the weights after 0, ..., `epochs` steps of
the first training case (extra calls, asked after every graded probe), and the loss of each
pair is computed here, on that case's data, as the reference's is.
"""

from __future__ import annotations

import numpy as np

from autograder.figures import canvas
from autograder.figures.kind import Context, Kind, NothingToDraw
from autograder.probe.requests import Call

STEPS = 7  # points on the curve


def probes(check, asked: dict) -> dict:
    first = next((c for c in asked.values() if isinstance(c, Call) and len(c.args) == 4), None)
    if first is None:
        return {}
    X, y, lr, epochs = first.args
    counts = sorted({int(round(k)) for k in np.linspace(0, int(epochs), STEPS)})
    return {f"epochs_{k}": Call(check.function, (X, y, lr, k)) for k in counts}


def loss(X, y, pair) -> float | None:
    """The mean cross-entropy of (w, b) on (X, y), or None for a pair that is not one."""
    try:
        w = np.asarray(pair[0], dtype=float).reshape(-1)
        b = float(np.asarray(pair[1], dtype=float).reshape(-1)[0])
        if not (np.all(np.isfinite(w)) and np.isfinite(b)):
            return None
        with np.errstate(all="ignore"):
            p = np.clip(1 / (1 + np.exp(-(X @ w + b))), 1e-12, 1 - 1e-12)
            value = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return value if np.isfinite(value) else None


def collect(check, data: dict) -> dict:
    rows = []
    for key, call in (data.get("extra") or {}).items():
        args = call.get("args") or []
        if len(args) != 4 or args[0] is None or args[1] is None:
            continue
        X, y = np.asarray(args[0], dtype=float), np.asarray(args[1], dtype=float)
        rows.append((int(args[3]), loss(X, y, call.get("got")) if call.get("got") is not None else None,
                     loss(X, y, call.get("expected")) if call.get("expected") is not None else None,
                     float(args[2])))
    rows.sort()
    return {"kind": data["kind"], "answer_is_content": False, "function": getattr(check, "function", check.name),
            "epochs": [r[0] for r in rows], "got": [r[1] for r in rows], "expected": [r[2] for r in rows],
            "lr": rows[0][3] if rows else None}


def draw(data: dict, ctx: Context):
    epochs, got, expected = data.get("epochs") or [], data.get("got") or [], data.get("expected") or []
    mine = [(e, v) for e, v in zip(epochs, got) if v is not None]
    if not mine:
        raise NothingToDraw("no loss")
    fig, (ax,) = canvas.figure()
    if ctx.show_reference:
        right = [(e, v) for e, v in zip(epochs, expected) if v is not None]
        ax.plot([e for e, _ in right], [v for _, v in right], **canvas.RIGHT_STYLE, label="the reference's loop")
    ax.plot([e for e, _ in mine], [v for _, v in mine], **canvas.YOURS_STYLE, label="your loop")
    lr = data.get("lr")
    ax.set_xlabel("epochs (steps of gradient descent)")
    ax.set_ylabel("mean cross-entropy")
    ax.set_title("loss after each number of epochs" + (f" (lr = {lr:g})" if isinstance(lr, (int, float)) else ""))
    canvas.legend(ax)
    return fig


KIND = Kind("gradient_descent", draw, title="the loss over your training loop", collect=collect, probes=probes)
