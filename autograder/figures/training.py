"""training: a timed training task as the grader measured it: the learning curve of the run, the
held-out metric against the course's thresholds, and the confusion matrix (a classification) or
predictions against the target (a regression) on held-out rows.

The trainer and the grader's evaluation know what no probe returns (the curve, the held-out
outputs), so the training check keeps this figure's data itself: `figure_data`, called where it
judges (autograder/judge/training.py).
"""

from __future__ import annotations

import numpy as np

from autograder.figures import canvas
from autograder.figures.collect import plain
from autograder.figures.kind import Context, Kind, NothingToDraw, number, numbers

PAIRS = 300  # held-out rows drawn for a regression
MAX_CLASSES = 20


def figure_data(*args) -> dict:
    """The figure's data from the held-out evaluation (plain JSON, small); never raises, so that
    no figure can fail a grade: a failure is a note, and the figure is left out with it."""
    try:
        return _figure_data(*args)
    except Exception as exc:  # noqa: BLE001
        return {"kind": "training", "note": f"the figure's data could not be collected ({type(exc).__name__})"}


def _figure_data(metric: str, value: float, lower_is_better: bool, tiers, outputs: np.ndarray, target: np.ndarray,
                 classes: int | None, from_logits: bool, loss_curve, val_loss_curve, info: dict) -> dict:
    data = {
        "kind": "training", "answer_is_content": False, "metric": metric, "value": plain(value),
        "lower_is_better": bool(lower_is_better),
        "tiers": [[plain(t.threshold), plain(t.points)] for t in tiers],
        "loss_curve": plain(list(loss_curve)[-200:]), "val_loss_curve": plain(list(val_loss_curve)[-200:]),
        "seconds": plain(info.get("seconds")), "budget_s": plain(info.get("budget_s")),
        "epochs_done": plain(info.get("epochs_done")), "device": str(info.get("device", ""))[:40],
    }
    outputs = np.asarray(outputs, dtype=float)
    target = np.asarray(target).reshape(-1)
    if metric == "mse":
        rows = np.random.default_rng(0).permutation(len(target))[:PAIRS]
        data["pairs"] = {"target": plain(target[rows].astype(float)), "predicted": plain(outputs[rows, 0])}
    elif classes and classes <= MAX_CLASSES:
        if outputs.shape[1] == 1:
            labels = (outputs[:, 0] > (0.0 if from_logits else 0.5)).astype(int)
        else:
            labels = np.argmax(outputs, axis=1)
        matrix = np.zeros((classes, classes), dtype=int)
        truth = target.astype(int)
        ok = (truth >= 0) & (truth < classes) & (labels >= 0) & (labels < classes)
        np.add.at(matrix, (truth[ok], labels[ok]), 1)
        data["confusion"] = matrix.tolist()
    return data


def _curve(ax, data: dict) -> None:
    loss, val = numbers(data.get("loss_curve")) or [], numbers(data.get("val_loss_curve")) or []
    if not loss and not val:
        canvas.note(ax, "no learning curve was recorded")
        return
    if loss:
        ax.plot(range(1, len(loss) + 1), [np.nan if v is None else v for v in loss], color=canvas.YOURS,
                marker="o", markersize=3, linestyle="--", label="training loss")
    if val:
        ax.plot(range(1, len(val) + 1), [np.nan if v is None else v for v in val], color=canvas.CLASS_A,
                marker="s", markersize=3, linestyle="-", label="validation loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    seconds = number(data.get("seconds"))
    ax.set_title("learning curve" + (f" ({seconds:.1f} s)" if seconds is not None else ""))
    canvas.legend(ax)


def _metric(ax, data: dict) -> None:
    value = number(data.get("value"))
    tiers = [(number(t[0]), number(t[1])) for t in data.get("tiers") or [] if isinstance(t, list) and len(t) == 2]
    metric = canvas.plain_text(data.get("metric") or "metric", 20)
    ax.bar([0], [value or 0.0], width=0.5, color=canvas.YOURS, hatch="//", edgecolor="white",
           label=f"your held-out {metric}: {value:.4g}" if value is not None else "no value")
    for threshold, points in tiers:
        if threshold is not None:
            ax.axhline(threshold, color=canvas.OTHER, linestyle=":", linewidth=1)
            ax.text(0.42, threshold, f"{points:g} pts" if points is not None else "", fontsize=6,
                    color=canvas.OTHER, va="bottom")
    ax.set_xticks([])
    ax.set_xlim(-0.5, 0.7)
    top = max([value or 0.0] + [t for t, _ in tiers if t is not None])
    ax.set_ylim(0, top * 1.15 if top > 0 else 1)
    ax.set_ylabel(f"held-out {metric}")
    ax.set_title("against the thresholds")
    canvas.legend(ax)


def _confusion(ax, matrix: list) -> None:
    array = np.asarray(matrix, dtype=float)
    ax.imshow(array, cmap="cividis")  # cividis: readable with every colour-vision deficiency
    n = array.shape[0]
    if n <= 10:
        for i in range(n):
            for j in range(n):
                ax.text(j, i, f"{int(array[i, j])}", ha="center", va="center", fontsize=6,
                        color="white" if array[i, j] < array.max() / 2 else "black")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title("held-out confusion matrix")


def _pairs(ax, pairs: dict) -> None:
    target, predicted = numbers(pairs.get("target")) or [], numbers(pairs.get("predicted")) or []
    kept = [(t, p) for t, p in zip(target, predicted) if t is not None and p is not None]
    if not kept:
        canvas.note(ax, "no predictions")
        return
    low, high = min(min(k) for k in kept), max(max(k) for k in kept)
    ax.plot([low, high], [low, high], **canvas.RIGHT_STYLE, label="prediction = target")
    ax.scatter([k[0] for k in kept], [k[1] for k in kept], s=6, color=canvas.YOURS, alpha=0.6, label="held-out rows")
    ax.set_xlabel("target y")
    ax.set_ylabel("your model's prediction")
    ax.set_title("predictions against the target")
    canvas.legend(ax)


def draw(data: dict, ctx: Context):
    if number(data.get("value")) is None and not data.get("loss_curve"):
        raise NothingToDraw("no training")
    third = "confusion" if data.get("confusion") else ("pairs" if data.get("pairs") else None)
    panels = 3 if third else 2
    fig, axes = canvas.figure(width=3.0 * panels, height=2.9, panels=panels)
    _curve(axes[0], data)
    _metric(axes[1], data)
    if third == "confusion":
        _confusion(axes[2], data["confusion"])
    elif third == "pairs":
        _pairs(axes[2], data["pairs"])
    return fig


KIND = Kind("training", draw, title="your training run, as the grader measured it", always=True)
