"""loss_functions: cross-entropy by hand and as array functions against Keras, the hints for the
typical mistakes and a student's own numbers. The contract every written exercise keeps is
tested for this one in test_exercise_contract.py."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from autograder.exercises import master_notebook, max_score
from solutions import loss_functions as sol
from support import (assert_otter_tests_pass, assert_slides_answers_fail_their_hidden_tests, judge_namespace,
                     notebook_namespace, total)

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras

ID = "loss_functions"


# --------------------------------------------------------------------------- the numbers, by hand and by Keras


def test_reference_values_by_hand():
    assert sol.LOSS_A == pytest.approx(0.22314, abs=1e-5)  # -ln 0.8
    assert sol.LOSS_B == pytest.approx(1.60944, abs=1e-5)  # -ln 0.2
    assert sol.LOSS_C == pytest.approx(0.10536, abs=1e-5)  # -ln 0.9
    assert sol.BEST_LOSS == 0 and sol.WORST_LOSS == float("inf")
    assert sol.GRAD_BCE == pytest.approx(-0.98201, abs=1e-5)  # sigmoid(-4) - 1
    assert sol.GRAD_MSE == pytest.approx(-0.03469, abs=1e-5)  # 2 (p - 1) p (1 - p), p = 0.017986
    assert abs(sol.GRAD_MSE) < abs(sol.GRAD_BCE) / 25  # why MSE learns badly when sure and wrong


def test_the_gradients_agree_with_autograd():
    z = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    (-torch.log(torch.sigmoid(z))).backward()
    assert float(z.grad) == pytest.approx(sol.GRAD_BCE)
    z = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    ((torch.sigmoid(z) - 1) ** 2).backward()
    assert float(z.grad) == pytest.approx(sol.GRAD_MSE)


def test_bce_agrees_with_keras_also_at_0_and_1():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, size=50).astype(float)
    for p in (rng.uniform(0.01, 0.99, size=50), np.where(rng.uniform(size=50) < 0.5, 0.0, 1.0)):
        expected = float(keras.ops.convert_to_numpy(keras.losses.binary_crossentropy(y, p)))
        assert np.isfinite(sol.bce(y, p))
        assert sol.bce(y, p) == pytest.approx(expected, rel=1e-5)


def test_categorical_crossentropy_agrees_with_keras_also_at_0():
    rng = np.random.default_rng(4)
    labels = np.eye(4)[rng.integers(0, 4, size=20)]
    logits = rng.normal(0.0, 3.0, size=(20, 4))
    sure = np.eye(4)[rng.integers(0, 4, size=20)]  # exactly 0 and 1: half of them wrong
    for probs in (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True), sure):
        expected = float(np.mean(keras.ops.convert_to_numpy(keras.losses.categorical_crossentropy(labels, probs))))
        assert np.isfinite(sol.categorical_crossentropy(labels, probs))
        assert sol.categorical_crossentropy(labels, probs) == pytest.approx(expected, rel=1e-5)


def test_default_variant_and_drawn_variants():
    assert sol.DEFAULT_VARIANT == {"ya": 1, "pa": 0.8, "yb": 0, "pb": 0.8, "yc": 0, "pc": 0.1, "z": -4.0}
    rng = np.random.default_rng(0)
    drawn = [sol.draw_variant(rng) for _ in range(200)]
    for params in drawn:
        assert set(params) == set(sol.DEFAULT_VARIANT)
        ys, ps = [params[f"y{k}"] for k in "abc"], [params[f"p{k}"] for k in "abc"]
        assert set(ys) == {0, 1} and all(0.05 <= p <= 0.95 and round(p, 2) == p and abs(p - 0.5) >= 0.1 for p in ps)
        assert params["z"] in (-7.0, -6.0, -5.0, -4.0, -3.0)
        a = sol.expected(params)
        assert a["LOSS_A"] == pytest.approx(-np.log(ps[0] if ys[0] else 1 - ps[0]))
    assert len({tuple(v.values()) for v in drawn}) > 180


# --------------------------------------------------------------------------- the checks


def _plain_answers() -> dict:
    """Correct answers in plain Python: numbers rounded to 4 places, loops instead of numpy."""
    import math

    def bce(y, p):
        losses = [-(yi * math.log(min(max(pi, 1e-7), 1 - 1e-7)) + (1 - yi) * math.log(1 - min(max(pi, 1e-7), 1 - 1e-7)))
                  for yi, pi in zip(y, p)]
        return sum(losses) / len(losses)

    def categorical_crossentropy(y_onehot, probs):
        rows = [-sum(yk * math.log(min(max(qk, 1e-7), 1 - 1e-7)) for yk, qk in zip(yr, qr)) for yr, qr in zip(y_onehot, probs)]
        return sum(rows) / len(rows)

    return {"loss_a": 0.2231, "loss_b": 1.6094, "loss_c": 0.1054, "best_loss": 0, "worst_loss": math.inf,
            "bce": bce, "categorical_crossentropy": categorical_crossentropy,
            "grad_bce": -0.9820, "grad_mse": -0.03469, "mse_answer": "b"}


def test_checks_give_full_marks_to_plain_python_answers():
    verdicts = judge_namespace(ID, _plain_answers())
    assert total(verdicts) == max_score(ID), {k: v.message for k, v in verdicts.items() if v.message}


def test_honest_forms_of_the_worst_loss_and_the_log_with_eps_added():
    log_plus_eps = {  # the older Keras way: ln(p + eps) instead of clipping
        "bce": lambda y, p: float(np.mean(-(y * np.log(p + 1e-7) + (1 - y) * np.log(1 - p + 1e-7)))),
    }
    for worst in (float("inf"), np.float64(np.inf), torch.tensor(float("inf")), np.array([np.inf])):
        verdicts = judge_namespace(ID, _plain_answers() | {"worst_loss": worst} | log_plus_eps)
        assert verdicts["worst_loss"].points == 1 and verdicts["bce"].points == 2, verdicts


@pytest.mark.parametrize("eps", [1e-15, 1e-12, 1e-9, 1e-5])
def test_other_clipping_constants_are_honest(eps):
    """scikit-learn clipped with 1e-15, others with 1e-12 or 1e-5: only the calls with exact 0 and
    1 depend on the constant, and every small constant is accepted there."""
    clipped = {
        "bce": lambda y, p: float(np.mean(-(y * np.log(np.clip(p, eps, 1 - eps))
                                            + (1 - y) * np.log(1 - np.clip(p, eps, 1 - eps))))),
        "categorical_crossentropy": lambda y, q: float(np.mean(-np.sum(y * np.log(np.clip(q, eps, 1)), axis=1))),
    }
    verdicts = judge_namespace(ID, _plain_answers() | clipped)
    assert verdicts["bce"].points == 2 and verdicts["categorical_crossentropy"].points == 2, verdicts
    # ... while a constant far too large is still wrong where it changes the loss.
    rough = {"bce": lambda y, p: float(np.mean(-(y * np.log(np.clip(p, 0.1, 0.9))
                                                 + (1 - y) * np.log(1 - np.clip(p, 0.1, 0.9)))))}
    assert judge_namespace(ID, _plain_answers() | rough)["bce"].points < 2


def test_torch_binary_cross_entropy_is_a_safe_loss():
    """torch keeps each log above -100 instead of clipping p: finite, and honest (it got 1.6 of 2:
    the sure-and-wrong call lay outside the values of clipping with 1e-16 to 1e-4)."""
    def bce(y, p):
        return torch.nn.functional.binary_cross_entropy(torch.as_tensor(p, dtype=torch.float64),
                                                        torch.as_tensor(y, dtype=torch.float64))

    def categorical_crossentropy(y, q):
        return -(torch.as_tensor(y) * torch.clamp(torch.log(torch.as_tensor(q)), min=-100)).sum(-1).mean()

    verdicts = judge_namespace(ID, _plain_answers() | {"bce": bce, "categorical_crossentropy": categorical_crossentropy})
    assert verdicts["bce"].points == 2 and verdicts["categorical_crossentropy"].points == 2, verdicts
    # the log floor does not make the sure-and-wrong call accept anything: the summed loss still fails there
    summed = judge_namespace(ID, _plain_answers() | {"bce": lambda y, p: float(bce(y, p)) * len(y)})["bce"]
    assert summed.points < 1 and "added up" in summed.hint


def _unclipped_bce(y, p):
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


@pytest.mark.parametrize(
    "mistake,check,hint",
    [
        ({"loss_a": 0.0969}, "loss_a", "np.log10"),
        ({"loss_b": -1.6094}, "loss_b", "minus sign"),
        ({"loss_b": 0.2231}, "loss_b", "term of the other label"),
        ({"loss_c": 2.3026}, "loss_c", "term of the other label"),
        ({"loss_a": 0.3219}, "loss_a", "np.log2"),
        ({"best_loss": 1}, "best_loss", "ln(1) is 0"),
        ({"worst_loss": 1.0}, "worst_loss", "no upper bound"),
        ({"worst_loss": 16.1181}, "worst_loss", "after clipping"),
        ({"bce": _unclipped_bce}, "bce", "clip p"),
        ({"bce": lambda y, p: float(np.mean(-(y * np.log10(np.clip(p, 1e-7, 1 - 1e-7))
                                              + (1 - y) * np.log10(1 - np.clip(p, 1e-7, 1 - 1e-7)))))}, "bce", "np.log10"),
        ({"bce": lambda y, p: float(np.mean(-(y * np.log2(np.clip(p, 1e-7, 1 - 1e-7))
                                              + (1 - y) * np.log2(1 - np.clip(p, 1e-7, 1 - 1e-7)))))}, "bce", "np.log2"),
        ({"categorical_crossentropy": lambda y, q: float(np.mean(-np.sum(y * np.log2(np.clip(q, 1e-7, 1)), axis=1)))},
         "categorical_crossentropy", "np.log2"),
        ({"categorical_crossentropy": lambda y, q: float(np.mean(-y * np.log(np.clip(q, 1e-7, 1))))},
         "categorical_crossentropy", "mean was taken over every entry"),
        ({"categorical_crossentropy": lambda y, q: float(np.mean(-np.sum(y * np.log(np.clip(q, 1e-7, 1)), axis=0)))},
         "categorical_crossentropy", "the sum went down the columns"),
        ({"bce": lambda y, p: sol.bce(y, p) * len(y)}, "bce", "added up"),
        ({"bce": lambda y, p: float(np.mean(-y * np.log(np.clip(p, 1e-7, 1 - 1e-7))))}, "bce", "only y ln(p)"),
        ({"bce": lambda y, p: sol.bce(p, y)}, "bce", "arguments are swapped"),
        ({"categorical_crossentropy": lambda y, q: float(np.mean(-np.sum(y * np.log(q), axis=1)))},
         "categorical_crossentropy", "clip p"),
        ({"categorical_crossentropy": lambda y, q: float(np.sum(-np.sum(y * np.log(np.clip(q, 1e-7, 1)), axis=1)))},
         "categorical_crossentropy", "added up"),
        ({"categorical_crossentropy": lambda y, q: float(np.mean(-np.sum(np.log(np.clip(q, 1e-7, 1)), axis=1)))},
         "categorical_crossentropy", "only the true class counts"),
        ({"grad_bce": 0.9820}, "grad_bce", "sign is flipped"),
        ({"grad_bce": -55.6}, "grad_bce", "-1/p"),
        ({"grad_mse": -1.964}, "grad_mse", "chain rule"),
        ({"grad_mse": -0.017345}, "grad_mse", "factor 2"),
        ({"grad_mse": -0.9820}, "grad_mse", "cross-entropy's gradient"),
        ({"mse_answer": "A"}, "mse_answer", "compare your two gradients"),
        ({"mse_answer": "C"}, "mse_answer", "its gradient does"),
    ],
)
def test_typical_mistakes_get_their_hint(mistake, check, hint):
    verdict = judge_namespace(ID, _plain_answers() | mistake)[check]
    if check in ("bce", "categorical_crossentropy"):  # the cases the mistake does not touch still count
        assert verdict.points < 2
    else:
        assert verdict.points == 0
    assert hint in verdict.hint, verdict
    assert not any(v in verdict.message + verdict.hint for v in ("0.2231", "1.6094", "0.1054", "0.982", "0.0347"))


def test_an_unsafe_loss_loses_only_the_cases_at_0_and_1():
    verdict = judge_namespace(ID, _plain_answers() | {"bce": _unclipped_bce})["bce"]
    assert 0 < verdict.points < 2  # the moderate probabilities are right


# --------------------------------------------------------------------------- a student's own numbers

VARIANT = {"ya": 0, "pa": 0.35, "yb": 1, "pb": 0.62, "yc": 1, "pc": 0.07, "z": -6.0}


def test_the_master_filled_with_a_variant_passes_its_otter_tests(built):
    _, _, tests = built
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    assert namespace["loss_a"] == pytest.approx(-np.log(0.65))
    assert_otter_tests_pass(tests, namespace)
    slides = notebook_namespace(master_notebook(ID), params=sol.DEFAULT_VARIANT)
    assert_slides_answers_fail_their_hidden_tests(ID, tests, namespace, slides, ("loss_a", "loss_b", "loss_c", "grad_bce", "grad_mse"),
                                                  ("q1_bce_by_hand", "q5_mse_on_sigmoid"))


def test_checks_judge_with_the_students_own_numbers():
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    assert total(judge_namespace(ID, namespace, params=VARIANT)) == max_score(ID)
    verdicts = judge_namespace(ID, _plain_answers(), params=VARIANT)  # the default numbers' answers
    assert all(verdicts[name].points == 0 for name in ("loss_a", "loss_b", "loss_c", "grad_bce", "grad_mse"))
    mistaken = judge_namespace(ID, namespace | {"loss_c": -np.log(0.93)}, params=VARIANT)["loss_c"]
    assert "term of the other label" in mistaken.hint
