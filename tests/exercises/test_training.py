"""Timed training tasks: the trainer in the sandbox's role, the trusted TrainCheck, the notebooks.

The trainer runs in this process here (through the responder and the wire format, as in the
sandbox), in the exercise's folder so that it finds `data/`, with one torch thread as the
sandbox gives it. One test runs a whole solution notebook in the real sandbox.
"""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import torch

from autograder.run.device import DEVICE_ENV
from autograder.course import load_course
from autograder.exercises import data_files, load_checks, max_score
from autograder.judge import training
from autograder.judge.training import ModelRefused, TrainCheck, parse_tiers, rebuild, tier_points
from autograder.probe import answer_in_process
from autograder.run import Limits, RunResult
from autograder.run.training import train_declared
from autograder.sandbox import trainer
from solutions import train_banknote, train_digits, train_sin
from support import assign_master, notebook_namespace, run_otter_test
from support.training import InProcessRunner, answer_here
from support.paths import REPO

# Keras' torch backend converts tensors with np.array(x), which numpy 2 warns about, per batch.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

TASKS = ("train_banknote", "train_sin", "train_digits")
QUESTIONS = {
    "train_banknote": {"q1_model": ["model"]},
    "train_sin": {"q1_regression": ["regression"], "q2_classification": ["classification"]},
    "train_digits": {"q1_model": ["model"]},
}
REFERENCE = {
    "train_banknote": {"build_model": train_banknote.build_model, "TRAINING": train_banknote.TRAINING},
    "train_sin": {"build_model": train_sin.build_model, "TRAINING": train_sin.TRAINING,
                  "build_classifier": train_sin.build_classifier, "CLASSIFIER_TRAINING": train_sin.CLASSIFIER_TRAINING},
    "train_digits": {"build_model": train_digits.build_model, "TRAINING": train_digits.TRAINING},
}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """The sandbox runs torch with one thread (Limits.threads); so do these tests."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def on_cpu(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV, raising=False)


def checks_of(exercise: str) -> dict[str, TrainCheck]:
    return {c.name: c for c in load_checks(exercise)}


def judge(exercise: str, namespace: dict, only: str | None = None, budget_s: float | None = None) -> dict:
    """{check name: Verdict}: the notebook's half answered by the responder in the exercise's
    folder, the declared models trained by the trainer's half in this process, as the pipeline does."""
    checks = [c for c in load_checks(exercise) if only in (None, c.name)]
    if budget_s is not None:  # on copies: load_checks keeps its checks for the next test
        checks = [copy.copy(c) for c in checks]
        for check in checks:
            check.budget_s = {k: budget_s for k in check.budget_s}
    asked = {check.name: check.probes(np.random.default_rng(0)) for check in checks}
    flat = {f"{name}/{key}": probe for name, probes in asked.items() for key, probe in probes.items()}
    run = RunResult("finished", "", [], answer_here(exercise, namespace, flat), "", 0.0, 0.0, "in-process")
    train_declared(checks, asked, run, InProcessRunner(exercise), Limits(), data_files(REPO / "exercises" / exercise))
    return {c.name: c.run({k: run.answers[f"{c.name}/{k}"] for k in asked[c.name]}, asked[c.name]) for c in checks}


def request(exercise: str, check: str = "model") -> dict:
    c = checks_of(exercise)[check]
    return {"kind": "train", "name": c.build, "settings": c.settings, "x": c.x, "y": c.y}


def train_here(exercise: str, namespace: dict, monkeypatch, budget_s: float = 60.0, seed: int = 0,
               check: str = "model") -> dict:
    """The two halves in this process: the notebook's declaration, then the trainer's fit."""
    monkeypatch.chdir(REPO / "exercises" / exercise)
    declared = trainer.declare(namespace, request(exercise, check))
    return trainer.fit(request(exercise, check) | declared | {"kind": "fit", "budget_s": budget_s, "seed": seed})


# --------------------------------------------------------------------------- course settings


def test_course_settings_make_the_checks():
    assert max_score("train_banknote") == 4 and max_score("train_sin") == 6 and max_score("train_digits") == 3
    sin = checks_of("train_sin")
    assert (sin["regression"].metric, sin["classification"].metric) == ("mse", "accuracy")
    assert (sin["regression"].build, sin["classification"].build) == ("build_model", "build_classifier")
    course = load_course(REPO / "course.yaml")
    for exercise in TASKS:
        assert load_checks(exercise) == load_checks(course.exercise(exercise))  # a bare id: the bundled course
        for check in load_checks(exercise):
            assert set(check.budget_s) == {"gpu", "cpu"} and check.description
            assert course.exercise(exercise).training.seeds.training == check.seed


def test_tiers():
    tiers = parse_tiers("accuracy", [{"at_least": 0.8, "points": 2}, {"at_least": 0.9, "points": 4}], "t")
    assert [t.points for t in tiers] == [4, 2]
    assert tier_points("accuracy", 0.95, tiers) == 4 and tier_points("accuracy", 0.9, tiers) == 4
    assert tier_points("accuracy", 0.85, tiers) == 2 and tier_points("accuracy", 0.5, tiers) == 0
    assert tier_points("accuracy", float("nan"), tiers) == 0
    mse = parse_tiers("mse", [{"at_most": 0.04, "points": 3}, {"at_most": 0.2, "points": 1}], "t")
    assert tier_points("mse", 0.01, mse) == 3 and tier_points("mse", 0.1, mse) == 1 and tier_points("mse", 1.0, mse) == 0
    with pytest.raises(ValueError, match="better"):
        parse_tiers("accuracy", [{"at_least": 0.7, "points": 4}, {"at_least": 0.9, "points": 2}], "t")
    with pytest.raises(ValueError, match="at_most"):
        parse_tiers("mse", [{"at_least": 0.7, "points": 4}], "t")
    with pytest.raises(ValueError, match="unknown metric"):
        parse_tiers("f1", [{"at_least": 0.7, "points": 4}], "t")


# --------------------------------------------------------------------------- reference solutions


@pytest.mark.parametrize("exercise", TASKS)
def test_reference_solution_gets_full_marks_within_the_cpu_budget(exercise):
    verdicts = judge(exercise, REFERENCE[exercise])
    checks = checks_of(exercise)
    for name, verdict in verdicts.items():
        d = verdict.details
        print(f"\n{exercise}/{name}: {verdict.message}")
        assert verdict.points == checks[name].points, verdict.message
        assert d["status"] == "graded" and d["device"] == "cpu" and d["budget_class"] == "cpu"
        assert not d["stopped_by_budget"] and d["epochs_done"] == d["epochs_requested"]
        assert 0 < d["seconds"] < checks[name].budget_s["cpu"]
        assert d["budget_s"] == checks[name].budget_s["cpu"]
        assert "held-out" in verdict.message and d["device_name"] in verdict.message


def test_same_submission_twice_same_weights_and_score(monkeypatch):
    namespace = {"build_model": train_digits.build_model, "TRAINING": {"epochs": 2, "batch_size": 64}}
    first = train_here("train_digits", namespace, monkeypatch)
    second = train_here("train_digits", namespace, monkeypatch)
    assert _layers_of(first["config"]) == _layers_of(second["config"])  # names aside (numbered per process)
    assert all(np.array_equal(a, b) for a, b in zip(first["weights"], second["weights"]))
    a = judge("train_digits", namespace)["model"]
    b = judge("train_digits", namespace)["model"]
    assert a.points == b.points and a.details["value"] == b.details["value"]


# --------------------------------------------------------------------------- partial credit and zero


def test_logistic_regression_on_sin_classification_earns_a_partial_tier():
    namespace = {"build_classifier": train_sin.build_logistic_regression, "CLASSIFIER_TRAINING": {"epochs": 25, "batch_size": 256}}
    verdict = judge("train_sin", namespace, only="classification")["classification"]
    value = verdict.details["value"]
    assert 0.75 <= value < 0.93  # better than chance (0.57), short of a network with hidden layers
    assert verdict.points == tier_points("accuracy", value, checks_of("train_sin")["classification"].tiers)
    assert 0 < verdict.points < 3
    assert "no hidden layer" in verdict.hint


def test_the_slides_regression_set_up_earns_part_of_the_regression_and_is_told_why():
    """10 -> 20 -> 30 -> 1, SGD(0.01), 10 epochs of batch 32 on the 10,000 rows: about 0.066."""
    namespace = {"build_model": train_sin.build_slides_regression, "TRAINING": train_sin.SLIDES_REGRESSION_TRAINING}
    verdict = judge("train_sin", namespace, only="regression")["regression"]
    assert 0.04 < verdict.details["value"] <= 0.08 and verdict.points == 2, verdict.message
    assert verdict.details["epochs_done"] == 10 and verdict.details["params"] == 10 * 20 + 20 + 20 * 30 + 30 + 31
    assert "still falling" in verdict.hint and "plain SGD with a learning rate of 0.01" in verdict.hint, verdict.hint
    assert "no hidden layer" not in verdict.hint


def test_digits_without_hidden_layer_earn_part():
    namespace = {"build_model": train_digits.build_softmax_regression, "TRAINING": {"epochs": 10, "batch_size": 64}}
    verdict = judge("train_digits", namespace)["model"]
    assert 0 < verdict.points < 3 and "no hidden layer" in verdict.hint


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Otter assign on each master: {exercise: (student notebook, solution notebook, Otter tests)}."""
    return {exercise: assign_master(exercise, tmp_path_factory.mktemp(exercise)) for exercise in TASKS}


def graded_namespace(path: Path, exercise: str) -> dict:
    """The notebook's namespace as the grader sees it: its data files beside it, exploring
    cells skipped (the run sets AUTOGRADER_GRADING, as the sandbox does)."""
    return notebook_namespace(path, files=data_files(REPO / "exercises" / exercise))


@pytest.mark.parametrize("exercise", TASKS)
def test_blank_notebook_gets_zero(built, exercise):
    student, _, _ = built[exercise]
    verdicts = judge(exercise, graded_namespace(student, exercise))
    for verdict in verdicts.values():
        assert verdict.points == 0 and "not answered yet" in verdict.message, verdict.message


def _layers_of(config_text: str) -> list:
    return [(layer["class_name"], {k: v for k, v in layer["config"].items() if k != "name"})
            for layer in json.loads(config_text)["config"]["layers"]]


def _layers(model) -> list:
    return _layers_of(model.to_json())


@pytest.mark.parametrize("exercise", TASKS)
def test_notebooks_public_tests_and_solution(built, exercise, monkeypatch):
    student, solution, tests = built[exercise]
    assert set(tests) == set(QUESTIONS[exercise])
    checks = checks_of(exercise)
    for question, names in QUESTIONS[exercise].items():
        assert tests[question].possible == pytest.approx(sum(checks[n].points for n in names))
    filled = graded_namespace(solution, exercise)
    blank = graded_namespace(student, exercise)
    monkeypatch.chdir(REPO / "exercises" / exercise)  # the public tests read data/, as beside a student's notebook
    for question, test in tests.items():
        assert all(run_otter_test(test, filled, hidden=False)), question
        assert not any(run_otter_test(test, blank, hidden=False)), question
    for check in checks.values():  # the notebook's solution is the reference solution
        assert filled[check.settings] == REFERENCE[exercise][check.settings]
        assert _layers(filled[check.build]()) == _layers(REFERENCE[exercise][check.build]())
    assert "history" not in filled  # the exploring cells did not run
    text = student.read_text()
    assert "# SOLUTION" not in text and "Dense(32" not in text and "TRAINING = ..." in text


def test_a_faked_history_or_printed_accuracy_gains_nothing():
    class History:
        history = {"accuracy": [1.0], "val_accuracy": [1.0]}

    namespace = {"build_model": train_banknote.build_logistic_regression, "TRAINING": {"epochs": 5, "batch_size": 64},
                 "history": History(), "accuracy": 1.0, "val_accuracy": 1.0}
    verdict = judge("train_banknote", namespace)["model"]
    assert verdict.points == 0 and verdict.details["value"] < 0.75


# --------------------------------------------------------------------------- the budget


def test_a_model_that_trains_past_the_budget_is_stopped_and_graded():
    namespace = {"build_model": train_banknote.build_model, "TRAINING": {"epochs": 100_000, "batch_size": 64}}
    started = time.perf_counter()
    verdict = judge("train_banknote", namespace, budget_s=3.0)["model"]
    assert time.perf_counter() - started < 30
    d = verdict.details
    assert d["stopped_by_budget"] is True and d["status"] == "graded"
    assert 3.0 <= d["seconds"] < 8.0 and 0 < d["epochs_done"] < 100_000 and d["epochs_requested"] == 100_000
    assert d["value"] > 0.75 and verdict.points > 0  # graded on what it learned
    assert "stopped by the time budget of 3 s" in verdict.message


def test_an_unfinished_first_epoch_counts_no_epoch(monkeypatch):
    namespace = {"build_model": train_banknote.build_model, "TRAINING": {"epochs": 5, "batch_size": 1}}
    result = train_here("train_banknote", namespace, monkeypatch, budget_s=0.5)
    assert result["stopped_by_budget"] and result["epochs_done"] == 0 and 0 < result["steps_done"] < 1372


def test_the_trainer_never_calls_the_notebooks_build_model(monkeypatch):
    calls = []

    def slow_build():
        calls.append(1)
        time.sleep(1.5)
        return train_banknote.build_model()

    result = train_here("train_banknote", {"build_model": slow_build, "TRAINING": {"epochs": 1, "batch_size": 64}},
                        monkeypatch, budget_s=10.0)
    assert calls == [1]  # once, in the notebook's half; the trainer builds from the configuration
    assert result["epochs_done"] == 1 and not result["stopped_by_budget"]


def test_pretrained_weights_from_build_model_are_not_kept(monkeypatch):
    def pretrained():
        model = train_banknote.build_model()
        model.set_weights([np.full(w.shape, 0.5, dtype=w.dtype) for w in model.get_weights()])
        return model

    result = train_here("train_banknote", {"build_model": pretrained, "TRAINING": {"epochs": 1, "batch_size": 1372}}, monkeypatch)
    assert result["steps_done"] == 1
    assert not np.allclose(result["weights"][0], 0.5, atol=0.05)  # fresh initial weights, one step of training


def _weights_in_the_configuration(units: int = 10):
    """A network fitted in the notebook (random ReLU features, its output layer by Newton's
    method), carried into the model by its configuration alone, in scalars and statistics:
    each hidden unit's weight per feature in a Normalization's variance, their signs in the
    Constant kernels of two branches, its bias in a Constant bias, its output weight in a
    Rescaling's scale; a learning rate that trains nothing."""
    x, y = (np.load(REPO / "exercises/train_banknote/data" / name) for name in ("banknote_x.npy", "banknote_y.npy"))
    rng = np.random.default_rng(0)
    w1 = rng.normal(size=(2, units)) / x.std(0)[:, None]
    b1 = -(x.mean(0) @ w1) + rng.normal(size=units)
    hidden = np.c_[np.maximum(x @ w1 + b1, 0), np.ones(len(x))]
    w2 = np.zeros(units + 1)
    for _ in range(30):
        p = 1 / (1 + np.exp(-hidden @ w2))
        w2 -= np.linalg.solve(hidden.T @ (hidden * (p * (1 - p))[:, None]) + 1e-3 * np.eye(units + 1), hidden.T @ (p - y))

    def build():
        inputs = keras.Input(shape=(2,))
        outputs = []
        for h in range(units):
            parts = []
            for sign in (1.0, -1.0):
                variance = [1.0 / w1[i, h] ** 2 if sign * w1[i, h] > 0 else 1e12 for i in range(2)]
                scaled = keras.layers.Normalization(mean=[0.0, 0.0], variance=variance)(inputs)
                bias = float(b1[h]) if sign > 0 else 0.0
                parts.append(keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(sign),
                                                bias_initializer=keras.initializers.Constant(bias))(scaled))
            unit = keras.layers.Activation("relu")(keras.layers.Add()(parts))
            outputs.append(keras.layers.Rescaling(scale=float(w2[h]))(unit))
        logit = keras.layers.Rescaling(scale=1.0, offset=float(w2[-1]))(keras.layers.Add()(outputs))
        model = keras.Model(inputs, keras.layers.Activation("sigmoid")(logit))
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-12), loss="binary_crossentropy", metrics=["accuracy"])
        return model

    return build


def test_weights_carried_in_the_configuration_earn_no_points_for_training_that_did_nothing():
    build = _weights_in_the_configuration()
    namespace = {"build_model": build, "TRAINING": {"epochs": 1, "batch_size": 1372}}
    verdict = judge("train_banknote", namespace)["model"]
    d = verdict.details
    assert d["value"] >= 0.80, d  # the configuration alone earns a tier: the loophole is real
    assert verdict.points == 0 and d["status"] == "untrained" and d["points"] == 0.0
    assert len(d["untrained_values"]) == 4 and all(v >= 0.80 for v in d["untrained_values"])
    assert "before any training the model already reaches a held-out accuracy" in verdict.message
    assert "4 of 4 of the grader's draws" in verdict.message


def test_the_grader_s_draws_of_initial_weights_are_its_own_and_repeatable():
    config = json.loads(train_banknote.build_model().to_json())
    first, again = training.with_grader_seeds(config, 0, 1), training.with_grader_seeds(config, 0, 1)
    other = training.with_grader_seeds(config, 0, 2)
    seeds = lambda c: [v for v in json.dumps(c).split('"seed": ')[1:]]  # noqa: E731
    assert first == again and first != other
    assert all(not s.startswith("null") for s in seeds(first)) and len(set(seeds(first))) == len(seeds(first))
    x, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    tiers = parse_tiers("accuracy", [{"at_least": 0.75, "points": 1}], "t")
    values = training.untrained_draws(config, (2,), x, y, "accuracy", 2, False, tiers, 0)
    assert len(values) == 4 and training.untrained_verdict(values, "accuracy", tiers) == ""  # 0.5: nothing earned


# --------------------------------------------------------------------------- refused models and errors


def _lambda_model():
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Lambda(lambda t: t * 2.0),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


class MyDense(keras.layers.Dense):
    pass


def _custom_layer_model():
    model = keras.Sequential([keras.Input(shape=(2,)), MyDense(4), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def _custom_loss_model():
    def my_loss(y_true, y_pred):
        return keras.ops.mean((y_true - y_pred) ** 2)

    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss=my_loss)
    return model


def _uncompiled():
    return keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid")])


@pytest.mark.parametrize(
    "namespace,message",
    [
        ({"build_model": _lambda_model}, "Lambda"),
        ({"build_model": _custom_layer_model}, "custom code"),
        ({"build_model": _custom_loss_model}, "`my_loss` is a function of the notebook"),
        ({"build_model": _uncompiled}, "not compiled"),
        ({"build_model": lambda: "a model"}, "should return a compiled Keras model"),
        ({"build_model": lambda: 1 / 0}, "raised ZeroDivisionError"),
        ({"build_model": train_banknote.build_model, "TRAINING": {"epochs": 5, "batch_size": 64, "learning_rate": 0.1}},
         "unknown key"),
        ({"build_model": train_banknote.build_model, "TRAINING": {"epochs": 5.5, "batch_size": 64}}, "whole number"),
        ({"build_model": train_banknote.build_model, "TRAINING": [5, 64]}, "should be a dict"),
        ({"build_model": train_sin.build_model}, "keras.Input(shape=(2,))"),  # 10 inputs, the banknotes have 2
    ],
)
def test_refused_models_and_settings_get_zero_with_a_clear_message(namespace, message):
    namespace = {"TRAINING": {"epochs": 2, "batch_size": 64}} | namespace
    verdict = judge("train_banknote", namespace)["model"]
    assert verdict.points == 0
    assert message in verdict.message, verdict.message
    assert verdict.message.startswith("the model could not be trained: ")
    assert "could not be read" not in verdict.message  # the responder's wrapping is taken off


def test_missing_training_data_is_reported(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(trainer.TrainingError, match="missing"):
        trainer.declare(REFERENCE["train_banknote"], request("train_banknote"))
    with pytest.raises(trainer.TrainingError, match="missing"):
        trainer.fit({"config": train_banknote.build_model().to_json(), "settings": {"epochs": 1, "batch_size": 8},
                     "x": "data/banknote_x.npy", "y": "data/banknote_y.npy", "budget_s": 5.0, "seed": 0})
    for name in ("/etc/passwd.npy", "../x.npy", "data/x.txt"):
        with pytest.raises(trainer.TrainingError):
            trainer.load_array(name)


@pytest.fixture(scope="module")
def trained_banknote():
    """A real reference config and weights (a few epochs), for the trusted side's refusals."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        namespace = {"build_model": train_banknote.build_model, "TRAINING": {"epochs": 3, "batch_size": 64}}
        return train_here("train_banknote", namespace, monkeypatch)


def test_the_trusted_side_rebuilds_a_good_model(trained_banknote):
    rebuilt = rebuild(trained_banknote["config"], list(trained_banknote["weights"]), (2,))
    assert rebuilt.params == 32 * 3 + 32 * 33 * 2 + 33 and not rebuilt.from_logits
    assert isinstance(rebuilt.model, keras.Model)


def _with_layer(config_text: str, layer: dict, index: int = 1) -> str:
    config = json.loads(config_text)
    config["config"]["layers"].insert(index, layer)
    return json.dumps(config)


def _registered(config_text: str) -> str:
    config = json.loads(config_text)
    config["config"]["layers"][1]["registered_name"] = "my_package>Dense"
    return json.dumps(config)


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda c: _with_layer(c, {"module": "keras.layers", "class_name": "Lambda", "config": {"function": "x"}}), "Lambda"),
        (lambda c: _with_layer(c, {"module": "__main__", "class_name": "Sneaky", "config": {}}), "custom code"),
        (lambda c: _with_layer(c, {"module": "os", "class_name": "system", "config": {}}), "custom code"),
        (lambda c: _with_layer(c, {"module": "keras.layers", "class_name": "TorchModuleWrapper", "config": {}}), "torch module"),
        (_registered, "registered"),
        (lambda c: c.replace('"units": 32', '"units": 1000000000').replace("[null, 32]", "[null, 1000000000]"), "parameters"),
        (lambda c: c.replace('"units": 32', '"units": 33').replace("[null, 32]", "[null, 33]"), "do not fit"),
        (lambda c: "{not json", "not valid JSON"),
        (lambda c: "x" * 200_000, "longer than"),
    ],
)
def test_the_trusted_side_refuses_a_forged_config(trained_banknote, edit, message):
    started = time.perf_counter()
    with pytest.raises(ModelRefused, match=message):
        rebuild(edit(trained_banknote["config"]), list(trained_banknote["weights"]), (2,))
    assert time.perf_counter() - started < 5  # nothing of a billion units was allocated


def test_the_trusted_side_refuses_diverged_or_missing_weights(trained_banknote):
    weights = [w.copy() for w in trained_banknote["weights"]]
    weights[0][0, 0] = np.nan
    with pytest.raises(ModelRefused, match="NaN"):
        rebuild(trained_banknote["config"], weights, (2,))
    with pytest.raises(ModelRefused, match="do not fit"):
        rebuild(trained_banknote["config"], list(trained_banknote["weights"])[:-1], (2,))
    with pytest.raises(ModelRefused, match="arrays"):
        rebuild(trained_banknote["config"], "weights", (2,))


def test_logits_and_two_unit_softmax_outputs_are_graded_as_classes():
    out = np.array([[-2.0], [3.0], [0.4]])
    y = np.array([0, 1, 1])
    assert training.metric_value("accuracy", out, y, 2, from_logits=True) == 1.0
    assert training.metric_value("accuracy", out, y, 2, from_logits=False) == pytest.approx(2 / 3)
    two = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])
    assert training.metric_value("accuracy", two, y, 2, False) == 1.0
    with pytest.raises(ModelRefused, match="should have 10"):
        training.metric_value("accuracy", out, y, 10, False)
    with pytest.raises(ModelRefused, match="regression has one"):
        training.metric_value("mse", two, y, None, False)
    with pytest.raises(ModelRefused, match="NaN or infinity"):
        training.metric_value("mse", np.array([[np.inf], [0.0], [1.0]]), y, None, False)


# --------------------------------------------------------------------------- devices


def test_device_selection_picks_cuda_when_torch_sees_it(monkeypatch):
    assert trainer.pick_device(cuda_available=True) == "cuda"
    assert trainer.pick_device(cuda_available=False) == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "NVIDIA Test GPU")
    assert trainer.pick_device() == "cuda"
    assert trainer.device_name("cuda") == "NVIDIA Test GPU"
    assert training.device_class() == "gpu"
    check = checks_of("train_banknote")["model"]
    assert check.budget_for() == check.budget_s["gpu"]
    monkeypatch.setenv(DEVICE_ENV, "cpu")  # the sandbox is not given the GPU
    assert training.device_class() == "cpu"
    assert check.budget_for() == check.budget_s["cpu"]


def test_the_trainer_trains_on_the_device_it_picked(monkeypatch):
    """The CUDA path on a CPU machine: the chosen device goes to keras.device and into the record."""
    scopes = []
    real_device = keras.device

    def spy(name):
        scopes.append(name)
        return real_device("cpu")

    monkeypatch.chdir(REPO / "exercises" / "train_banknote")
    namespace = {"build_model": train_banknote.build_model, "TRAINING": {"epochs": 1, "batch_size": 512}}
    declared = trainer.declare(namespace, request("train_banknote"))
    monkeypatch.setattr(trainer, "pick_device", lambda cuda_available=None: "cuda")
    monkeypatch.setattr(keras, "device", spy)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "NVIDIA Test GPU")
    result = trainer.fit(request("train_banknote") | declared | {"budget_s": 60.0, "seed": 0})
    assert scopes == ["cuda"]
    assert result["device"] == "cuda" and result["device_name"] == "NVIDIA Test GPU"


# --------------------------------------------------------------------------- in the real sandbox


def test_warm_and_fresh_workers_grade_a_training_task_alike(built, tmp_path):
    """The solution notebook graded by `autograder grade` in the real sandbox: full marks, its
    exploring cells skipped, the declared model trained by a trainer in a sandbox of the same
    kind. On the fast path (forked from a warm worker that has Keras loaded) and in a fresh
    worker it gets the same held-out metric and score (one batch each: every training run is
    seconds of CPU, so the warm batch holds two copies, one per worker)."""
    import json
    import shutil

    import nbformat
    from click.testing import CliRunner

    from autograder.cli import main

    _, solution, _ = built["train_banknote"]
    for i in range(2):
        nb = nbformat.read(str(solution), as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell(f"copy {i}"))
        (tmp_path / "warm" / f"s{i}").mkdir(parents=True)
        nbformat.write(nb, str(tmp_path / "warm" / f"s{i}" / "train_banknote.ipynb"))
    (tmp_path / "cold" / "s0").mkdir(parents=True)
    shutil.copy(tmp_path / "warm" / "s0" / "train_banknote.ipynb", tmp_path / "cold" / "s0")
    messages = {}
    for mode, env in (("warm", {"AUTOGRADER_WARM": "1"}), ("cold", {"AUTOGRADER_WARM": "0"})):
        result = CliRunner().invoke(main, ["grade", str(tmp_path / mode), "--out", str(tmp_path / f"out-{mode}"),
                                           "--workers", "2", "--quiet"], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        graded_here = list((tmp_path / f"out-{mode}" / "results").glob("*.json"))
        assert len(graded_here) == {"warm": 2, "cold": 1}[mode]
        for path in graded_here:
            graded = json.loads(path.read_text())
            run = graded["run"]
            assert graded["status"] == "graded", graded["message"]
            assert graded["score"] == graded["max_score"] == 4, graded["checks"]
            assert run["warm"] is (mode == "warm")
            assert run["trainer"]["status"] == "finished"
            assert run["isolation"].startswith(run["trainer"]["isolation"])  # the trainer's sandbox is of the same kind
            assert run["code_seconds"] < 30  # the exploring cells were skipped
            [check] = graded["checks"]
            messages[(mode, graded["student"])] = check["message"].split(";")[0]  # the held-out metric
    assert len(messages) == 3 and len(set(messages.values())) == 1, messages


# --------------------------------------------------------------------------- models that do not fit the task
# One rule (trainer.fit_problem) refuses them before training and on the trusted side; the
# notebooks' public tests mirror it. Each entry: (exercise, question, namespace builder, what
# the grader says: "" when it accepts the model).

L = keras.layers


def _model(inputs, layers, loss, optimizer="adam"):
    def build():
        model = keras.Sequential([keras.Input(shape=inputs), *layers()])
        model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
        return model

    return build


def _digits(layers, loss):
    return _model((8, 8), lambda: [L.Rescaling(1 / 16), L.Flatten(), L.Dense(32, activation="relu"), *layers()], loss)


def _notes(layers, loss):
    return _model((2,), lambda: [L.Dense(16, activation="relu"), *layers()], loss)


def _sin(layers, loss):
    return _model((10,), lambda: [L.Dense(16, activation="relu"), *layers()], loss)


FIT_CASES = [
    # accepted: the forms the grader grades
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(1, activation="sigmoid")], "binary_crossentropy"), ""),
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(2, activation="softmax")], "sparse_categorical_crossentropy"), ""),
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(2), L.Softmax()], keras.losses.SparseCategoricalCrossentropy()), ""),
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(1)], keras.losses.BinaryCrossentropy(from_logits=True)), ""),
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(1), L.Activation("sigmoid")], "BinaryCrossentropy"), ""),
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(1, activation="sigmoid"), L.Dropout(0.1)], "bce"), ""),
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(1, activation="sigmoid")], keras.losses.binary_crossentropy), ""),
    ("train_digits", "q1_model", _digits(lambda: [L.Dense(10, activation="softmax")], "sparse_categorical_crossentropy"), ""),
    ("train_digits", "q1_model", _digits(lambda: [L.Dense(10)], keras.losses.SparseCategoricalCrossentropy(from_logits=True)), ""),
    ("train_sin", "q1_regression", _sin(lambda: [L.Dense(1)], "mse"), ""),
    ("train_sin", "q1_regression", _sin(lambda: [L.Dense(1)], keras.losses.MeanAbsoluteError()), ""),
    ("train_sin", "q2_classification", _sin(lambda: [L.Dense(2, activation="softmax")], "sparse_categorical_crossentropy"), ""),
    # refused: what Keras cannot train on these labels, or the grader cannot grade
    ("train_digits", "q1_model", _digits(lambda: [L.Dense(10, activation="softmax")], "categorical_crossentropy"),
     "use loss='sparse_categorical_crossentropy'"),
    ("train_digits", "q1_model", _digits(lambda: [L.Dense(10, activation="softmax")], keras.losses.CategoricalCrossentropy()),
     "expects one-hot labels"),
    ("train_digits", "q1_model", _digits(lambda: [L.Dense(10)], "sparse_categorical_crossentropy"), "activation='softmax'"),
    ("train_digits", "q1_model", _digits(lambda: [L.Dense(10, activation="sigmoid")], "binary_crossentropy"),
     "yes/no question of its own"),
    ("train_digits", "q1_model", _digits(lambda: [L.Dense(1)], "mse"), "should have 10, one per class"),
    ("train_digits", "q1_model", _model((8, 8), lambda: [L.Dense(10, activation="softmax")], "sparse_categorical_crossentropy"),
     "Flatten()"),
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(1)], "binary_crossentropy"), "no activation"),
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(1, activation="relu")], "binary_crossentropy"), "activation='sigmoid'"),
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(1, activation="softmax")], "binary_crossentropy"), "activation='sigmoid'"),
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(1, activation="sigmoid")], keras.losses.BinaryCrossentropy(from_logits=True)),
     "a second time"),
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(1, activation="sigmoid")], "sparse_categorical_crossentropy"),
     "use loss='binary_crossentropy'"),
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(2, activation="softmax")], "binary_crossentropy"), "sparse_categorical"),
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(2, activation="softmax")], "categorical_crossentropy"), "one-hot"),
    ("train_banknote", "q1_model", _notes(lambda: [L.Dense(3, activation="softmax")], "sparse_categorical_crossentropy"),
     "should have 1 (the probability of class 1) or 2"),
    ("train_sin", "q1_regression", _sin(lambda: [L.Dense(1, activation="sigmoid")], "binary_crossentropy"), "loss='mse'"),
    ("train_sin", "q1_regression", _sin(lambda: [L.Dense(2)], "mse"), "a regression has one"),
    ("train_sin", "q2_classification", _sin(lambda: [L.Dense(1)], "bce"), "no activation"),
]
TASK_OF = {"q1_model": "model", "q1_regression": "regression", "q2_classification": "classification"}


@pytest.mark.parametrize("exercise,question,build,expected", FIT_CASES)
def test_public_test_and_grader_agree_on_what_fits(built, exercise, question, build, expected, monkeypatch):
    """The public test passes a model exactly when the grader's rule accepts it, and the rule
    says what to change (the loss, the output units, the output's activation)."""
    monkeypatch.chdir(REPO / "exercises" / exercise)  # the public test reads data/ as a student's does
    check = checks_of(exercise)[TASK_OF[question]]
    model = build()
    problem = trainer.fit_problem(json.loads(model.to_json()), model.output_shape, check.classes)
    assert (expected in problem and problem) if expected else problem == "", problem
    _, _, tests = built[exercise]
    namespace = {"keras": keras, "np": np, check.build: build, check.settings: {"epochs": 2, "batch_size": 64}}
    passed = all(run_otter_test(tests[question], namespace, hidden=False))
    assert passed == (not expected), (question, problem)


SETTINGS_CASES = [
    ({"epochs": np.int64(60), "batch_size": np.int32(64)}, ""),
    ({"epochs": 60, "batch_size": 1372, "validation_split": 0.2, "shuffle": np.bool_(False)}, ""),
    ({"epochs": True, "batch_size": 64}, "whole number"),
    ({"epochs": 60.0, "batch_size": 64}, "whole number"),
    ({"epochs": 60, "batch_size": 1373}, "from 1 to 1372"),
    ({"epochs": 60, "batch_size": 64, "learning_rate": 0.01}, "unknown key"),
    ({"epochs": 60, "batch_size": 64, "validation_split": 0.5}, "validation_split"),
    ({"epochs": 60, "batch_size": 64, "shuffle": "yes"}, "True or False"),
    ({"epochs": 60}, "needs \"batch_size\""),
]


@pytest.mark.parametrize("settings,expected", SETTINGS_CASES)
def test_public_test_and_trainer_agree_on_the_training_settings(built, settings, expected, monkeypatch):
    try:
        trainer.check_settings(settings, "TRAINING", 1372)
        refused = ""
    except trainer.TrainingError as exc:
        refused = str(exc)
    assert (expected in refused and refused) if expected else refused == "", refused
    _, _, tests = built["train_banknote"]
    monkeypatch.chdir(REPO / "exercises" / "train_banknote")  # the public test reads data/ as a student's does
    namespace = {"keras": keras, "np": np, "build_model": train_banknote.build_model, "TRAINING": settings}
    assert all(run_otter_test(tests["q1_model"], namespace, hidden=False)) == (not expected), refused


def test_the_slides_categorical_crossentropy_on_digit_labels_is_explained_not_a_traceback():
    namespace = {"build_model": _digits(lambda: [L.Dense(10, activation="softmax")], "categorical_crossentropy"),
                 "TRAINING": {"epochs": 2, "batch_size": 64}}
    verdict = judge("train_digits", namespace)["model"]
    assert verdict.points == 0 and verdict.details["status"] == "error"
    assert verdict.message == (
        "the model could not be trained: the loss 'categorical_crossentropy' expects one-hot labels (rows such as "
        "[0, 1, 0, ...]), but the labels are the class numbers 0 to 9: use loss='sparse_categorical_crossentropy'")
    assert "Traceback" not in verdict.message and "ValueError" not in verdict.message


def test_a_two_unit_softmax_banknote_model_as_in_the_course_notebook_gets_full_marks(built, monkeypatch):
    def course_notebook_model():
        model = keras.Sequential([keras.Input(shape=(2,)), L.Dense(32, activation="relu"), L.Dense(32, activation="relu"),
                                  L.Dense(32, activation="relu"), L.Dense(2, activation="softmax")])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    namespace = {"build_model": course_notebook_model, "TRAINING": train_banknote.TRAINING}
    verdict = judge("train_banknote", namespace)["model"]
    assert verdict.points == 4 and verdict.details["value"] >= 0.90, verdict.message
    _, _, tests = built["train_banknote"]
    monkeypatch.chdir(REPO / "exercises" / "train_banknote")
    assert all(run_otter_test(tests["q1_model"], {"keras": keras, "np": np} | namespace, hidden=False))


def test_the_trusted_side_applies_the_same_rule_to_what_the_sandbox_sent(trained_banknote):
    """A sandbox that skips the trainer's rule (a patched trainer) gains nothing: the grader refuses."""
    config = json.loads(trained_banknote["config"])
    config["config"]["layers"][-1]["config"]["activation"] = "linear"  # no sigmoid, and from_logits is not set
    check = checks_of("train_banknote")["model"]
    forged = dict(trained_banknote, config=json.dumps(config))
    from autograder.probe.answers import Answer

    verdict = check.run({"model": Answer("model/model", forged)}, check.probes(np.random.default_rng(0)))
    assert verdict.points == 0 and "could not be graded: the output layer has no activation" in verdict.message


# --------------------------------------------------------------------------- why a weak model is weak


def _evidence(**kw):
    base = dict(metric="accuracy", classes=10, config=json.loads(train_digits.build_model().to_json()), from_logits=False,
                params=4810, epochs_done=40, seconds=4.0, budget_s=60.0, input_scale=16.0,
                loss_curve=np.linspace(1.0, 0.2, 40) ** 3 + 0.1, val_curve=np.zeros(0))
    return training.Evidence(**(base | kw))


def test_hints_name_the_cause_the_evidence_shows():
    unscaled = json.loads(_model((8, 8), lambda: [L.Flatten(), L.Dense(10, activation="softmax")],
                                 "sparse_categorical_crossentropy")().to_json())
    falling = np.array([2.3, 1.4, 0.9])
    hint = training.weak_model_hint(_evidence(config=unscaled, epochs_done=3, seconds=0.6, loss_curve=falling))
    assert hint.startswith("training ended after 3 epoch(s) while the loss was still falling (by 30 % per epoch")
    assert "about 80 times as many fit" in hint and "keras.layers.Rescaling(1 / 16)" in hint
    assert "no hidden layer" not in hint  # the cause is the training, not the design
    flat = np.array([0.9, 0.6, 0.5, 0.499, 0.498, 0.4975])
    hint = training.weak_model_hint(_evidence(config=unscaled, loss_curve=flat))
    assert hint.startswith("the model has no hidden layer: it is a logistic regression")
    scaled_flat = training.weak_model_hint(_evidence(loss_curve=flat))  # 64 relu units, scaled inputs, levelled off
    assert scaled_flat.startswith("the training loss levelled off at 0.4975: the network (hidden layers of 64 units, 4,810")
    unstable = training.weak_model_hint(_evidence(loss_curve=np.array([1.0, 0.5, 0.3, 0.9, 1.2])))
    assert unstable.startswith("the training loss rose again, 300 % above its lowest value: the learning rate is too high")
    over = training.weak_model_hint(_evidence(loss_curve=np.linspace(1, 0.1, 12),
                                              val_curve=np.array([1, .6, .4, .35, .36, .4, .45, .5, .55, .6, .65, .7])))
    assert over.startswith("the validation loss was lowest after epoch 4 and rose after it") and "over-fits" in over
    no_curve = training.weak_model_hint(_evidence(epochs_done=2, loss_curve=np.zeros(0)))
    assert no_curve.startswith("2 epoch(s) are too few")
    forged = training.weak_model_hint(_evidence(loss_curve=np.array([np.nan, 1.0])))  # not a curve: ignored
    assert "nan" not in forged.lower()


def test_the_mistaken_digits_example_is_told_about_epochs_and_scaling():
    namespace = graded_namespace(REPO / "examples" / "mistaken" / "train_digits.ipynb", "train_digits")
    verdict = judge("train_digits", namespace)["model"]
    assert verdict.points < 3 and verdict.details["epochs_done"] == 3
    assert len(verdict.details["loss_curve"]) == 3 and verdict.details["loss_curve"][0] > verdict.details["loss_curve"][-1]
    assert "train for more epochs" in verdict.hint and "Rescaling(1 / 16)" in verdict.hint, verdict.hint
    assert "hidden layer" not in verdict.hint


# --------------------------------------------------------------------------- the course is passed down


def test_a_course_outside_the_repository_grades_with_its_own_tiers(tmp_path):
    """A copy of train_banknote in a course of its own: 10 points from 0.99. The bundled
    course's 4 points from 0.90 must not leak in."""
    import shutil

    import yaml

    from autograder.intake import Submission
    from autograder.pipeline import grade_submission

    shutil.copytree(REPO / "exercises" / "train_banknote", tmp_path / "exercises" / "train_banknote")
    bundled = next(e for e in yaml.safe_load((REPO / "course.yaml").read_text())["exercises"]
                   if isinstance(e, dict) and e["id"] == "train_banknote")
    bundled["training"]["tasks"]["model"]["tiers"] = [{"at_least": 0.99, "points": 10}]
    bundled["training"]["tasks"]["model"]["budget_s"] = {"gpu": 7, "cpu": 8}
    text = yaml.safe_dump({"name": "elsewhere", "exercises": [bundled]})
    (tmp_path / "elsewhere.yaml").write_text(text)  # not named course.yaml: nothing can guess it
    course = load_course(tmp_path / "elsewhere.yaml")
    exercise = course.exercise("train_banknote")
    assert exercise.folder == tmp_path / "exercises" / "train_banknote"
    [check] = load_checks(exercise)
    assert check.points == 10 and check.tiers[0].threshold == 0.99 and check.budget_s == {"gpu": 7.0, "cpu": 8.0}
    assert max_score(exercise) == 10 and max_score("train_banknote") == 4  # the bundled course keeps its own
    # A course file of its own over the bundled exercises/ folder: its tiers too, not the bundled ones.
    (tmp_path / "over_bundled").mkdir()
    (tmp_path / "over_bundled" / "course.yaml").write_text(text)
    shared = load_course(tmp_path / "over_bundled" / "course.yaml").exercise("train_banknote")
    assert shared.folder == REPO / "exercises" / "train_banknote"
    assert [c.points for c in load_checks(shared)] == [10]

    def runner(cells, probes, limits, files=None):  # the sandbox's part, in this process
        from autograder.run import RunResult

        assert set(files) == {"data/banknote_x.npy", "data/banknote_y.npy"}
        namespace = {"build_model": train_banknote.build_model, "TRAINING": {"epochs": 20, "batch_size": 64}}
        answers = answer_in_process(namespace, probes, exercise.folder)  # the trainer's run: Fit ignores it
        return RunResult("finished", "", [], answers, "", 1.0, 1.0, "in-process")

    sub = Submission(path="s.ipynb", sha256="0" * 64, student="s", exercise="train_banknote", cells=["pass"])
    result = grade_submission(sub, course, seed=0, runner=runner)
    [graded] = result["checks"]
    assert result["max_score"] == 10 and graded["max_points"] == 10
    assert graded["details"]["budget_s"] == 8.0
    assert 0.8 < graded["details"]["value"] < 0.99 and graded["points"] == 0
    assert "0 of 10 points (full marks from 0.99)" in graded["message"]


# --------------------------------------------------------------------------- faithful to the slides


def test_train_sin_describes_and_uses_the_slides_two_set_ups(built):
    student, _, _ = built["train_sin"]
    import nbformat

    cells = nbformat.read(str(student), as_version=4).cells
    text = "\n".join(c.source for c in cells)
    for gone in ("11,301", "11{,}301", "11301", "10{,}100", "1{,}100"):  # keras_params' q2 answer and its parts
        assert gone not in text, gone
    [setups] = [c.source for c in cells if c.source.startswith("## The slides' two set-ups")]
    assert "10 → 20 → 30 → 1" in setups and "SGD(learning_rate=0.01)" in setups and "**10 epochs\n  with batch size 32**" in setups
    assert "10,000 rows" in setups and "10 → 100 → 100 → 1 with a sigmoid output" in setups
    assert '"adam"' in setups and "**25 epochs with batch size 256**" in setups
    [explore] = [c.source for c in cells if "small.compile" in c.source]
    assert "SGD(learning_rate=0.01)" in explore and "epochs=10, batch_size=32" in explore
    x = np.load(REPO / "exercises" / "train_sin" / "data" / "sin_x.npy")
    assert x.shape == (10_000, 10)
    classifier = train_sin.build_classifier()  # the reference classification is the slides' own
    assert [layer["config"]["units"] for layer in json.loads(classifier.to_json())["config"]["layers"][1:]] == [100, 100, 1]
    assert type(classifier.optimizer).__name__ == "Adam" and classifier.optimizer.learning_rate.numpy() == pytest.approx(0.001)
    assert train_sin.CLASSIFIER_TRAINING == {"epochs": 25, "batch_size": 256}
    assert type(train_sin.build_slides_regression().optimizer).__name__ == "SGD"


# --------------------------------------------------------------------------- what the notebook may declare


def _banknote(*layers, **compile_kw):
    def build():
        model = keras.Sequential([keras.Input(shape=(2,)), *layers])
        model.compile(**({"optimizer": "adam", "loss": "binary_crossentropy"} | compile_kw))
        return model
    return build


def _functional_with_an_op():
    inputs = keras.Input(shape=(2,))
    hidden = keras.layers.Dense(4)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden * np.float32(3.0)))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


class MyInit(keras.initializers.Initializer):
    def __call__(self, shape, dtype=None):
        return keras.ops.ones(shape)


@pytest.mark.parametrize(
    "namespace,message",
    [
        ({"build_model": _banknote(MyDense(4), keras.layers.Dense(1, activation="sigmoid"))},
         "only built-in Keras layers can be used (keras.Input, Dense, Activation"),
        ({"build_model": _banknote(keras.layers.Dense(1, activation="sigmoid",
                                                      kernel_initializer=keras.initializers.Constant(np.ones((2, 1)))))},
         "carries an array of numbers made in the notebook"),
        ({"build_model": _banknote(keras.layers.Rescaling(scale=[3.0, -2.0]), keras.layers.Dense(1, activation="sigmoid"))},
         "carries a list of numbers (scale)"),
        ({"build_model": _banknote(keras.layers.Dense(1, activation="sigmoid", kernel_initializer=MyInit()))},
         "custom code"),
        ({"build_model": _functional_with_an_op}, "applies the operation Multiply (keras.ops)"),
        ({"build_model": _banknote(keras.layers.Dense(1, activation="sigmoid",
                                                      kernel_regularizer=lambda w: 0.0 * keras.ops.sum(w)))},
         "a Python lambda cannot be carried"),
        ({"build_model": train_banknote.build_model, "TRAINING": {"epochs": 10**9, "batch_size": 64}}, "from 1 to 1000000"),
        ({"build_model": train_banknote.build_model, "TRAINING": {"epochs": 2, "batch_size": 10**9}}, "from 1 to 1372"),
        ({"build_model": train_banknote.build_model, "TRAINING": {"epochs": 2, "batch_size": 64,
                                                                  "validation_split": float("nan")}}, "validation_split"),
        ({"build_model": train_banknote.build_model, "TRAINING": {"epochs": 2, "batch_size": 64, "shuffle": object()}},
         "True or False"),
        ({"build_model": train_banknote.build_model, "TRAINING": {"epochs": True, "batch_size": 64}}, "whole number"),
    ],
)
def test_declarations_that_carry_code_or_numbers_or_absurd_settings_are_refused(namespace, message):
    verdict = judge("train_banknote", {"TRAINING": {"epochs": 2, "batch_size": 64}} | namespace)["model"]
    assert verdict.points == 0 and verdict.details["status"] == "error", verdict.message
    assert message in verdict.message, verdict.message


def test_a_per_feature_normalization_and_numpy_numbers_are_accepted():
    def build():
        model = train_banknote.build_model()
        layers = [keras.layers.Normalization(mean=[0.4, 1.9], variance=[8.0, 34.0])] + model.layers
        normalized = keras.Sequential([keras.Input(shape=(2,)), *[keras.layers.deserialize(keras.layers.serialize(layer))
                                                                  for layer in layers]])
        normalized.compile(optimizer=model.optimizer.__class__.from_config(model.optimizer.get_config()), loss=model.loss)
        return normalized

    training_ = {"epochs": np.int64(train_banknote.TRAINING["epochs"]), "batch_size": np.int32(64)}
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([100, 200], [0.01, 0.005, 0.002])
    keras.optimizers.Adam(schedule)  # a schedule's numbers are no weights: accepted (checked below)
    config = json.loads(_banknote(keras.layers.Dense(1, activation="sigmoid"),
                                  optimizer=keras.optimizers.Adam(schedule))().to_json())
    trainer.check_config(config)
    verdict = judge("train_banknote", {"build_model": build, "TRAINING": training_})["model"]
    assert verdict.details["status"] == "graded" and verdict.points == 4, verdict.message


def _declared_banknote() -> dict:
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(REPO / "exercises" / "train_banknote")
        return trainer.declare(REFERENCE["train_banknote"], request("train_banknote"))


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda c: c.replace('"units": 32', '"units": 1000000000').replace("[null, 32]", "[null, 1000000000]"),
         "parameters"),
        (lambda c: _with_layer(c, {"module": "keras.layers", "class_name": "Lambda", "config": {"function": "x"}}), "Lambda"),
        (lambda c: c.replace('"seed": null', '"seed": 7'), None),  # accepted; the trainer drops it
        (lambda c: c.replace('"compile_config": {', '"compile_config_": {'), "not compiled"),
        (lambda c: "[1, 2]", "does not describe a Keras model"),
        (lambda c: c.replace('"class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": null}',
                             '"class_name": "RandomNormal", "config": {"mean": [[2.0, -1.0]], "stddev": 1e-9}', 1),
         r"carries a list of numbers \(mean\)"),
        (lambda c: c.replace('[null, 2]', '[null, 2.5]', 1), r"carries a list of numbers \(batch_shape\)"),
    ],
)
def test_the_grader_checks_a_forged_declaration_before_any_training(edit, message):
    """What the notebook's process sends is checked here, fast (a billion units allocate nothing)."""
    declared = _declared_banknote()
    x = np.load(REPO / "exercises" / "train_banknote" / "data" / "banknote_x.npy")
    y = np.load(REPO / "exercises" / "train_banknote" / "data" / "banknote_y.npy")
    forged = {"config": edit(declared["config"]), "settings": declared["settings"]}
    started = time.perf_counter()
    if message is None:
        training.check_declared(forged, "build_model", "TRAINING", x, y, 2)
    else:
        with pytest.raises(ModelRefused, match=message):
            training.check_declared(forged, "build_model", "TRAINING", x, y, 2)
    assert time.perf_counter() - started < 5
    with pytest.raises(ModelRefused, match="did not send"):
        training.check_declared(declared | {"weights": [np.ones(3)]}, "build_model", "TRAINING", x, y, 2)


def test_the_trainer_drops_seeds_the_notebook_chose(monkeypatch):
    seeded = _banknote(keras.layers.Dense(4, kernel_initializer=keras.initializers.GlorotUniform(seed=123)),
                       keras.layers.Dense(1, activation="sigmoid"))
    plain = _banknote(keras.layers.Dense(4), keras.layers.Dense(1, activation="sigmoid"))
    results = [train_here("train_banknote", {"build_model": b, "TRAINING": {"epochs": 1, "batch_size": 1372}},
                          monkeypatch, seed=5) for b in (seeded, plain)]
    assert all(np.array_equal(a, b) for a, b in zip(results[0]["weights"], results[1]["weights"]))
