"""Timed training tasks: the trainer in the sandbox's role, the trusted TrainCheck, the notebooks.

The trainer runs in this process here (through the responder and the wire format, as in the
sandbox), in the exercise's folder so that it finds `data/`, with one torch thread as the
sandbox gives it. One test runs a whole solution notebook in the real sandbox.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import torch  # noqa: E402

from autograder.exercises import data_files, load_checks, max_score  # noqa: E402
from autograder.judge import training  # noqa: E402
from autograder.judge.training import ModelRefused, TrainCheck, parse_tiers, rebuild, tier_points  # noqa: E402
from autograder.probe import encode_requests, read_answers, trainer  # noqa: E402
from autograder.probe.responder import answer  # noqa: E402
from solutions import train_banknote, train_digits, train_sin  # noqa: E402
from support import assign_master, notebook_namespace, run_otter_test  # noqa: E402

# Keras' torch backend converts tensors with np.array(x), which numpy 2 warns about, per batch.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

REPO = Path(__file__).resolve().parent.parent
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
    monkeypatch.delenv(training.DEVICE_ENV, raising=False)


def checks_of(exercise: str) -> dict[str, TrainCheck]:
    return {c.name: c for c in load_checks(exercise)}


def judge(exercise: str, namespace: dict, only: str | None = None, budget_s: float | None = None) -> dict:
    """{check name: Verdict}: the checks' probes answered by the responder in the exercise's folder."""
    checks = [c for c in load_checks(exercise) if only in (None, c.name)]
    asked = {}
    for check in checks:
        probes = check.probes(np.random.default_rng(0))
        if budget_s is not None:
            probes = {k: type(p)(p.build, p.settings, p.x, p.y, budget_s, p.seed) for k, p in probes.items()}
        asked[check.name] = probes
    flat = {f"{name}/{key}": probe for name, probes in asked.items() for key, probe in probes.items()}
    document = json.loads(json.dumps(encode_requests(flat)))
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(REPO / "exercises" / exercise)
        try:
            answer(namespace, document, folder)
        finally:
            os.chdir(cwd)
        answers = read_answers(folder, flat)
    return {c.name: c.run({k: answers[f"{c.name}/{k}"] for k in asked[c.name]}, asked[c.name]) for c in checks}


def request(exercise: str, check: str = "model", budget_s: float = 60.0, seed: int = 0) -> dict:
    c = checks_of(exercise)[check]
    return {"kind": "train", "name": c.build, "settings": c.settings, "x": c.x, "y": c.y,
            "budget_s": budget_s, "seed": seed}


def train_here(exercise: str, namespace: dict, monkeypatch, **kw) -> dict:
    monkeypatch.chdir(REPO / "exercises" / exercise)
    return trainer.train(namespace, request(exercise, **kw))


# --------------------------------------------------------------------------- course settings


def test_course_settings_make_the_checks():
    assert max_score("train_banknote") == 4 and max_score("train_sin") == 6 and max_score("train_digits") == 3
    sin = checks_of("train_sin")
    assert (sin["regression"].metric, sin["classification"].metric) == ("mse", "accuracy")
    assert (sin["regression"].build, sin["classification"].build) == ("build_model", "build_classifier")
    for exercise in TASKS:
        for check in load_checks(exercise):
            assert set(check.budget_s) == {"gpu", "cpu"} and check.description
            limits = training.training_settings(exercise, REPO / "course.yaml")
            assert limits["seeds"]["training"] == check.seed


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


def test_the_smaller_network_of_the_slides_earns_part_of_the_regression():
    namespace = {"build_model": train_sin.build_small_model, "TRAINING": {"epochs": 25, "batch_size": 256}}
    verdict = judge("train_sin", namespace, only="regression")["regression"]
    assert 0.04 < verdict.details["value"] <= 0.08 and verdict.points == 2, verdict.message


def test_digits_without_hidden_layer_earn_part():
    namespace = {"build_model": train_digits.build_softmax_regression, "TRAINING": {"epochs": 10, "batch_size": 64}}
    verdict = judge("train_digits", namespace)["model"]
    assert 0 < verdict.points < 3 and "no hidden layer" in verdict.hint


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Otter assign on each master: {exercise: (student notebook, solution notebook, Otter tests)}."""
    return {exercise: assign_master(exercise, tmp_path_factory.mktemp(exercise)) for exercise in TASKS}


def graded_namespace(path: Path, exercise: str, monkeypatch) -> dict:
    """The notebook's namespace as the grader sees it: in its folder, exploring cells skipped."""
    monkeypatch.setenv("AUTOGRADER_GRADING", "1")
    monkeypatch.chdir(REPO / "exercises" / exercise)
    return notebook_namespace(path)


@pytest.mark.parametrize("exercise", TASKS)
def test_blank_notebook_gets_zero(built, exercise, monkeypatch):
    student, _, _ = built[exercise]
    verdicts = judge(exercise, graded_namespace(student, exercise, monkeypatch))
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
    filled = graded_namespace(solution, exercise, monkeypatch)
    blank = graded_namespace(student, exercise, monkeypatch)
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


def test_the_time_build_model_takes_counts(monkeypatch):
    def slow_build():
        time.sleep(1.5)
        return train_banknote.build_model()

    result = train_here("train_banknote", {"build_model": slow_build, "TRAINING": {"epochs": 50, "batch_size": 64}},
                        monkeypatch, budget_s=1.0)
    assert result["stopped_by_budget"] and result["steps_done"] == 1 and result["seconds"] >= 1.5


def test_pretrained_weights_from_build_model_are_not_kept(monkeypatch):
    def pretrained():
        model = train_banknote.build_model()
        model.set_weights([np.full(w.shape, 0.5, dtype=w.dtype) for w in model.get_weights()])
        return model

    result = train_here("train_banknote", {"build_model": pretrained, "TRAINING": {"epochs": 1, "batch_size": 1372}}, monkeypatch)
    assert result["steps_done"] == 1
    assert not np.allclose(result["weights"][0], 0.5, atol=0.05)  # fresh initial weights, one step of training


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
        ({"build_model": train_sin.build_model}, "training failed"),  # 10 inputs, the banknotes have 2
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
        trainer.train(REFERENCE["train_banknote"], request("train_banknote"))
    for name in ("/etc/passwd.npy", "../x.npy", "data/x.txt"):
        with pytest.raises(trainer.TrainingError):
            trainer.load_array(name)


@pytest.fixture(scope="module")
def trained_banknote():
    """A real reference config and weights (a few epochs), for the trusted side's refusals."""
    cwd = os.getcwd()
    os.chdir(REPO / "exercises" / "train_banknote")
    try:
        namespace = {"build_model": train_banknote.build_model, "TRAINING": {"epochs": 3, "batch_size": 64}}
        return trainer.train(namespace, request("train_banknote"))
    finally:
        os.chdir(cwd)


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
    assert check.probes(np.random.default_rng(0))["model"].budget_s == check.budget_s["gpu"]
    monkeypatch.setenv(training.DEVICE_ENV, "cpu")  # the sandbox is not given the GPU
    assert training.device_class() == "cpu"
    assert check.probes(np.random.default_rng(0))["model"].budget_s == check.budget_s["cpu"]


def test_the_trainer_trains_on_the_device_it_picked(monkeypatch):
    """The CUDA path on a CPU machine: the chosen device goes to keras.device and into the record."""
    scopes = []
    real_device = keras.device

    def spy(name):
        scopes.append(name)
        return real_device("cpu")

    monkeypatch.setattr(trainer, "pick_device", lambda cuda_available=None: "cuda")
    monkeypatch.setattr(keras, "device", spy)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "NVIDIA Test GPU")
    namespace = {"build_model": train_banknote.build_model, "TRAINING": {"epochs": 1, "batch_size": 512}}
    result = train_here("train_banknote", namespace, monkeypatch)
    assert scopes == ["cuda"]
    assert result["device"] == "cuda" and result["device_name"] == "NVIDIA Test GPU"


# --------------------------------------------------------------------------- in the real sandbox


def test_solution_notebook_graded_in_the_sandbox(built):
    from autograder.run import Limits, run_notebook

    limits = Limits(cell_timeout=60, total_timeout=240)
    _, solution, _ = built["train_banknote"]
    import nbformat

    cells = [c.source for c in nbformat.read(str(solution), as_version=4).cells if c.cell_type == "code"]
    checks = load_checks("train_banknote")
    asked = {c.name: c.probes(np.random.default_rng(0)) for c in checks}
    flat = {f"{n}/{k}": p for n, probes in asked.items() for k, p in probes.items()}
    folder = REPO / "exercises" / "train_banknote"
    run = run_notebook(cells, flat, limits, files=data_files(folder))
    assert run.status == "finished", (run.message, run.output[-2000:])
    [check] = checks
    verdict = check.run({"model": run.answers["model/model"]}, asked["model"])
    print(f"\nsandbox ({run.isolation}): {verdict.message}; whole run {run.seconds:.1f} s")
    assert verdict.points == check.points, verdict.message
    assert run.code_seconds < 30  # the exploring cells were skipped


def test_warm_and_fresh_workers_grade_a_training_task_alike(built, tmp_path):
    """`autograder grade` on the fast path (forked from a warm worker that has Keras loaded) and
    in fresh workers gives the same held-out metric and score for the same submission."""
    import json
    import shutil

    import nbformat
    from click.testing import CliRunner

    from autograder.cli import main

    _, solution, _ = built["train_banknote"]
    for i in range(4):  # four copies: a batch that large runs on warm workers
        nb = nbformat.read(str(solution), as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell(f"copy {i}"))
        (tmp_path / "warm" / f"s{i}").mkdir(parents=True)
        nbformat.write(nb, str(tmp_path / "warm" / f"s{i}" / "train_banknote.ipynb"))
    (tmp_path / "cold" / "s0").mkdir(parents=True)
    shutil.copy(tmp_path / "warm" / "s0" / "train_banknote.ipynb", tmp_path / "cold" / "s0")
    messages = {}
    for mode, env in (("warm", {}), ("cold", {"AUTOGRADER_WARM": "0"})):
        result = CliRunner().invoke(main, ["grade", str(tmp_path / mode), "--out", str(tmp_path / f"out-{mode}"),
                                           "--workers", "2", "--quiet"], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        for path in (tmp_path / f"out-{mode}" / "results").glob("*.json"):
            graded = json.loads(path.read_text())
            assert graded["score"] == graded["max_score"] == 4
            [check] = graded["checks"]
            messages[(mode, graded["student"])] = check["message"].split(";")[0]  # the held-out metric
    assert len(set(messages.values())) == 1, messages
