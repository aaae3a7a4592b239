"""Hidden checks of `keras_forward`: the banknote neuron and network in Keras, with the given weights.

Otter questions and the names they grade:
    q1_neuron    neuron (a Keras model), p_neuron       one sigmoid node, weights [[w1], [w2]] and [b]
    q2_network   network (a Keras model), p_network     2 -> 8 sigmoid -> 1 sigmoid, the seeded weights
    q3_predict   keras_predict(X, W1, b1, W2, b2)       called on the grader's weights and batches

A model crosses the sandbox as data only (probe `KerasModel`: its JSON configuration and its
weights); here it is rebuilt in Keras' safe mode by `autograder.judge.training.rebuild`, which
refuses custom code, and its predictions on the grader's batch are compared with the numpy
forward pass of forward_pass. Half the points when the model computes the right function with
weights that are not the given ones; all of them when the weights are the given ones too.
Every student may have their own neuron, banknote and seed (a variant).
"""

import re

import numpy as np

from autograder.exercises import load_solution
from autograder.judge import (
    Check,
    FormError,
    FunctionCheck,
    ValueCheck,
    Verdict,
)
from autograder.judge.training import ModelRefused, predict, rebuild
from autograder.probe.requests import KerasModel

sol = load_solution(__file__)


# The batch a rebuilt model is tried on: the model is in the grader's hands, any batch will do.
BATCH = np.random.default_rng(2024).normal(0.0, 2.0, size=(16, 2))


def _p_neuron_without_bias(a):
    kernel, _ = a["NEURON_WEIGHTS"]
    return float(sol.predict_no_hidden(a["X"], kernel, np.zeros(1))[0, 0])


def _dense_layers(config) -> list[dict]:
    inner = config.get("config", {}) if isinstance(config, dict) else {}
    layers = inner.get("layers", []) if isinstance(inner, dict) else []
    return [layer.get("config") or {} for layer in layers if isinstance(layer, dict) and layer.get("class_name") == "Dense"]


def _activation(layer: dict) -> str:
    act = layer.get("activation", "linear")
    if isinstance(act, dict):  # a serialised activation object
        act = act.get("config") if isinstance(act.get("config"), str) else act.get("class_name", "?")
    return str(act or "linear").lower()


SET_WEIGHTS = ("the weights are not the given ones; they look like Keras' own random initial weights (all biases 0): "
               "call model.set_weights([...]) with the given arrays")
BIASES_NOT_GIVEN = ("the kernels are the given ones, but not the biases: set_weights takes [kernel, bias, ...] "
                    "layer by layer, with the given bias of every layer")
OUTPUT_LINEAR = ("the output layer has no activation: Keras' default is linear, so the model outputs z; "
                 "use activation=\"sigmoid\" to get the probability p")


class KerasModelCheck(Check):
    """A Keras model of the notebook: the layers and the weights it should have.

    `layers` is [(units, activation), ...] of the Dense layers, `forward(X, *weights)` the numpy
    forward pass with weights in Keras' order (kernel, bias, kernel, bias, ...).
    """

    def __init__(self, name, var, layers, forward, weights, points, description, mistaken_weights):
        self.name, self.var, self.layers, self.forward = name, var, layers, forward
        self.weights, self.points, self.description = weights, points, description
        self.mistaken_weights = mistaken_weights  # {hint: FromVariant of a wrong list of weights}

    def probes(self, rng):
        return {"model": KerasModel(self.var)}

    def _model(self, answer):
        what = f"`{self.var}`"
        if answer.error is not None:
            raise FormError(f"{what}: {answer.error}")
        if answer.value is Ellipsis:
            raise FormError(f"{what}: not answered yet (still `...`)")
        value = answer.value
        if not isinstance(value, dict) or not isinstance(value.get("config"), str) or "weights" not in value:
            raise FormError(f"{what} should be a Keras model, {self.description}")
        try:
            return rebuild(value["config"], list(value["weights"]) if isinstance(value["weights"], (list, tuple)) else None, (2,))
        except ModelRefused as exc:
            raise FormError(f"{what} could not be rebuilt from its configuration: {exc}") from None

    def _structure_hint(self, config) -> str:
        dense = _dense_layers(config)
        if len(dense) != len(self.layers):
            if len(self.layers) == 1:
                return "the neuron is a single Dense layer with one node: keras.layers.Dense(1, activation=\"sigmoid\")"
            return (f"the network has {len(self.layers)} Dense layers: a hidden layer of {self.layers[0][0]} nodes "
                    "and an output layer of one node")
        for number, (layer, (units, activation)) in enumerate(zip(dense, self.layers), start=1):
            last = number == len(self.layers)
            if layer.get("units") != units:
                if last:
                    return "the output layer has one node, whose sigmoid is the probability p (not a softmax over two)"
                return f"the hidden layer has {units} nodes: W1 has {units} columns"
            if layer.get("use_bias") is False:
                return "use_bias=False leaves out the bias; every layer of the numpy network adds its b"
            if _activation(layer) != activation:
                if last and _activation(layer) == "linear":
                    return OUTPUT_LINEAR
                if last:
                    return f"the output layer has the activation {_activation(layer)!r}; p is the sigmoid of z"
                return (f"the hidden layer has the activation {_activation(layer)!r}; the numpy network of "
                        "forward_pass uses the sigmoid in the hidden layer too")
        return ""

    def _weights_hint(self, got) -> str:
        for hint, wrong in self.mistaken_weights.items():
            if _same_weights(got, wrong()):
                return hint
        expected = [np.asarray(w, dtype=float) for w in self.weights()]
        if _same_weights(got[0::2], expected[0::2]):
            # the given kernels were set: whatever is wrong lies in the biases, set_weights was called
            return BIASES_NOT_GIVEN
        biases = got[1::2]
        if biases and all(np.all(b == 0) for b in biases):
            return SET_WEIGHTS
        return ""

    def judge(self, answers, asked):
        rebuilt = self._model(answers["model"])
        got = [np.asarray(w, dtype=float) for w in rebuilt.model.get_weights()]
        expected = [np.asarray(w, dtype=float) for w in self.weights()]
        out = predict(rebuilt.model, BATCH)
        shapes_fit = [w.shape for w in got] == [w.shape for w in expected]
        computes_it = shapes_fit and out.shape == (len(BATCH), 1) and np.allclose(out, self.forward(BATCH, *got), atol=1e-5)
        if not computes_it:
            return Verdict(0.0, f"`{self.var}` does not compute {self.description}", self._structure_hint(rebuilt.config))
        if _same_weights(got, expected):
            return Verdict(self.points)
        return Verdict(self.points / 2, f"`{self.var}` has the right layers, but not the given weights",
                       self._weights_hint(got))


def _same_weights(got, expected) -> bool:
    return len(got) == len(expected) and all(
        g.shape == np.shape(e) and np.allclose(g, e, rtol=1e-5, atol=1e-6) for g, e in zip(got, expected))


def _network_cases(rng):
    """Batches of banknotes and networks 2 -> h -> 1 with the grader's weights, h from 3 to 10."""
    cases = []
    for _ in range(3):
        h = int(rng.integers(3, 11))
        cases.append((rng.normal(0.0, 2.0, size=(int(rng.integers(2, 7)), 2)), rng.normal(size=(2, h)),
                      rng.normal(size=(h,)), rng.normal(size=(h, 1)), rng.normal(size=(1,))))
    return cases


SEEDED_ONCE = ("the weights were drawn one after the other from one seed; the course notebook reseeds before "
               "every weight matrix and bias (use draw_normal)")
HIDDEN_ACTIVATION = "the hidden layer needs activation=\"sigmoid\", as in the numpy forward pass"

_SHAPES = re.compile(r"weight shape \((\d+), ?(\d+)\) is not compatible with provided weight shape \((\d+), ?(\d+)\)")


def _weight_shape_hint(text: str) -> str:
    """What Keras' "weight shape (a, b) is not compatible with provided weight shape (c, d)"
    says of the model: a kernel is (inputs, nodes), so the pair of shapes tells a transposed
    weight from a wrong input size from a wrong number of hidden nodes; anything else: no hint."""
    match = _SHAPES.search(text)
    if not match:
        return ""
    a, b, c, d = (int(n) for n in match.groups())
    if (a, b) == (d, c):
        return ("the weights were passed transposed: a Dense kernel has shape (inputs, nodes), as W1 and W2 are "
                "given; pass them as they are")
    if b == d:
        return ("the model's input has the wrong size: it takes as many features as W1 has rows, "
                "keras.Input(shape=(W1.shape[0],))")
    if a == c:
        return ("the layers must fit the weights they are given: the hidden layer has as many nodes as W1 has "
                "columns, Dense(W1.shape[1], ...)")
    return ""


CHECKS = [
    KerasModelCheck(
        "neuron", "neuron",
        layers=[(1, "sigmoid")],
        forward=sol.predict_no_hidden,
        weights=sol.for_student("NEURON_WEIGHTS"),
        points=2.0,
        description="the neuron: 2 inputs, one Dense node with the sigmoid, and the given w1, w2 and b",
        mistaken_weights={"w1 and w2 are swapped: the first row of the kernel belongs to x1": sol.for_student("NEURON_WEIGHTS_SWAPPED")},
    ),
    ValueCheck(
        "p_neuron",
        expected=sol.for_student("P_NEURON"),
        description="the probability that the Keras neuron predicts for the banknote X",
        mistakes={
            "this is z, not p: the Dense layer needs activation=\"sigmoid\"": sol.for_student("Z_NEURON"),
            "w1 and w2 are swapped: the first row of the kernel belongs to x1": sol.for_student("P_NEURON_SWAPPED"),
            "the bias b is missing: the neuron computes sigmoid(w1 x1 + w2 x2 + b)":
                sol.for_student(_p_neuron_without_bias),
        },
    ),
    KerasModelCheck(
        "network", "network",
        layers=[(sol.N_HIDDEN, "sigmoid"), (1, "sigmoid")],
        forward=sol.predict_hidden,
        weights=sol.for_student("NETWORK_WEIGHTS"),
        points=2.0,
        description=f"the network: 2 inputs, a hidden Dense layer of {sol.N_HIDDEN} sigmoid nodes, one sigmoid "
                    "output node, and the given weights",
        mistaken_weights={SEEDED_ONCE: sol.for_student("NETWORK_WEIGHTS_SEEDED_ONCE")},
    ),
    ValueCheck(
        "p_network",
        expected=sol.for_student("P_NETWORK"),
        description="the probability that the Keras network predicts for the banknote X",
        mistakes={
            SEEDED_ONCE: sol.for_student("P_NETWORK_SEEDED_ONCE"),
            "the hidden layer has no activation: use activation=\"sigmoid\"": sol.for_student("P_NETWORK_HIDDEN_LINEAR"),
            "the hidden layer uses relu; the numpy network uses the sigmoid": sol.for_student("P_NETWORK_HIDDEN_RELU"),
            "this is z, not p: the output layer needs activation=\"sigmoid\"": sol.for_student("Z_NETWORK"),
            "this is the probability of the neuron without hidden layer": sol.for_student("P_NEURON"),
        },
    ),
    FunctionCheck(
        "keras_predict",
        cases=_network_cases,
        reference=sol.predict_hidden,
        points=2.0,
        figure="predictions",
        rtol=1e-4,
        atol=1e-6,  # Keras computes in float32
        description="the probabilities of the Keras network with these weights, shape (n, 1), for a hidden layer of any size",
        mistakes={
            HIDDEN_ACTIVATION: sol.hidden_without_activation,
            "the hidden layer uses relu; the numpy network uses the sigmoid": sol.hidden_relu,
            "the output layer has no activation, so these are z: use activation=\"sigmoid\"": sol.hidden_without_output_sigmoid,
        },
        raised_hints={"is not compatible with provided weight shape": _weight_shape_hint},
    ),
]


# Otter question -> the checks that grade it: the build gives each question the sum of their points
# and one hidden Otter test per check (autograder/build/hidden_tests.py).
QUESTIONS = {
    "q1_neuron": ["neuron", "p_neuron"],
    "q2_network": ["network", "p_network"],
    "q3_predict": ["keras_predict"],
}


def notebook_variant(given: dict) -> dict:
    """The notebook's own numbers, read from its given variables, for Otter's hidden tests (the
    grader reads them from the notebook's signed variant block instead)."""
    return {"w1": given["w1"], "w2": given["w2"], "b": given["b"], "x1": given["X"][0][0], "x2": given["X"][0][1],
            "seed": given["SEED"]}
