"""Timed training tasks: the trusted side, before and after the trainer's sandbox.

Three processes take part (autograder/sandbox/trainer.py says what runs in the two sandboxes):
the student's sandbox declares the model (`build_model()`'s configuration and `TRAINING`, as
data); a trainer's sandbox that never ran student code trains it (autograder/run/training.py);
this process checks what crosses in both directions and grades. `TrainCheck`

1. checks the declaration (`check_declared`): a configuration that needs custom code to load
   (a Lambda layer, a class of the notebook, a registered custom object) or carries numbers
   made in the notebook is refused before Keras sees it; `TRAINING` is checked again with the
   trainer's rule; the model is built on torch's "meta" device, which allocates nothing, to
   count its parameters (a configuration that claims a billion units costs nothing) and to
   check that it fits the task (`trainer.fit_problem`, the rule the notebooks' public tests
   mirror). What passes becomes a `Fit` request, plain data, for the trainer's sandbox;
2. gets back the weights the trainer's sandbox trained, with the epochs and the seconds it
   measured (and the supervisor's seconds for that probe, which bound them);
3. builds the model for real on the CPU, in Keras' safe mode and without custom objects,
   compares its weight shapes with the arrays received, and sets the weights;
4. evaluates it on the held-out set (made here by `solutions/datasets.py`, never shipped) and
   maps the metric to points by the tiers of the course; points are for what training did:
   a model that already earns them before any training, under most of the grader's own draws
   of initial weights (`untrained_draws`), carries its weights in its configuration (constant
   initializers, a normalization's statistics) and gets none;
5. below full marks, names the likely cause from what it can see: the epochs, the learning
   curve the trainer recorded, the scale of the inputs, the layers and their size.

The settings are the exercise's `training:` of the course being graded (the Exercise passed to
the checks.py's `make_checks`, validated by autograder/course/training.py; nothing here reads a
course file). The hints of step 5 are autograder/judge/training_hints.py.

One concept: grading a timed training task from data alone, the declared model checked before
training and the trained one evaluated after it; the sections (tiers, the model as data, the
check) are those steps.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import math
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from autograder.course.training import METRICS, Tier, parse_tiers
from autograder.figures.training import figure_data as training_figure
from autograder.judge.checks import Check, Verdict
from autograder.judge.forms import FormError
from autograder.judge.training_hints import Evidence, finite_curve, weak_model_hint
from autograder.probe.requests import Fit, Train
from autograder.run.device import device_class
from autograder.sandbox.trainer import (TrainingError, check_config, check_fits, check_settings, explain_load_error,
                                        fit_problem, loss_of, shapes_of)

MAX_CONFIG_CHARS = 100_000  # the wire's longest string: a longer one arrived cut
MAX_PARAMS = 16_000_000  # 64 MB of float32, the wire's limit on arrays

_keras_lock = threading.Lock()
# Initial weights the grader draws to see what a model scores before any training. A model
# whose weights are random earns a tier before training in a few per cent of draws (measured:
# at most 3% for the banknote models, none for the others), so a majority of 7 draws is a
# chance of about 1 in 30,000; weights carried in the configuration earn it in every draw.
UNTRAINED_DRAWS = 7


class ModelRefused(Exception):
    """The sandbox's model cannot be graded; the message says why, for the student."""


# --------------------------------------------------------------------------- tiers


def tier_points(metric: str, value: float, tiers: tuple[Tier, ...]) -> float:
    """The points of the best tier `value` reaches (0 below every tier, and for NaN)."""
    if not math.isfinite(value):
        return 0.0
    for tier in tiers:
        if (value >= tier.threshold) if METRICS[metric] == "at_least" else (value <= tier.threshold):
            return tier.points
    return 0.0


# --------------------------------------------------------------------------- the model as data


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    return keras


def _error_text(error: str) -> str:
    """The trainer's message without the responder's wrapping."""
    marker = "TrainingError: "
    return error.split(marker, 1)[1] if marker in error else error


@dataclass
class Rebuilt:
    model: Any
    config: dict
    from_logits: bool
    params: int


def _parse_config(config_text) -> dict:
    """The configuration as a dict, custom code and numbers from the notebook refused."""
    if not isinstance(config_text, str):
        raise ModelRefused("the sandbox sent no model configuration")
    if len(config_text) >= MAX_CONFIG_CHARS:
        raise ModelRefused(f"the model's configuration is longer than {MAX_CONFIG_CHARS} characters: use a smaller model")
    try:
        config = json.loads(config_text)
    except ValueError:
        raise ModelRefused("the model's configuration is not valid JSON") from None
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ModelRefused("the model's configuration does not describe a Keras model")
    try:
        check_config(config)
    except TrainingError as exc:
        raise ModelRefused(str(exc)) from None
    return config


def _build(config: dict, device: str, input_shape: tuple[int, ...]):
    """The model of `config` (its compile settings left out), built on `device` in safe mode."""
    keras = _keras()
    plain = {k: v for k, v in config.items() if k != "compile_config"}  # the optimizer is not needed
    with _keras_lock, keras.device(device):  # layer names and the device scope are Keras' global state
        try:
            # A copy each time: Keras consumes the dict it deserializes (a functional model's
            # second build would get an empty configuration).
            model = keras.saving.deserialize_keras_object(copy.deepcopy(plain), custom_objects=None, safe_mode=True)
            if not isinstance(model, keras.Model):
                raise ModelRefused("the configuration does not describe a Keras model")
            if not model.built:
                model.build((None, *input_shape))
        except ModelRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - anything Keras cannot build from this configuration
            raise ModelRefused(explain_load_error(exc)) from None
    return model


def _meta_shapes(config: dict, input_shape: tuple[int, ...]) -> tuple[list[tuple[int, ...]], object]:
    """The weight shapes of the model (none allocated: torch's meta device) and the model, with
    the parameter count checked against MAX_PARAMS."""
    model = _build(config, "meta", input_shape)
    shapes = [tuple(int(n) for n in v.shape) for v in model.weights]
    params = int(sum(math.prod(s) for s in shapes))
    if params > MAX_PARAMS:
        raise ModelRefused(f"the model has {params:,} parameters, more than the {MAX_PARAMS:,} the grader accepts")
    return shapes, model


def check_declared(value, build: str, settings_name: str, x: np.ndarray, y: np.ndarray,
                   classes: int | None) -> tuple[str, dict]:
    """(the configuration's JSON text, the settings as plain values) of what the notebook's
    half declared, checked here as the trainer will check it; ModelRefused with the reason if not.
    `x` and `y` are the training data the trainer will get."""
    if not isinstance(value, dict) or set(value) != {"config", "settings"}:
        raise ModelRefused(f"`{build}`: the sandbox did not send a model configuration and its settings")
    config = _parse_config(value["config"])
    if not isinstance(config.get("compile_config"), dict):
        raise ModelRefused(f"`{build}()` returned a model that is not compiled: "
                           "call model.compile(optimizer=..., loss=..., metrics=[...]) before returning it")
    try:
        settings = check_settings(value["settings"], settings_name, len(x))
        _, model = _meta_shapes(config, tuple(x.shape[1:]))
        inputs, outputs = shapes_of(model, build)
        check_fits(config, inputs, outputs, tuple(x.shape[1:]), classes)
    except TrainingError as exc:
        raise ModelRefused(str(exc)) from None
    return value["config"], settings


def rebuild(config_text, weights, input_shape: tuple[int, ...]) -> Rebuilt:
    """The model of `config_text` with `weights`, built in this process; ModelRefused if not.

    Safe mode, no custom objects, custom code refused before Keras sees the configuration,
    the shapes checked on the meta device before any memory is allocated.
    """
    config = _parse_config(config_text)
    if not isinstance(weights, (list, tuple)) or not all(isinstance(w, np.ndarray) for w in weights):
        raise ModelRefused("the sandbox sent no weights as arrays")
    if not all(w.dtype.kind in "fiub" for w in weights):
        raise ModelRefused("the model's weights are not numbers")
    from_logits = loss_of(config)[1]
    shapes, _ = _meta_shapes(config, input_shape)
    params = int(sum(math.prod(s) for s in shapes))
    got = [tuple(w.shape) for w in weights]
    if got != shapes:
        raise ModelRefused(f"the weights do not fit the model's configuration: {len(got)} arrays "
                           f"for the {len(shapes)} the model has, or arrays of other shapes")
    if not all(np.all(np.isfinite(w)) for w in weights if w.dtype.kind == "f"):
        raise ModelRefused("the trained weights contain NaN or infinity: training diverged "
                           "(a learning rate too high, or inputs of very different scales?)")
    model = _build(config, "cpu", input_shape)
    try:
        model.set_weights([w.astype(v.dtype) if hasattr(v, "dtype") else w for w, v in zip(weights, model.get_weights())])
    except Exception as exc:  # noqa: BLE001
        raise ModelRefused(f"the model could not be rebuilt with its weights ({type(exc).__name__}: {str(exc)[:300]})") from None
    return Rebuilt(model, config, from_logits, params)


def with_grader_seeds(node, seed: int, draw: int):
    """A copy of a configuration whose every `seed` (each initializer's, each Dropout's) is the
    grader's: its `draw`-th draw for `seed`, distinct per object. Keras then draws the initial
    weights from these seeds alone, without touching any global random state of this process."""
    counter = iter(range(1, 1_000_000))

    def seeded(value):
        if isinstance(value, dict):
            return {k: (seed * 1_000_003 + draw * 10_007 + next(counter)) % 2**31
                    if k == "seed" and (v is None or isinstance(v, int)) and not isinstance(v, bool) else seeded(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [seeded(v) for v in value]
        return value

    return seeded(node)


def untrained_draws(config: dict, input_shape: tuple[int, ...], x: np.ndarray, y: np.ndarray, metric: str,
                    classes: int | None, from_logits: bool, tiers: tuple[Tier, ...], seed: int) -> list[float]:
    """The held-out metric of the model before any training, under the grader's draws of its
    initial weights, drawn until a majority of UNTRAINED_DRAWS is decided either way (a model
    whose outputs are not finite before training counts as earning nothing)."""
    needed = UNTRAINED_DRAWS // 2 + 1
    values: list[float] = []
    earned = 0
    for draw in range(UNTRAINED_DRAWS):
        model = _build(with_grader_seeds(config, seed, draw), "cpu", input_shape)
        try:
            value = metric_value(metric, predict(model, x), y, classes, from_logits)
        except ModelRefused:
            value = math.nan
        values.append(value)
        earned += bool(math.isfinite(value) and tier_points(metric, value, tiers) > 0)
        if earned >= needed or len(values) - earned >= needed:
            break
    return values


def untrained_verdict(values: list[float], metric: str, tiers: tuple[Tier, ...]) -> str:
    """Why a model earns nothing for training it did not need, or "" when training earned its points."""
    earning = [v for v in values if math.isfinite(v) and tier_points(metric, v, tiers) > 0]
    if len(earning) <= UNTRAINED_DRAWS // 2:
        return ""
    return (f"before any training the model already reaches a held-out {metric} of {float(np.median(earning)):.4f} "
            f"in {len(earning)} of {len(values)} of the grader's draws of its initial weights: its weights come "
            "from its configuration (constant initializers, a normalization's statistics), not from training "
            "within the budget, and the points are for what training achieves. Let the layers start from "
            "Keras' random initial weights and train them")


def predict(model, x: np.ndarray) -> np.ndarray:
    keras = _keras()
    with keras.device("cpu"):
        out = model.predict(x.astype(np.float32), batch_size=1024, verbose=0)
    if isinstance(out, (list, tuple, dict)):
        raise ModelRefused("the model has several outputs; it should have one")
    return np.asarray(out, dtype=np.float64).reshape(len(x), -1)


def metric_value(metric: str, out: np.ndarray, y: np.ndarray, classes: int | None, from_logits: bool) -> float:
    """The held-out metric of the model's outputs `out` (n, k) against the targets `y`."""
    if not np.all(np.isfinite(out)):
        raise ModelRefused("the trained model outputs NaN or infinity on the held-out data: training diverged "
                           "(a learning rate too high, or inputs of very different scales?)")
    k = out.shape[1]
    if metric == "mse":
        if k != 1:
            raise ModelRefused(f"the model has {k} outputs; a regression has one (the predicted y)")
        return float(np.mean((out[:, 0] - np.asarray(y, dtype=np.float64)) ** 2))
    if k == 1 and classes == 2:
        labels = (out[:, 0] > (0.0 if from_logits else 0.5)).astype(np.int64)
    elif k == classes:
        labels = np.argmax(out, axis=1)
    else:
        wanted = "1 (the probability of class 1) or 2" if classes == 2 else str(classes)
        raise ModelRefused(f"the model has {k} outputs; it should have {wanted}, one per class")
    return float(np.mean(labels == np.asarray(y).astype(np.int64)))


# --------------------------------------------------------------------------- the check


class TrainCheck(Check):
    """Train the student's model in the sandbox under a budget; grade it on held-out data."""

    figure = "training"  # its learning curve, metric and held-out outputs (autograder/figures/training.py)

    def __init__(
        self,
        name: str,
        exercise: str,
        *,
        build: str,
        settings: str,
        x: str,
        y: str,
        metric: str,
        tiers,
        budget_s: Mapping[str, float],
        seed: int,
        heldout: Callable[[], tuple[np.ndarray, np.ndarray]],
        classes: int | None = None,
        description: str = "",
    ):
        self.name, self.exercise = name, exercise
        self.build, self.settings, self.x, self.y = build, settings, x, y
        self.metric = metric
        self.tiers = parse_tiers(metric, tiers, f"{exercise}/{name}")
        self.points = self.tiers[0].points
        missing = {"gpu", "cpu"} - set(budget_s)
        if missing:
            raise ValueError(f"{exercise}/{name}: budget_s needs {sorted(missing)}")
        self.budget_s = {k: float(v) for k, v in budget_s.items()}
        self.seed = int(seed)
        self.classes = int(classes) if classes is not None else None
        if metric == "accuracy" and (self.classes is None or self.classes < 2):
            raise ValueError(f"{exercise}/{name}: an accuracy task needs classes >= 2")
        self._heldout = heldout
        best = self.tiers[0].threshold
        what = f"held-out {metric} {'at least' if METRICS[metric] == 'at_least' else 'at most'} {best:g}"
        self.description = description or (
            f"`{build}()` builds and compiles a Keras model that `{settings}` trains within the time budget "
            f"to a {what} for full marks"
        )

    # the probe

    def budget_for(self, device: str | None = None) -> float:
        return self.budget_s[device or device_class()]

    def probes(self, rng):
        return {"model": Train(self.build, self.settings, self.x, self.y)}

    def fit_request(self, declared, files: Mapping[str, bytes]) -> Fit:
        """The trainer's request for the model the notebook declared (`declared`: the Answer to
        the Train probe), checked here; ModelRefused (or TrainingError) with the reason if not.
        `files`: the exercise's data files, the training data the trainer will get."""
        if declared.error is not None:
            raise TrainingError(_error_text(declared.error))
        x, y = (_array(files, name) for name in (self.x, self.y))
        config, settings = check_declared(declared.value, self.build, self.settings, x, y, self.classes)
        return Fit(self.build, config, tuple(sorted(settings.items())), self.x, self.y,
                   self.budget_for(), self.seed)

    # the verdict

    def _full_text(self) -> str:
        best = self.tiers[0].threshold
        return f"full marks from {best:g}" if METRICS[self.metric] == "at_least" else f"full marks at {best:g} or less"

    def judge(self, answers, asked):
        answer = answers["model"]
        if answer.error is not None:
            return Verdict(0.0, f"the model could not be trained: {_error_text(answer.error)}",
                           details={"metric": self.metric, "status": "error"})
        result = answer.value
        if not isinstance(result, dict) or "config" not in result or "weights" not in result:
            raise FormError(f"`{self.build}`: the sandbox did not report a trained model")
        info = {
            "metric": self.metric,
            "device": str(result.get("device", "?"))[:40],
            "device_name": str(result.get("device_name", "?"))[:200],
            # Measured in the trainer's sandbox (no student code ran there), within the
            # supervisor's clock for that probe (autograder/run/training.py adds it).
            "seconds": _measured(result.get("seconds"), result.get("supervisor_seconds")),
            "supervisor_seconds": _number(result.get("supervisor_seconds")),
            "epochs_done": _whole(result.get("epochs_done")),
            "epochs_requested": _whole(result.get("epochs_requested")),
            "steps_done": _whole(result.get("steps_done")),
            "stopped_by_budget": result.get("stopped_by_budget") is True,
            "budget_s": _number(result.get("budget_s")) or self.budget_for(),
            "budget_class": device_class(),
            "seed": self.seed,
        }
        x, y = self._heldout()
        try:
            rebuilt = rebuild(result["config"], result["weights"], tuple(x.shape[1:]))
            # The same rule the trainer applied before training: the sandbox's word is not trusted.
            problem = fit_problem(rebuilt.config, _output_shape(rebuilt.model), self.classes)
            if problem:
                raise ModelRefused(problem)
            outputs = predict(rebuilt.model, x)
            value = metric_value(self.metric, outputs, y, self.classes, rebuilt.from_logits)
            points = tier_points(self.metric, value, self.tiers)
            before = untrained_draws(rebuilt.config, tuple(x.shape[1:]), x, y, self.metric, self.classes,
                                     rebuilt.from_logits, self.tiers, self.seed) if points > 0 else []
        except ModelRefused as exc:
            return Verdict(0.0, f"the trained model could not be graded: {exc}", details=info | {"status": "refused"})
        untrained = untrained_verdict(before, self.metric, self.tiers)
        if untrained:
            info.update(value=round(value, 6), points=0.0, params=rebuilt.params, status="untrained",
                        untrained_values=[round(v, 6) for v in before])
            return Verdict(0.0, f"held-out {self.metric} {value:.4f}, but no points: {untrained}", details=info)
        curve, val_curve = finite_curve(result.get("loss_curve")), finite_curve(result.get("val_loss_curve"))
        info.update(value=round(value, 6), points=points, params=rebuilt.params, status="graded",
                    heldout_rows=int(len(y)), loss_curve=[round(float(v), 6) for v in curve[-100:]])
        seconds = "?" if info["seconds"] is None else f"{info['seconds']:.1f}"
        training = (f"trained {info['epochs_done']} of {info['epochs_requested']} epochs in {seconds} s "
                    f"on {info['device']} ({info['device_name']})")
        if info["stopped_by_budget"]:
            training += f", stopped by the time budget of {info['budget_s']:g} s"
        message = f"held-out {self.metric} {value:.4f}: {points:g} of {self.points:g} points ({self._full_text()}); {training}"
        hint = ""
        if points < self.points:
            if info["stopped_by_budget"]:
                hint = (f"training was stopped by the time budget of {info['budget_s']:g} s after "
                        f"{info['epochs_done']} of {info['epochs_requested']} epochs: fewer epochs, a larger "
                        "batch or a smaller model fit in the budget")
            else:
                hint = weak_model_hint(Evidence(
                    self.metric, self.classes, rebuilt.config, rebuilt.from_logits, rebuilt.params,
                    info["epochs_done"], info["seconds"], info["budget_s"],
                    float(np.max(np.abs(x))) if x.size else 0.0, curve, val_curve))
        return Verdict(points, message, hint, details=info, figure=training_figure(
            self.metric, value, METRICS[self.metric] != "at_least", self.tiers, outputs, y, self.classes,
            rebuilt.from_logits, curve, val_curve, info))


def _output_shape(model):
    try:
        return tuple(model.output_shape)
    except Exception:  # noqa: BLE001 - several outputs, or none Keras can name
        return None


def _number(value) -> float | None:
    """A finite number from the sandbox's report, else None (the record stays plain JSON)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def _measured(trainer, supervisor) -> float | None:
    """The trainer's seconds, never more than the supervisor saw the probe take."""
    seconds, bound = _number(trainer), _number(supervisor)
    if seconds is None or bound is None:
        return seconds if bound is None else bound
    return min(seconds, bound)


def _array(files: Mapping[str, bytes], name: str) -> np.ndarray:
    """A training file of the exercise (`.npy`, no pickles), as the trainer will read it."""
    if name not in files:
        raise TrainingError(f"the training data file {name} is missing from the exercise's data")
    return np.load(io.BytesIO(files[name]), allow_pickle=False)


def _whole(value) -> int:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else -1


# --------------------------------------------------------------------------- checks.py helper


def training_checks(exercise, heldout: Callable[[str, dict, dict | None], dict]) -> list[TrainCheck]:
    """One TrainCheck per task of the `training` settings of `exercise`, the Exercise of the
    course being graded (a checks.py's `make_checks(exercise)` calls this).

    `heldout(exercise_id, seeds, data)` returns the held-out arrays keyed by the names of the
    training files they stand for (`data/sin_x.npy`: held-out inputs, ...); it is called
    once, at the first judgement, with the course's `seeds` and `data` as plain mappings.
    """
    training = getattr(exercise, "training", None)
    if training is None:
        raise ValueError(f"exercise {exercise.id!r} has no training.tasks in its course "
                         "(load its checks with the Exercise of the course being graded)")
    seeds = training.seeds.model_dump(exclude_none=True)
    data = training.data.model_dump(exclude_none=True) if training.data else None
    cache: dict = {}
    lock = threading.Lock()

    def arrays() -> dict:
        with lock:
            if "arrays" not in cache:
                cache["arrays"] = heldout(exercise.id, seeds, data)
            return cache["arrays"]

    def pair(x: str, y: str) -> tuple:
        return arrays()[x], arrays()[y]

    return [
        TrainCheck(
            name, exercise.id, build=task.build, settings=task.settings, x=task.x, y=task.y,
            metric=task.metric, tiers=list(task.tiers), budget_s=task.budget_s.model_dump(),
            seed=training.seeds.training, classes=task.classes,
            heldout=functools.partial(pair, task.x, task.y),
            description=task.description,
        )
        for name, task in training.tasks.items()
    ]
