"""gradient_descent: one step of the banknote neuron by hand, the training loop and the numerical
gradient on the grader's data, the diverging learning rate; hints for typical mistakes, a
student's own numbers. The contract every written exercise keeps is tested for this one in
test_exercise_contract.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from autograder.exercises import master_notebook, max_score
from solutions import gradient_descent as sol
from support import (assert_otter_tests_pass, assert_slides_answers_fail_their_hidden_tests, judge_namespace,
                     notebook_namespace, total)

ID = "gradient_descent"


# --------------------------------------------------------------------------- the numbers


def test_one_step_by_hand():
    # z = 0.3 + 0.22 + 1.0 = 1.52, p = 0.8205; the note is genuine (y = 0)
    assert sol.P == pytest.approx(0.82054, abs=1e-5)
    assert np.allclose(sol.GRAD_W, [0.82054, 1.80518], atol=1e-5) and sol.GRAD_B == pytest.approx(0.82054, abs=1e-5)
    assert np.allclose(sol.W_NEW, [0.21795, -0.08052], atol=1e-5) and sol.B_NEW == pytest.approx(0.91795, abs=1e-5)
    assert sol.P_NEW == pytest.approx(0.72287, abs=1e-5) and sol.P_NEW < sol.P  # the step moved p towards y = 0
    assert list(sol.DIVERGING_LRS) == [0.7, 1.2] and sol.LR_LIMIT == 0.5  # |1 - 4 lr| > 1 for a = 2


def test_the_gradient_agrees_with_autograd():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(30, 3)), (rng.uniform(size=30) < 0.5).astype(float)
    w = torch.tensor(rng.normal(size=3), requires_grad=True)
    b = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy(torch.sigmoid(torch.tensor(X) @ w + b), torch.tensor(y))
    loss.backward()
    grad_w, grad_b = sol.gradient(X, y, w.detach().numpy(), 0.3)
    assert np.allclose(grad_w, w.grad.numpy()) and grad_b == pytest.approx(float(b.grad))
    assert sol.bce_loss(X, y, w.detach().numpy(), 0.3) == pytest.approx(float(loss))
    numerical_w, numerical_b = sol.numerical_gradient(X, y, w.detach().numpy(), 0.3, 1e-4)
    assert np.allclose(numerical_w, grad_w, atol=1e-7) and numerical_b == pytest.approx(grad_b, abs=1e-7)


def test_training_lowers_the_loss_like_torch_sgd():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(80, 2))
    y = (rng.uniform(size=80) < 1 / (1 + np.exp(-(X @ [2.0, -1.0] + 0.5)))).astype(float)
    w, b = sol.train_logistic(X, y, 0.5, 40)
    model = torch.nn.Linear(2, 1, dtype=torch.float64)
    torch.nn.init.zeros_(model.weight), torch.nn.init.zeros_(model.bias)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for _ in range(40):
        optimizer.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(model(torch.tensor(X))[:, 0], torch.tensor(y)).backward()
        optimizer.step()
    assert np.allclose(w, model.weight.detach().numpy()[0]) and b == pytest.approx(float(model.bias))
    assert sol.bce_loss(X, y, w, b) < np.log(2)  # below the loss of w = 0, b = 0


def test_which_learning_rates_diverge():
    for a in sol.CURVATURES:
        diverging = [lr for lr in sol.CANDIDATE_LRS if sol.bowl_diverges(a, lr)]
        assert diverging == [lr for lr in sol.CANDIDATE_LRS if lr > 1 / a]  # |1 - 2 a lr| > 1
        assert 0 < len(diverging) < len(sol.CANDIDATE_LRS)
        # no candidate on the edge: each step shrinks or grows the distance by at least 10 %
        assert all(abs(abs(1 - 2 * a * lr) - 1) > 0.099 for lr in sol.CANDIDATE_LRS)


def test_default_variant_and_drawn_variants():
    assert sol.DEFAULT_VARIANT == {"w1": 0.3, "w2": 0.1, "b": 1.0, "x1": 1.0, "x2": 2.2, "y": 0, "lr": 0.1, "a": 2.0}
    rng = np.random.default_rng(0)
    drawn = [sol.draw_variant(rng) for _ in range(200)]
    for params in drawn:
        assert set(params) == set(sol.DEFAULT_VARIANT)
        assert params["y"] in (0, 1) and params["lr"] in (0.1, 0.2, 0.5) and params["a"] in sol.CURVATURES
        assert abs(sol.expected(params)["GRAD_B"]) > 0.2
    assert {p["y"] for p in drawn} == {0, 1} and len({tuple(p.values()) for p in drawn}) > 180


# --------------------------------------------------------------------------- the checks


def _plain_answers() -> dict:
    """Correct answers: rounded numbers, lists, loops over the notes, (w, b) as lists."""
    def gradient(X, y, w, b):
        n, d = len(X), len(X[0])
        errors = [1 / (1 + np.exp(-(sum(X[j][i] * w[i] for i in range(d)) + b))) - y[j] for j in range(n)]
        return [sum(errors[j] * X[j][i] for j in range(n)) / n for i in range(d)], sum(errors) / n

    def train_logistic(X, y, lr, epochs):
        w, b = np.zeros((X.shape[1], 1)), 0.0  # a column of weights: an honest form too
        for _ in range(epochs):
            error = 1 / (1 + np.exp(-(X @ w + b))) - y[:, None]
            w, b = w - lr * X.T @ error / len(y), b - lr * float(error.mean())
        return w, np.array([b])

    return {"grad_w": [0.8205, 1.8052], "grad_b": 0.8205, "w_new": [0.2179, -0.0805], "b_new": 0.9179,
            "p_new": 0.7229, "gradient": gradient, "train_logistic": train_logistic,
            "numerical_gradient": sol.numerical_gradient, "diverging_lrs": [0.7, 1.2], "lr_limit": 0.5}


def test_checks_give_full_marks_to_plain_python_answers():
    verdicts = judge_namespace(ID, _plain_answers() | {"grad_w": torch.tensor([0.8205, 1.8052])})
    assert total(verdicts) == max_score(ID), {k: v.message for k, v in verdicts.items() if v.message}


def _shifting_numerical(X, y, w, b, eps):
    return sol.numerical_not_restored(X, y, w, b, eps)


@pytest.mark.parametrize(
    "mistake,check,hint",
    [
        ({"grad_w": [-0.8205, -1.8052]}, "grad_w", "sign is flipped"),
        ({"grad_w": [0.8205, 0.8205]}, "grad_w", "input is missing"),
        ({"grad_w": [0.8205 * 0.3, 0.8205 * 0.1]}, "grad_w", "weights were used instead of the inputs"),
        ({"grad_w": [1.52, 3.344]}, "grad_w", "z was used"),
        ({"grad_w": [0.1208, 0.2658]}, "grad_w", "squared error"),
        ({"grad_b": 1.52}, "grad_b", "z was used"),
        ({"w_new": [0.3821, 0.2805]}, "w_new", "gradient was added"),
        ({"w_new": [-0.5205, -1.7052]}, "w_new", "learning rate is missing"),
        ({"w_new": [0.0821, 0.1805]}, "w_new", "only the step"),
        ({"b_new": 1.0821}, "b_new", "gradient was added"),
        ({"p_new": 0.8205}, "p_new", "before the step"),
        ({"gradient": sol.gradient_summed}, "gradient", "summed over the notes"),
        ({"gradient": sol.gradient_without_x}, "gradient", "inputs are missing"),
        ({"train_logistic": sol.train_summed_gradient}, "train_logistic", "summed over the notes"),
        ({"train_logistic": sol.train_ascent}, "train_logistic", "up the gradient"),
        ({"train_logistic": sol.train_without_bias}, "train_logistic", "bias was never updated"),
        ({"train_logistic": sol.train_mse_gradient}, "train_logistic", "squared error"),
        ({"train_logistic": sol.train_one_step_more}, "train_logistic", "one step too many"),
        ({"train_logistic": lambda X, y, lr, epochs: sol.train_logistic(X, y, lr, epochs - 1)}, "train_logistic",
         "one step too few"),
        ({"gradient": lambda X, y, w, b: sol.gradient(X, y, w, 0.0)}, "gradient", "bias is missing from the net input"),
        ({"numerical_gradient": sol.numerical_one_sided}, "numerical_gradient", "forward differences"),
        ({"numerical_gradient": sol.numerical_without_half}, "numerical_gradient", "2 eps apart"),
        ({"numerical_gradient": sol.numerical_all_at_once}, "numerical_gradient", "one weight at a time"),
        ({"numerical_gradient": _shifting_numerical}, "numerical_gradient", "put back"),
        ({"numerical_gradient": lambda X, y, w, b, eps: sol.gradient(X, y, w, b)}, "numerical_gradient",
         "exact gradient"),
        ({"diverging_lrs": [0.4, 0.7, 1.2]}, "diverging_lrs", "still converge"),
        ({"diverging_lrs": [1.2]}, "diverging_lrs", "every larger one"),
        ({"lr_limit": 1.0}, "lr_limit", "factor 2"),
        ({"lr_limit": 0.25}, "lr_limit", "overshoot"),
    ],
)
def test_typical_mistakes_get_their_hint(mistake, check, hint):
    verdict = judge_namespace(ID, _plain_answers() | mistake)[check]
    assert verdict.points == 0
    assert hint in verdict.hint, verdict
    assert not any(v in verdict.message + verdict.hint for v in ("0.8205", "1.805", "0.2179", "0.9179", "0.5"))


def test_a_step_taken_right_from_a_wrong_gradient_is_told_so_not_blamed():
    """w_new, b_new and p_new build on the student's own grad_w, grad_b and step (Upstream): with the
    gradient's sign flipped, the step itself was told 'the gradient was added'."""
    wrong = {"grad_w": [-0.8205, -1.8052], "grad_b": -0.8205,
             "w_new": [0.3 + 0.1 * 0.8205, 0.1 + 0.1 * 1.8052], "b_new": 1.0 + 0.1 * 0.8205}
    wrong["p_new"] = float(1 / (1 + np.exp(-(wrong["w_new"][0] * 1.0 + wrong["w_new"][1] * 2.2 + wrong["b_new"]))))
    verdicts = judge_namespace(ID, _plain_answers() | wrong)
    assert all(verdicts[n].points == 0 for n in wrong)
    assert verdicts["w_new"].hint == "w_new = (w1, w2) - lr * grad_w is right for your grad_w, but grad_w is not right (see its check)"
    assert verdicts["b_new"].hint == "b_new = b - lr * grad_b is right for your grad_b, but grad_b is not right (see its check)"
    assert verdicts["p_new"].hint.startswith("p_new = sigmoid(w_new . x + b_new) is right for your w_new and b_new")
    # the step's own mistake on a right gradient keeps its own hint
    added = judge_namespace(ID, _plain_answers() | {"w_new": [0.3821, 0.2805]})["w_new"]
    assert added.hint == "the gradient was added: a step of gradient descent goes against the gradient, w - lr * gradient"


def test_the_learning_rate_applied_twice_is_named():
    def train_logistic(X, y, lr, epochs):
        w, b = np.zeros(X.shape[1]), 0.0
        for _ in range(epochs):
            grad_w, grad_b = sol.gradient(X, y, w, b)
            step_w, step_b = lr * grad_w, lr * grad_b
            w, b = w - lr * step_w, b - lr * step_b
        return w, b

    verdict = judge_namespace(ID, _plain_answers() | {"train_logistic": train_logistic})["train_logistic"]
    assert verdict.points < 2  # right only where lr = 1
    assert verdict.hint == "the learning rate was applied twice: the step is lr * gradient, taken once", verdict


def test_a_pair_in_the_wrong_form_is_told_so():
    verdicts = judge_namespace(ID, _plain_answers() | {
        "gradient": lambda X, y, w, b: np.append(*sol.gradient(X, y, w, b)),  # one array of d + 1 numbers
        "train_logistic": lambda X, y, lr, epochs: (np.zeros(X.shape[1] + 1), 0.0),
    })
    assert verdicts["gradient"].points == 0 and "pair (w, b)" in verdicts["gradient"].message
    assert verdicts["train_logistic"].points == 0 and "one per feature" in verdicts["train_logistic"].message


def test_the_training_loop_is_called_on_the_graders_own_data():
    from autograder.exercises import load_checks

    check = {c.name: c for c in load_checks(ID)}["train_logistic"]
    a, b = check.probes(np.random.default_rng(1)), check.probes(np.random.default_rng(2))
    assert len(a) == 3 and not np.array_equal(a["0"].args[0], b["0"].args[0])
    assert len({call.args[2] for call in a.values()}) == 3  # three learning rates


# --------------------------------------------------------------------------- a student's own numbers

VARIANT = {"w1": -0.4, "w2": 0.6, "b": 0.3, "x1": 1.5, "x2": 0.8, "y": 1, "lr": 0.5, "a": 4.0}


def test_the_master_filled_with_a_variant_passes_its_otter_tests(built):
    _, _, tests = built
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    p = 1 / (1 + np.exp(-(-0.4 * 1.5 + 0.6 * 0.8 + 0.3)))
    assert np.allclose(namespace["grad_w"], (p - 1) * np.array([1.5, 0.8]))
    assert_otter_tests_pass(tests, namespace)
    slides = notebook_namespace(master_notebook(ID), params=sol.DEFAULT_VARIANT)
    assert_slides_answers_fail_their_hidden_tests(ID, tests, namespace, slides, ("grad_w", "w_new", "diverging_lrs", "lr_limit"),
                                                  ("q1_one_step", "q4_learning_rate"))


def test_checks_judge_with_the_students_own_numbers():
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    assert total(judge_namespace(ID, namespace, params=VARIANT)) == max_score(ID)
    verdicts = judge_namespace(ID, _plain_answers(), params=VARIANT)
    assert all(verdicts[n].points == 0 for n in ("grad_w", "grad_b", "w_new", "b_new", "p_new", "diverging_lrs", "lr_limit"))
    assert verdicts["train_logistic"].points == 2  # the functions do not depend on the numbers
    a = sol.expected(VARIANT)
    mistaken = judge_namespace(ID, namespace | {"w_new": a["W_NEW_PLUS"]}, params=VARIANT)["w_new"]
    assert "gradient was added" in mistaken.hint
