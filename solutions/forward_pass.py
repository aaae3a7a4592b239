"""The forward pass of a fully connected network: the banknote example of the slides.

A banknote has two features, so a batch of n banknotes is a matrix X of shape (n, 2), one
banknote per row. Every layer of a fully connected network does the same two steps:

    z = h_in @ W + b      (W has shape (inputs, outputs), b one entry per output)
    h_out = sigmoid(z)

Without a hidden layer that is logistic regression, p = sigmoid(X @ W + b). With hidden
layers the output of one layer is the input of the next. The weights of the course notebook
are standard normal numbers; the generator is reseeded with 22 before *every* weight matrix
and bias vector, which gives p = 0.44860787 (one hidden layer of 8 nodes) and
p = 0.64217449 (two hidden layers of 8 nodes) for the banknote x1 = 1, x2 = 2.2.

Every student may have their own seed, banknote and hidden-layer size (a variant):
`expected(params)` gives every value the checks compare or name as a mistake.
"""

import numpy as np

# The seed, the banknote and the nodes of each hidden layer of the slides: the default variant.
DEFAULT_VARIANT = {"seed": 22, "x1": 1.0, "x2": 2.2, "hidden": 8}

# The neuron of the slides (question 2), the same for every student: w1 = 0.3, w2 = 0.1, b = 1.
W = np.array([[0.3], [0.1]])
B = np.array([1.0])


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), elementwise on numbers and numpy arrays."""
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


# --------------------------------------------------------------------------- the three networks


def predict_no_hidden(X, W, b):
    """Logistic regression: p = sigmoid(X @ W + b), shape (n, 1) for X (n, 2) and W (2, 1)."""
    return sigmoid(np.asarray(X, dtype=float) @ W + b)


def draw_normal(shape, seed=DEFAULT_VARIANT["seed"]):
    """Standard normal numbers of `shape`, drawn as the course notebook does.

    The notebook calls np.random.seed(seed) and then np.random.normal(0, 1, ...) for every
    weight matrix and every bias, so each of them starts from the same seed. A private
    RandomState with the same seed gives the same numbers without touching numpy's global state.
    """
    return np.random.RandomState(seed).normal(0.0, 1.0, size=shape)


def predict_hidden(X, W1, b1, W2, b2):
    """One hidden layer: h = sigmoid(X @ W1 + b1), p = sigmoid(h @ W2 + b2)."""
    hidden = sigmoid(np.asarray(X, dtype=float) @ W1 + b1)
    return sigmoid(hidden @ W2 + b2)


def predict_two_hidden(X, W1, b1, W2, b2, W3, b3):
    """Two hidden layers: h1 = sigmoid(X W1 + b1), h2 = sigmoid(h1 W2 + b2), p = sigmoid(h2 W3 + b3)."""
    hidden1 = sigmoid(np.asarray(X, dtype=float) @ W1 + b1)
    hidden2 = sigmoid(hidden1 @ W2 + b2)
    return sigmoid(hidden2 @ W3 + b3)


# --------------------------------------------------------------------------- typical mistakes
# Wrong versions of the functions, used by the hidden checks to name a hint.


def no_hidden_without_bias(X, W, b):
    return sigmoid(np.asarray(X, dtype=float) @ W)


def no_hidden_without_sigmoid(X, W, b):
    return np.asarray(X, dtype=float) @ W + b


def hidden_without_activation(X, W1, b1, W2, b2):
    """The sigmoid of the hidden layer forgotten: the network collapses to logistic regression."""
    return sigmoid((np.asarray(X, dtype=float) @ W1 + b1) @ W2 + b2)


def hidden_without_output_sigmoid(X, W1, b1, W2, b2):
    return sigmoid(np.asarray(X, dtype=float) @ W1 + b1) @ W2 + b2


def hidden_without_bias1(X, W1, b1, W2, b2):
    return predict_hidden(X, W1, 0.0, W2, b2)


def hidden_without_bias2(X, W1, b1, W2, b2):
    return predict_hidden(X, W1, b1, W2, 0.0)


def hidden_without_biases(X, W1, b1, W2, b2):
    return predict_hidden(X, W1, 0.0, W2, 0.0)


def two_hidden_without_activation(X, W1, b1, W2, b2, W3, b3):
    """No sigmoid in the hidden layers."""
    return sigmoid(((np.asarray(X, dtype=float) @ W1 + b1) @ W2 + b2) @ W3 + b3)


def two_hidden_without_second_activation(X, W1, b1, W2, b2, W3, b3):
    hidden1 = sigmoid(np.asarray(X, dtype=float) @ W1 + b1)
    return sigmoid((hidden1 @ W2 + b2) @ W3 + b3)


def two_hidden_without_biases(X, W1, b1, W2, b2, W3, b3):
    return predict_two_hidden(X, W1, 0.0, W2, 0.0, W3, 0.0)


def two_hidden_W2_transposed(X, W1, b1, W2, b2, W3, b3):
    """hidden1 @ W2.T: only possible (and wrong) when W2 is square."""
    return predict_two_hidden(X, W1, b1, np.asarray(W2).T, b2, W3, b3)


def two_hidden_second_layer_skipped(X, W1, b1, W2, b2, W3, b3):
    """The second hidden layer computed but not used: p = sigmoid(h1 @ W3 + b3)."""
    return predict_hidden(X, W1, b1, W3, b3)


def relu(z):
    return np.maximum(0.0, np.asarray(z, dtype=float))


def no_hidden_relu(X, W, b):
    """ReLU where the sigmoid was asked for: not a probability."""
    return relu(np.asarray(X, dtype=float) @ W + b)


def hidden_relu(X, W1, b1, W2, b2):
    """ReLU in the hidden layer, where the notebook asks for the sigmoid."""
    return sigmoid(relu(np.asarray(X, dtype=float) @ W1 + b1) @ W2 + b2)


def two_hidden_relu(X, W1, b1, W2, b2, W3, b3):
    hidden1 = relu(np.asarray(X, dtype=float) @ W1 + b1)
    return sigmoid(relu(hidden1 @ W2 + b2) @ W3 + b3)


def _draw_without_reseeding(seed, *shapes):
    """Weights drawn one after the other from a single seed (the notebook reseeds each time)."""
    rs = np.random.RandomState(seed)
    return [rs.normal(0.0, 1.0, size=shape) for shape in shapes]


def _first(p) -> float:
    return float(np.asarray(p).reshape(-1)[0])


def expected(params=None) -> dict:
    """Every value the checks compare, or name as a mistake, for the variant `params`
    (None: the slides' numbers): the notebook's weights, the three probabilities, the shapes."""
    v = params or DEFAULT_VARIANT
    seed, h = int(v["seed"]), int(v["hidden"])
    X = np.array([[float(v["x1"]), float(v["x2"])]])  # the banknote, as a batch of one: shape (1, 2)

    def draw(shape):
        return draw_normal(shape, seed)

    one = (draw((2, h)), draw((h,)), draw((h, 1)), draw((1,)))  # 2 -> h -> 1
    shapes = ((2, h), (h, h), (h, 1))  # 2 -> h -> h -> 1: W has shape (inputs, nodes)
    two = (draw(shapes[0]), draw((h,)), draw(shapes[1]), draw((h,)), draw(shapes[2]), draw((1,)))
    return {
        "X": X, "W": W, "B": B, "HIDDEN": h, "SEED": seed,
        "ONE_HIDDEN": one, "TWO_HIDDEN": two,
        "P_NO_HIDDEN": _first(predict_no_hidden(X, W, B)),
        "P_HIDDEN": _first(predict_hidden(X, *one)),
        "P_TWO_HIDDEN": _first(predict_two_hidden(X, *two)),
        "SHAPE_W1": shapes[0], "SHAPE_W2": shapes[1], "SHAPE_W3": shapes[2],
        # Typical mistakes, used by the hidden checks to name a hint.
        "P_NO_HIDDEN_WITHOUT_BIAS": _first(no_hidden_without_bias(X, W, B)),
        "Z_NO_HIDDEN": _first(no_hidden_without_sigmoid(X, W, B)),  # z instead of p
        "P_HIDDEN_WITHOUT_ACTIVATION": _first(hidden_without_activation(X, *one)),
        "P_HIDDEN_WITHOUT_BIASES": _first(hidden_without_biases(X, *one)),
        "Z_HIDDEN": _first(hidden_without_output_sigmoid(X, *one)),
        "P_HIDDEN_RELU": _first(hidden_relu(X, *one)),
        "P_HIDDEN_SEEDED_ONCE": _first(predict_hidden(X, *_draw_without_reseeding(seed, (2, h), (h,), (h, 1), (1,)))),
        "P_TWO_HIDDEN_WITHOUT_ACTIVATION": _first(two_hidden_without_activation(X, *two)),
        "P_TWO_HIDDEN_W2_TRANSPOSED": _first(two_hidden_W2_transposed(X, *two)),
        "P_TWO_HIDDEN_WITHOUT_BIASES": _first(two_hidden_without_biases(X, *two)),
        "P_TWO_HIDDEN_RELU": _first(two_hidden_relu(X, *two)),
        "P_TWO_HIDDEN_SEEDED_ONCE": _first(predict_two_hidden(
            X, *_draw_without_reseeding(seed, shapes[0], (h,), shapes[1], (h,), shapes[2], (1,)))),
        "SHAPE_W2_FROM_INPUTS": (2, h),  # W2 given the 2 features as its inputs
    }


# The probabilities of each question, and the mistakes the hidden checks name for it.
MISTAKES = {
    "P_NO_HIDDEN": ("P_NO_HIDDEN_WITHOUT_BIAS", "Z_NO_HIDDEN"),
    "P_HIDDEN": ("P_HIDDEN_WITHOUT_ACTIVATION", "P_HIDDEN_WITHOUT_BIASES", "Z_HIDDEN", "P_HIDDEN_SEEDED_ONCE",
                 "P_HIDDEN_RELU"),
    "P_TWO_HIDDEN": ("P_TWO_HIDDEN_WITHOUT_ACTIVATION", "P_TWO_HIDDEN_W2_TRANSPOSED", "P_TWO_HIDDEN_WITHOUT_BIASES",
                     "P_TWO_HIDDEN_SEEDED_ONCE", "P_HIDDEN", "P_TWO_HIDDEN_RELU"),
}


def _apart(a, b) -> bool:
    """Far enough apart that the checks (rtol 1e-3) never take one for the other."""
    return not np.isclose(a, b, rtol=1e-2, atol=1e-3)


def draw_variant(rng) -> dict:
    """A student's own seed (not the slides' 22), banknote (one decimal each, as the slides')
    and hidden-layer size, 5 to 10 nodes. Every probability lies clearly inside (0, 1), and
    every typical mistake gives a number the checks tell apart from the right one."""
    while True:
        params = {"seed": int(rng.integers(1, 1000)), "x1": round(float(rng.uniform(0.5, 3.0)), 1),
                  "x2": round(float(rng.uniform(0.5, 3.0)), 1), "hidden": int(rng.integers(5, 11))}
        if params["seed"] == DEFAULT_VARIANT["seed"]:
            continue
        a = expected(params)
        inside = all(0.05 < a[key] < 0.95 for key in MISTAKES)
        distinct = all(_apart(a[key], a[wrong]) for key, wrongs in MISTAKES.items() for wrong in wrongs)
        if inside and distinct and _apart(a["P_NO_HIDDEN"], a["P_HIDDEN"]) and _apart(a["P_NO_HIDDEN"], a["P_TWO_HIDDEN"]):
            return params


# The slides' numbers, as constants.
_SLIDES = expected()
X = _SLIDES["X"]  # the banknote x1 = 1, x2 = 2.2: shape (1, 2)
SEED = _SLIDES["SEED"]  # the course notebook reseeds numpy with 22 before each weight draw
N_HIDDEN = _SLIDES["HIDDEN"]  # nodes of each hidden layer
P_NO_HIDDEN = _SLIDES["P_NO_HIDDEN"]  # sigmoid(1.52) = 0.8205
W1, B1, W2, B2 = _SLIDES["ONE_HIDDEN"]  # 2 inputs -> 8 hidden nodes -> 1 output
P_HIDDEN = _SLIDES["P_HIDDEN"]  # 0.44860787
SHAPE_W1, SHAPE_W2, SHAPE_W3 = _SLIDES["SHAPE_W1"], _SLIDES["SHAPE_W2"], _SLIDES["SHAPE_W3"]  # 2 -> 8 -> 8 -> 1
W1_, B1_, W2_, B2_, W3_, B3_ = _SLIDES["TWO_HIDDEN"]
P_TWO_HIDDEN = _SLIDES["P_TWO_HIDDEN"]  # 0.64217449
P_NO_HIDDEN_WITHOUT_BIAS = _SLIDES["P_NO_HIDDEN_WITHOUT_BIAS"]
Z_NO_HIDDEN = _SLIDES["Z_NO_HIDDEN"]  # 1.52: z instead of p
P_HIDDEN_WITHOUT_ACTIVATION = _SLIDES["P_HIDDEN_WITHOUT_ACTIVATION"]
P_HIDDEN_WITHOUT_BIASES = _SLIDES["P_HIDDEN_WITHOUT_BIASES"]
Z_HIDDEN = _SLIDES["Z_HIDDEN"]
P_HIDDEN_RELU = _SLIDES["P_HIDDEN_RELU"]
P_HIDDEN_SEEDED_ONCE = _SLIDES["P_HIDDEN_SEEDED_ONCE"]
P_TWO_HIDDEN_WITHOUT_ACTIVATION = _SLIDES["P_TWO_HIDDEN_WITHOUT_ACTIVATION"]
P_TWO_HIDDEN_W2_TRANSPOSED = _SLIDES["P_TWO_HIDDEN_W2_TRANSPOSED"]
P_TWO_HIDDEN_WITHOUT_BIASES = _SLIDES["P_TWO_HIDDEN_WITHOUT_BIASES"]
P_TWO_HIDDEN_RELU = _SLIDES["P_TWO_HIDDEN_RELU"]
P_TWO_HIDDEN_SEEDED_ONCE = _SLIDES["P_TWO_HIDDEN_SEEDED_ONCE"]


if __name__ == "__main__":
    print(f"no hidden layer:   p = {P_NO_HIDDEN:.4f}")
    print(f"one hidden layer:  p = {P_HIDDEN:.8f}")
    print(f"two hidden layers: p = {P_TWO_HIDDEN:.8f}")
    print(f"shapes: W1 {SHAPE_W1}, W2 {SHAPE_W2}, W3 {SHAPE_W3}")
