"""Softmax: from a network's K outputs (logits) to K class probabilities.

    softmax(z)_k = exp(z_k) / sum_j exp(z_j)

Every probability is positive and they sum to 1. exp overflows for large logits
(np.exp(1000) is inf, and inf / inf is nan), so a stable softmax first subtracts the
largest logit of each row: softmax(z - c) = softmax(z) for any constant c, and after the
shift the largest exponent is exp(0) = 1.

The predicted class is the one with the highest probability (argmax along the classes).

Labels come in two forms: sparse integer labels (2 for the third class) or one-hot rows
([0, 0, 1]). Keras has a loss for each: `sparse_categorical_crossentropy` for integer labels,
`categorical_crossentropy` for one-hot labels; both compute the mean of -ln(probability of
the true class).
"""

import numpy as np

# A batch of four examples with three classes each, and their true (sparse) labels. The
# third example's label is not its most probable class: the model is wrong there.
DEFAULT_VARIANT = {
    "logits": [[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [1.2, 0.4, 3.0], [-1.0, 0.0, 0.5]],
    "labels": [0, 1, 0, 2],
}

# The Keras losses (question 4), as letters of the multiple choice.
LOSS_CHOICES = {
    "A": "binary_crossentropy",
    "B": "categorical_crossentropy",
    "C": "sparse_categorical_crossentropy",
    "D": "mean_squared_error",
}
LOSS_FOR_INTEGER_LABELS = "C"
LOSS_FOR_ONE_HOT_LABELS = "B"


def softmax(logits):
    """Class probabilities along the last axis, stable for large logits."""
    z = np.asarray(logits, dtype=float)
    shifted = z - np.max(z, axis=-1, keepdims=True)  # the largest exponent becomes exp(0) = 1
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def predict_classes(probs):
    """The index of the most probable class of every row."""
    return np.argmax(np.asarray(probs), axis=-1)


def to_one_hot(labels, num_classes):
    """One row per label, with a 1 in the label's column and 0 elsewhere."""
    return np.eye(num_classes)[np.asarray(labels, dtype=int)]


def sparse_crossentropy(labels, probs):
    """The mean of -ln(probability of the true class) over the batch."""
    probs = np.asarray(probs, dtype=float)
    return float(np.mean(-np.log(probs[np.arange(len(probs)), np.asarray(labels, dtype=int)])))


# --------------------------------------------------------------------------- typical mistakes


def softmax_over_batch_axis(logits):
    """Normalised down the columns (axis 0): every class sums to 1 over the batch."""
    z = np.asarray(logits, dtype=float)
    if z.ndim < 2:
        return softmax(z)
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_not_normalised(logits):
    with np.errstate(over="ignore"):  # overflows for large logits, as the student's would
        return np.exp(np.asarray(logits, dtype=float))


def softmax_whole_batch(logits):
    """One normalisation over every number of the batch: the whole batch sums to 1."""
    z = np.asarray(logits, dtype=float)
    e = np.exp(z - z.max())
    return e / e.sum()


def softmax_of_logits_share(logits):
    """z / sum(z): the logits divided by their sum, without exp."""
    z = np.asarray(logits, dtype=float)
    return z / np.sum(z, axis=-1, keepdims=True)


def sigmoid_each(logits):
    """The sigmoid of every logit on its own: no competition between the classes."""
    with np.errstate(over="ignore"):  # exp(1000) is inf, and 1 / inf is the right 0
        return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=float)))


def classes_over_batch_axis(probs):
    return np.argmax(np.asarray(probs), axis=0)


def classes_from_one(probs):
    return predict_classes(probs) + 1


def highest_probabilities(probs):
    return np.max(np.asarray(probs, dtype=float), axis=-1)


def one_hot_transposed(labels, num_classes):
    return to_one_hot(labels, num_classes).T


def one_hot_shifted(labels, num_classes):
    """Labels counted from 1: the 1 one column too far to the left."""
    return np.eye(num_classes)[(np.asarray(labels, dtype=int) - 1) % num_classes]


# --------------------------------------------------------------------------- the variants


def expected(params=None) -> dict:
    """Every value the checks compare, or name as a mistake, for the variant `params`."""
    v = params or DEFAULT_VARIANT
    logits, labels = np.array(v["logits"], dtype=float), np.array(v["labels"])
    probs = softmax(logits)
    classes = predict_classes(probs)
    k = logits.shape[1]
    rows = np.arange(len(labels))
    return {
        "PROBS": probs,
        "CLASSES": classes,
        "ONE_HOT": to_one_hot(labels, k),
        "BATCH_LOSS": sparse_crossentropy(labels, probs),
        # Typical mistakes, used by the hidden checks to name a hint.
        "PROBS_BATCH_AXIS": softmax_over_batch_axis(logits),
        "PROBS_NOT_NORMALISED": softmax_not_normalised(logits),
        "PROBS_WHOLE_BATCH": softmax_whole_batch(logits),
        "PROBS_SIGMOID": sigmoid_each(logits),
        "CLASSES_FROM_ONE": classes + 1,
        "CLASSES_MAX_PROB": highest_probabilities(probs),
        "CLASSES_OF_LOGITS_MIN": np.argmin(logits, axis=1),
        "ONE_HOT_OF_PREDICTIONS": to_one_hot(classes, k),
        "ONE_HOT_SHIFTED": one_hot_shifted(labels, k),
        "LOSS_OF_PREDICTIONS": sparse_crossentropy(classes, probs),
        "LOSS_SUMMED": sparse_crossentropy(labels, probs) * len(labels),
        "LOSS_LOG10": float(np.mean(-np.log10(probs[rows, labels]))),
        "LOSS_NEGATIVE": -sparse_crossentropy(labels, probs),
        "LOSS_OF_LOGITS": float(np.mean(-logits[rows, labels])),
    }


def draw_variant(rng) -> dict:
    """A batch of four rows of three or four logits with one decimal, each row with a clear
    winner (its top probability at least 0.1 above the next), labels that the model gets right
    for most rows but not for all, and every typical mistake a distinct number."""
    while True:
        k = int(rng.integers(3, 5))
        logits = np.round(rng.uniform(-2.0, 3.5, size=(4, k)), 1)
        probs = softmax(logits)
        top = np.sort(probs, axis=1)
        if np.any(top[:, -1] - top[:, -2] < 0.1):
            continue
        classes = predict_classes(probs)
        labels = classes.copy()
        wrong = int(rng.integers(0, 4))
        labels[wrong] = (classes[wrong] + int(rng.integers(1, k))) % k
        params = {"logits": logits.tolist(), "labels": [int(v) for v in labels]}
        a = expected(params)
        losses = [round(a[key], 4) for key in ("BATCH_LOSS", "LOSS_OF_PREDICTIONS", "LOSS_SUMMED", "LOSS_LOG10")]
        if len(set(losses)) == len(losses) and len(set(classes.tolist())) > 1:
            return params


# The default variant, as constants.
_DEFAULT = expected()
# Row 1: exp(2.0), exp(1.0), exp(0.1) = 7.389, 2.718, 1.105; sum 11.212: (0.6590, 0.2424, 0.0986)
PROBS = _DEFAULT["PROBS"]
CLASSES = _DEFAULT["CLASSES"]  # [0, 1, 2, 2]
ONE_HOT = _DEFAULT["ONE_HOT"]
# -mean(ln 0.6590, ln 0.8025, ln 0.1334, ln 0.5465) = 0.8140
BATCH_LOSS = _DEFAULT["BATCH_LOSS"]


if __name__ == "__main__":
    print(f"probabilities:\n{PROBS.round(4)}\nclasses: {CLASSES}, batch loss: {BATCH_LOSS:.4f}")
