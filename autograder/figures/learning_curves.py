"""learning_curves: a validation curve with the epoch the student's rule stops at and the right one."""

from __future__ import annotations

from autograder.figures import canvas
from autograder.figures.kind import Context, Kind, NothingToDraw, number, numbers


def _case(data: dict) -> dict | None:
    """The first call that went wrong (else the first), with its curve and both stop epochs."""
    cases = [c for c in data.get("cases") or [] if numbers((c.get("args") or [None])[0])]
    wrong = [c for c in cases if number(c.get("got")) != number(c.get("expected"))]
    return (wrong or cases or [None])[0]


def draw(data: dict, ctx: Context):
    case = _case(data)
    if case is None:
        raise NothingToDraw("no curve")
    args = case["args"]
    curve = numbers(args[0])
    if curve is None:
        raise NothingToDraw("no curve")
    patience = number(args[1]) if len(args) > 1 else None
    got, right = number(case.get("got")), number(case.get("expected"))
    if got is None and not case.get("raised"):
        raise NothingToDraw("no epoch")
    fig, (ax,) = canvas.figure()
    epochs = list(range(1, len(curve) + 1))
    ax.plot(epochs, [float("nan") if v is None else v for v in curve], color=canvas.GREY, marker=".", linewidth=1.5,
            label="validation loss")
    if got is not None:
        ax.axvline(got, color=canvas.YOURS, linestyle="--", linewidth=2, label=f"your stop: epoch {got:g}")
    else:
        canvas.note(ax, f"your stop_epoch raised {case['raised']}", y=0.9)
    if ctx.show_reference and right is not None:
        ax.axvline(right, color=canvas.RIGHT, linestyle="-", linewidth=1.5, label=f"right stop: epoch {right:g}")
    ax.set_xlabel("epoch (counted from 1)")
    ax.set_ylabel("validation loss")
    ax.set_title("when EarlyStopping stops" + (f" (patience {patience:g})" if patience is not None else ""))
    canvas.legend(ax)
    return fig


KIND = Kind("learning_curves", draw, title="the validation curve with your stop epoch")
