"""activations: ReLU, tanh and their derivatives against torch, the collapse of two linear layers,
the master with the notebook's and a student's own weights, and the hidden checks.

The contract every exercise keeps (questions and points, no answer in the student version, Otter's
tests, full marks and zero) is tested for this one in test_exercise_contract.py.
"""

import numpy as np
import pytest
import torch
from support import (
    assert_otter_tests_pass,
    judge_namespace,
    notebook_namespace,
    run_otter_test,
    total,
)

from autograder.exercises import load_checks, master_notebook, max_score
from solutions import activations as sol

ID = "activations"


# --------------------------------------------------------------------------- the functions, against torch


def test_activations_and_derivatives_agree_with_torch_autograd():
    x = torch.linspace(-5.0, 5.0, 41, dtype=torch.float64)
    x = x[x != 0].reshape(8, 5).requires_grad_(True)  # relu has no derivative at 0
    for ours, ours_grad, theirs in ((sol.relu, sol.relu_grad, torch.relu), (sol.tanh, sol.tanh_grad, torch.tanh)):
        y = theirs(x)
        (grad,) = torch.autograd.grad(y.sum(), x)
        assert np.allclose(ours(x.detach().numpy()), y.detach().numpy())
        assert np.allclose(ours_grad(x.detach().numpy()), grad.numpy())
        assert ours(x.detach().numpy()).shape == (8, 5)


def test_relu_and_tanh_by_hand():
    assert sol.relu(np.array([-2.0, 0.0, 3.5])).tolist() == [0.0, 0.0, 3.5]
    assert sol.relu_grad(np.array([-2.0, 0.0, 3.5])).tolist() == [0.0, 0.0, 1.0]  # 0 at 0, as torch
    assert sol.tanh(np.array([0.0]))[0] == 0.0 and sol.tanh_grad(np.array([0.0]))[0] == 1.0
    assert np.isclose(sol.tanh(np.array([1.0]))[0], (np.e - 1 / np.e) / (np.e + 1 / np.e))


def test_two_linear_torch_layers_equal_the_collapsed_one():
    rng = np.random.default_rng(4)
    W1, b1, W2, b2 = rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(5, 2)), rng.normal(size=2)
    net = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Linear(5, 2)).double()
    with torch.no_grad():
        for layer, (W, b) in zip(net, ((W1, b1), (W2, b2))):
            layer.weight.copy_(torch.tensor(W.T)), layer.bias.copy_(torch.tensor(b))  # torch keeps W transposed
        X = rng.normal(size=(6, 3))
        W, b = sol.collapse(W1, b1, W2, b2)
        assert np.allclose(net(torch.tensor(X)).numpy(), X @ W + b)
        with_relu = torch.nn.Sequential(net[0], torch.nn.ReLU(), net[1])
        assert np.allclose(with_relu(torch.tensor(X)).numpy(), sol.two_layers_with_relu(X, W1, b1, W2, b2))


def test_the_notebooks_numbers_by_hand():
    """W = W1 @ W2 and b = b1 @ W2 + b2 worked out on paper for the default weights."""
    assert sol.W_COMBINED.tolist() == [[2.25], [2.5]]  # 1 + 2 - 0.75, 2 - 1 + 1.5
    assert sol.B_COMBINED.tolist() == [0.5]  # 0.5 + 2 - 1.5 - 0.5
    assert sol.RELU_OUT.tolist() == [[5.0], [0.0], [-4.5], [-5.0]]
    assert sol.expected()["LINEAR_OUT"].tolist() == [[7.75], [0.75], [2.5], [-4.5]]
    assert sol.expected()["SAME_WITH_RELU"] is False
    assert sol.is_sensible(sol.DEFAULT_VARIANT)


def test_drawn_variants_are_sensible():
    rng = np.random.default_rng(0)
    drawn = [sol.draw_variant(rng) for _ in range(200)]
    for params in drawn:
        assert sol.is_sensible(params)
        assert np.shape(params["W1"]) == (2, 3) and np.shape(params["W2"]) == (3, 1) and np.shape(params["X"]) == (4, 2)
        assert all(isinstance(v, float) for v in np.ravel(params["W1"]).tolist())
        a = sol.expected(params)
        assert a["SAME_WITH_RELU"] is False
        assert not np.allclose(a["B_COMBINED"], a["B_SECOND_ONLY"]) and not np.allclose(a["B_COMBINED"], a["B_FIRST_ONLY"])
    assert len({str(v) for v in drawn}) == len(drawn)


# --------------------------------------------------------------------------- the checks


def _answers() -> dict:
    a = sol.expected()
    return {
        "relu": sol.relu, "relu_grad": sol.relu_grad, "tanh": sol.tanh, "tanh_grad": sol.tanh_grad,
        "W_combined": a["W_COMBINED"], "b_combined": a["B_COMBINED"], "collapse": sol.collapse,
        "relu_out": a["RELU_OUT"], "same_with_relu": False,
    }


def test_honest_forms_get_full_marks():
    namespace = _answers() | {
        "relu": lambda x: torch.relu(torch.as_tensor(x)),
        "tanh_grad": lambda x: (1 - torch.tanh(torch.as_tensor(x)) ** 2).tolist(),
        "W_combined": torch.tensor([[2.25], [2.5]]),
        "b_combined": [0.5],
        "collapse": lambda W1, b1, W2, b2: [np.asarray(W1) @ W2, (np.asarray(b1) @ W2 + b2)[None, :]],  # b as a row
        "relu_out": sol.RELU_OUT.tolist(),
        "same_with_relu": np.bool_(False),
    }
    verdicts = judge_namespace(ID, namespace)
    assert total(verdicts) == max_score(ID), {k: v.message for k, v in verdicts.items() if v.message}


def test_activations_and_collapse_computed_in_float32_get_full_marks():
    """torch.Tensor(x) is float32: 1 - tanh(x)^2 near |x| = 6 keeps only float32's digits (it lost
    2/3 of tanh_grad), and float32 products miss rtol=1e-6 now and then (collapse, some seeds)."""
    T = torch.Tensor
    namespace = _answers() | {
        "relu": lambda x: torch.relu(T(x)), "relu_grad": lambda x: (T(x) > 0).float(),
        "tanh": lambda x: torch.tanh(T(x)), "tanh_grad": lambda x: 1 - torch.tanh(T(x)) ** 2,
        "collapse": lambda W1, b1, W2, b2: (T(W1) @ T(W2), T(b1) @ T(W2) + T(b2)),
    }
    for seed in range(12):
        verdicts = judge_namespace(ID, namespace, seed=seed)
        assert total(verdicts) == max_score(ID), {k: v.message for k, v in verdicts.items() if v.message}
    # float32's precision is no licence: the mistakes still lose their points, with their hint
    wrong = judge_namespace(ID, namespace | {"tanh_grad": lambda x: 1 - torch.tanh(T(x))})["tanh_grad"]
    assert wrong.points == 0 and "square is missing" in wrong.hint


@pytest.mark.parametrize("bias", [sol.B_COMBINED[None, :], float(sol.B_COMBINED[0]), np.float32(sol.B_COMBINED[0])],
                         ids=["row (1, 1)", "a number", "np.float32"])
def test_a_bias_as_a_row_or_a_number_is_the_bias(bias):
    # the public test asks np.size(b_combined) == 1 and collapse accepts b as a row: the hidden check agrees
    verdict = judge_namespace(ID, _answers() | {"b_combined": bias})["b_combined"]
    assert verdict.points == 1, verdict
    wrong = judge_namespace(ID, _answers() | {"b_combined": np.atleast_2d(sol.B1 @ sol.W2)})["b_combined"]
    assert wrong.points == 0 and "second bias was forgotten" in wrong.hint


def test_the_grader_uses_its_own_inputs():
    checks = {c.name: c for c in load_checks(ID)}
    a, b = checks["relu"].probes(np.random.default_rng(1)), checks["relu"].probes(np.random.default_rng(2))
    assert not np.array_equal(a["0"].args[0], b["0"].args[0])
    assert {np.ndim(call.args[0]) for call in a.values()} == {1, 2}
    assert all(np.all(call.args[0] != 0) for call in a.values())
    sizes = {call.args[0].shape for seed in range(4) for call in checks["collapse"].probes(np.random.default_rng(seed)).values()}
    assert len(sizes) > 3


@pytest.mark.parametrize(
    "mistake,check,hint",
    [
        ({"relu": sol.relu_as_abs}, "relu", "absolute value"),
        ({"relu": sol.relu_grad}, "relu", "derivative of relu"),
        ({"relu_grad": sol.relu}, "relu_grad", "relu itself"),
        ({"relu_grad": sol.relu_grad_flipped}, "relu_grad", "swapped"),
        ({"tanh": sol.tanh_as_sigmoid}, "tanh", "this is the sigmoid"),
        ({"tanh": sol.tanh_half}, "tanh", "tanh(x / 2)"),
        ({"tanh_grad": sol.tanh_grad_not_squared}, "tanh_grad", "square is missing"),
        ({"tanh_grad": sol.tanh_grad_of_x}, "tanh_grad", "1 - x^2 uses x"),
        ({"tanh_grad": sol.tanh_grad_sigmoid_pattern}, "tanh_grad", "derivative of the sigmoid"),
        ({"W_combined": sol.W_COMBINED.T}, "W_combined", "transposed"),
        ({"b_combined": sol.B1 + sol.B2}, "b_combined", "not b1 + b2"),
        ({"b_combined": sol.B2}, "b_combined", "first bias was forgotten"),
        ({"b_combined": sol.B1 @ sol.W2}, "b_combined", "second bias was forgotten"),
        ({"collapse": sol.collapse_biases_added}, "collapse", "not b1 + b2"),
        ({"collapse": sol.collapse_first_bias_lost}, "collapse", "first bias was forgotten"),
        ({"collapse": sol.collapse_second_bias_lost}, "collapse", "second bias was forgotten"),
        ({"collapse": sol.collapse_reversed}, "collapse", "W is transposed"),
        ({"relu_out": sol.relu_on_output_too(sol.X, sol.W1, sol.B1, sol.W2, sol.B2)}, "relu_out", "between the layers only"),
        ({"relu_out": sol.relu_without_first_bias(sol.X, sol.W1, sol.B1, sol.W2, sol.B2)}, "relu_out", "b1 was forgotten"),
        ({"relu_out": sol.expected()["TWO_LAYER_OUT"]}, "relu_out", "without activation"),
        ({"same_with_relu": True}, "same_with_relu", "negative hidden values become 0"),
        ({"relu": lambda x: np.minimum(x, 0)}, "relu", "np.minimum keeps the negative values"),
        ({"tanh_grad": lambda x: 1 + np.tanh(x) ** 2}, "tanh_grad", "the sign is wrong"),
        ({"relu_out": sol.RELU_OUT - sol.B2}, "relu_out", "b2 of the output layer was forgotten"),
    ],
)
def test_typical_mistakes_get_their_hint(mistake, check, hint):
    verdict = judge_namespace(ID, _answers() | mistake)[check]
    assert verdict.points == 0
    assert hint in verdict.hint, (verdict.message, verdict.hint)
    for value in ("2.25", "-4.5", "7.75"):  # it describes, it does not tell
        assert value not in verdict.message


def test_collapse_returning_something_else_is_wrong_with_a_message():
    for wrong in (lambda *a: None, lambda *a: 3.0, lambda *a: "W, b", lambda W1, b1, W2, b2: (np.asarray(W1) @ W2,)):
        verdict = judge_namespace(ID, _answers() | {"collapse": wrong})["collapse"]
        assert verdict.points == 0 and "collapse" in verdict.message, verdict.message


# --------------------------------------------------------------------------- a student's own weights

VARIANT = {  # draw_variant(np.random.default_rng(7)): W = [[-0.5], [-0.75]], b = [-1.25]
    "X": [[2.0, 1.0], [1.0, 2.0], [0.0, 1.0], [2.0, -1.0]],
    "W1": [[-2.0, -1.0, -1.0], [1.5, 2.0, -2.0]],
    "b1": [-0.5, 1.0, -1.0],
    "W2": [[1.5], [-2.0], [-0.5]],
    "b2": [1.0],
}


def test_the_variant_is_sensible_and_its_answers_differ():
    assert sol.is_sensible(VARIANT)
    mine, slides = sol.expected(VARIANT), sol.expected()
    assert mine["W_COMBINED"].tolist() == [[-0.5], [-0.75]] and mine["B_COMBINED"].tolist() == [-1.25]
    assert not np.allclose(mine["W_COMBINED"], slides["W_COMBINED"]) and not np.allclose(mine["RELU_OUT"], slides["RELU_OUT"])


def test_a_students_own_notebook_passes_and_is_judged_with_their_numbers(built):
    _, _, tests = built
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    assert np.allclose(namespace["W_combined"], np.asarray(VARIANT["W1"]) @ np.asarray(VARIANT["W2"]))
    assert_otter_tests_pass(tests, namespace)
    assert total(judge_namespace(ID, namespace, params=VARIANT)) == max_score(ID)
    # the notebook's default answers are wrong for this student: only the functions (and False) still score
    assert total(judge_namespace(ID, _answers(), params=VARIANT)) == 6
    slides = namespace | {k: v for k, v in _answers().items() if not callable(v)}
    assert run_otter_test(tests["q3_collapse"], slides, hidden=True) == [False, False, True]  # W, b wrong; collapse() right
