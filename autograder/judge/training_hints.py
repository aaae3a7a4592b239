"""Why a trained model scored low: hints drawn from what the grader can see of it.

TrainCheck (autograder/judge/training.py) gathers the `Evidence` of a graded model below full
marks: its configuration, the epochs and seconds it trained, the learning curves the sandbox
recorded, the scale of the inputs. `weak_model_hint` names at most two likely causes (too few
epochs, over-fitting, a learning rate too high, unscaled inputs, slow SGD, no hidden layer or
no activation, too little capacity), in words a student can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.sandbox.trainer import activation_of, layers_of, output_activation

SCALING_LAYERS = {"Rescaling", "Normalization", "BatchNormalization", "LayerNormalization", "UnitNormalization"}
UNSCALED_ABOVE = 4.0  # inputs larger than this, fed to Dense layers as they are, slow training down
STILL_FALLING = 0.02  # the loss fell by more than 2 % per epoch over the last epochs: not done learning
FEW_EPOCHS = 5  # without a learning curve, fewer epochs than this count as too few


@dataclass(frozen=True)
class Evidence:
    """What the grader can see of a trained model: all its hints are drawn from this."""

    metric: str
    classes: int | None
    config: dict
    from_logits: bool
    params: int
    epochs_done: int
    seconds: float | None
    budget_s: float
    input_scale: float  # the largest |x| of the held-out inputs, which the model sees unscaled
    loss_curve: np.ndarray  # training loss per epoch, as the sandbox reported it
    val_curve: np.ndarray  # validation loss per epoch (empty without validation_split)


def finite_curve(values) -> np.ndarray:
    """The sandbox's learning curve, or an empty one if it is not a plain finite 1-d array."""
    if not isinstance(values, np.ndarray) or values.ndim != 1 or values.dtype.kind != "f" or len(values) > 10_000:
        return np.zeros(0)
    return values.astype(np.float64) if np.all(np.isfinite(values)) else np.zeros(0)


def _trend(curve: np.ndarray, epochs_done: int) -> tuple[str, float]:
    """("falling", relative drop per epoch) while the loss still falls, ("unstable", rise) when it
    rose far above its lowest value, else ("flat", drop)."""
    if len(curve) < 2:
        return ("falling", 1.0) if 0 <= epochs_done < FEW_EPOCHS else ("flat", 0.0)
    low = int(np.argmin(curve))
    if low < len(curve) - 1 and curve[-1] > 1.3 * curve[low] + 1e-9:
        return "unstable", float(curve[-1] / max(curve[low], 1e-12) - 1)
    k = min(3, len(curve) - 1)
    drop = float((curve[-1 - k] - curve[-1]) / max(abs(curve[-1 - k]), 1e-12) / k)
    return ("falling" if drop > STILL_FALLING else "flat"), drop


def _unscaled(e: Evidence) -> str:
    layers = layers_of(e.config)
    if e.input_scale <= UNSCALED_ABOVE or any(layer.get("class_name") in SCALING_LAYERS for layer in layers):
        return ""
    top = f"{e.input_scale:g}"
    return (f"the inputs reach {top} and the model feeds them to its layers unscaled, which slows learning: "
            f"start it with keras.layers.Rescaling(1 / {top}) or a Normalization layer")


def _slow_optimizer(e: Evidence) -> str:
    """Plain SGD with a small learning rate: the slides' regression set-up, slow to converge."""
    compile_config = e.config.get("compile_config") if isinstance(e.config, dict) else None
    optimizer = compile_config.get("optimizer") if isinstance(compile_config, dict) else None
    name = optimizer if isinstance(optimizer, str) else (optimizer or {}).get("class_name", "") \
        if isinstance(optimizer, dict) else ""
    settings = (optimizer or {}).get("config") if isinstance(optimizer, dict) else None
    rate = settings.get("learning_rate", 0.01) if isinstance(settings, dict) else 0.01
    if not isinstance(rate, (int, float)) or isinstance(rate, bool):
        return ""  # a learning-rate schedule: not a fixed small step
    momentum = settings.get("momentum", 0.0) if isinstance(settings, dict) else 0.0
    if str(name).lower() != "sgd" or rate > 0.01 or (isinstance(momentum, (int, float)) and momentum > 0):
        return ""
    return (f"plain SGD with a learning rate of {rate:g} takes small steps: Adam "
            "(optimizer='adam'), or a larger learning rate, learns faster in the same epochs")


def _structure(e: Evidence) -> str:
    """A flaw of the network's design that no amount of training fixes."""
    layers = layers_of(e.config)
    dense = [layer for layer in layers if layer.get("class_name") == "Dense"]
    if len(dense) == 1 and not any(str(layer.get("class_name", "")).startswith("Conv") for layer in layers):
        kind = "a logistic regression" if e.metric == "accuracy" else "a linear regression"
        return (f"the model has no hidden layer: it is {kind} and can only learn a straight decision "
                "boundary (a linear function); add hidden Dense layers with a nonlinear activation such as relu")
    if len(dense) > 1 and all(activation_of(d) == "linear" for d in dense[:-1]):
        return "the hidden layers have no activation: linear layers in a row collapse into one; use activation='relu'"
    out = output_activation(e.config)
    if e.metric == "mse" and out != "linear":
        return (f"the output layer has the activation {out!r}: a regression's output should be linear "
                "(no activation), since y takes negative values too")
    return ""


def _capacity(e: Evidence, loss: float) -> str:
    dense = [d for d in layers_of(e.config) if d.get("class_name") == "Dense"]
    hidden = [str((d.get("config") or {}).get("units", "?")) for d in dense[:-1]]
    return (f"the training loss levelled off at {loss:.4g}: the network (hidden layers of {', '.join(hidden)} units, "
            f"{e.params:,} parameters) learns no more with this optimizer; more units or layers, or a larger "
            "learning rate, let it fit the data better")


def weak_model_hint(e: Evidence) -> str:
    """The likely cause of a low held-out score, from what the grader saw (at most two causes)."""
    causes: list[str] = []
    val = e.val_curve
    if len(val) >= 4:
        best = int(np.argmin(val))
        if best < len(val) - 3 and val[-1] > 1.1 * val[best] and _trend(e.loss_curve, e.epochs_done)[0] != "unstable":
            causes.append(f"the validation loss was lowest after epoch {best + 1} and rose after it while the "
                          "training loss kept falling: the model over-fits; train fewer epochs or make it smaller")
    trend, amount = _trend(e.loss_curve, e.epochs_done)
    if not causes and trend == "falling":
        if len(e.loss_curve) >= 2:
            text = (f"training ended after {e.epochs_done} epoch(s) while the loss was still falling "
                    f"(by {100 * amount:.0f} % per epoch at the end): train for more epochs")
        else:
            text = f"{e.epochs_done} epoch(s) are too few for the model to learn: train for more epochs"
        if e.seconds and e.epochs_done > 0 and e.seconds < 0.4 * e.budget_s:
            text += (f"; they took {e.seconds:.1f} s of the {e.budget_s:g} s budget, so about "
                     f"{int(e.budget_s / e.seconds * 0.8)} times as many fit")
        causes.append(text)
        causes.append(_unscaled(e) or _slow_optimizer(e) or _structure(e))
    elif not causes and trend == "unstable":
        causes.append(f"the training loss rose again, {100 * amount:.0f} % above its lowest value: the learning rate "
                      "is too high for this model; lower it (e.g. keras.optimizers.Adam(learning_rate=0.001))")
        causes.append(_unscaled(e))
    elif not causes:
        causes.append(_structure(e) or _unscaled(e)
                      or (_capacity(e, float(e.loss_curve[-1])) if len(e.loss_curve) else ""))
    return "; also ".join(c for c in causes if c)[:1000]
