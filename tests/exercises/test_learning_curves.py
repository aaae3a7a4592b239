"""learning_curves: the stop epoch against Keras' own EarlyStopping, the rows validation_split
trains on against Keras' own fit, the notebook's curves read by eye, variants, and the checks.

The contract every exercise keeps (questions and points, no answer in the student version, Otter's
tests, full marks and zero) is tested for this one in test_exercise_contract.py.
"""

import os

import numpy as np
import pytest
from support import (
    assert_otter_tests_pass,
    judge_namespace,
    notebook_namespace,
    run_otter_test,
    total,
)

from autograder.exercises import load_checks, master_notebook, max_score
from solutions import learning_curves as sol

ID = "learning_curves"


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    return keras


# --------------------------------------------------------------------------- against Keras


def _keras_stop(keras, val_loss, patience) -> int:
    """The epoch (from 1) after which Keras' own EarlyStopping stops, fed the losses epoch by epoch."""
    class Model:
        stop_training = False

    model, callback = Model(), keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, loss in enumerate(val_loss):
        callback.on_epoch_end(epoch, {"val_loss": loss})
        if model.stop_training:
            return epoch + 1
    return len(val_loss)


def test_stop_epoch_is_keras_early_stopping(keras):
    rng = np.random.default_rng(0)
    for _ in range(150):
        _, val_loss = sol.overfitting_history(rng, int(rng.integers(10, 41)))
        patience = int(rng.integers(1, 7))
        assert sol.stop_epoch(val_loss, patience) == _keras_stop(keras, val_loss, patience)
    assert sol.stop_epoch([0.5, 0.4, 0.3], 2) == _keras_stop(keras, [0.5, 0.4, 0.3], 2) == 3  # never stops
    for case in _stop_cases(seed=3):
        assert sol.stop_epoch(*case) == _keras_stop(keras, *case)


def _stop_cases(seed):
    checks = {c.name: c for c in load_checks(ID)}
    return [call.args for call in checks["stop_epoch"].probes(np.random.default_rng(seed)).values()]


@pytest.mark.parametrize("n_rows,split", [(97, 0.25), (61, 0.3)])
def test_n_train_is_what_keras_fit_trains_on(keras, n_rows, split):
    x = np.random.default_rng(1).normal(size=(n_rows, 2)).astype("float32")
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    history = model.fit(x, (x[:, 0] > 0).astype("float32"), validation_split=split, batch_size=1, epochs=1, verbose=0)
    assert history.params["steps"] == sol.n_train_rows(n_rows, split)  # one row per step


# --------------------------------------------------------------------------- the notebook's curves


def test_the_notebooks_curves_read_by_eye():
    v = sol.DEFAULT_VARIANT
    assert len(v["loss"]) == len(v["val_loss"]) == 40 and v["patience"] == 5
    assert v["val_loss"][17] == 0.3279 == min(v["val_loss"])  # epoch 18
    assert all(loss > 0.3279 for loss in v["val_loss"][18:23])  # epochs 19 to 23: no new best, so stop after 23
    a = sol.expected()
    assert (a["BEST_EPOCH"], a["STOPPED_AT"], a["N_TRAIN"]) == (18, 23, 1097)  # floor(1372 * 0.8) = floor(1097.6)
    assert (a["DIAGNOSIS_A"], a["DIAGNOSIS_B"], a["DIAGNOSIS_C"]) == (sol.OVER, sol.GOOD, sol.UNDER)
    c = v["curves"]
    assert c["A"]["val_loss"][-1] - min(c["A"]["val_loss"]) > 0.15 and c["A"]["loss"][-1] < 0.05  # rises again
    assert min(c["C"]["loss"]) > 0.55  # never far from ln 2
    assert max(c["B"]["val_loss"][-10:]) - min(c["B"]["val_loss"]) < 0.03  # levels off


def test_drawn_variants_are_sensible():
    rng = np.random.default_rng(0)
    drawn = [sol.draw_variant(rng) for _ in range(150)]
    for params in drawn:
        assert sol.is_sensible(params)
        a = sol.expected(params)
        assert sorted(a[f"DIAGNOSIS_{c}"] for c in sol.CURVES) == sorted(sol.KINDS)
        assert a["BEST_EPOCH"] < a["STOPPED_AT"] == a["BEST_EPOCH"] + params["patience"]
    orders = {tuple(sol.expected(p)[f"DIAGNOSIS_{c}"] for c in sol.CURVES) for p in drawn}
    assert len(orders) == 6  # every order of the three kinds occurs
    assert len({sol.expected(p)["BEST_EPOCH"] for p in drawn}) > 8


# --------------------------------------------------------------------------- the checks


def _answers() -> dict:
    return {"best_epoch": 18, "stop_epoch": sol.stop_epoch, "stopped_at": 23, "diagnosis_A": "overfitting",
            "diagnosis_B": "good fit", "diagnosis_C": "underfitting", "split_answer": "B", "n_train": 1097}


def test_honest_forms_get_full_marks():
    namespace = _answers() | {
        "best_epoch": np.int64(18), "stopped_at": np.array([23]), "n_train": 1097.0, "split_answer": " b ",
        "diagnosis_A": "Over-fitting", "diagnosis_B": "Good fit", "diagnosis_C": "under-fitting",
        "stop_epoch": lambda val_loss, patience: np.int64(sol.stop_epoch(np.asarray(val_loss), patience)),
    }
    verdicts = judge_namespace(ID, namespace)
    assert total(verdicts) == max_score(ID), {k: v.message for k, v in verdicts.items() if v.message}


def test_a_diagnosis_outside_the_three_says_which_are_allowed():
    verdict = judge_namespace(ID, _answers() | {"diagnosis_B": "fine"})["diagnosis_B"]
    assert verdict.points == 0 and '"good fit"' in verdict.message and '"overfitting"' in verdict.message


def test_stop_epoch_gets_lists_and_a_run_that_never_stops():
    for seed in range(3):
        cases = _stop_cases(seed)
        assert all(isinstance(val_loss, list) for val_loss, _ in cases)
        assert any(sol.stop_epoch(*case) == len(case[0]) for case in cases)
        assert any(sol.stop_epoch(*case) < len(case[0]) for case in cases)


def test_stopped_at_from_a_wrong_stop_epoch_is_told_so():
    def late(val_loss, patience):  # one epoch too late, used right for stopped_at
        return sol.stop_epoch(val_loss, patience) + 1

    verdicts = judge_namespace(ID, _answers() | {"stop_epoch": late, "stopped_at": 24})
    # +1 everywhere, also past the last epoch of a curve that never stops: no listed mistake fits
    # every call (one epoch too late stops at the last epoch), the derived one does
    assert verdicts["stop_epoch"].points == 0
    assert verdicts["stop_epoch"].hint == "off by one: the result is one more than it should be"
    assert verdicts["stopped_at"].points == 0
    assert verdicts["stopped_at"].hint == ('stopped_at = stop_epoch(history["val_loss"], patience) is right for your '
                                           'stop_epoch, but stop_epoch is not right (see its check)')


@pytest.mark.parametrize(
    "mistake,check,hint",
    [
        ({"best_epoch": 17}, "best_epoch", "counted from 1"),
        ({"best_epoch": 38}, "best_epoch", "lowest training loss"),
        ({"best_epoch": 0.3279}, "best_epoch", "lowest validation loss itself"),
        ({"stop_epoch": sol.stop_zero_based}, "stop_epoch", "counted from 1"),
        ({"stop_epoch": sol.stop_one_late}, "stop_epoch", "one epoch too late"),
        ({"stop_epoch": sol.stop_one_early}, "stop_epoch", "one epoch too early"),
        ({"stop_epoch": sol.stop_after_consecutive_rises}, "stop_epoch", "not with the epoch before"),
        ({"stop_epoch": sol.stop_at_best}, "stop_epoch", "restore_best_weights"),
        ({"stop_epoch": sol.stop_at_first_rise}, "stop_epoch", "patience was ignored"),
        ({"stopped_at": 22}, "stopped_at", "counted from 1"),
        ({"stopped_at": 24}, "stopped_at", "one epoch too late"),
        ({"stopped_at": 22}, "stopped_at", "one epoch too early"),  # zero-based or patience - 1: both named
        ({"stopped_at": 18}, "stopped_at", "patience` epochs after it"),
        ({"stopped_at": 10}, "stopped_at", "patience was ignored"),
        ({"diagnosis_A": "good fit"}, "diagnosis_A", "rises again after its minimum"),
        ({"diagnosis_A": "underfitting"}, "diagnosis_A", "training loss gets very low"),
        ({"diagnosis_C": "good fit"}, "diagnosis_C", "both losses stay high"),
        ({"diagnosis_C": "overfitting"}, "diagnosis_C", "needs a low training loss"),
        ({"diagnosis_B": "overfitting"}, "diagnosis_B", "does not rise again"),
        ({"diagnosis_B": "underfitting"}, "diagnosis_B", "fall to a low value"),
        ({"split_answer": "A"}, "split_answer", "before shuffling"),
        ({"split_answer": "C"}, "split_answer", "never trains on them"),
        ({"split_answer": "d"}, "split_answer", "trains on the rest"),
        ({"n_train": 275}, "n_train", "number of validation rows"),
        ({"n_train": 1098}, "n_train", "rounds down"),
    ],
)
def test_typical_mistakes_get_their_hint(mistake, check, hint):
    verdict = judge_namespace(ID, _answers() | mistake)[check]
    assert verdict.points < next(c.points for c in load_checks(ID) if c.name == check)
    assert hint in verdict.hint, (verdict.message, verdict.hint)
    for value in ("18", "23", "1097"):  # it describes, it does not tell
        assert value not in verdict.message.split("first:")[0]


# --------------------------------------------------------------------------- a student's own curves


def test_a_students_own_notebook_passes_and_is_judged_with_their_curves(built):
    _, _, tests = built
    params = sol.draw_variant(np.random.default_rng(11))
    mine = sol.expected(params)
    assert (mine["BEST_EPOCH"], mine["STOPPED_AT"]) != (18, 23) or mine["N_TRAIN"] != 1097
    namespace = notebook_namespace(master_notebook(ID), params=params)
    assert namespace["history"]["val_loss"] == params["val_loss"]
    assert namespace["best_epoch"] == mine["BEST_EPOCH"] and namespace["n_train"] == mine["N_TRAIN"]
    assert_otter_tests_pass(tests, namespace)
    assert total(judge_namespace(ID, namespace, params=params)) == max_score(ID)
    # the default notebook's answers are judged against this student's curves
    wrong = judge_namespace(ID, _answers(), params=params)
    assert wrong["stop_epoch"].points == 2 and wrong["split_answer"].points == 1
    assert wrong["best_epoch"].points + wrong["stopped_at"].points + wrong["n_train"].points < 3
    slides = namespace | {k: v for k, v in _answers().items() if not callable(v)}
    assert not all(run_otter_test(tests["q1_best_epoch"], slides, hidden=True) + run_otter_test(
        tests["q4_validation_split"], slides, hidden=True))
