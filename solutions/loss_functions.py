"""Loss functions: how wrong is a predicted probability?

Binary cross-entropy (the negative log-likelihood of the label) for one example with label
y (0 or 1) and predicted probability p that the label is 1:

    L(y, p) = -[ y * ln(p) + (1 - y) * ln(1 - p) ]

For y = 1 only -ln(p) is left, for y = 0 only -ln(1 - p). The best case, p = y, costs
-ln(1) = 0; the worst, p = 0 for y = 1 (or p = 1 for y = 0), costs -ln(0) = infinity.

Categorical cross-entropy generalises this to K classes: with a one-hot label y and the
softmax probabilities q of the K classes, L = -sum_k y_k * ln(q_k) = -ln(q of the true class).

On arrays the losses are averaged over the examples, as Keras does. ln(0) is -infinity, so
the probabilities are first clipped into [EPS, 1 - EPS], with Keras' EPS = 1e-7.

Why not the mean squared error (p - y)^2 on a sigmoid output? Its gradient with respect to
the net input z is 2 (p - y) * p (1 - p): when the neuron is confidently wrong (p near 0 for
y = 1), p (1 - p) is close to 0 and the neuron hardly learns. The cross-entropy's gradient
is p - y, large exactly when the prediction is badly wrong.
"""

import numpy as np

EPS = 1e-7  # keras.backend.epsilon(): how close to 0 and 1 a probability may come

# The (y, p) pairs to compute by hand, and the net input z of a neuron that is confidently
# wrong about a note with label y = 1 (the default variant; the slides give no numbers).
DEFAULT_VARIANT = {"ya": 1, "pa": 0.8, "yb": 0, "pb": 0.8, "yc": 0, "pc": 0.1, "z": -4.0}

# The statement that explains why MSE on a sigmoid output is a poor loss (question 4).
MSE_CHOICE = "B"


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def bce_one(y, p):
    """Binary cross-entropy of one example, without clipping: -[y ln p + (1-y) ln(1-p)]."""
    if y == 1:
        return float(-np.log(p))
    return float(-np.log(1 - p))


def bce(y, p):
    """Mean binary cross-entropy of labels y (0 or 1) and probabilities p, safe at 0 and 1."""
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def categorical_crossentropy(y_onehot, probs):
    """Mean over the rows of -sum_k y_k ln(q_k): one-hot labels against class probabilities."""
    y_onehot = np.asarray(y_onehot, dtype=float)
    probs = np.clip(np.asarray(probs, dtype=float), EPS, 1 - EPS)
    return float(np.mean(-np.sum(y_onehot * np.log(probs), axis=-1)))


def grad_bce_wrt_z(y, z):
    """d/dz of the cross-entropy of sigmoid(z): p - y."""
    return float(sigmoid(z) - y)


def grad_mse_wrt_z(y, z):
    """d/dz of (sigmoid(z) - y)^2: 2 (p - y) * p (1 - p), by the chain rule."""
    p = float(sigmoid(z))
    return 2 * (p - y) * p * (1 - p)


# --------------------------------------------------------------------------- typical mistakes


def bce_log10(y, p):
    """The base-10 logarithm instead of the natural one."""
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return float(np.mean(-(y * np.log10(p) + (1 - y) * np.log10(1 - p))))


def bce_sum(y, p):
    """Summed over the examples instead of averaged."""
    return bce(y, p) * np.size(y)


def bce_without_minus(y, p):
    return -bce(y, p)


def bce_only_positive_term(y, p):
    """Only y ln p: the examples with y = 0 cost nothing."""
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return float(np.mean(-(y * np.log(p))))


def bce_arguments_swapped(y, p):
    """bce(p, y): the labels used as probabilities and the other way round."""
    return bce(p, y)


def cce_sum(y_onehot, probs):
    """Summed over the rows instead of averaged."""
    return categorical_crossentropy(y_onehot, probs) * np.shape(y_onehot)[0]


def cce_log10(y_onehot, probs):
    y_onehot = np.asarray(y_onehot, dtype=float)
    probs = np.clip(np.asarray(probs, dtype=float), EPS, 1 - EPS)
    return float(np.mean(-np.sum(y_onehot * np.log10(probs), axis=-1)))


def cce_without_minus(y_onehot, probs):
    return -categorical_crossentropy(y_onehot, probs)


def cce_all_classes(y_onehot, probs):
    """-sum_k ln(q_k) over every class, the label not used."""
    probs = np.clip(np.asarray(probs, dtype=float), EPS, 1 - EPS)
    return float(np.mean(-np.sum(np.log(probs), axis=-1)))


def cce_as_binary(y_onehot, probs):
    """Binary cross-entropy of every class taken alone, as if each were its own yes/no label."""
    return bce(np.ravel(y_onehot), np.ravel(probs)) * np.shape(y_onehot)[-1]


# --------------------------------------------------------------------------- the variants


def expected(params=None) -> dict:
    """Every value the checks compare, or name as a mistake, for the variant `params`."""
    v = params or DEFAULT_VARIANT
    out = {}
    for pair in "abc":
        y, p = v[f"y{pair}"], v[f"p{pair}"]
        loss = bce_one(y, p)
        out[f"LOSS_{pair.upper()}"] = loss
        out[f"LOSS_{pair.upper()}_LOG10"] = loss / np.log(10)
        out[f"LOSS_{pair.upper()}_NEGATIVE"] = -loss
        out[f"LOSS_{pair.upper()}_OTHER_LABEL"] = bce_one(1 - y, p)  # the term of the other label
    z = v["z"]
    p = float(sigmoid(z))
    out.update({
        "P_WRONG": p,
        "GRAD_BCE": grad_bce_wrt_z(1, z),
        "GRAD_BCE_SIGN": -grad_bce_wrt_z(1, z),  # y - p
        "GRAD_BCE_WRT_P": -1 / p,  # d/dp of -ln p, not d/dz
        "GRAD_MSE": grad_mse_wrt_z(1, z),
        "GRAD_MSE_NO_CHAIN": 2 * (p - 1),  # d/dp of (p - y)^2: the sigmoid's p (1 - p) left out
        "GRAD_MSE_NO_TWO": (p - 1) * p * (1 - p),  # d/dz of (p - y)^2 without the 2
        "GRAD_MSE_SIGN": -grad_mse_wrt_z(1, z),
    })
    return out


def draw_variant(rng) -> dict:
    """Three pairs with two-decimal probabilities in [0.05, 0.95], both labels present, every
    loss and every typical mistake a distinct number; z a whole number from -7 to -3 (a
    neuron that is sure, and wrong, about a note with label 1)."""
    while True:
        ys = [int(v) for v in rng.integers(0, 2, size=3)]
        ps = [round(float(v), 2) for v in rng.uniform(0.05, 0.95, size=3)]
        if len(set(ys)) < 2 or any(abs(p - 0.5) < 0.1 for p in ps) or len(set(ps)) < 3:
            continue
        params = {"ya": ys[0], "pa": ps[0], "yb": ys[1], "pb": ps[1], "yc": ys[2], "pc": ps[2],
                  "z": float(rng.integers(-7, -2))}
        a = expected(params)
        values = [round(a[k], 4) for k in a if k.startswith("LOSS_")]
        if len(set(values)) == len(values):
            return params


# The default variant, as constants.
_DEFAULT = expected()
# By hand: y = 1, p = 0.8: -ln(0.8) = 0.2231
LOSS_A = _DEFAULT["LOSS_A"]
# y = 0, p = 0.8: -ln(1 - 0.8) = -ln(0.2) = 1.6094 (a confident, wrong prediction costs most)
LOSS_B = _DEFAULT["LOSS_B"]
# y = 0, p = 0.1: -ln(0.9) = 0.1054
LOSS_C = _DEFAULT["LOSS_C"]
BEST_LOSS = 0.0  # p = y: -ln(1) = 0
WORST_LOSS = float("inf")  # p = 0 for y = 1: -ln(0) grows without bound
# z = -4: p = sigmoid(-4) = 0.0180; cross-entropy: p - y = -0.9820; MSE: 2 (p - y) p (1 - p) = -0.0347
GRAD_BCE = _DEFAULT["GRAD_BCE"]
GRAD_MSE = _DEFAULT["GRAD_MSE"]


if __name__ == "__main__":
    print(f"losses by hand: {LOSS_A:.4f}, {LOSS_B:.4f}, {LOSS_C:.4f}; best {BEST_LOSS}, worst {WORST_LOSS}")
    print(f"at z = -4 with y = 1: cross-entropy gradient {GRAD_BCE:.4f}, MSE gradient {GRAD_MSE:.4f}")
