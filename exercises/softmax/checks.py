"""Hidden checks of `softmax`: a stable softmax, predicted classes, sparse and one-hot labels.

Otter questions and the names they grade:
    q1_softmax         softmax(logits)      on the grader's vectors and batches, large logits included
    q2_classes         probs, classes, predict_classes(probs)    the given batch, and the grader's
    q3_one_hot         to_one_hot(labels, num_classes), labels_one_hot
    q4_keras_losses    batch_loss, loss_for_integer_labels, loss_for_one_hot_labels

Every student may have their own batch of logits and labels (a variant): the expected values and
the typical mistakes come from the student's numbers, `sol.for_student(key)`.
"""

import numpy as np

from autograder.exercises import load_solution
from autograder.judge import FunctionCheck, Upstream, ValueCheck
from autograder.probe.requests import Var

sol = load_solution(__file__)

NOT_STABLE = ("the result is not finite for large logits: np.exp(1000) overflows to inf (and inf / inf is nan); "
              "subtract each row's own largest logit before np.exp, z - np.max(z, axis=-1, keepdims=True)")
BATCH_AXIS = ("the batch was normalised along the wrong axis: each row (one example) must sum to 1; "
              "use axis=-1 (the classes) with keepdims=True")
INTEGER_LOSS = "sparse_categorical_crossentropy (C) takes integer labels; categorical_crossentropy (B) takes one-hot rows"


CLASSES_FROM_ONE = "classes are counted from 0 in numpy and Keras: np.argmax gives the index"
DOWN_THE_COLUMNS = "np.argmax went down the columns; the classes lie along the last axis, axis=-1"
LOSS_SUMMED = "the losses were added up; the loss of a batch is their mean"
LOSS_LOG10 = "np.log10 was used; the cross-entropy uses the natural logarithm, np.log"
TRUE_CLASS_ONLY = "only the probability of the true class counts: -ln(probs[i, labels[i]]), averaged over the examples"


def _given_labels() -> np.ndarray:
    """The notebook's labels, for the student's variant."""
    return np.asarray(sol.student_numbers()["labels"], dtype=int)


def _true_class_losses(probs) -> np.ndarray:
    """-ln(probs[i, labels[i]]) of every example (natural log)."""
    probs = np.asarray(probs, dtype=float)
    return -np.log(probs[np.arange(len(_given_labels())), _given_labels()])


# classes and batch_loss are judged against the student's own probs too: the right rule applied to
# wrong probabilities is told so, not blamed for a mistake of its own.
def _classes_from_probs():
    return Upstream(
        probes={"probs": Var("probs")},
        forms={"probs": "array"},
        rule=lambda probs: np.argmax(probs, axis=-1),
        hint="classes = np.argmax(probs, axis=-1) is right for your probs, but probs is not right (see its check)",
        mistakes={CLASSES_FROM_ONE: lambda probs: np.argmax(probs, axis=-1) + 1,
                  DOWN_THE_COLUMNS: lambda probs: np.argmax(probs, axis=0)},
    )


def _batch_loss_from_probs():
    return Upstream(
        probes={"probs": Var("probs")},
        forms={"probs": "array"},
        rule=lambda probs: float(np.mean(_true_class_losses(probs))),
        hint="batch_loss is right for your probs, but probs is not right (see its check)",
        mistakes={LOSS_SUMMED: lambda probs: float(np.sum(_true_class_losses(probs))),
                  LOSS_LOG10: lambda probs: float(np.mean(_true_class_losses(probs))) / np.log(10)},
    )


def _one_hot_of_largest_label(labels, num_classes):
    """The number of columns taken from the labels (largest label + 1), not num_classes."""
    labels = np.asarray(labels, dtype=int)
    return np.eye(int(labels.max()) + 1)[labels]


def _float32_exact(logits):
    """Large logits in steps of 1/16, which float32 holds exactly: a softmax computed in float32
    (torch's and Keras' default) is then as exact as the check's tolerance asks. Rounded to
    3 decimals instead, float32 would move a logit near 1000 by up to 3e-5, and its
    probabilities by as much, relatively: an honest softmax would fail on its input's rounding."""
    return np.round(np.asarray(logits) * 16.0) / 16.0


def _logits(rng):
    """Six inputs, fresh for every grading: a vector and a batch of moderate logits, a vector
    around +1000 and one around -1000, a batch whose rows lie far apart (one row's maximum does
    not work for another), and a batch of one row."""
    n, k = int(rng.integers(3, 7)), int(rng.integers(2, 6))
    if n == k:
        n += 1  # rows and classes differ, so that the wrong axis shows
    far = np.vstack([rng.normal(0.0, 2.0, size=k) + offset for offset in (900.0, 0.0, -900.0)])
    return [
        (np.round(rng.normal(0.0, 3.0, size=int(rng.integers(3, 8))), 3),),
        (np.round(rng.normal(0.0, 3.0, size=(n, k)), 3),),
        (_float32_exact(1000.0 + rng.normal(0.0, 3.0, size=4)),),
        (_float32_exact(-1000.0 + rng.normal(0.0, 3.0, size=4)),),
        (_float32_exact(far),),
        (np.round(rng.normal(0.0, 5.0, size=(1, k)), 3),),
    ]


def _probabilities(rng):
    """Three batches of probabilities with a clear winner per row; rows and classes differ."""
    cases = []
    for n, k in ((int(rng.integers(2, 4)), 4), (5, int(rng.integers(2, 4))), (int(rng.integers(6, 9)), 5)):
        logits = rng.normal(0.0, 3.0, size=(n, k))
        logits[np.arange(n), rng.integers(0, k, size=n)] += 4.0
        cases.append((sol.softmax(logits),))
    return cases


def _labels(rng):
    """Three label arrays with their number of classes; some class never occurs in the labels,
    and there are more labels than classes in one case and fewer in another."""
    return [
        (rng.integers(0, 3, size=int(rng.integers(5, 9))), 4),
        (rng.integers(0, 6, size=3), 7),
        (np.array([int(rng.integers(0, 2))]), 2),
    ]


def _letter(name, var, expected, description, mistakes):
    return ValueCheck(name, var=var, expected=expected, form="text", points=0.5, description=description,
                      mistakes=mistakes)


CHECKS = [
    FunctionCheck(
        "softmax",
        cases=_logits,
        reference=sol.softmax,
        points=2.0,
        figure="softmax",
        description="the probabilities exp(z_k) / sum_j exp(z_j) along the last axis, each row summing to 1",
        nonfinite_hint=NOT_STABLE,
        raised_hints={
            "AxisError": "a vector (one example) has only axis 0: use axis=-1, the last axis, so that the same "
                         "code works on a vector and on a batch",
            "could not be broadcast": "each row's maximum and sum must keep their axis to be taken from that "
                                      "row: keepdims=True (or [:, None])",
        },
        mistakes={
            BATCH_AXIS: sol.softmax_over_batch_axis,
            "the exponentials were not divided by their sum: probabilities must add up to 1": sol.softmax_not_normalised,
            "the whole batch was normalised at once; each row (example) must sum to 1 on its own": sol.softmax_whole_batch,
            "exp is missing: softmax divides exp(z_k) by the sum of the exponentials, not z_k by the sum of logits":
                sol.softmax_of_logits_share,
            "this is the sigmoid of each logit; softmax makes the classes share a total probability of 1":
                sol.sigmoid_each,
        },
    ),
    ValueCheck(
        "probs",
        expected=sol.for_student("PROBS"),
        form="array",
        description="softmax(logits) of the given batch: one row of class probabilities per example",
        figure="softmax",
        mistakes={
            BATCH_AXIS: sol.for_student("PROBS_BATCH_AXIS"),
            "the exponentials were not divided by their sum": sol.for_student("PROBS_NOT_NORMALISED"),
            "the whole batch was normalised at once; each row must sum to 1": sol.for_student("PROBS_WHOLE_BATCH"),
            "this is the sigmoid of each logit, not the softmax": sol.for_student("PROBS_SIGMOID"),
        },
    ),
    ValueCheck(
        "classes",
        expected=sol.for_student("CLASSES"),
        form="array",
        description="the predicted class (0, 1, 2, ...) of every example of the batch",
        mistakes={
            CLASSES_FROM_ONE: sol.for_student("CLASSES_FROM_ONE"),
            "these are the highest probabilities; the class is their index, np.argmax": sol.for_student("CLASSES_MAX_PROB"),
            "np.argmin gives the least probable class; the prediction is the most probable one": sol.for_student("CLASSES_OF_LOGITS_MIN"),
            DOWN_THE_COLUMNS: sol.for_student(lambda a: np.argmax(a["PROBS"], axis=0)),
        },
        upstream=_classes_from_probs(),
    ),
    FunctionCheck(
        "predict_classes",
        cases=_probabilities,
        reference=sol.predict_classes,
        description="the index of the most probable class of every row",
        mistakes={
            "np.argmax went down the columns; the classes lie along the last axis, axis=-1": sol.classes_over_batch_axis,
            "classes are counted from 0: np.argmax gives the index": sol.classes_from_one,
            "these are the highest probabilities; the class is their index, np.argmax": sol.highest_probabilities,
        },
    ),
    FunctionCheck(
        "to_one_hot",
        cases=_labels,
        reference=sol.to_one_hot,
        description="one row per label, with a 1 in the label's column and 0 in the other num_classes - 1",
        mistakes={
            "one row per label, one column per class: the result is transposed": sol.one_hot_transposed,
            "the 1 is one column off: label 0 goes into column 0": sol.one_hot_shifted,
            "the number of columns is num_classes, not the largest label + 1: a class may be missing from the labels":
                _one_hot_of_largest_label,
        },
    ),
    ValueCheck(
        "labels_one_hot",
        expected=sol.for_student("ONE_HOT"),
        form="array",
        description="the one-hot rows of the given labels, one column per class",
        mistakes={
            "these are the one-hot rows of the predicted classes; one-hot encode the true labels": sol.for_student("ONE_HOT_OF_PREDICTIONS"),
            "the 1 is one column off: label 0 goes into column 0": sol.for_student("ONE_HOT_SHIFTED"),
        },
    ),
    ValueCheck(
        "batch_loss",
        expected=sol.for_student("BATCH_LOSS"),
        description="the mean over the batch of -ln(probability of the true class)",
        mistakes={
            "the predicted classes were used; the loss takes the probability of the true label": sol.for_student("LOSS_OF_PREDICTIONS"),
            LOSS_SUMMED: sol.for_student("LOSS_SUMMED"),
            LOSS_LOG10: sol.for_student("LOSS_LOG10"),
            "the minus sign is missing: -ln of a probability is positive": sol.for_student("LOSS_NEGATIVE"),
            "the logits were used; the loss takes -ln of the softmax probabilities": sol.for_student("LOSS_OF_LOGITS"),
            "np.log2 was used; the cross-entropy uses the natural logarithm, np.log":
                sol.for_student(lambda a: a["BATCH_LOSS"] / np.log(2)),
            "the mean of -ln over every class was taken; " + TRUE_CLASS_ONLY:
                sol.for_student(lambda a: float(np.mean(-np.log(a["PROBS"])))),
            "the -ln of all classes of a row were added up; " + TRUE_CLASS_ONLY:
                sol.for_student(lambda a: float(np.mean(-np.sum(np.log(a["PROBS"]), axis=-1)))),
            "the mean was taken over every entry of the one-hot rows (examples and classes); only the true "
            "class counts: -ln(probs[i, labels[i]]), averaged over the examples":
                sol.for_student(lambda a: a["BATCH_LOSS"] / np.shape(a["PROBS"])[1]),
            ("probs[:, labels] takes, for every row, the columns of all the labels (a table of n x n "
             "probabilities); take one per row, the true class's: probs[np.arange(n), labels]"):
                sol.for_student(lambda a: float(np.mean(-np.log(np.asarray(a["PROBS"])[:, _given_labels()])))),
        },
        upstream=_batch_loss_from_probs(),
    ),
    _letter("loss_for_integer_labels", "loss_for_integer_labels", sol.LOSS_FOR_INTEGER_LABELS,
            "the letter of the Keras loss for integer (sparse) labels",
            {INTEGER_LOSS: "B",
             "binary_crossentropy is for one yes/no output (a sigmoid), not for a softmax over classes": "A",
             "mean_squared_error is a regression loss": "D"}),
    _letter("loss_for_one_hot_labels", "loss_for_one_hot_labels", sol.LOSS_FOR_ONE_HOT_LABELS,
            "the letter of the Keras loss for one-hot labels",
            {INTEGER_LOSS: "C",
             "binary_crossentropy is for one yes/no output (a sigmoid), not for a softmax over classes": "A",
             "mean_squared_error is a regression loss": "D"}),
]


# Otter question -> the checks that grade it: the build gives each question the sum of their points
# and one hidden Otter test per check (autograder/build/hidden_tests.py).
QUESTIONS = {
    "q1_softmax": ["softmax"],
    "q2_classes": ["probs", "classes", "predict_classes"],
    "q3_one_hot": ["to_one_hot", "labels_one_hot"],
    "q4_keras_losses": ["batch_loss", "loss_for_integer_labels", "loss_for_one_hot_labels"],
}


def notebook_variant(given: dict) -> dict:
    """The notebook's own numbers, read from its given variables, for Otter's hidden tests (the
    grader reads them from the notebook's signed variant block instead)."""
    return {"logits": given["logits"], "labels": given["labels"]}
