"""keras_forward: the slides' numbers in Keras and in torch, models that cross as config and
weights, hostile and mistaken models, a student's own numbers, and the hidden checks.

The contract every exercise keeps (questions and points, no answer in the student version, Otter's
tests, full marks and zero) is tested for this one in test_exercise_contract.py.
"""

import os

import numpy as np
import pytest
import torch
from support import assert_otter_tests_pass, judge_namespace, notebook_namespace, total

from autograder.exercises import master_notebook, max_score
from solutions import keras_forward as sol

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras

ID = "keras_forward"


def _neuron(activation="sigmoid", weights=None, use_bias=True):
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation=activation, use_bias=use_bias)])
    if weights is not None:
        model.set_weights(weights)
    return model


def _network(hidden=8, hidden_activation="sigmoid", output_activation="sigmoid", weights=None):
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(hidden, activation=hidden_activation),
                              keras.layers.Dense(1, activation=output_activation)])
    if weights is not None:
        model.set_weights(weights)
    return model


SLIDES = sol.expected()


# --------------------------------------------------------------------------- the numbers


def test_keras_gives_the_slides_probabilities():
    neuron = sol.build_neuron(*SLIDES["NEURON_WEIGHTS"])
    assert float(neuron.predict(np.array([[1.0, 2.2]]), verbose=0)[0, 0]) == pytest.approx(0.8205, abs=5e-5)
    p = sol.keras_predict(np.array([[1.0, 2.2]]), *SLIDES["NETWORK_WEIGHTS"])
    assert p.shape == (1, 1) and float(p[0, 0]) == pytest.approx(0.44860787, abs=1e-6)  # float32
    assert round(sol.P_NEURON, 4) == 0.8205 and round(sol.P_NETWORK, 8) == 0.44860787


def test_the_seeded_weights_are_the_course_notebooks_and_torch_agrees():
    state = np.random.get_state()
    for shape, drawn in zip([(2, 8), (8,), (8, 1), (1,)], SLIDES["NETWORK_WEIGHTS"]):
        np.random.seed(22)
        assert np.array_equal(np.random.normal(0, 1, size=shape), drawn)
    np.random.set_state(state)
    W1, b1, W2, b2 = SLIDES["NETWORK_WEIGHTS"]
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Sigmoid(), torch.nn.Linear(8, 1), torch.nn.Sigmoid()).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor(W1.T)), net[0].bias.copy_(torch.tensor(b1))
        net[2].weight.copy_(torch.tensor(W2.T)), net[2].bias.copy_(torch.tensor(b2))
        X = np.random.default_rng(3).normal(size=(9, 2))
        assert np.allclose(net(torch.tensor(X)).numpy(), sol.keras_predict(X, W1, b1, W2, b2), atol=1e-6)


def test_drawn_variants_are_sensible():
    rng = np.random.default_rng(0)
    drawn = [sol.draw_variant(rng) for _ in range(200)]
    for params in drawn:
        assert sol.is_sensible(params) and params["w1"] != params["w2"] and params["x1"] != params["x2"]
        assert 0 not in (params["w1"], params["w2"], params["b"]) and 1 <= params["seed"] <= 99
        assert all(isinstance(params[k], float) for k in ("w1", "w2", "b", "x1", "x2"))
    assert len({tuple(p.values()) for p in drawn}) == len(drawn)


# --------------------------------------------------------------------------- the checks


def _answers() -> dict:
    return {
        "neuron": _neuron(weights=SLIDES["NEURON_WEIGHTS"]),
        "p_neuron": np.array([[sol.P_NEURON]], dtype="float32"),
        "network": _network(weights=SLIDES["NETWORK_WEIGHTS"]),
        "p_network": np.array([[sol.P_NETWORK]], dtype="float32"),
        "keras_predict": sol.keras_predict,
    }


def test_models_built_otherwise_get_full_marks():
    """An Activation layer after a linear Dense, and the functional API, compute the same."""
    inputs = keras.Input(shape=(2,))
    hidden = keras.layers.Dense(8, activation="sigmoid")(inputs)
    functional = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))
    functional.set_weights(SLIDES["NETWORK_WEIGHTS"])
    separate = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1), keras.layers.Activation("sigmoid")])
    separate.set_weights(SLIDES["NEURON_WEIGHTS"])
    namespace = _answers() | {"neuron": separate, "network": functional, "p_network": torch.tensor(sol.P_NETWORK),
                              "p_neuron": float(sol.P_NEURON)}
    verdicts = judge_namespace(ID, namespace)
    assert total(verdicts) == max_score(ID), {k: (v.message, v.hint) for k, v in verdicts.items() if v.message}


@pytest.mark.parametrize(
    "mistake,check,points,hint",
    [
        ({"neuron": _neuron(activation=None, weights=SLIDES["NEURON_WEIGHTS"])}, "neuron", 0, "Keras' default is linear"),
        ({"neuron": _neuron(weights=[SLIDES["NEURON_WEIGHTS"][0]], use_bias=False)}, "neuron", 0, "use_bias=False"),
        ({"neuron": _neuron()}, "neuron", 1, "set_weights"),
        ({"neuron": _neuron(weights=SLIDES["NEURON_WEIGHTS_SWAPPED"])}, "neuron", 1, "swapped"),
        ({"network": _network(hidden_activation="relu", weights=SLIDES["NETWORK_WEIGHTS"])}, "network", 0, "activation 'relu'"),
        ({"network": _network(hidden_activation=None, weights=SLIDES["NETWORK_WEIGHTS"])}, "network", 0, "activation 'linear'"),
        ({"network": _network(output_activation=None, weights=SLIDES["NETWORK_WEIGHTS"])}, "network", 0, "outputs z"),
        ({"network": _network(hidden=4)}, "network", 0, "8 nodes"),
        ({"network": _neuron(weights=SLIDES["NEURON_WEIGHTS"])}, "network", 0, "2 Dense layers"),
        ({"network": _network()}, "network", 1, "set_weights"),
        ({"network": _network(weights=SLIDES["NETWORK_WEIGHTS_SEEDED_ONCE"])}, "network", 1, "reseeds"),
        # the given kernel set, the bias not: set_weights was called (it was told it was not)
        ({"neuron": _neuron(weights=[SLIDES["NEURON_WEIGHTS"][0], np.zeros(1)])}, "neuron", 1,
         "the kernels are the given ones, but not the biases"),
        ({"network": _network(weights=SLIDES["NETWORK_WEIGHTS"][:3] + [np.zeros(1)])}, "network", 1,
         "the kernels are the given ones, but not the biases"),
        ({"p_neuron": float(1 / (1 + np.exp(-(0.3 * 1.0 + 0.1 * 2.2))))}, "p_neuron", 0, "the bias b is missing"),
        ({"p_neuron": SLIDES["Z_NEURON"]}, "p_neuron", 0, "this is z"),
        ({"p_neuron": SLIDES["P_NEURON_SWAPPED"]}, "p_neuron", 0, "swapped"),
        ({"p_network": SLIDES["P_NETWORK_SEEDED_ONCE"]}, "p_network", 0, "reseeds"),
        ({"p_network": SLIDES["P_NETWORK_HIDDEN_LINEAR"]}, "p_network", 0, "no activation"),
        ({"p_network": SLIDES["P_NETWORK_HIDDEN_RELU"]}, "p_network", 0, "relu"),
        ({"p_network": SLIDES["P_NEURON"]}, "p_network", 0, "without hidden layer"),
        ({"keras_predict": sol.hidden_without_activation}, "keras_predict", 0, "needs activation=\"sigmoid\""),
        ({"keras_predict": sol.hidden_relu}, "keras_predict", 0, "uses relu"),
        ({"keras_predict": sol.hidden_without_output_sigmoid}, "keras_predict", 0, "these are z"),
    ],
)
def test_typical_mistakes_get_their_hint(mistake, check, points, hint):
    verdict = judge_namespace(ID, _answers() | mistake)[check]
    assert verdict.points == points
    assert hint in verdict.hint, (verdict.message, verdict.hint)
    assert "0.8205" not in verdict.message + verdict.hint and "0.4486" not in verdict.message + verdict.hint


def test_a_model_that_is_no_model_or_needs_code_is_refused_with_a_message():
    lambda_model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1), keras.layers.Lambda(lambda t: t * 0 + 1)])

    class Fake:  # claims to be a model; its "configuration" is not one
        def to_json(self):
            return '{"class_name": "Sequential", "config": {"layers": "rm -rf /"}}'

        def get_weights(self):
            return [np.zeros((2, 1))]

    for value, words in ((0.8205, "not a Keras model"), (None, "should be a Keras model"), (lambda_model, "Lambda"),
                         (Fake(), "could not be rebuilt"), (keras.layers.Dense(1), "not a Keras model")):
        verdict = judge_namespace(ID, _answers() | {"neuron": value})["neuron"]
        assert verdict.points == 0 and words in verdict.message, (value, verdict.message)


# --------------------------------------------------------------------------- a student's own numbers

VARIANT = {"w1": 0.9, "w2": -0.7, "b": 0.5, "x1": -1.6, "x2": -0.4, "seed": 27}  # draw_variant(default_rng(5))


def test_a_students_own_notebook_passes_and_is_judged_with_their_numbers(built):
    assert sol.is_sensible(VARIANT)
    _, _, tests = built
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    mine = sol.expected(VARIANT)
    assert float(np.ravel(namespace["p_neuron"])[0]) == pytest.approx(1 / (1 + np.exp(-(0.9 * -1.6 - 0.7 * -0.4 + 0.5))), abs=1e-6)
    assert float(np.ravel(namespace["p_network"])[0]) == pytest.approx(mine["P_NETWORK"], abs=1e-6)
    assert_otter_tests_pass(tests, namespace)
    assert total(judge_namespace(ID, namespace, params=VARIANT)) == max_score(ID)
    # the slides' models and numbers are wrong for this student: half the points for each model
    verdicts = judge_namespace(ID, _answers(), params=VARIANT)
    assert {k: v.points for k, v in verdicts.items()} == {"neuron": 1, "p_neuron": 0, "network": 1, "p_network": 0,
                                                         "keras_predict": 2}
