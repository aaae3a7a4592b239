"""Activation functions next to the sigmoid, and why a network needs them.

ReLU and tanh, elementwise on numpy arrays of any shape, with their derivatives (what
backpropagation multiplies by at every node):

    relu(x) = max(0, x)                     relu'(x) = 1 for x > 0, 0 for x < 0 (0 at x = 0, as torch)
    tanh(x) = (e^x - e^-x) / (e^x + e^-x)   tanh'(x) = 1 - tanh(x)^2

Two Dense layers without activation collapse into one linear layer:

    (X @ W1 + b1) @ W2 + b2  =  X @ (W1 @ W2) + (b1 @ W2 + b2)  =  X @ W + b

so stacking them adds nothing a single layer could not do (ties into matrix_multiplication).
With a ReLU between them, relu(X @ W1 + b1) @ W2 + b2, the negative hidden values are cut to
zero and the result is no longer a linear function of X.

Every student may get their own weights (a variant); the default below is the notebook's.
"""

import numpy as np


def relu(x):
    """max(0, x) element by element, with the shape of x."""
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def relu_grad(x):
    """The derivative of relu: 1 where x > 0, else 0 (also at x = 0, as torch and Keras take it)."""
    return (np.asarray(x, dtype=float) > 0).astype(float)


def tanh(x):
    """(e^x - e^-x) / (e^x + e^-x) element by element; np.tanh computes the same, without overflow."""
    return np.tanh(np.asarray(x, dtype=float))


def tanh_grad(x):
    """The derivative of tanh: 1 - tanh(x)^2."""
    return 1.0 - np.tanh(np.asarray(x, dtype=float)) ** 2


def two_linear_layers(X, W1, b1, W2, b2):
    """Two Dense layers without activation: (X @ W1 + b1) @ W2 + b2."""
    return (np.asarray(X, dtype=float) @ W1 + b1) @ W2 + b2


def collapse(W1, b1, W2, b2):
    """The one linear layer (W, b) that computes the same as the two: W = W1 @ W2, b = b1 @ W2 + b2."""
    W1, b1, W2, b2 = (np.asarray(a, dtype=float) for a in (W1, b1, W2, b2))
    return W1 @ W2, b1 @ W2 + b2


def two_layers_with_relu(X, W1, b1, W2, b2):
    """The same two layers with a ReLU in between: relu(X @ W1 + b1) @ W2 + b2."""
    return relu(np.asarray(X, dtype=float) @ W1 + b1) @ W2 + b2


# --------------------------------------------------------------------------- typical mistakes
# Wrong versions, used by the hidden checks to name a hint.


def relu_as_abs(x):
    return np.abs(np.asarray(x, dtype=float))


def relu_as_step(x):
    """The derivative given instead of the function."""
    return relu_grad(x)


def relu_grad_as_relu(x):
    """relu itself given as its derivative."""
    return relu(x)


def relu_grad_flipped(x):
    return (np.asarray(x, dtype=float) < 0).astype(float)


def tanh_as_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def tanh_half(x):
    """2 * sigmoid(x) - 1, which is tanh(x / 2): tanh(x) = 2 * sigmoid(2x) - 1."""
    return 2.0 * tanh_as_sigmoid(x) - 1.0


def tanh_grad_not_squared(x):
    return 1.0 - np.tanh(np.asarray(x, dtype=float))


def tanh_grad_of_x(x):
    """1 - x^2: the formula 1 - tanh^2 applied to x instead of tanh(x)."""
    return 1.0 - np.asarray(x, dtype=float) ** 2


def tanh_grad_sigmoid_pattern(x):
    """tanh(x) (1 - tanh(x)): the pattern of the sigmoid's derivative, s (1 - s)."""
    t = np.tanh(np.asarray(x, dtype=float))
    return t * (1.0 - t)


def collapse_biases_added(W1, b1, W2, b2):
    """b = b1 + b2: the first bias also goes through W2."""
    return np.asarray(W1, dtype=float) @ W2, np.asarray(b1, dtype=float) + b2


def collapse_first_bias_lost(W1, b1, W2, b2):
    """b = b2: the first bias forgotten."""
    return np.asarray(W1, dtype=float) @ W2, np.asarray(b2, dtype=float)


def collapse_second_bias_lost(W1, b1, W2, b2):
    return np.asarray(W1, dtype=float) @ W2, np.asarray(b1, dtype=float) @ W2


def collapse_reversed(W1, b1, W2, b2):
    """W = W2.T @ W1.T: the product for columns as examples, the transpose of W1 @ W2."""
    W1, W2 = np.asarray(W1, dtype=float), np.asarray(W2, dtype=float)
    return W2.T @ W1.T, np.asarray(b1, dtype=float) @ W2 + b2


def relu_on_output_too(X, W1, b1, W2, b2):
    return relu(two_layers_with_relu(X, W1, b1, W2, b2))


def relu_without_first_bias(X, W1, b1, W2, b2):
    return relu(np.asarray(X, dtype=float) @ W1) @ W2 + b2


# --------------------------------------------------------------------------- the numbers

# The notebook's weights: 2 inputs -> 3 hidden nodes -> 1 output, and a batch of 4 rows.
DEFAULT_VARIANT = {
    "X": [[1.0, 2.0], [-1.0, 1.0], [2.0, -1.0], [0.0, -2.0]],
    "W1": [[1.0, -1.0, 0.5], [2.0, 0.5, -1.0]],
    "b1": [0.5, -1.0, 1.0],
    "W2": [[1.0], [-2.0], [-1.5]],
    "b2": [-0.5],
}

WEIGHT_VALUES = (-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0)
BIAS_VALUES = (-1.0, -0.5, 0.5, 1.0)
INPUT_VALUES = (-2.0, -1.0, 0.0, 1.0, 2.0)


def variant_arrays(params):
    """The inputs and weights of the variant `params` (None: the notebook's default) as arrays."""
    v = params or DEFAULT_VARIANT
    return tuple(np.asarray(v[k], dtype=float) for k in ("X", "W1", "b1", "W2", "b2"))


def expected(params=None) -> dict:
    """Every value the checks compare, or name as a mistake, for the variant `params`
    (None: the notebook's default weights)."""
    X, W1, b1, W2, b2 = variant_arrays(params)
    W, b = collapse(W1, b1, W2, b2)
    return {
        "W_COMBINED": W,
        "B_COMBINED": b,
        "LINEAR_OUT": X @ W + b,
        "TWO_LAYER_OUT": two_linear_layers(X, W1, b1, W2, b2),
        "RELU_OUT": two_layers_with_relu(X, W1, b1, W2, b2),
        "SAME_WITH_RELU": bool(np.allclose(two_layers_with_relu(X, W1, b1, W2, b2), X @ W + b)),
        # typical mistakes
        "W_REVERSED": W2.T @ W1.T,
        "B_ADDED": b1 + b2,
        "B_SECOND_ONLY": b2,
        "B_FIRST_ONLY": b1 @ W2,
        "RELU_OUT_ON_OUTPUT_TOO": relu_on_output_too(X, W1, b1, W2, b2),
        "RELU_OUT_WITHOUT_FIRST_BIAS": relu_without_first_bias(X, W1, b1, W2, b2),
    }


def is_sensible(params) -> bool:
    """Numbers for which every part of the exercise says something: the ReLU cuts some hidden
    values and changes the output, both biases matter, and no mistake gives the right answer."""
    X, W1, b1, W2, b2 = variant_arrays(params)
    hidden = X @ W1 + b1
    a = expected(params)
    return bool(
        (hidden < 0).sum() >= 2 and (hidden > 0).sum() >= 2 and np.all(hidden != 0)
        and np.abs(a["RELU_OUT"] - a["LINEAR_OUT"]).max() >= 0.5
        and abs(float((b1 @ W2)[0])) >= 0.5 and abs(float(b2[0])) >= 0.5
        and not np.allclose(a["RELU_OUT"], a["RELU_OUT_ON_OUTPUT_TOO"])
        and not np.allclose(a["RELU_OUT"], a["RELU_OUT_WITHOUT_FIRST_BIAS"])
        and np.all(a["W_COMBINED"] != 0)
    )


def draw_variant(rng) -> dict:
    """A student's own weights: halves from -2 to 2, biases from -1 to 1, whole-number inputs."""
    while True:
        params = {
            "X": rng.choice(INPUT_VALUES, size=(4, 2)).tolist(),
            "W1": rng.choice(WEIGHT_VALUES, size=(2, 3)).tolist(),
            "b1": rng.choice(BIAS_VALUES, size=3).tolist(),
            "W2": rng.choice(WEIGHT_VALUES, size=(3, 1)).tolist(),
            "b2": rng.choice(BIAS_VALUES, size=1).tolist(),
        }
        if is_sensible(params):
            return params


X, W1, B1, W2, B2 = variant_arrays(None)
_DEFAULT = expected()
W_COMBINED, B_COMBINED = _DEFAULT["W_COMBINED"], _DEFAULT["B_COMBINED"]
RELU_OUT = _DEFAULT["RELU_OUT"]


if __name__ == "__main__":
    print("W = W1 @ W2 =", W_COMBINED.ravel(), "  b = b1 @ W2 + b2 =", B_COMBINED)
    print("two linear layers:", expected()["TWO_LAYER_OUT"].ravel())
    print("one linear layer: ", expected()["LINEAR_OUT"].ravel())
    print("with ReLU:        ", RELU_OUT.ravel())
