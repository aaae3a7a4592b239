"""Timed training tasks: the trusted side.

The sandbox trains the student's model under a wall-clock budget (`autograder/probe/trainer.py`)
and hands back plain data: the model's JSON configuration, its weights as arrays, the epochs
completed, the seconds, the device. Here, in the grader's process, `TrainCheck`

1. refuses a configuration that needs custom code to load (a Lambda layer, a class of the
   notebook, a registered custom object), before Keras sees it;
2. builds the model from the configuration on torch's "meta" device first, which allocates
   nothing, and compares its weight shapes with the arrays received (so a configuration that
   claims a billion units costs nothing);
3. builds it for real on the CPU, in Keras' safe mode and without custom objects, and sets the
   weights;
4. evaluates it on the held-out set (made here by `solutions/datasets.py`, never shipped) and
   maps the metric to points by the tiers of course.yaml.

The settings live in course.yaml, under the exercise's `training` key:

    training:
      seeds: {training: 0, data: 1, heldout: 2}  # keras.utils.set_random_seed; the data sets
      data: {source: generated}                  # optional: a real file for a teacher who has one
      tasks:
        model:                                   # the check's name
          build: build_model                     # the notebook's function
          settings: TRAINING                     # the notebook's dict of epochs and batch size
          x: data/banknote_x.npy                 # training files in the exercise's data/
          y: data/banknote_y.npy
          metric: accuracy                       # or mse
          classes: 2                             # accuracy only
          budget_s: {gpu: 30, cpu: 60}           # wall-clock training budget per device class
          tiers:                                 # the first tier reached gives its points
            - {at_least: 0.89, points: 4}        # (mse: at_most)
            - {at_least: 0.80, points: 2}
"""

from __future__ import annotations

import json
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import yaml

from autograder.judge.checks import Check, Verdict
from autograder.judge.forms import FormError
from autograder.probe.requests import Train
from autograder.probe.trainer import TrainingError, check_config, explain_load_error

METRICS = {"accuracy": "at_least", "mse": "at_most"}
MAX_CONFIG_CHARS = 100_000  # the wire's longest string: a longer one arrived cut
MAX_PARAMS = 16_000_000  # 64 MB of float32, the wire's limit on arrays
DEVICE_ENV = "AUTOGRADER_DEVICE"  # "cpu" or "gpu": force the budget's device class
# The environment a notebook is graded in: its exploring cells test this and skip training.

_keras_lock = threading.Lock()


class ModelRefused(Exception):
    """The sandbox's model cannot be graded; the message says why, for the student."""


# --------------------------------------------------------------------------- settings


def course_file(exercise_folder: Path) -> Path:
    """The course.yaml next to the exercises folder that holds `exercise_folder`."""
    from autograder.course import DEFAULT_COURSE

    candidate = Path(exercise_folder).resolve().parent.parent / "course.yaml"
    return candidate if candidate.is_file() else DEFAULT_COURSE


def training_settings(exercise_id: str, course_path: Path) -> dict:
    """The `training` settings of one exercise in course.yaml.

    Read straight from the file rather than through `load_course`, which insists that every
    exercise of the course has its master notebook: loading one exercise's checks must not
    depend on the others.
    """
    data = yaml.safe_load(Path(course_path).read_text()) or {}
    for entry in data.get("exercises", []):
        if isinstance(entry, dict) and entry.get("id") == exercise_id:
            settings = entry.get("training")
            if not isinstance(settings, dict) or not isinstance(settings.get("tasks"), dict):
                raise ValueError(f"{course_path}: exercise {exercise_id!r} has no training.tasks")
            return settings
    raise ValueError(f"{course_path}: no exercise {exercise_id!r}")


def device_class(cuda_available: bool | None = None) -> str:
    """"gpu" when this machine trains on CUDA, else "cpu": which budget of course.yaml applies.

    AUTOGRADER_DEVICE=cpu (or gpu) forces it, e.g. when the sandbox is not given the GPU.
    """
    forced = os.environ.get(DEVICE_ENV, "").strip().lower()
    if forced in ("cpu", "gpu"):
        return forced
    if cuda_available is None:
        import torch

        cuda_available = bool(torch.cuda.is_available())
    return "gpu" if cuda_available else "cpu"


@dataclass(frozen=True)
class Tier:
    threshold: float
    points: float


def parse_tiers(metric: str, tiers, where: str) -> tuple[Tier, ...]:
    """Tiers from course.yaml, best first; each needs `at_least` (accuracy) or `at_most` (mse)."""
    if metric not in METRICS:
        raise ValueError(f"{where}: unknown metric {metric!r}; known: {sorted(METRICS)}")
    key = METRICS[metric]
    if not isinstance(tiers, list) or not tiers:
        raise ValueError(f"{where}: tiers must be a non-empty list")
    out = []
    for tier in tiers:
        if not isinstance(tier, dict) or key not in tier or "points" not in tier:
            raise ValueError(f"{where}: each tier of a {metric} task needs {key!r} and 'points', got {tier!r}")
        out.append(Tier(float(tier[key]), float(tier["points"])))
    out.sort(key=lambda t: -t.points)
    better = (lambda a, b: a >= b) if key == "at_least" else (lambda a, b: a <= b)
    for high, low in zip(out, out[1:]):
        if not better(high.threshold, low.threshold):
            raise ValueError(f"{where}: a tier with more points must ask for a better {metric}")
    return tuple(out)


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


def _layers(config: dict) -> list[dict]:
    """The layer configurations of a Sequential or functional model, in order."""
    inner = config.get("config", {}) if isinstance(config, dict) else {}
    layers = inner.get("layers", []) if isinstance(inner, dict) else []
    return [layer for layer in layers if isinstance(layer, dict)]


def _activation(layer: dict) -> str:
    act = (layer.get("config") or {}).get("activation", "linear")
    if isinstance(act, dict):
        act = act.get("config") if isinstance(act.get("config"), str) else act.get("class_name", "?")
    return str(act or "linear").lower()


def _from_logits(compile_config) -> bool:
    """Whether the loss of the compile settings says from_logits=True (anywhere in it)."""
    if isinstance(compile_config, dict):
        if compile_config.get("from_logits") is True:
            return True
        return any(_from_logits(v) for v in compile_config.values())
    if isinstance(compile_config, list):
        return any(_from_logits(v) for v in compile_config)
    return False


@dataclass
class Rebuilt:
    model: Any
    config: dict
    from_logits: bool
    params: int


def rebuild(config_text, weights, input_shape: tuple[int, ...]) -> Rebuilt:
    """The model of `config_text` with `weights`, built in this process; ModelRefused if not.

    Safe mode, no custom objects, custom code refused before Keras sees the configuration,
    the shapes checked on the meta device before any memory is allocated.
    """
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
    if not isinstance(weights, (list, tuple)) or not all(isinstance(w, np.ndarray) for w in weights):
        raise ModelRefused("the sandbox sent no weights as arrays")
    if not all(w.dtype.kind in "fiub" for w in weights):
        raise ModelRefused("the model's weights are not numbers")
    from_logits = _from_logits(config.get("compile_config"))
    plain = {k: v for k, v in config.items() if k != "compile_config"}  # the optimizer is not needed

    keras = _keras()

    def build(device: str):
        with keras.device(device):
            model = keras.saving.deserialize_keras_object(plain, custom_objects=None, safe_mode=True)
            if not isinstance(model, keras.Model):
                raise ModelRefused("the configuration does not describe a Keras model")
            if not model.built:
                model.build((None, *input_shape))
            return model

    try:
        with _keras_lock:  # layer names and the device scope are Keras' global state
            shapes = [tuple(int(n) for n in v.shape) for v in build("meta").weights]
    except ModelRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - anything Keras cannot build from this configuration
        raise ModelRefused(explain_load_error(exc)) from None
    params = int(sum(math.prod(s) for s in shapes))
    if params > MAX_PARAMS:
        raise ModelRefused(f"the model has {params:,} parameters, more than the {MAX_PARAMS:,} the grader accepts")
    got = [tuple(w.shape) for w in weights]
    if got != shapes:
        raise ModelRefused(f"the weights do not fit the model's configuration: {len(got)} arrays "
                           f"for the {len(shapes)} the model has, or arrays of other shapes")
    if not all(np.all(np.isfinite(w)) for w in weights if w.dtype.kind == "f"):
        raise ModelRefused("the trained weights contain NaN or infinity: training diverged "
                           "(a learning rate too high, or inputs of very different scales?)")
    try:
        with _keras_lock:
            model = build("cpu")
        model.set_weights([w.astype(v.dtype) if hasattr(v, "dtype") else w for w, v in zip(weights, model.get_weights())])
    except ModelRefused:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ModelRefused(f"the model could not be rebuilt with its weights ({type(exc).__name__}: {str(exc)[:300]})") from None
    return Rebuilt(model, config, from_logits, params)


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


def _describe_hint(metric: str, classes: int | None, config: dict, from_logits: bool) -> str:
    """The known mistake a low score suggests, from the model's configuration alone."""
    layers = _layers(config)
    dense = [layer for layer in layers if layer.get("class_name") == "Dense"]
    if len(dense) == 1 and not any(layer.get("class_name", "").startswith("Conv") for layer in layers):
        kind = "a logistic regression" if metric == "accuracy" else "a linear regression"
        return (f"the model has no hidden layer: it is {kind} and can only learn a straight decision "
                "boundary (a linear function); add hidden Dense layers with a nonlinear activation such as relu")
    if len(dense) > 1 and all(_activation(d) == "linear" for d in dense[:-1]):
        return "the hidden layers have no activation: linear layers in a row collapse into one; use activation='relu'"
    if dense and not from_logits:
        out = _activation(dense[-1])
        following = layers[layers.index(dense[-1]) + 1:]
        for layer in following:
            if layer.get("class_name") in ("Activation", "Softmax"):
                out = "softmax" if layer.get("class_name") == "Softmax" else _activation(layer)
        if metric == "mse" and out != "linear":
            return (f"the output layer has the activation {out!r}: a regression's output should be linear "
                    "(no activation), since y takes negative values too")
        if metric == "accuracy" and classes == 2 and out not in ("sigmoid", "softmax"):
            return "the output should be a probability: one unit with activation='sigmoid' and loss='binary_crossentropy'"
        if metric == "accuracy" and classes and classes > 2 and out != "softmax":
            return ("the output should be a probability per class: activation='softmax' with "
                    "loss='sparse_categorical_crossentropy'")
    return ""


class TrainCheck(Check):
    """Train the student's model in the sandbox under a budget; grade it on held-out data."""

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
        device = device_class()
        return {"model": Train(self.build, self.settings, self.x, self.y, self.budget_s[device], self.seed)}

    # the verdict

    def _full_text(self) -> str:
        best = self.tiers[0].threshold
        return f"full marks from {best:g}" if METRICS[self.metric] == "at_least" else f"full marks at {best:g} or less"

    def judge(self, answers, asked):
        answer = answers["model"]
        request = asked["model"]
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
            "seconds": _number(result.get("seconds")),
            "epochs_done": _whole(result.get("epochs_done")),
            "epochs_requested": _whole(result.get("epochs_requested")),
            "steps_done": _whole(result.get("steps_done")),
            "stopped_by_budget": result.get("stopped_by_budget") is True,
            "budget_s": float(request.budget_s),
            "budget_class": device_class(),
            "seed": self.seed,
        }
        x, y = self._heldout()
        try:
            rebuilt = rebuild(result["config"], result["weights"], tuple(x.shape[1:]))
            value = metric_value(self.metric, predict(rebuilt.model, x), y, self.classes, rebuilt.from_logits)
        except ModelRefused as exc:
            return Verdict(0.0, f"the trained model could not be graded: {exc}", details=info | {"status": "refused"})
        points = tier_points(self.metric, value, self.tiers)
        info.update(value=round(value, 6), points=points, params=rebuilt.params, status="graded",
                    heldout_rows=int(len(y)))
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
                hint = _describe_hint(self.metric, self.classes, rebuilt.config, rebuilt.from_logits)
        return Verdict(points, message, hint, details=info)


def _number(value) -> float | None:
    """A finite number from the sandbox's report, else None (the record stays plain JSON)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def _whole(value) -> int:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else -1


# --------------------------------------------------------------------------- checks.py helper


def training_checks(exercise_id: str, exercise_folder: Path, heldout: Callable[[str, dict, dict | None], dict],
                    course_path: Path | None = None) -> list[TrainCheck]:
    """One TrainCheck per task of the exercise's `training` settings in course.yaml.

    `heldout(exercise_id, seeds, data)` returns the held-out arrays keyed by the names of the
    training files they stand for (`data/sin_x.npy`: held-out inputs, ...); it is called
    once, at the first judgement.
    """
    path = course_path or course_file(exercise_folder)
    settings = training_settings(exercise_id, path)
    seeds, data = settings.get("seeds", {}), settings.get("data")
    cache: dict = {}
    lock = threading.Lock()

    def arrays() -> dict:
        with lock:
            if "arrays" not in cache:
                cache["arrays"] = heldout(exercise_id, seeds, data)
            return cache["arrays"]

    checks = []
    for name, task in settings["tasks"].items():
        where = f"{path}: {exercise_id}/{name}"
        try:
            checks.append(TrainCheck(
                name, exercise_id, build=task["build"], settings=task["settings"], x=task["x"], y=task["y"],
                metric=task["metric"], tiers=task["tiers"], budget_s=task["budget_s"],
                seed=int(seeds.get("training", 0)), classes=task.get("classes"),
                heldout=lambda x=task["x"], y=task["y"]: (arrays()[x], arrays()[y]),
                description=task.get("description", ""),
            ))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{where}: incomplete task settings ({type(exc).__name__}: {exc})") from None
    return checks
