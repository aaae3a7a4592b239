"""Held-out mistakes of `loss_functions` (see exercises/softmax/held_out.py for what they are for)."""

from autograder.judge.mistakes import Mistake

MISTAKES = [
    Mistake("p and 1 - p swapped in loss_a",
            edits={"loss_a = -(ya * np.log(pa) + (1 - ya) * np.log(1 - pa))": "loss_a = -(ya * np.log(1 - pa) + (1 - ya) * np.log(pa))"},
            expect={"loss_a": "1 - p"}),
    Mistake("bce without its minus sign",
            edits={"return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))": "return np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))"},
            expect={"bce": "sign"}),
    Mistake("the categorical sum down the columns",
            edits={"np.sum(y_onehot * np.log(probs), axis=1)": "np.sum(y_onehot * np.log(probs), axis=0)"},
            expect={"categorical_crossentropy": "axis"}),
    Mistake("no clipping in the categorical loss",
            edits={"probs = np.clip(np.asarray(probs, dtype=float), EPS, 1 - EPS)": "probs = np.asarray(probs, dtype=float)"},
            expect={"categorical_crossentropy": "0"}),
    Mistake("the factor 2 of the squared error forgotten",
            edits={"grad_mse = 2 * (p_wrong - y) * p_wrong * (1 - p_wrong)": "grad_mse = (p_wrong - y) * p_wrong * (1 - p_wrong)"},
            expect={"grad_mse": "2"}),
    Mistake("grad_bce with its sign flipped",
            edits={"grad_bce = p_wrong - y": "grad_bce = y - p_wrong"},
            expect={"grad_bce": "sign"}),
    Mistake("-ln p for a note with y = 0",
            edits={"loss_c = -(yc * np.log(pc) + (1 - yc) * np.log(1 - pc))": "loss_c = -np.log(pc)"},
            expect={"loss_c": "1 - p"}),
    Mistake("the categorical loss summed over the rows",
            edits={"return np.mean(-np.sum(y_onehot * np.log(probs), axis=1))": "return np.sum(-np.sum(y_onehot * np.log(probs), axis=1))"},
            expect={"categorical_crossentropy": "mean"}),
    # Written on 2026-12-07 after the derived hints of that day, before they were judged: a fresh measure.
    Mistake("ln p in both terms of bce",
            edits={"return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))":
                   "return np.mean(-(y * np.log(p) + (1 - y) * np.log(p)))"},
            expect={"bce": "1 - p"}),
]
