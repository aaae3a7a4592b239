"""Reading learning curves: when to stop training, under- and over-fitting, validation_split.

`model.fit(..., validation_split=0.2)` returns a History whose `.history` dict holds one number
per epoch: "loss" on the training rows and "val_loss" on the validation rows. Epochs are
counted from 1, as Keras prints them ("Epoch 12/40").

* **When should one interrupt training?** When the validation loss stops falling: the best
  model is the one of the epoch with the lowest validation loss. Keras' EarlyStopping callback
  (monitor="val_loss", patience=p) stops once the validation loss has not improved on its best
  value for p epochs in a row: after epoch best + p.
* **Under-fitting**: both losses stay high (near ln 2 = 0.69, the loss of guessing 50/50 for
  two classes); the model is too simple or trained too briefly.
  **Good fit**: both fall and level off, the validation loss a little above the training loss.
  **Over-fitting**: the training loss keeps falling while the validation loss rises again after
  its minimum: the model learns the training rows by heart.
* **validation_split = s**: Keras keeps the *last* rows of x and y apart, before any shuffling,
  and trains on the first floor(n * (1 - s)) rows only; val_loss is the loss on the kept rows.

The curves are made here, deterministically from a student's seed (a variant): a history of
40 epochs that over-fits, and three curves A, B, C, one of each kind in the student's order.
What the checks expect is computed from the curves themselves (`classify`), so the variant
carries only the numbers a student sees.
"""

import math

import numpy as np

UNDER, GOOD, OVER = "underfitting", "good fit", "overfitting"
KINDS = (UNDER, GOOD, OVER)
CURVES = ("A", "B", "C")
HISTORY_EPOCHS = 40
CURVE_EPOCHS = 30
SPLIT_CHOICE = "B"  # the statement about validation_split that is right (see the notebook)


# --------------------------------------------------------------------------- stopping


def best_epoch(val_loss):
    """The epoch, counted from 1, with the lowest validation loss (the first one, on a tie)."""
    return int(np.argmin(np.asarray(val_loss, dtype=float))) + 1


def stop_epoch(val_loss, patience):
    """The epoch, counted from 1, after which EarlyStopping(monitor="val_loss", patience=patience)
    ends training; the last epoch if it never does."""
    best, wait = math.inf, 0
    for epoch, loss in enumerate(val_loss, start=1):
        if loss < best:  # an improvement: remember it, start counting again
            best, wait = loss, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch
    return len(val_loss)


def n_train_rows(n_rows, validation_split):
    """The rows Keras trains on with validation_split: the first floor(n * (1 - split))."""
    return math.floor(n_rows * (1.0 - validation_split))


# --------------------------------------------------------------------------- reading a curve


def classify(loss, val_loss):
    """Under-fitting, good fit or over-fitting, read off a pair of loss curves."""
    loss, val_loss = np.asarray(loss, dtype=float), np.asarray(val_loss, dtype=float)
    if loss.min() > 0.45:  # the training loss never gets far below ln 2: nothing was learnt
        return UNDER
    if val_loss[-1] - val_loss.min() > 0.05 and loss[-1] < val_loss.min():  # val rises, train keeps falling
        return OVER
    return GOOD


# --------------------------------------------------------------------------- typical mistakes


def stop_zero_based(val_loss, patience):
    """The stop counted from 0, as a Python index."""
    return stop_epoch(val_loss, patience) - 1


def stop_one_late(val_loss, patience):
    """Training stopped only when `wait` exceeds the patience: one epoch too late."""
    return stop_epoch(val_loss, patience + 1)


def stop_one_early(val_loss, patience):
    """Training stopped after `patience - 1` epochs without a new best."""
    return stop_epoch(val_loss, max(patience - 1, 1))


def stop_after_consecutive_rises(val_loss, patience):
    """Stopped after `patience` rises in a row, each against the epoch before: Keras compares
    with the best value so far, so a small dip that is no new best does not reset its count."""
    rises = 0
    for epoch in range(2, len(val_loss) + 1):
        rises = rises + 1 if val_loss[epoch - 1] >= val_loss[epoch - 2] else 0
        if rises >= patience:
            return epoch
    return len(val_loss)


def stop_at_best(val_loss, patience):
    """The best epoch of the run (where restore_best_weights goes back to), not the stop."""
    return best_epoch(list(val_loss)[: stop_epoch(val_loss, patience)])


def stop_at_first_rise(val_loss, patience):
    """The patience ignored: the first epoch without a new best."""
    return stop_epoch(val_loss, 1)


def stop_on_a_tie(val_loss, patience):
    """A loss equal to the best so far counted as a new best (`<=`): Keras needs it lower."""
    best, wait = math.inf, 0
    for epoch, loss in enumerate(val_loss, start=1):
        if loss <= best:
            best, wait = loss, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch
    return len(val_loss)


def stop_looking_ahead(val_loss, patience):
    """Each epoch judged by the loss of the epoch after it: the first epoch is skipped and the
    count runs one epoch ahead."""
    best, wait = math.inf, 0
    for epoch in range(1, len(val_loss)):
        if val_loss[epoch] < best:
            best, wait = val_loss[epoch], 0
        else:
            wait += 1
            if wait >= patience:
                return epoch
    return len(val_loss)


# Validation curves with patiences that tell every known mistake of stop_epoch from the right
# rule, whatever the random curves of a grading hold: a tie with the best (no new best for
# Keras), a dip that is no new best, a new best at the very last epoch, a patience of 1 whose
# first epoch is no better than the second, and a stop on the last epoch.
FIXED_STOP_CASES = [
    ([0.5, 0.4, 0.3, 0.35, 0.3, 0.32, 0.33, 0.34, 0.36, 0.38], 3),
    ([0.5, 0.4, 0.45, 0.42, 0.44, 0.46, 0.47, 0.3, 0.29], 3),
    ([0.6, 0.5, 0.55, 0.56, 0.52, 0.4], 4),
    ([0.5, 0.5, 0.4, 0.45, 0.3], 1),
    ([0.7, 0.6, 0.5, 0.55, 0.56, 0.57], 3),
]


# --------------------------------------------------------------------------- making the curves


def _rounded(values):
    return [round(float(v), 4) for v in values]


def overfitting_history(rng, epochs):
    """(loss, val_loss) of a network that over-fits: the training loss falls towards 0, the
    validation loss falls, reaches its minimum and rises again, with noise."""
    e = np.arange(1, epochs + 1)
    t_floor, tau_t = rng.uniform(0.02, 0.08), rng.uniform(5.0, 8.0)
    v_floor, tau_v = rng.uniform(0.22, 0.36), rng.uniform(2.5, 4.5)
    turn, rise = rng.uniform(0.35, 0.65) * epochs, rng.uniform(0.006, 0.012)
    loss = t_floor + (0.69 - t_floor) * np.exp(-e / tau_t) + rng.normal(0.0, 0.003, epochs)
    val = v_floor + (0.69 - v_floor) * np.exp(-e / tau_v) + rise * np.maximum(0.0, e - turn)
    val = val + rng.normal(0.0, 0.006, epochs)
    return _rounded(np.abs(loss)), _rounded(val)


def underfitting_history(rng, epochs):
    e = np.arange(1, epochs + 1)
    level = rng.uniform(0.56, 0.63)
    loss = level + (0.69 - level) * np.exp(-e / rng.uniform(4.0, 8.0)) + rng.normal(0.0, 0.003, epochs)
    val = loss + rng.uniform(0.005, 0.02) + rng.normal(0.0, 0.004, epochs)
    return _rounded(loss), _rounded(val)


def good_fit_history(rng, epochs):
    e = np.arange(1, epochs + 1)
    floor, gap, tau = rng.uniform(0.10, 0.20), rng.uniform(0.02, 0.05), rng.uniform(3.0, 5.0)
    loss = floor + (0.69 - floor) * np.exp(-e / tau) + rng.normal(0.0, 0.003, epochs)
    val = floor + gap + (0.69 - floor - gap) * np.exp(-e / tau) + rng.normal(0.0, 0.005, epochs)
    return _rounded(loss), _rounded(val)


MAKERS = {UNDER: underfitting_history, GOOD: good_fit_history, OVER: overfitting_history}


def expected(params=None) -> dict:
    """Every value the checks compare, or name as a mistake, for the variant `params`
    (None: the notebook's default curves)."""
    v = params or DEFAULT_VARIANT
    loss, val_loss, patience = v["loss"], v["val_loss"], int(v["patience"])
    n_rows, split = int(v["n_rows"]), float(v["split"])
    n_train = n_train_rows(n_rows, split)
    out = {
        "BEST_EPOCH": best_epoch(val_loss),
        "STOPPED_AT": stop_epoch(val_loss, patience),
        "N_TRAIN": n_train,
        "SPLIT_CHOICE": SPLIT_CHOICE,
        # typical mistakes
        "BEST_EPOCH_ZERO_BASED": best_epoch(val_loss) - 1,
        "BEST_TRAIN_EPOCH": best_epoch(loss),
        "MIN_VAL_LOSS": min(val_loss),
        "STOPPED_AT_ZERO_BASED": stop_zero_based(val_loss, patience),
        "STOPPED_ONE_LATE": stop_one_late(val_loss, patience),
        "STOPPED_AT_FIRST_RISE": stop_at_first_rise(val_loss, patience),
        "N_VALIDATION": n_rows - n_train,
        "N_TRAIN_ROUNDED": round(n_rows * (1.0 - split)),
        "N_TRAIN_CEIL": math.ceil(n_rows * (1.0 - split)),
    }
    for name in CURVES:
        curve = v["curves"][name]
        out[f"DIAGNOSIS_{name}"] = classify(curve["loss"], curve["val_loss"])
    return out


def is_sensible(params) -> bool:
    """Curves whose answers are clear: one lowest validation loss, well inside the run, a stop
    with the patience before the last epoch, no mistake that gives the right number, and the
    three curves one of each kind."""
    v = params
    val = np.asarray(v["val_loss"])
    a = expected(params)
    second = np.sort(val)[1]
    mistakes = {a["BEST_EPOCH_ZERO_BASED"], a["BEST_TRAIN_EPOCH"], a["STOPPED_AT"]}
    stops = {a["STOPPED_AT_ZERO_BASED"], a["STOPPED_ONE_LATE"], a["STOPPED_AT_FIRST_RISE"], a["BEST_EPOCH"]}
    n_exact = v["n_rows"] * (1.0 - v["split"])
    return bool(
        second - val.min() >= 0.002
        and 8 <= a["BEST_EPOCH"] <= HISTORY_EPOCHS - 12
        and a["STOPPED_AT"] == a["BEST_EPOCH"] + v["patience"] < HISTORY_EPOCHS - 2  # no stop before the best
        and a["BEST_EPOCH"] not in mistakes
        and a["STOPPED_AT"] not in stops
        and sorted(a[f"DIAGNOSIS_{c}"] for c in CURVES) == sorted(KINDS)
        and 0.5 < n_exact - math.floor(n_exact) < 0.95  # floor, round and ceil tell each other apart
    )


def draw_variant(rng) -> dict:
    """A student's own curves: a 40-epoch history that over-fits, a patience from 3 to 6, the
    three kinds of curve in a random order, and a data set size and validation split."""
    while True:
        loss, val_loss = overfitting_history(rng, HISTORY_EPOCHS)
        order = rng.permutation(len(KINDS))
        curves = {}
        for name, index in zip(CURVES, order):
            c_loss, c_val = MAKERS[KINDS[index]](rng, CURVE_EPOCHS)
            curves[name] = {"loss": c_loss, "val_loss": c_val}
        if any(classify(**curves[name]) != KINDS[index] for name, index in zip(CURVES, order)):
            continue  # a curve that does not look like the kind it was made as
        params = {
            "loss": loss, "val_loss": val_loss, "patience": int(rng.integers(3, 7)), "curves": curves,
            "n_rows": int(rng.integers(600, 2400)), "split": float(rng.choice([0.1, 0.15, 0.2, 0.25, 0.3])),
        }
        if is_sensible(params):
            return params


# The notebook's curves, written out so that they never change: draw_variant(np.random.default_rng(1)),
# with the 1372 rows of the banknote data set and Keras' usual validation split of 0.2.
DEFAULT_VARIANT = {
    "loss": [0.6071, 0.5328, 0.4659, 0.4075, 0.3619, 0.317, 0.2851, 0.2497, 0.223, 0.196, 0.1745,
             0.1522, 0.1399, 0.1286, 0.1095, 0.0975, 0.0891, 0.0796, 0.0715, 0.0675, 0.0605, 0.0607,
             0.0521, 0.0492, 0.0478, 0.0411, 0.0438, 0.0354, 0.0329, 0.0326, 0.0318, 0.0267, 0.0297,
             0.0238, 0.0321, 0.0269, 0.0246, 0.0232, 0.0243, 0.0243],
    "val_loss": [0.6095, 0.5514, 0.509, 0.4699, 0.4492, 0.427, 0.4017, 0.3897, 0.3672, 0.3697,
                 0.3583, 0.3556, 0.3576, 0.3307, 0.343, 0.3325, 0.3408, 0.3279, 0.3317, 0.3349,
                 0.3367, 0.3328, 0.3369, 0.3481, 0.3666, 0.3712, 0.3711, 0.3963, 0.4037, 0.4166,
                 0.4194, 0.4365, 0.4352, 0.4552, 0.4589, 0.476, 0.4882, 0.4879, 0.5021, 0.5128],
    "patience": 5,
    "curves": {
        "A": {
            "loss": [0.5883, 0.5091, 0.4291, 0.3686, 0.322, 0.2797, 0.2374, 0.2095, 0.1816, 0.1631,
                     0.1393, 0.126, 0.1065, 0.097, 0.0873, 0.0826, 0.0738, 0.0637, 0.0629, 0.0588,
                     0.0525, 0.0489, 0.0464, 0.0397, 0.0434, 0.0419, 0.0373, 0.0409, 0.0336, 0.0352],
            "val_loss": [0.5856, 0.525, 0.4476, 0.419, 0.3905, 0.3642, 0.3521, 0.3264, 0.3093,
                         0.3207, 0.3037, 0.3098, 0.3137, 0.3367, 0.3458, 0.347, 0.3676, 0.3741,
                         0.3838, 0.3965, 0.4064, 0.4229, 0.4328, 0.4405, 0.4604, 0.4624, 0.4795,
                         0.4921, 0.5102, 0.5101],
        },
        "B": {
            "loss": [0.5355, 0.4268, 0.3424, 0.2779, 0.2329, 0.2015, 0.1767, 0.164, 0.1516, 0.1404,
                     0.1316, 0.124, 0.1215, 0.1211, 0.1227, 0.1175, 0.1128, 0.1129, 0.1107, 0.1094,
                     0.1108, 0.1117, 0.1164, 0.1109, 0.1148, 0.1159, 0.1108, 0.1153, 0.1126, 0.1092],
            "val_loss": [0.5472, 0.4397, 0.3602, 0.3027, 0.2619, 0.2321, 0.2024, 0.1898, 0.1697,
                         0.1694, 0.1644, 0.1571, 0.154, 0.1528, 0.1445, 0.1452, 0.1478, 0.1495,
                         0.1458, 0.1562, 0.1427, 0.1479, 0.149, 0.1419, 0.1384, 0.1365, 0.1432,
                         0.1479, 0.1437, 0.1431],
        },
        "C": {
            "loss": [0.6589, 0.646, 0.6293, 0.6121, 0.6123, 0.5931, 0.5872, 0.5813, 0.5838, 0.5742,
                     0.576, 0.5734, 0.5705, 0.5643, 0.5651, 0.571, 0.5613, 0.562, 0.5635, 0.566,
                     0.564, 0.5652, 0.5595, 0.5654, 0.5641, 0.5575, 0.5668, 0.569, 0.5597, 0.5622],
            "val_loss": [0.6629, 0.648, 0.634, 0.6198, 0.6199, 0.6054, 0.5982, 0.5862, 0.596,
                         0.5916, 0.5907, 0.5872, 0.5805, 0.5781, 0.5712, 0.5839, 0.5708, 0.5764,
                         0.5753, 0.5715, 0.5744, 0.5799, 0.5649, 0.573, 0.5709, 0.5614, 0.5805,
                         0.5841, 0.5728, 0.573],
        },
    },
    "n_rows": 1372,
    "split": 0.2,
}
_DEFAULT = expected(DEFAULT_VARIANT)


if __name__ == "__main__":
    a = expected()
    print(f"best epoch {a['BEST_EPOCH']}, stopped after epoch {a['STOPPED_AT']} "
          f"(patience {DEFAULT_VARIANT['patience']}), trains on {a['N_TRAIN']} rows")
    print({c: a[f"DIAGNOSIS_{c}"] for c in CURVES})
