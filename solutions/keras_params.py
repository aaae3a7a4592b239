"""Counting the parameters of Keras networks.

A Dense layer with n_in inputs and n_out nodes has a weight matrix of shape (n_in, n_out) and
one bias per node:

    params(Dense) = n_in * n_out + n_out = (n_in + 1) * n_out

The activation function has no parameters, so it does not matter for the count. A network
that is a stack of Dense layers with sizes [n_0, n_1, ..., n_k] (n_0 the inputs) has the sum
of these over its k layers:

    10 -> 20 -> 30:        (10+1)*20 + (20+1)*30 = 220 + 630 = 850
    10 -> 100 -> 100 -> 1: 1,100 + 10,100 + 101 = 11,301
    2 -> 8 -> 1:           24 + 9 = 33

A BatchNormalization layer after a layer of n nodes keeps 4 numbers per node: gamma and beta
are learned (trainable), the moving mean and moving variance are updated during training but
not by the optimizer (non-trainable). So it has 2n trainable and 2n non-trainable parameters.
The slides' MNIST network 784 -> 500 -> 50 -> 10 with BatchNormalization after both hidden
Dense layers has

    Dense:              392,500 + 25,050 + 510       = 418,060 (all trainable)
    BatchNormalization: 2 * (500 + 50) = 1,100 trainable and 1,100 non-trainable
    trainable 419,160, non-trainable 1,100, total (model.count_params()) 420,260.

Every student may have their own sizes for the three Dense stacks of questions 1, 2 and 6 (a
variant): `expected(params)` gives every count the checks compare or name as a mistake. The
BatchNormalization networks of questions 4 and 5 are the slides' for everyone.
"""

# The Dense stacks of the slides: 10 -> 20 -> 30 (question 1), 10 -> 100 -> 100 -> 1 (questions 2
# and 6) and the banknote network 2 -> 8 -> 1 (question 2): the default variant.
DEFAULT_VARIANT = {"n_in": 10, "n_1": 20, "n_2": 30, "deep_in": 10, "deep_hidden": 100, "banknote_hidden": 8}


def dense_params(n_in, n_out):
    """Weights and biases of one Dense layer: n_in * n_out weights plus n_out biases."""
    return n_in * n_out + n_out


def count_dense_params(layer_sizes):
    """Parameters of a stack of Dense layers; layer_sizes = [inputs, nodes of layer 1, ...]."""
    sizes = [int(n) for n in layer_sizes]
    return sum(dense_params(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def batchnorm_params(n):
    """(trainable, non-trainable) parameters of BatchNormalization over n nodes."""
    return 2 * n, 2 * n  # (gamma, beta), (moving mean, moving variance)


# 784 -> 500 -> 50 -> 10, BatchNormalization after each hidden Dense layer
MNIST_SIZES = [784, 500, 50, 10]
BN_UNITS = [500, 50]
TRAINABLE_PARAMS = count_dense_params(MNIST_SIZES) + sum(batchnorm_params(n)[0] for n in BN_UNITS)  # 419,160
NON_TRAINABLE_PARAMS = sum(batchnorm_params(n)[1] for n in BN_UNITS)  # 1,100
TOTAL_PARAMS = TRAINABLE_PARAMS + NON_TRAINABLE_PARAMS  # 420,260 = model.count_params()

# Question 5 lets Keras count a network of the same kind with other sizes, so that its summary
# does not answer question 4: 784 -> 300 -> 100 -> 10, BatchNormalization after both hidden layers.
KERAS_SIZES = [784, 300, 100, 10]
KERAS_BN_UNITS = [300, 100]
KERAS_DENSE_ONLY = count_dense_params(KERAS_SIZES)  # 266,610
KERAS_TRAINABLE = KERAS_DENSE_ONLY + sum(batchnorm_params(n)[0] for n in KERAS_BN_UNITS)  # 267,410
KERAS_TOTAL = KERAS_TRAINABLE + sum(batchnorm_params(n)[1] for n in KERAS_BN_UNITS)  # 268,210

# The functional-API bug: the first Dense layer is called on `x`, which is not defined yet;
# the input tensor is called `inputs`. Fixed, it is the 10 -> 100 -> 100 -> 1 network.
BUG_CHOICE = "B"
BUG_CHOICES = {
    "A": "Dense layers in the functional API need an input_shape argument.",
    "B": "The first Dense layer is applied to x, which is not defined yet; it must be applied to inputs.",
    "C": "The output layer needs an activation function.",
    "D": "keras.Model must be given the list of layers, not tensors.",
}


def build_mnist_bn_model(sizes=(784, 500, 50, 10)):
    """The 784-500-50-10 network with BatchNormalization (or another of `sizes`), in Keras."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras
    from keras import layers

    n_in, hidden1, hidden2, n_out = sizes
    return keras.Sequential([
        keras.Input(shape=(n_in,)),
        layers.Dense(hidden1),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.Dense(hidden2),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.Dense(n_out, activation="softmax"),
    ])


def build_fixed_functional_model(n_in=10, hidden=100):
    """The slides' functional model with the bug fixed: 10 -> 100 -> 100 -> 1 (or n_in -> hidden -> hidden -> 1)."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras
    from keras import layers

    inputs = keras.Input(shape=(n_in,))
    x = layers.Dense(hidden, activation="relu")(inputs)
    x = layers.Dense(hidden, activation="relu")(x)
    outputs = layers.Dense(1)(x)
    return keras.Model(inputs=inputs, outputs=outputs)


# --------------------------------------------------------------------------- typical mistakes


def count_weights_only(layer_sizes):
    """Biases forgotten: only the weights n_in * n_out."""
    sizes = [int(n) for n in layer_sizes]
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def count_bias_per_input(layer_sizes):
    """One bias per *input* of each layer instead of one per node: n_in * n_out + n_in."""
    sizes = [int(n) for n in layer_sizes]
    return sum(a * b + a for a, b in zip(sizes[:-1], sizes[1:]))


def count_one_bias_per_layer(layer_sizes):
    """One bias per layer instead of one per node."""
    sizes = [int(n) for n in layer_sizes]
    return sum(a * b + 1 for a, b in zip(sizes[:-1], sizes[1:]))


DENSE_ONLY = count_dense_params(MNIST_SIZES)  # 418,060: BatchNormalization forgotten
WEIGHTS_ONLY_MNIST = count_weights_only(MNIST_SIZES)  # 417,500


def stacks(params=None) -> dict:
    """The three Dense stacks of a variant as layer sizes, {"q1": [...], "deep": [...], "banknote": [...]}."""
    v = params or DEFAULT_VARIANT
    return {"q1": [int(v["n_in"]), int(v["n_1"]), int(v["n_2"])],
            "deep": [int(v["deep_in"]), int(v["deep_hidden"]), int(v["deep_hidden"]), 1],
            "banknote": [2, int(v["banknote_hidden"]), 1]}


def expected(params=None) -> dict:
    """Every count the checks compare, or name as a mistake, for the variant `params` (None: the
    slides' numbers). Keys ending in _MISTAKES map a hint's name to the wrong count it gives."""
    s = stacks(params)
    n_in, n_1, n_2 = s["q1"]

    def wrong(sizes):
        return {"no_bias": count_weights_only(sizes), "bias_per_input": count_bias_per_input(sizes),
                "one_bias_per_layer": count_one_bias_per_layer(sizes)}

    return {
        "Q1_SIZES": s["q1"], "DEEP_SIZES": s["deep"], "BANKNOTE_SIZES": s["banknote"],
        "PARAMS_LAYER1": dense_params(n_in, n_1),
        "PARAMS_LAYER2": dense_params(n_1, n_2),
        "PARAMS_10_20_30": count_dense_params(s["q1"]),
        "PARAMS_10_100_100_1": count_dense_params(s["deep"]),
        "PARAMS_2_8_1": count_dense_params(s["banknote"]),
        "PARAMS_FIXED": count_dense_params(s["deep"]),  # the fixed functional model is the deep stack
        # Typical mistakes, used by the hidden checks to name a hint.
        "LAYER1_MISTAKES": wrong([n_in, n_1]),
        "LAYER2_MISTAKES": wrong([n_1, n_2]) | {"from_features": dense_params(n_in, n_2)},
        "Q1_MISTAKES": {"no_bias": count_weights_only(s["q1"]), "one_bias_per_layer": count_one_bias_per_layer(s["q1"]),
                        "multiplied": n_in * n_1 * n_2},
        "DEEP_MISTAKES": wrong(s["deep"]),
        "BANKNOTE_MISTAKES": wrong(s["banknote"]),
    }


# Numbers the student notebook shows whatever the variant (the BatchNormalization networks, the
# check-yourself network 4 -> 6 -> 3 and its count 51, 28 x 28 pixels): no personal count may be one.
SHOWN_NUMBERS = frozenset({4, 6, 3, 28, 784, 500, 50, 10, 300, 100, count_dense_params([4, 6, 3]),
                           TRAINABLE_PARAMS, NON_TRAINABLE_PARAMS, TOTAL_PARAMS, KERAS_TOTAL})


def _counts(a: dict) -> list[int]:
    """The counts questions 1 and 2 ask for (question 6 asks the deep stack's again)."""
    return [a[k] for k in ("PARAMS_LAYER1", "PARAMS_LAYER2", "PARAMS_10_20_30", "PARAMS_10_100_100_1", "PARAMS_2_8_1")]


def draw_variant(rng) -> dict:
    """A student's own Dense stacks: question 1 with 3 to 16 inputs and two layers of 8 to 40
    nodes; question 2's deep stack with 4 to 20 inputs and two hidden layers of 30 to 150 nodes
    (in tens), and the banknote network with 3 to 12 hidden nodes. Every typical mistake gives
    another count than the right one, the counts differ from each other, from the sizes and
    from every number the notebook shows anyway, and no stack is the check-yourself network."""
    while True:
        params = {"n_in": int(rng.integers(3, 17)), "n_1": int(rng.integers(8, 41)), "n_2": int(rng.integers(8, 41)),
                  "deep_in": int(rng.integers(4, 21)), "deep_hidden": 10 * int(rng.integers(3, 16)),
                  "banknote_hidden": int(rng.integers(3, 13))}
        if params == DEFAULT_VARIANT or len({params["n_in"], params["n_1"], params["n_2"]}) < 3:
            continue
        a = expected(params)
        counts = _counts(a)
        sizes = {n for key in ("Q1_SIZES", "DEEP_SIZES", "BANKNOTE_SIZES") for n in a[key]}
        mistakes_apart = all(
            a[right] not in a[wrongs].values()
            for right, wrongs in (("PARAMS_LAYER1", "LAYER1_MISTAKES"), ("PARAMS_LAYER2", "LAYER2_MISTAKES"),
                                  ("PARAMS_10_20_30", "Q1_MISTAKES"), ("PARAMS_10_100_100_1", "DEEP_MISTAKES"),
                                  ("PARAMS_2_8_1", "BANKNOTE_MISTAKES")))
        if mistakes_apart and len(set(counts)) == len(counts) and not (set(counts) & (sizes | SHOWN_NUMBERS)):
            return params


# The slides' numbers, as constants.
_SLIDES = expected()
PARAMS_LAYER1 = _SLIDES["PARAMS_LAYER1"]  # 220
PARAMS_LAYER2 = _SLIDES["PARAMS_LAYER2"]  # 630
PARAMS_10_20_30 = _SLIDES["PARAMS_10_20_30"]  # 850
PARAMS_10_100_100_1 = _SLIDES["PARAMS_10_100_100_1"]  # 11,301
PARAMS_2_8_1 = _SLIDES["PARAMS_2_8_1"]  # 33
PARAMS_FIXED = _SLIDES["PARAMS_FIXED"]  # 11,301


if __name__ == "__main__":
    print(f"10-20-30: {PARAMS_LAYER1} + {PARAMS_LAYER2} = {PARAMS_10_20_30}")
    print(f"10-100-100-1: {PARAMS_10_100_100_1:,}; 2-8-1: {PARAMS_2_8_1}")
    print(f"784-500-50-10 with BatchNormalization: trainable {TRAINABLE_PARAMS:,}, "
          f"non-trainable {NON_TRAINABLE_PARAMS:,}, total {TOTAL_PARAMS:,}")
