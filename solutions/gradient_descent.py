"""Gradient descent: how a neuron learns from its loss.

For the banknote neuron, p = sigmoid(w1*x1 + w2*x2 + b), and the binary cross-entropy of
one note with label y, the chain rule gives a short gradient:

    dL/dw_i = (p - y) * x_i,        dL/db = p - y

One step of gradient descent moves every parameter against its gradient, scaled by the
learning rate lr:

    w_i <- w_i - lr * dL/dw_i,      b <- b - lr * dL/db

For a batch (X of shape (n, d), labels y of shape (n,)) the loss is the mean over the notes,
so the gradient is the mean as well: X.T @ (p - y) / n and mean(p - y).

A numerical gradient check compares this with central differences of the loss,
(L(w + eps e_i) - L(w - eps e_i)) / (2 eps), one parameter at a time.

The learning rate matters: on the bowl L(w) = a (w - 2)^2 a step is
w <- w - lr * 2a (w - 2), so the distance to the minimum is multiplied by (1 - 2 a lr) at
every step. It shrinks when |1 - 2 a lr| < 1, that is for lr < 1/a; above 1/a every step
overshoots further and gradient descent diverges.
"""

import numpy as np

# The banknote neuron and note of the slides, its label (the note is genuine), the learning
# rate of the step by hand, and the curvature a of the bowl of question 4.
DEFAULT_VARIANT = {"w1": 0.3, "w2": 0.1, "b": 1.0, "x1": 1.0, "x2": 2.2, "y": 0, "lr": 0.1, "a": 2.0}

# The learning rates tried on the bowl L(w) = a (w - 2)^2 (question 4), and its minimum.
CANDIDATE_LRS = (0.05, 0.2, 0.4, 0.7, 1.2)
BOWL_MINIMUM = 2.0
CURVATURES = (1.0, 1.5, 2.0, 3.0, 4.0)  # a: none puts a candidate on the edge 1/a or 1/(2a)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def bce_loss(X, y, w, b):
    """The mean binary cross-entropy of the logistic model (w, b) on the notes X, labels y."""
    p = np.clip(sigmoid(np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b), 1e-12, 1 - 1e-12)
    y = np.asarray(y, dtype=float)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def gradient(X, y, w, b):
    """(dL/dw, dL/db) of the mean cross-entropy: X.T @ (p - y) / n and mean(p - y)."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    error = sigmoid(X @ np.asarray(w, dtype=float) + b) - y
    return X.T @ error / len(y), float(np.mean(error))


def train_logistic(X, y, lr, epochs):
    """Full-batch gradient descent from w = 0, b = 0: `epochs` steps; returns (w, b)."""
    w, b = np.zeros(np.shape(X)[1]), 0.0
    for _ in range(epochs):
        grad_w, grad_b = gradient(X, y, w, b)
        w = w - lr * grad_w
        b = b - lr * grad_b
    return w, b


def numerical_gradient(X, y, w, b, eps):
    """Central differences of bce_loss, one parameter at a time: (grad_w, grad_b)."""
    w = np.asarray(w, dtype=float)
    grad_w = np.zeros_like(w)
    for i in range(len(w)):
        step = np.zeros_like(w)
        step[i] = eps
        grad_w[i] = (bce_loss(X, y, w + step, b) - bce_loss(X, y, w - step, b)) / (2 * eps)
    grad_b = (bce_loss(X, y, w, b + eps) - bce_loss(X, y, w, b - eps)) / (2 * eps)
    return grad_w, grad_b


def bowl_diverges(a, lr, steps=30, start=0.0):
    """Whether gradient descent on a (w - 2)^2 from `start` ends farther from the minimum."""
    w = start
    for _ in range(steps):
        w = w - lr * 2 * a * (w - BOWL_MINIMUM)
    return abs(w - BOWL_MINIMUM) > abs(start - BOWL_MINIMUM)


# --------------------------------------------------------------------------- typical mistakes


def train_summed_gradient(X, y, lr, epochs):
    """The gradient summed over the notes instead of averaged: n times too large a step."""
    return train_logistic(X, y, lr * len(y), epochs)


def train_ascent(X, y, lr, epochs):
    """w + lr * gradient: gradient ascent, the loss goes up."""
    return train_logistic(X, y, -lr, epochs)


def train_without_bias(X, y, lr, epochs):
    w, b = np.zeros(np.shape(X)[1]), 0.0
    for _ in range(epochs):
        grad_w, _ = gradient(X, y, w, b)
        w = w - lr * grad_w
    return w, b


def train_mse_gradient(X, y, lr, epochs):
    """The gradient of the squared error through the sigmoid: (p - y) p (1 - p) x."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        p = sigmoid(X @ w + b)
        error = (p - y) * p * (1 - p)
        w, b = w - lr * X.T @ error / len(y), b - lr * float(np.mean(error))
    return w, b


def train_one_step_more(X, y, lr, epochs):
    return train_logistic(X, y, lr, epochs + 1)


def train_without_lr(X, y, lr, epochs):
    return train_logistic(X, y, 1.0, epochs)


def gradient_sign_flipped(X, y, w, b):
    grad_w, grad_b = gradient(X, y, w, b)
    return -grad_w, -grad_b


def gradient_summed(X, y, w, b):
    grad_w, grad_b = gradient(X, y, w, b)
    return grad_w * len(y), grad_b * len(y)


def gradient_without_x(X, y, w, b):
    """p - y for every weight: the input x_i not multiplied in."""
    _, grad_b = gradient(X, y, w, b)
    return np.full(np.shape(X)[1], grad_b), grad_b


def gradient_at(X, y, w, b, eps):
    """The exact gradient where the numerical one was asked for (eps unused)."""
    return gradient(X, y, w, b)


def numerical_one_sided(X, y, w, b, eps):
    """Forward differences (L(w + eps) - L(w)) / eps: less accurate than central ones."""
    w = np.asarray(w, dtype=float)
    base = bce_loss(X, y, w, b)
    grad_w = np.array([(bce_loss(X, y, w + eps * np.eye(len(w))[i], b) - base) / eps for i in range(len(w))])
    return grad_w, (bce_loss(X, y, w, b + eps) - base) / eps


def numerical_without_half(X, y, w, b, eps):
    """Central differences divided by eps instead of 2 eps."""
    grad_w, grad_b = numerical_gradient(X, y, w, b, eps)
    return 2 * grad_w, 2 * grad_b


def numerical_all_at_once(X, y, w, b, eps):
    """Every weight moved together: one directional derivative copied into each component."""
    w = np.asarray(w, dtype=float)
    slope = (bce_loss(X, y, w + eps, b) - bce_loss(X, y, w - eps, b)) / (2 * eps)
    return np.full(len(w), slope), (bce_loss(X, y, w, b + eps) - bce_loss(X, y, w, b - eps)) / (2 * eps)


def numerical_not_restored(X, y, w, b, eps):
    """w[i] += eps ... w[i] -= 2 eps without moving it back: later components see a shifted w."""
    w = np.array(w, dtype=float)
    grad_w = np.zeros_like(w)
    for i in range(len(w)):
        w[i] += eps
        plus = bce_loss(X, y, w, b)
        w[i] -= 2 * eps
        grad_w[i] = (plus - bce_loss(X, y, w, b)) / (2 * eps)
    return grad_w, (bce_loss(X, y, w, b + eps) - bce_loss(X, y, w, b - eps)) / (2 * eps)


# --------------------------------------------------------------------------- the variants


def expected(params=None) -> dict:
    """Every value the checks compare, or name as a mistake, for the variant `params`."""
    v = params or DEFAULT_VARIANT
    w = np.array([v["w1"], v["w2"]], dtype=float)
    x = np.array([v["x1"], v["x2"]], dtype=float)
    b, y, lr, a = v["b"], v["y"], v["lr"], v["a"]
    z = float(w @ x + b)
    p = float(sigmoid(z))
    grad_w, grad_b = (p - y) * x, p - y
    w_new, b_new = w - lr * grad_w, b - lr * grad_b
    diverging = [lr_ for lr_ in CANDIDATE_LRS if bowl_diverges(a, lr_)]
    overshooting = [lr_ for lr_ in CANDIDATE_LRS if lr_ > 1 / (2 * a)]  # w jumps past the minimum
    return {
        "P": p,
        "GRAD_W": grad_w,
        "GRAD_B": grad_b,
        "W_NEW": w_new,
        "B_NEW": b_new,
        "P_NEW": float(sigmoid(w_new @ x + b_new)),
        "DIVERGING_LRS": np.array(diverging),
        "LR_LIMIT": 1 / a,
        # Typical mistakes, used by the hidden checks to name a hint.
        "GRAD_W_SIGN": (y - p) * x,
        "GRAD_W_WITHOUT_X": np.full(2, p - y),
        "GRAD_W_WITH_Z": (z - y) * x,
        "GRAD_W_MSE": (p - y) * p * (1 - p) * x,
        "GRAD_B_SIGN": y - p,
        "GRAD_B_WITH_Z": z - y,
        "GRAD_B_TIMES_X": (p - y) * x,
        "W_NEW_PLUS": w + lr * grad_w,
        "W_NEW_WITHOUT_LR": w - grad_w,
        "W_NEW_IS_STEP": lr * grad_w,
        "B_NEW_PLUS": b + lr * grad_b,
        "B_NEW_WITHOUT_LR": b - grad_b,
        "P_OLD": p,
        "P_NEW_PLUS": float(sigmoid((w + lr * grad_w) @ x + b + lr * grad_b)),
        "DIVERGING_OVERSHOOTING": np.array(overshooting),
        "DIVERGING_LARGEST": np.array(CANDIDATE_LRS[-1:]),
        "LR_LIMIT_WITHOUT_TWO": 2 / a,
        "LR_LIMIT_OVERSHOOT": 1 / (2 * a),
    }


def draw_variant(rng) -> dict:
    """A student's own neuron, note and label (one decimal each, as in sigmoid_probability),
    a learning rate of 0.1, 0.2 or 0.5, and a curvature from CURVATURES. The note's p lies
    clearly away from its label (|p - y| > 0.2), so the step is large enough to compute."""
    while True:
        w1, w2 = (round(float(rng.uniform(-1.0, 1.0)), 1) for _ in range(2))
        b = round(float(rng.uniform(-2.0, 2.0)), 1)
        x1, x2 = (round(float(rng.uniform(0.5, 3.0)), 1) for _ in range(2))
        params = {"w1": w1, "w2": w2, "b": b, "x1": x1, "x2": x2, "y": int(rng.integers(0, 2)),
                  "lr": float(rng.choice([0.1, 0.2, 0.5])), "a": float(rng.choice(CURVATURES))}
        if 0 in (w1, w2) or x1 == x2:
            continue
        if abs(expected(params)["GRAD_B"]) > 0.2:
            return params


# The slides' neuron, as constants: z = 0.3 * 1 + 0.1 * 2.2 + 1.0 = 1.52, p = 0.8205, y = 0.
_DEFAULT = expected()
P = _DEFAULT["P"]
# dL/dw = (p - y) x = 0.8205 * (1, 2.2) = (0.8205, 1.8051); dL/db = 0.8205
GRAD_W, GRAD_B = _DEFAULT["GRAD_W"], _DEFAULT["GRAD_B"]
# lr = 0.1: w = (0.3 - 0.08205, 0.1 - 0.18051) = (0.21795, -0.08051); b = 1.0 - 0.08205 = 0.91795
W_NEW, B_NEW = _DEFAULT["W_NEW"], _DEFAULT["B_NEW"]
# the new z = 0.9588, p = 0.7229: the genuine note now looks less fake
P_NEW = _DEFAULT["P_NEW"]
# a = 2: the distance to the minimum is multiplied by 1 - 4 lr; it grows for lr > 1/a = 0.5
DIVERGING_LRS, LR_LIMIT = _DEFAULT["DIVERGING_LRS"], _DEFAULT["LR_LIMIT"]


if __name__ == "__main__":
    print(f"p = {P:.4f}, gradient w: {GRAD_W}, b: {GRAD_B:.4f}")
    print(f"after one step: w = {W_NEW}, b = {B_NEW:.5f}, p = {P_NEW:.4f}")
    print(f"diverging learning rates: {DIVERGING_LRS}, limit 1/a = {LR_LIMIT}")
