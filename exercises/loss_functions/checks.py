"""Hidden checks of `loss_functions`: binary and categorical cross-entropy, and why not MSE.

Otter questions and the names they grade:
    q1_bce_by_hand        loss_a, loss_b, loss_c       -[y ln p + (1-y) ln(1-p)] of the three given pairs
    q2_best_worst         best_loss, worst_loss        p = y costs 0; p = 0 for y = 1 costs infinity
    q3_bce                bce(y, p)                    the mean over arrays, on the grader's arrays,
                                                       probabilities of exactly 0 and 1 included
    q4_categorical        categorical_crossentropy(y_onehot, probs)   likewise, one-hot rows
    q5_mse_on_sigmoid     grad_bce, grad_mse, mse_answer   the gradients with respect to z of a
                                                       confidently wrong neuron, and the reason

Every student may have their own pairs and z (a variant): the expected values and the typical
mistakes come from the student's numbers, `sol.for_student(key)`.
"""

import numpy as np

from autograder.exercises import load_solution
from autograder.judge import FunctionCheck, ValueCheck

sol = load_solution(__file__)

NOT_SAFE = ("the loss is not finite for probabilities of exactly 0 or 1: ln(0) is -infinity (and 0 * ln(0) "
            "is nan); clip p into [1e-7, 1 - 1e-7] with np.clip before taking the log")
LOG10 = "np.log10 was used; the cross-entropy uses the natural logarithm, np.log"
LOG2 = "np.log2 was used; the cross-entropy uses the natural logarithm, np.log"
MINUS = "the minus sign is missing: the loss is -[y ln p + (1-y) ln(1-p)], a positive number"
SUMMED = "the losses of the examples were added up; the loss of a batch is their mean"


def _in_log2(loss):
    """The same loss with np.log2 for np.log: every log divided by ln 2."""
    return lambda *args: loss(*args) / np.log(2)


def _cce_summed_down_the_columns(y_onehot, probs):
    """np.mean(-np.sum(y * ln q, axis=0)): the total over the rows divided by the number of classes."""
    return sol.categorical_crossentropy(y_onehot, probs) * np.shape(y_onehot)[0] / np.shape(y_onehot)[-1]


def _cce_mean_over_entries(y_onehot, probs):
    """np.mean(-y * ln q) over every entry: the mean over the rows divided by the number of classes."""
    return sol.categorical_crossentropy(y_onehot, probs) / np.shape(y_onehot)[-1]


# A safe loss may clip with another small constant than the notebook's 1e-7 (scikit-learn used
# 1e-15, some texts add eps inside the log): all are honest. Where a probability is exactly 0
# or 1 the value depends on that constant, so those calls accept any constant in this range.
EPS_RANGE = np.logspace(-16, -4, 49)


def _bce_with(eps, y, p):
    y, p = np.asarray(y, dtype=float), np.clip(np.asarray(p, dtype=float), eps, 1 - eps)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def _cce_with(eps, y_onehot, probs):
    probs = np.clip(np.asarray(probs, dtype=float), eps, 1 - eps)
    return float(np.mean(-np.sum(np.asarray(y_onehot, dtype=float) * np.log(probs), axis=-1)))


def _log_floored(q):
    """ln(q), never below -100: what torch's binary_cross_entropy does instead of clipping."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(q), -100.0)


def _bce_log_floored(y, p):
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    return float(np.mean(-(y * _log_floored(p) + (1 - y) * _log_floored(1 - p))))


def _cce_log_floored(y_onehot, probs):
    return float(np.mean(-np.sum(np.asarray(y_onehot, dtype=float) * _log_floored(np.asarray(probs, dtype=float)), axis=-1)))


class ClippedLossCheck(FunctionCheck):
    """A loss function judged exactly on ordinary probabilities, and within the values that
    clipping with any small constant gives where a probability is exactly 0 or 1, or equal to
    the value of a log kept above -100 (torch.nn.functional.binary_cross_entropy: also safe)."""

    def __init__(self, *args, loss_with, log_floored, **kwargs):
        super().__init__(*args, nonfinite_hint=NOT_SAFE, **kwargs)
        self.loss_with, self.log_floored = loss_with, log_floored

    def _judge_case(self, args, answer):
        probs = np.asarray(args[1], dtype=float)
        if not np.any((probs == 0) | (probs == 1)) or answer.raised:
            return super()._judge_case(args, answer)
        try:
            got = float(np.asarray(answer.value, dtype=float))
        except (TypeError, ValueError):
            return super()._judge_case(args, answer)
        values = [self.loss_with(eps, *args) for eps in EPS_RANGE]
        low, high = min(values) - self.atol, max(values) * (1 + self.rtol) + self.atol
        if np.isfinite(got) and (low <= got <= high or np.isclose(got, self.log_floored(*args), rtol=self.rtol, atol=self.atol)):
            return "value", True, "", []
        return super()._judge_case(args, answer)


def _labels_and_probabilities(rng):
    """Five arrays (y, p), fresh for every grading: moderate probabilities, and arrays holding
    probabilities of exactly 0 and 1, right (p = y) and wrong (p = 1 - y)."""
    cases = []
    for _ in range(2):
        n = int(rng.integers(4, 12))
        cases.append((rng.integers(0, 2, size=n).astype(float), np.round(rng.uniform(0.02, 0.98, size=n), 3)))
    n = int(rng.integers(4, 10))
    y = rng.integers(0, 2, size=n).astype(float)
    cases.append((y, y.copy()))  # perfect predictions: a loss of (almost) 0
    y = np.array([1.0, 0.0] + [float(v) for v in rng.integers(0, 2, size=3)])
    cases.append((y, np.concatenate([[0.0, 1.0], np.round(rng.uniform(0.1, 0.9, size=3), 3)])))  # sure and wrong
    y = np.array([1.0, 0.0, 1.0, 0.0])
    cases.append((y, np.array([1.0, 0.0, 0.5, 0.25])))
    return cases


def _one_hot_cases(rng):
    """Four batches (one-hot labels, probabilities whose rows sum to 1), fresh for every grading;
    two of them with probabilities of exactly 0 and 1."""
    cases = []
    for _ in range(2):
        n, k = int(rng.integers(3, 8)), int(rng.integers(3, 6))
        n += n == k  # as many rows as classes would hide a sum down the columns
        logits = rng.normal(0.0, 2.0, size=(n, k))
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        cases.append((np.eye(k)[rng.integers(0, k, size=n)], probs))
    k = int(rng.integers(3, 6))
    labels = rng.permutation(k)
    cases.append((np.eye(k)[labels], np.eye(k)[labels]))  # perfect and sure: zeros everywhere else
    wrong = np.eye(3)[[1, 2, 0]]
    cases.append((np.eye(3)[[0, 1, 2]], np.vstack([wrong[:2], [0.2, 0.3, 0.5]])))  # sure and wrong twice
    return cases


def _pair(pair: str) -> ValueCheck:
    key = f"LOSS_{pair.upper()}"
    return ValueCheck(
        f"loss_{pair}",
        var=f"loss_{pair}",
        expected=sol.for_student(key),
        description=f"the binary cross-entropy -[y ln p + (1-y) ln(1-p)] of pair ({pair}), with y = y_{pair} and p = p_{pair}",
        mistakes={
            LOG10: sol.for_student(f"{key}_LOG10"),
            LOG2: sol.for_student(lambda a: a[key] * (1 / np.log(2))),  # ln p / ln 2 is log2 p
            MINUS: sol.for_student(f"{key}_NEGATIVE"),
            "the term of the other label was used: for y = 1 the loss is -ln(p), for y = 0 it is -ln(1 - p)":
                sol.for_student(f"{key}_OTHER_LABEL"),
        },
    )


CHECKS = [
    _pair("a"),
    _pair("b"),
    _pair("c"),
    ValueCheck(
        "best_loss",
        expected=sol.BEST_LOSS,
        description="the loss of a perfect prediction, p = y",
        mistakes={"a perfect prediction (p = 1 for y = 1) costs -ln(1), and ln(1) is 0": 1.0},
    ),
    ValueCheck(
        "worst_loss",
        expected=sol.WORST_LOSS,
        description="the limit of the loss when the prediction is sure and wrong, p -> 0 for y = 1",
        mistakes={
            "the cross-entropy has no upper bound of 1: -ln(p) grows without limit as p goes to 0": 1.0,
            "this is -ln(1e-7), the value after clipping; clipping only protects the computation, "
            "the loss itself grows without limit (use np.inf)": -np.log(sol.EPS),
            MINUS: -np.inf,
        },
    ),
    ClippedLossCheck(
        "bce",
        cases=_labels_and_probabilities,
        reference=sol.bce,
        points=2.0,
        form="number",
        rtol=1e-5,
        atol=1e-6,  # a perfect batch costs about 1e-7 clipped, or -1e-7 with ln(p + eps): both honest
        description="the mean binary cross-entropy of those labels and probabilities, clipped into [1e-7, 1 - 1e-7]",
        loss_with=_bce_with,
        log_floored=_bce_log_floored,
        figure="loss_curve",
        mistakes={
            LOG10: sol.bce_log10,
            LOG2: _in_log2(sol.bce),
            SUMMED: sol.bce_sum,
            MINUS: sol.bce_without_minus,
            "only y ln(p) was kept: examples with y = 0 must cost -ln(1 - p)": sol.bce_only_positive_term,
            "the arguments are swapped: bce(y, p) takes the labels first, then the probabilities":
                sol.bce_arguments_swapped,
        },
    ),
    ClippedLossCheck(
        "categorical_crossentropy",
        cases=_one_hot_cases,
        reference=sol.categorical_crossentropy,
        points=2.0,
        form="number",
        rtol=1e-5,
        atol=1e-6,  # a perfect batch costs about 1e-7 clipped, or -1e-7 with ln(p + eps): both honest
        description="the mean over the rows of -sum_k y_k ln(q_k), probabilities clipped into [1e-7, 1 - 1e-7]",
        loss_with=_cce_with,
        log_floored=_cce_log_floored,
        figure="loss_curve",
        mistakes={
            SUMMED: sol.cce_sum,
            LOG10: sol.cce_log10,
            LOG2: _in_log2(sol.categorical_crossentropy),
            MINUS: sol.cce_without_minus,
            "the mean was taken over every entry (rows and classes); sum -y_k ln(q_k) over the classes of a row, "
            "then take the mean over the rows": _cce_mean_over_entries,
            "the sum went down the columns (axis=0, the examples); sum over the classes of each row, "
            "axis=1 (or -1), then take the mean over the rows": _cce_summed_down_the_columns,
            "the log of every class was added up; only the true class counts, -sum_k y_k ln(q_k)": sol.cce_all_classes,
            "this is the binary cross-entropy of every class on its own; with softmax outputs only "
            "-ln(q of the true class) counts": sol.cce_as_binary,
        },
    ),
    ValueCheck(
        "grad_bce",
        expected=sol.for_student("GRAD_BCE"),
        description="dL/dz of the cross-entropy at the given z, for y = 1: p - y",
        mistakes={
            "the sign is flipped: the gradient of the cross-entropy with respect to z is p - y": sol.for_student("GRAD_BCE_SIGN"),
            "this is dL/dp = -1/p; the question asks for the gradient with respect to z, p - y": sol.for_student("GRAD_BCE_WRT_P"),
            "p was given instead of the gradient p - y": sol.for_student("P_WRONG"),
        },
    ),
    ValueCheck(
        "grad_mse",
        expected=sol.for_student("GRAD_MSE"),
        description="d/dz of (sigmoid(z) - y)^2 at the given z, for y = 1, by the chain rule",
        mistakes={
            "the chain rule stopped at p: dp/dz = p (1 - p) must be multiplied in": sol.for_student("GRAD_MSE_NO_CHAIN"),
            "the factor 2 of d/dp (p - y)^2 = 2 (p - y) is missing": sol.for_student("GRAD_MSE_NO_TWO"),
            "the sign is flipped: 2 (p - y) p (1 - p) is negative when p < y": sol.for_student("GRAD_MSE_SIGN"),
            "this is the cross-entropy's gradient p - y, not the MSE's": sol.for_student("GRAD_BCE"),
        },
    ),
    ValueCheck(
        "mse_answer",
        expected=sol.MSE_CHOICE,
        form="text",
        description="the letter of the statement that explains why MSE on a sigmoid output learns badly",
        mistakes={
            "MSE can be computed on any numbers; compare your two gradients instead": "A",
            "the size of a loss does not matter, its gradient does; compare your two gradients": "C",
            "a sum of squares is never negative; compare your two gradients instead": "D",
        },
    ),
]


# Otter question -> the checks that grade it: the build gives each question the sum of their points
# and one hidden Otter test per check (autograder/build/hidden_tests.py).
QUESTIONS = {
    "q1_bce_by_hand": ["loss_a", "loss_b", "loss_c"],
    "q2_best_worst": ["best_loss", "worst_loss"],
    "q3_bce": ["bce"],
    "q4_categorical": ["categorical_crossentropy"],
    "q5_mse_on_sigmoid": ["grad_bce", "grad_mse", "mse_answer"],
}


def notebook_variant(given: dict) -> dict:
    """The notebook's own numbers, read from its given variables, for Otter's hidden tests (the
    grader reads them from the notebook's signed variant block instead)."""
    return {key: given[key] for key in ("ya", "pa", "yb", "pb", "yc", "pc", "z")}
