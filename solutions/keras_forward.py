"""The banknote networks of forward_pass, built in Keras with the given weights.

A Keras `Dense(units, activation=...)` layer computes exactly the numpy layer of forward_pass,

    h_out = activation(h_in @ kernel + bias),   kernel: (inputs, units),   bias: (units,)

and `model.set_weights([kernel1, bias1, kernel2, bias2, ...])` sets the weights layer by layer,
in that order, with the same shapes as the numpy W and b. So the slides' neuron (w1 = 0.3,
w2 = 0.1, b = 1) gives the same p = 0.8205 for the banknote x = (1, 2.2) in Keras as in numpy,
and the network with one hidden layer of 8 sigmoid nodes and the seed-22 weights gives the same
p = 0.44860787 (up to float32 rounding: Keras computes in float32).

Every student may get their own neuron, banknote and seed (a variant); the default is the slides'.
"""

import os

import numpy as np

from solutions.forward_pass import (
    hidden_without_activation,
    hidden_without_output_sigmoid,
    predict_hidden,
    predict_no_hidden,
    sigmoid,
)

N_HIDDEN = 8  # nodes of the hidden layer, as in forward_pass

# The slides' neuron and banknote, and the course notebook's seed.
DEFAULT_VARIANT = {"w1": 0.3, "w2": 0.1, "b": 1.0, "x1": 1.0, "x2": 2.2, "seed": 22}


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")  # Keras 3 on torch, as in the course
    import keras

    return keras


def draw_normal(shape, seed):
    """Standard normal numbers as the course notebook draws them: np.random.seed(seed) before
    every weight matrix and bias, here with a private generator that leaves numpy's alone."""
    return np.random.RandomState(seed).normal(0.0, 1.0, size=shape)


def network_weights(seed, n_hidden=N_HIDDEN):
    """[W1, b1, W2, b2] of the 2 -> n_hidden -> 1 network, each drawn after reseeding."""
    return [draw_normal((2, n_hidden), seed), draw_normal((n_hidden,), seed),
            draw_normal((n_hidden, 1), seed), draw_normal((1,), seed)]


# --------------------------------------------------------------------------- the Keras models


def build_neuron(W, b):
    """The neuron as a Keras model: 2 inputs, one Dense node with the sigmoid, weights set."""
    keras = _keras()
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.set_weights([np.asarray(W, dtype="float32"), np.asarray(b, dtype="float32")])
    return model


def build_network(W1, b1, W2, b2):
    """2 inputs -> a hidden Dense layer with the sigmoid -> one sigmoid output, weights set.
    The hidden layer has as many nodes as W1 has columns."""
    keras = _keras()
    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(np.shape(W1)[1], activation="sigmoid"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.set_weights([np.asarray(w, dtype="float32") for w in (W1, b1, W2, b2)])
    return model


def keras_predict(X, W1, b1, W2, b2):
    """The probabilities (n, 1) that the Keras network with these weights predicts for X."""
    return build_network(W1, b1, W2, b2).predict(np.asarray(X, dtype="float32"), verbose=0)


# --------------------------------------------------------------------------- typical mistakes


def hidden_relu(X, W1, b1, W2, b2):
    """activation="relu" in the hidden layer, where the numpy network has the sigmoid."""
    return sigmoid(np.maximum(np.asarray(X, dtype=float) @ W1 + b1, 0.0) @ W2 + b2)


# --------------------------------------------------------------------------- the numbers


def expected(params=None) -> dict:
    """Every value the checks compare, or name as a mistake, for the variant `params`
    (None: the slides' numbers)."""
    v = params or DEFAULT_VARIANT
    X = np.array([[v["x1"], v["x2"]]])
    W, B = np.array([[v["w1"]], [v["w2"]]]), np.array([v["b"]])
    W1, B1, W2, B2 = network_weights(int(v["seed"]))
    once = np.random.RandomState(int(v["seed"]))  # drawn one after the other from one seed
    W1_once, B1_once, W2_once, B2_once = (once.normal(0.0, 1.0, size=s) for s in ((2, N_HIDDEN), (N_HIDDEN,), (N_HIDDEN, 1), (1,)))
    return {
        "X": X,
        "NEURON_WEIGHTS": [W, B],
        "NETWORK_WEIGHTS": [W1, B1, W2, B2],
        "P_NEURON": float(predict_no_hidden(X, W, B)[0, 0]),
        "P_NETWORK": float(predict_hidden(X, W1, B1, W2, B2)[0, 0]),
        # typical mistakes
        "Z_NEURON": float((X @ W + B)[0, 0]),
        "P_NEURON_SWAPPED": float(predict_no_hidden(X, W[::-1], B)[0, 0]),
        "NEURON_WEIGHTS_SWAPPED": [W[::-1], B],
        "NETWORK_WEIGHTS_SEEDED_ONCE": [W1_once, B1_once, W2_once, B2_once],
        "P_NETWORK_SEEDED_ONCE": float(predict_hidden(X, W1_once, B1_once, W2_once, B2_once)[0, 0]),
        "P_NETWORK_HIDDEN_LINEAR": float(hidden_without_activation(X, W1, B1, W2, B2)[0, 0]),
        "P_NETWORK_HIDDEN_RELU": float(hidden_relu(X, W1, B1, W2, B2)[0, 0]),
        "Z_NETWORK": float(hidden_without_output_sigmoid(X, W1, B1, W2, B2)[0, 0]),
    }


def is_sensible(params) -> bool:
    """A variant whose probabilities are neither 0 nor 1 and differ from every typical mistake."""
    a = expected(params)
    p, q = a["P_NEURON"], a["P_NETWORK"]
    wrong_p = (a["Z_NEURON"], a["P_NEURON_SWAPPED"], q)
    wrong_q = (a["P_NETWORK_SEEDED_ONCE"], a["P_NETWORK_HIDDEN_LINEAR"], a["P_NETWORK_HIDDEN_RELU"], a["Z_NETWORK"], p)
    return bool(0.05 < p < 0.95 and 0.05 < q < 0.95
                and all(abs(w - p) > 0.01 for w in wrong_p) and all(abs(w - q) > 0.01 for w in wrong_q))


def draw_variant(rng) -> dict:
    """A student's own neuron (weights -0.9 to 0.9 and a bias -1.5 to 1.5, one decimal, none 0),
    banknote (features -3 to 3, one decimal) and seed (1 to 99)."""
    while True:
        w1, w2 = (round(float(v), 1) for v in rng.choice([k / 10 for k in range(-9, 10) if k], size=2, replace=False))
        params = {
            "w1": w1, "w2": w2,
            "b": float(rng.choice([-1.5, -1.0, -0.5, 0.5, 1.0, 1.5])),
            "x1": round(float(rng.uniform(-3, 3)), 1), "x2": round(float(rng.uniform(-3, 3)), 1),
            "seed": int(rng.integers(1, 100)),
        }
        if params["x1"] != params["x2"] and is_sensible(params):
            return params


_SLIDES = expected()
P_NEURON, P_NETWORK = _SLIDES["P_NEURON"], _SLIDES["P_NETWORK"]  # 0.8205, 0.44860787


if __name__ == "__main__":
    a = expected()
    print(f"numpy: neuron p = {P_NEURON:.4f}, network p = {P_NETWORK:.8f}")
    print(f"Keras: neuron p = {float(build_neuron(*a['NEURON_WEIGHTS']).predict(a['X'], verbose=0)[0, 0]):.4f}, "
          f"network p = {float(keras_predict(a['X'], *a['NETWORK_WEIGHTS'])[0, 0]):.8f}")
