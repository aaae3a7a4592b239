"""softmax: a stable softmax against torch and Keras, classes, one-hot labels and the Keras losses;
hints for typical mistakes and a student's own numbers. The contract every written exercise keeps
is tested for this one in test_exercise_contract.py."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from autograder.exercises import master_notebook, max_score
from solutions import softmax as sol
from support import (assert_otter_tests_pass, assert_slides_answers_fail_their_hidden_tests, judge_namespace,
                     notebook_namespace, total)

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras

ID = "softmax"


# --------------------------------------------------------------------------- the numbers


def test_reference_values_by_hand():
    # row 1: e^2 = 7.3891, e^1 = 2.7183, e^0.1 = 1.1052, sum 11.2125
    assert np.allclose(sol.PROBS[0], [0.65900, 0.24243, 0.09856], atol=1e-5)
    assert np.allclose(sol.PROBS.sum(axis=1), 1)
    assert list(sol.CLASSES) == [0, 1, 2, 2]  # the third example (label 0) is predicted wrong
    assert np.array_equal(sol.ONE_HOT, [[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]])
    assert sol.BATCH_LOSS == pytest.approx(-np.mean(np.log([0.65900, 0.80254, 0.13337, 0.54654])), abs=1e-4)
    assert sol.LOSS_CHOICES[sol.LOSS_FOR_INTEGER_LABELS] == "sparse_categorical_crossentropy"
    assert sol.LOSS_CHOICES[sol.LOSS_FOR_ONE_HOT_LABELS] == "categorical_crossentropy"


def test_softmax_agrees_with_torch_and_is_stable():
    rng = np.random.default_rng(2)
    z = rng.normal(0.0, 4.0, size=(6, 5))
    assert np.allclose(sol.softmax(z), torch.softmax(torch.tensor(z), dim=-1).numpy())
    assert np.allclose(sol.softmax(z[0]), torch.softmax(torch.tensor(z[0]), dim=-1).numpy())
    big = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]])
    assert np.allclose(sol.softmax(big), [[0.09003, 0.24473, 0.66524], [0.66524, 0.24473, 0.09003]], atol=1e-5)
    with np.errstate(over="ignore", invalid="ignore"):
        assert not np.all(np.isfinite(sol.softmax_not_normalised(big)))  # the naive exp overflows


def test_both_keras_losses_give_the_batch_loss():
    sparse = keras.losses.sparse_categorical_crossentropy(np.array(sol.DEFAULT_VARIANT["labels"]), sol.PROBS)
    one_hot = keras.losses.categorical_crossentropy(sol.ONE_HOT, sol.PROBS)
    assert float(np.mean(keras.ops.convert_to_numpy(sparse))) == pytest.approx(sol.BATCH_LOSS, rel=1e-6)
    assert float(np.mean(keras.ops.convert_to_numpy(one_hot))) == pytest.approx(sol.BATCH_LOSS, rel=1e-6)
    assert np.array_equal(keras.utils.to_categorical(sol.DEFAULT_VARIANT["labels"], 3), sol.ONE_HOT)


def test_default_variant_and_drawn_variants():
    rng = np.random.default_rng(0)
    drawn = [sol.draw_variant(rng) for _ in range(200)]
    for params in drawn:
        logits, labels = np.array(params["logits"]), np.array(params["labels"])
        assert logits.shape[0] == 4 and logits.shape[1] in (3, 4) and np.all(np.round(logits, 1) == logits)
        top = np.sort(sol.softmax(logits), axis=1)
        assert np.all(top[:, -1] - top[:, -2] >= 0.1)  # a clear predicted class in every row
        assert (sol.predict_classes(sol.softmax(logits)) != labels).sum() == 1  # exactly one wrong prediction
        assert labels.min() >= 0 and labels.max() < logits.shape[1]
    assert len({str(p) for p in drawn}) == len(drawn)


# --------------------------------------------------------------------------- the checks


def _plain_answers() -> dict:
    """Correct answers: lists, rounded numbers, a softmax written with torch, a loop for one-hot."""
    def to_one_hot(labels, num_classes):
        return [[1 if int(label) == k else 0 for k in range(num_classes)] for label in labels]

    return {
        "softmax": lambda z: torch.softmax(torch.as_tensor(z, dtype=torch.float64), dim=-1),
        "probs": sol.PROBS.round(4).tolist(), "classes": [0, 1, 2, 2],
        "predict_classes": lambda probs: torch.argmax(torch.as_tensor(probs), dim=-1),
        "to_one_hot": to_one_hot, "labels_one_hot": to_one_hot([0, 1, 0, 2], 3),
        "batch_loss": 0.8140, "loss_for_integer_labels": "c", "loss_for_one_hot_labels": " B ",
    }


def test_checks_give_full_marks_to_plain_python_and_torch_answers():
    verdicts = judge_namespace(ID, _plain_answers())
    assert total(verdicts) == max_score(ID), {k: v.message for k, v in verdicts.items() if v.message}


def _float32_softmax_numpy(z):
    z = np.asarray(z, dtype=np.float32)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("softmax", [
    lambda z: torch.softmax(torch.tensor(z, dtype=torch.float32), dim=-1),  # torch's default dtype
    _float32_softmax_numpy,
    lambda z: keras.ops.softmax(keras.ops.convert_to_tensor(z, dtype="float32")),
], ids=["torch float32", "numpy float32", "keras.ops float32"])
def test_a_softmax_computed_in_float32_gets_full_marks_also_on_large_logits(softmax):
    verdict = judge_namespace(ID, _plain_answers() | {"softmax": softmax})["softmax"]
    assert verdict.points == 2, verdict


def _softmax_axis_1(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _softmax_without_keepdims(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.max(z, axis=-1))
    return e / np.sum(e, axis=-1)


def test_a_softmax_that_raises_is_not_told_it_overflows():
    # a call that raised has no value, so it is no infinite one (it was: every raise got the overflow hint)
    verdict = judge_namespace(ID, _plain_answers() | {"softmax": _softmax_axis_1})["softmax"]
    assert verdict.points == 1 and "AxisError" in verdict.message
    assert verdict.hint == ("a vector (one example) has only axis 0: use axis=-1, the last axis, so that the same "
                            "code works on a vector and on a batch")
    verdict = judge_namespace(ID, _plain_answers() | {"softmax": _softmax_without_keepdims})["softmax"]
    assert verdict.points < 2 and "not finite" not in verdict.hint and "keepdims=True" in verdict.hint
    verdict = judge_namespace(ID, _plain_answers() | {"softmax": lambda z: print(z)})["softmax"]
    assert verdict.points == 0 and verdict.hint == ""  # returns None: its form says so, no overflow hint


def test_classes_and_loss_from_wrong_probabilities_are_told_so():
    """classes and batch_loss build on the student's own probs (Upstream): computed right from the
    sigmoid of the logits, they got no hint (the loss) or none that named the real mistake."""
    sigmoid = 1 / (1 + np.exp(-np.array(sol.DEFAULT_VARIANT["logits"])))
    labels = np.array(sol.DEFAULT_VARIANT["labels"])
    wrong = {"probs": sigmoid, "classes": np.argmax(sigmoid, axis=-1),
             "batch_loss": float(np.mean(-np.log(sigmoid[np.arange(4), labels])))}
    verdicts = judge_namespace(ID, _plain_answers() | wrong)
    assert verdicts["probs"].points == 0 and "sigmoid" in verdicts["probs"].hint
    assert verdicts["batch_loss"].points == 0
    assert verdicts["batch_loss"].hint == "batch_loss is right for your probs, but probs is not right (see its check)"
    # the sigmoid keeps the order of the logits: these classes are right and keep their point
    assert verdicts["classes"].points == 1


def _naive_softmax(z):
    e = np.exp(np.asarray(z, dtype=float))
    return e / e.sum(axis=-1, keepdims=True)


def _global_max_softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize(
    "mistake,check,hint",
    [
        ({"softmax": _naive_softmax}, "softmax", "not finite for large logits"),
        ({"softmax": _global_max_softmax}, "softmax", "each row's own largest logit"),
        ({"softmax": sol.softmax_over_batch_axis}, "softmax", "wrong axis"),
        ({"softmax": sol.softmax_not_normalised}, "softmax", "not divided by their sum"),
        ({"softmax": sol.sigmoid_each}, "softmax", "sigmoid"),
        ({"probs": sol.expected()["PROBS_BATCH_AXIS"]}, "probs", "wrong axis"),
        ({"probs": sol.expected()["PROBS_WHOLE_BATCH"]}, "probs", "whole batch"),
        ({"classes": [1, 2, 3, 3]}, "classes", "counted from 0"),
        ({"classes": sol.PROBS.max(axis=1)}, "classes", "highest probabilities"),
        ({"predict_classes": sol.classes_over_batch_axis}, "predict_classes", "down the columns"),
        ({"predict_classes": sol.classes_from_one}, "predict_classes", "counted from 0"),
        ({"to_one_hot": sol.one_hot_transposed}, "to_one_hot", "transposed"),
        ({"to_one_hot": sol.one_hot_shifted}, "to_one_hot", "one column off"),
        ({"labels_one_hot": np.eye(3)[[0, 1, 2, 2]]}, "labels_one_hot", "predicted classes"),
        ({"batch_loss": sol.expected()["LOSS_OF_PREDICTIONS"]}, "batch_loss", "predicted classes were used"),
        ({"batch_loss": sol.BATCH_LOSS * 4}, "batch_loss", "added up"),
        ({"batch_loss": sol.expected()["LOSS_LOG10"]}, "batch_loss", "np.log10"),
        ({"batch_loss": sol.expected()["LOSS_OF_LOGITS"]}, "batch_loss", "logits were used"),
        ({"batch_loss": sol.BATCH_LOSS / np.log(2)}, "batch_loss", "np.log2"),
        ({"batch_loss": sol.BATCH_LOSS / 3}, "batch_loss", "mean was taken over every entry"),
        ({"batch_loss": float(np.mean(-np.log(sol.PROBS)))}, "batch_loss", "only the probability of the true class"),
        ({"batch_loss": float(np.mean(-np.sum(np.log(sol.PROBS), axis=1)))}, "batch_loss", "all classes of a row"),
        ({"classes": np.argmax(sol.PROBS, axis=0)}, "classes", "down the columns"),
        ({"to_one_hot": lambda labels, k: np.eye(int(np.max(labels)) + 1)[labels]}, "to_one_hot",
         "not the largest label + 1"),
        ({"loss_for_integer_labels": "B"}, "loss_for_integer_labels", "sparse_categorical_crossentropy (C) takes integer"),
        ({"loss_for_one_hot_labels": "C"}, "loss_for_one_hot_labels", "one-hot rows"),
        ({"loss_for_one_hot_labels": "A"}, "loss_for_one_hot_labels", "yes/no output"),
    ],
)
def test_typical_mistakes_get_their_hint(mistake, check, hint):
    with np.errstate(over="ignore", invalid="ignore"):
        verdict = judge_namespace(ID, _plain_answers() | mistake)[check]
    assert verdict.points < (2 if check == "softmax" else 0.5 if check.startswith("loss_for") else 1)
    assert hint in verdict.hint, verdict
    assert not any(v in verdict.message + verdict.hint for v in ("0.659", "0.814", "[0, 1, 2, 2]"))


def test_a_naive_softmax_passes_only_the_moderate_logits():
    with np.errstate(over="ignore", invalid="ignore"):
        verdict = judge_namespace(ID, _plain_answers() | {"softmax": _naive_softmax})["softmax"]
    assert 0 < verdict.points < 2


# --------------------------------------------------------------------------- a student's own numbers

VARIANT = {"logits": [[0.3, 2.9, -1.0, 0.2], [1.8, -0.5, 0.1, 3.1], [2.4, 0.0, 0.3, -1.2], [-0.7, 0.4, 2.6, 1.1]],
           "labels": [1, 3, 2, 2]}


def test_the_master_filled_with_a_variant_passes_its_otter_tests(built):
    _, _, tests = built
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    assert namespace["num_classes"] == 4 and list(namespace["classes"]) == [1, 3, 0, 2]
    assert_otter_tests_pass(tests, namespace)
    slides = notebook_namespace(master_notebook(ID), params=sol.DEFAULT_VARIANT)
    assert_slides_answers_fail_their_hidden_tests(ID, tests, namespace, slides, ("probs", "classes", "labels_one_hot", "batch_loss"),
                                                  ("q2_classes", "q3_one_hot", "q4_keras_losses"))


def test_checks_judge_with_the_students_own_numbers():
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    assert total(judge_namespace(ID, namespace, params=VARIANT)) == max_score(ID)
    verdicts = judge_namespace(ID, _plain_answers(), params=VARIANT)
    assert all(verdicts[n].points == 0 for n in ("probs", "classes", "labels_one_hot", "batch_loss"))
    mistaken = judge_namespace(ID, namespace | {"classes": [2, 4, 1, 3]}, params=VARIANT)["classes"]
    assert "counted from 0" in mistaken.hint
