"""Typical week-1 mistakes in `loss_functions`, with the hints they should get
(judged by `autograder coverage` and tests/exercises/test_mistakes.py)."""

from autograder.judge.mistakes import Mistake

MISTAKES = [
    Mistake("the base-10 logarithm everywhere",
            edits={"np.log(": "np.log10("},
            expect={"loss_a": "np.log10", "loss_b": "np.log10", "loss_c": "np.log10", "bce": "np.log10",
                    "categorical_crossentropy": "np.log10"}),
    Mistake("the base-2 logarithm everywhere",
            edits={"np.log(": "np.log2("},
            expect={"loss_a": "np.log2", "loss_b": "np.log2", "loss_c": "np.log2", "bce": "np.log2",
                    "categorical_crossentropy": "np.log2"}),
    Mistake("the minus sign of the loss by hand forgotten",
            edits={"loss_a = -(": "loss_a = ("},
            expect={"loss_a": "minus sign"}),
    Mistake("the worst loss bounded by 1",
            edits={"worst_loss = np.inf": "worst_loss = 1.0"},
            expect={"worst_loss": "no upper bound"}),
    Mistake("no clipping in bce",
            edits={"p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)": "p = np.asarray(p, dtype=float)"},
            expect={"bce": "clip p"}),
    Mistake("the losses of a batch added up",
            edits={"return np.mean(-(y * np.log(p)": "return np.sum(-(y * np.log(p)"},
            expect={"bce": "added up"}),
    Mistake("the categorical mean over every entry",
            edits={"np.mean(-np.sum(y_onehot * np.log(probs), axis=1))": "np.mean(-y_onehot * np.log(probs))"},
            expect={"categorical_crossentropy": "mean was taken over every entry"}),
    Mistake("the gradient's sign flipped",
            edits={"grad_bce = p_wrong - y": "grad_bce = y - p_wrong"},
            expect={"grad_bce": "sign is flipped"}),
    Mistake("the chain rule stopped at p",
            edits={"grad_mse = 2 * (p_wrong - y) * p_wrong * (1 - p_wrong)": "grad_mse = 2 * (p_wrong - y)"},
            expect={"grad_mse": "chain rule"}),
]
