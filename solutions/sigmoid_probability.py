"""A single neuron decides whether a banknote is fake.

The neuron of the slides looks at two features of a banknote, x1 and x2. It forms the
net input (a weighted sum plus a bias) and squashes it with the sigmoid function into a
probability:

    z = w1 * x1 + w2 * x2 + b
    p = sigmoid(z) = 1 / (1 + exp(-z))

p is the probability that the banknote is fake; the neuron calls it fake when p > 0.5.
The same computation for a batch of banknotes is one matrix product:
sigmoid(X @ W + b), with one banknote per row of X and one weight per row of W.
"""

import numpy as np

# The weights, the bias and the banknote of the slides: the default variant.
DEFAULT_VARIANT = {"w1": 0.3, "w2": 0.1, "b": 1.0, "x1": 1.0, "x2": 2.2}


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), elementwise on numbers and numpy arrays."""
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def net_input(x1, x2, w1, w2, b):
    """The neuron's net input z = w1*x1 + w2*x2 + b."""
    return w1 * x1 + w2 * x2 + b


def probability_fake(x1, x2, w1, w2, b):
    """The probability p = sigmoid(z) that the banknote (x1, x2) is fake."""
    return float(sigmoid(net_input(x1, x2, w1, w2, b)))


def expected(params=None) -> dict:
    """Every value the checks compare, or name as a mistake, for the variant `params`
    (None: the slides' numbers)."""
    v = params or DEFAULT_VARIANT
    w1, w2, b, x1, x2 = v["w1"], v["w2"], v["b"], v["x1"], v["x2"]
    z = net_input(x1, x2, w1, w2, b)
    p = probability_fake(x1, x2, w1, w2, b)
    X = np.array([[x1, x2]])  # shape (1, 2): one banknote, two features
    W = np.array([[w1], [w2]])  # shape (2, 1): two weights, one output
    # Typical mistakes, used by the hidden checks to name a hint.
    z_without_bias = w1 * x1 + w2 * x2  # the bias forgotten
    p_without_bias = float(sigmoid(z_without_bias))
    p_sign_flipped = float(1.0 / (1.0 + np.exp(z)))  # 1 / (1 + exp(+z)) = 1 - p
    return {
        "B": b,
        "Z": z,
        "P": p,
        "IS_FAKE": p > 0.5,  # the neuron says fake when p > 0.5
        "X": X,
        "W": W,
        "P_VEC": sigmoid(X @ W + b),  # the same as a vector product, shape (1, 1)
        "Z_WITHOUT_BIAS": z_without_bias,
        "Z_SWAPPED": w1 * x2 + w2 * x1 + b,  # each weight paired with the other input
        "P_WITHOUT_BIAS": p_without_bias,
        "P_SIGN_FLIPPED": p_sign_flipped,
        "IS_FAKE_FLIPPED": not p > 0.5,
        "W_WITH_BIAS": np.array([[w1], [w2], [b]]),  # the bias put into W
        "Z_VEC": np.array([[z]]),  # z where p_vec was asked for
        "P_VEC_WITHOUT_BIAS": np.array([[p_without_bias]]),
        "P_VEC_SIGN_FLIPPED": np.array([[p_sign_flipped]]),
        "P_TANH": float(np.tanh(z)),  # tanh where the sigmoid was asked for
        "P_VEC_TANH": np.tanh(X @ W + b),
    }


def draw_variant(rng) -> dict:
    """A student's own neuron and banknote: one decimal each, and a p clearly on one side of
    0.5 (0.05 < p < 0.4 or 0.6 < p < 0.95), so that rounding never decides the class.
    The typical mistakes (bias forgotten, weights swapped) must give other numbers than z."""
    while True:
        w1, w2 = (round(float(rng.uniform(-1.0, 1.0)), 1) for _ in range(2))
        b = round(float(rng.uniform(-2.0, 2.0)), 1)
        x1, x2 = (round(float(rng.uniform(0.5, 3.0)), 1) for _ in range(2))
        params = {"w1": w1, "w2": w2, "b": b, "x1": x1, "x2": x2}
        a = expected(params)
        clear = 0.05 < a["P"] < 0.4 or 0.6 < a["P"] < 0.95
        distinct = len({round(a[key], 6) for key in ("Z", "Z_WITHOUT_BIAS", "Z_SWAPPED")}) == 3
        if clear and distinct and 0 not in (w1, w2) and abs(b) >= 0.2:
            return params


# The slides' numbers, as constants.
W1, W2, B = DEFAULT_VARIANT["w1"], DEFAULT_VARIANT["w2"], DEFAULT_VARIANT["b"]
X1, X2 = DEFAULT_VARIANT["x1"], DEFAULT_VARIANT["x2"]
_SLIDES = expected()
# By hand: z = 0.3 * 1 + 0.1 * 2.2 + 1.0 = 0.3 + 0.22 + 1.0 = 1.52
Z = _SLIDES["Z"]
# p = 1 / (1 + exp(-1.52)) = 1 / (1 + 0.2187) = 0.8205
P = _SLIDES["P"]
# p > 0.5: the neuron says the banknote is fake.
IS_FAKE = _SLIDES["IS_FAKE"]
X, W, P_VEC = _SLIDES["X"], _SLIDES["W"], _SLIDES["P_VEC"]
Z_WITHOUT_BIAS = _SLIDES["Z_WITHOUT_BIAS"]  # 0.52
Z_SWAPPED = _SLIDES["Z_SWAPPED"]  # 1.76
P_WITHOUT_BIAS = _SLIDES["P_WITHOUT_BIAS"]
P_SIGN_FLIPPED = _SLIDES["P_SIGN_FLIPPED"]


if __name__ == "__main__":
    print(f"z = {Z:.2f}, p = {P:.4f}, fake: {IS_FAKE}, as a vector product: {P_VEC}")
