"""Both sandboxed halves of a timed training task: the notebook declares a model, a trainer trains it.

Runs inside sandboxes only (it imports the standard library, numpy, torch and keras: the
sandbox cannot see the autograder package), in two processes that never meet:

1. `declare` runs in the student's process, for a probe of kind "train" (see
   `autograder.probe.requests.Train`), after the notebook's cells. It calls `build_model()`
   (the request's `name`), takes the model's configuration (`model.to_json()`, the compile
   settings included) and `TRAINING` (the request's `settings`), and sends back only these two,
   as data. Nothing else of that process is used: whatever the notebook patched there (Keras,
   torch, the clock, callbacks) can at worst change this data, and the grader checks it again
   on its side (`autograder/judge/training.py: check_declared`) with the rules below.
2. `fit` runs in the trainer's sandbox, a fresh process that never ran student code
   (`autograder/run/training.py` starts it with no cells and one probe of kind "fit" per
   task). It receives the checked configuration, the settings, the seed, the budget and the
   names of the training files, builds the model from its configuration, trains it under the
   budget and sends back the weights, the learning curve, the epochs, the seconds and the
   device. The times and epochs are measured here, where no student code runs, and the
   supervisor's clock bounds them. The grader rebuilds the model from the weights in its own
   process and evaluates it on held-out data the notebooks never had.

The contract with the notebook:

* `build_model()` returns a compiled Keras model made of built-in Keras layers (no Lambda, no
  class or function of the notebook), whose configuration carries no numbers computed in the
  notebook (no arrays: weights come from training alone; seeds of initializers are the grader's);
* `TRAINING` is a dict {"epochs": int, "batch_size": int}, and may also say
  "validation_split" (a float below 0.5) and "shuffle" (a bool);
* the training data are the `.npy` files `x` and `y` of the request, in the working folder.

Errors raise `TrainingError` with a message for the student; the responder reports it.

One concept: a student model under its budget, from the notebook's declaration to the plain
data sent back. Its sections (the device, checking the configuration and the settings, whether
the model fits the task, the two halves) are the steps above, and none is used without them
inside the sandbox. The grader (autograder/judge/training.py and training_hints.py) imports the
same `check_config`, `check_settings`, `fit_problem` and `loss_of` from here, so that all sides
apply one rule to the model the student wrote.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import time

import numpy as np

SETTINGS_KEYS = {"epochs", "batch_size", "validation_split", "shuffle"}
MAX_EPOCHS = 1_000_000
# Layers whose configuration carries Python code or a foreign object: never trained or loaded.
REFUSED_CLASSES = {
    "Lambda": "a Lambda layer runs Python code that a configuration cannot carry",
    "__lambda__": "a Python lambda cannot be carried as a configuration",
    "TorchModuleWrapper": "a wrapped torch module carries pickled Python objects",
    "TFSMLayer": "a TensorFlow SavedModel layer loads code from files",
    "JaxLayer": "a JAX layer wraps Python functions",
    "FlaxLayer": "a Flax layer wraps Python code",
}


class TrainingError(Exception):
    """Something the student can fix: the message says what."""


# --------------------------------------------------------------------------- device


def pick_device(cuda_available: bool | None = None) -> str:
    """"cuda" when torch sees a CUDA device, else "cpu". Tests pass `cuda_available`."""
    if cuda_available is None:
        import torch

        cuda_available = bool(torch.cuda.is_available())
    return "cuda" if cuda_available else "cpu"


def device_name(device: str) -> str:
    """A human-readable name of the device: the GPU's model, or the CPU's and its threads."""
    import torch

    if device.startswith("cuda"):
        try:
            return str(torch.cuda.get_device_name(0))
        except Exception as exc:  # noqa: BLE001 - a name is only for the record
            return f"CUDA device ({type(exc).__name__})"
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {torch.get_num_threads()} thread(s)"


# --------------------------------------------------------------------------- checking inputs


ALLOWED_LAYERS = ("keras.Input, Dense, Activation, Softmax, ReLU, Dropout, Flatten, Reshape, Rescaling, "
                  "Normalization, BatchNormalization, LayerNormalization, "
                  "Conv1D/Conv2D, MaxPooling, AveragePooling, GlobalAveragePooling")
# Keys whose lists are shapes and sizes, not numbers the model computes with.
SHAPE_KEYS = {"batch_shape", "batch_input_shape", "input_shape", "shape", "output_shape", "target_shape",
              "kernel_size", "strides", "pool_size", "dilation_rate", "padding", "cropping", "size", "dims",
              "axis", "noise_shape", "build_config", "layers", "inbound_nodes", "input_layers", "output_layers",
              "keras_history", "input_shapes", "output_padding"}
SCHEDULE_KEYS = {"boundaries", "values"}  # a learning rate schedule's steps and rates
# Normalization's statistics of the inputs, as the notebooks teach: a positive scale and a shift
# per feature, which cannot carry trained weights without the grader's initial ones.
STATISTICS_KEYS = {"mean", "variance"}
# Serialised values that carry numbers made in the notebook (an array as a Constant
# initializer's value, Rescaling's scale per feature, ...).
ARRAY_CLASSES = {"__numpy__", "__tensor__", "__bytes__"}


def _refuse_custom(where: str, what: str) -> TrainingError:
    return TrainingError(f"{where} uses {what}: the grader builds the model from its configuration alone, "
                         f"so only built-in Keras layers can be used ({ALLOWED_LAYERS}, ...) with built-in "
                         "losses, activations, initializers and optimizers, named as strings")


def _numbers_in(value, floats_only: bool = False) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_numbers_in(v, floats_only) for v in value)
    return isinstance(value, float) if floats_only else (isinstance(value, (int, float)) and not isinstance(value, bool))


def _numbers_allowed(key: str, owner: str | None, node) -> bool:
    """Whether a list of numbers under `key` of an object of class `owner` is a shape, a
    schedule or Normalization's statistics, not numbers the model computes with."""
    if key in SHAPE_KEYS or key.endswith("shape"):
        return not _numbers_in(node, floats_only=True)  # sizes are whole numbers
    return (key in SCHEDULE_KEYS and owner is not None and "Decay" in owner) or \
        (key in STATISTICS_KEYS and owner == "Normalization")


def check_config(node, where: str = "the model", key: str = "", owner: str | None = None) -> None:
    """Refuse a model configuration that needs custom code to load, or that carries numbers
    computed in the notebook (raises TrainingError).

    Built-in Keras objects name a module under `keras`; a class or function of the notebook
    names `__main__` or another module, and some Keras layers carry code themselves. Weights
    come from training alone: an array in the configuration (a Constant initializer's value, a
    per-feature Rescaling) is refused; scalars, shapes and Normalization's statistics are not.
    """
    if isinstance(node, dict):
        name = node.get("class_name")
        if isinstance(name, str):
            if name in REFUSED_CLASSES:
                raise TrainingError(f"{where} uses {name}: {REFUSED_CLASSES[name]}. Use built-in Keras layers only "
                                    f"({ALLOWED_LAYERS}, ...).")
            if name in ARRAY_CLASSES:
                raise TrainingError(f"{where}'s configuration carries an array of numbers made in the notebook "
                                    "(an initializer's value, a per-feature Rescaling): the weights come "
                                    "from training alone; use scalars, or let the model learn them")
            module = node.get("module")
            if isinstance(module, str) and (module.startswith("keras.src.ops") or module.startswith("keras.ops")):
                raise TrainingError(f"{where} applies the operation {name} (keras.ops) between its layers: build "
                                    f"it from built-in Keras layers only ({ALLOWED_LAYERS}, ...)")
            if module is not None and module != "builtins" and not (
                isinstance(module, str) and (module == "keras" or module.startswith("keras."))
            ):
                raise _refuse_custom(where, f"{name!r} from {module!r}, which is custom code")
            registered = node.get("registered_name")
            if isinstance(registered, str) and ">" in registered:
                raise _refuse_custom(where, f"the registered custom object {registered!r}")
        owner = name if isinstance(name, str) else owner
        for inner_key, value in node.items():
            check_config(value, where, str(inner_key), owner)
    elif isinstance(node, (list, tuple)):
        if _numbers_in(node) and not _numbers_allowed(key, owner, node):
            raise TrainingError(f"{where}'s configuration carries a list of numbers ({key or 'a value'}): "
                                "the weights come from training alone; use scalars, or let the model learn them")
        for value in node:
            check_config(value, where, key, owner)


def without_seeds(node):
    """A copy of a configuration with every object's own `seed` set to None: the grader's seed
    decides the initial weights (a seed searched for in the notebook would be a trained model)."""
    if isinstance(node, dict):
        return {k: (None if k == "seed" and isinstance(v, int) else without_seeds(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [without_seeds(v) for v in node]
    return node


def explain_load_error(exc: BaseException) -> str:
    """Why Keras could not build a model from its configuration, in the student's terms."""
    text = str(exc)
    found = re.search(r"Could not locate (class|function) '([^']+)'", text)
    if found:
        kind, name = found.groups()
        what = "a function of the notebook (a loss, metric or activation)" if kind == "function" else "a class of the notebook"
        return (f"`{name}` is {what}: the grader loads models from their configuration alone, so only "
                "Keras' built-in layers, losses, metrics and activations can be used (by name, e.g. "
                'loss="binary_crossentropy", activation="relu")')
    return (f"the model could not be rebuilt from its configuration ({type(exc).__name__}: {text[:300]}); "
            "use built-in Keras layers only")


def check_settings(settings, name: str, rows: int) -> dict:
    """The training settings as plain values, or a TrainingError that says what is wrong."""
    if settings is Ellipsis:
        raise TrainingError(f"`{name}` is not answered yet (still `...`)")
    if not isinstance(settings, dict):
        raise TrainingError(f'`{name}` should be a dict like {{"epochs": 20, "batch_size": 32}}, '
                            f"not a {type(settings).__name__}")
    unknown = set(settings) - SETTINGS_KEYS
    if unknown:
        raise TrainingError(f"`{name}` has unknown key(s) {sorted(map(str, unknown))}; it may only say "
                            f"{sorted(SETTINGS_KEYS)} (the optimizer and its learning rate belong in model.compile)")
    for key in ("epochs", "batch_size"):
        if key not in settings:
            raise TrainingError(f'`{name}` needs "{key}"')
    out: dict[str, int | float | bool] = {}
    for key, high in (("epochs", MAX_EPOCHS), ("batch_size", rows)):
        value = settings[key]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= int(value) <= high:
            raise TrainingError(f'`{name}["{key}"]` should be a whole number from 1 to {high}, got {value!r}')
        out[key] = int(value)
    split = settings.get("validation_split", 0.0)
    if isinstance(split, bool) or not isinstance(split, (int, float, np.floating)) or not 0.0 <= float(split) < 0.5:
        raise TrainingError(f'`{name}["validation_split"]` should be a number from 0 to 0.5, got {split!r}')
    out["validation_split"] = float(split)
    shuffle = settings.get("shuffle", True)
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TrainingError(f'`{name}["shuffle"]` should be True or False, got {shuffle!r}')
    out["shuffle"] = bool(shuffle)
    return out


def load_array(name) -> np.ndarray:
    """A `.npy` file of the working folder, read without pickles."""
    if not isinstance(name, str) or not name.endswith(".npy"):
        raise TrainingError(f"the training data file {name!r} is not a .npy file name")
    parts = name.replace("\\", "/").split("/")
    if name.startswith("/") or ".." in parts:
        raise TrainingError(f"the training data file {name!r} must lie in the working folder")
    try:
        array = np.load(name, allow_pickle=False)
    except FileNotFoundError:
        raise TrainingError(f"the training data file {name} is missing from the working folder") from None
    except ValueError as exc:
        raise TrainingError(f"the training data file {name} could not be read: {exc}") from None
    if array.dtype.kind not in "biuf":
        raise TrainingError(f"the training data file {name} holds {array.dtype}, not numbers")
    return array


# --------------------------------------------------------------------------- does the model fit the task?
# One definition, used by the trainer before it trains and by the grader before it evaluates
# (and mirrored, with a test that they agree, by the notebooks' public tests).

BINARY_LOSSES = {"binarycrossentropy", "bce", "binaryfocalcrossentropy"}
SPARSE_LOSSES = {"sparsecategoricalcrossentropy"}
ONE_HOT_LOSSES = {"categoricalcrossentropy", "cce", "categoricalfocalcrossentropy"}
_ACTIVATION_LAYERS = {"Softmax": "softmax"}  # an activation layer without an `activation` setting


def _name(text) -> str:
    return str(text).lower().replace("_", "").replace(" ", "")


def loss_of(config: dict) -> tuple[str, bool]:
    """(the loss's name, lower case without underscores; whether it says from_logits=True)
    from a model configuration's compile settings; ("", False) when there is none.
    `loss_name` gives the name to show."""
    compile_config = config.get("compile_config") if isinstance(config, dict) else None
    loss = compile_config.get("loss") if isinstance(compile_config, dict) else None
    if isinstance(loss, str):
        return _name(loss), False
    if isinstance(loss, dict):
        inner = loss.get("config")
        if loss.get("class_name") == "function" and isinstance(inner, str):
            return _name(inner), False
        logits = isinstance(inner, dict) and inner.get("from_logits") is True
        return _name(loss.get("class_name", "")), logits
    if isinstance(loss, (list, tuple)) and len(loss) == 1:
        return loss_of({"compile_config": {"loss": loss[0]}})
    return ("several" if loss else ""), False


_LOSS_NAMES = {"binarycrossentropy": "binary_crossentropy", "bce": "binary_crossentropy",
               "binaryfocalcrossentropy": "binary_focal_crossentropy",
               "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
               "categoricalcrossentropy": "categorical_crossentropy", "cce": "categorical_crossentropy",
               "categoricalfocalcrossentropy": "categorical_focal_crossentropy"}


def loss_name(loss: str) -> str:
    """The Keras name of a loss that `loss_of` returned: loss='...' as the student writes it."""
    return _LOSS_NAMES.get(loss, loss)


def layers_of(config: dict) -> list[dict]:
    """The layer configurations of a Sequential or functional model, in order."""
    inner = config.get("config", {}) if isinstance(config, dict) else {}
    layers = inner.get("layers", []) if isinstance(inner, dict) else []
    return [layer for layer in layers if isinstance(layer, dict)] if isinstance(layers, list) else []


def activation_of(layer: dict) -> str:
    """The activation a layer applies: "linear" for none."""
    name = layer.get("class_name")
    if name in _ACTIVATION_LAYERS:
        return _ACTIVATION_LAYERS[name]
    act = (layer.get("config") or {}).get("activation", "linear") if isinstance(layer.get("config"), dict) else "linear"
    if isinstance(act, dict):
        act = act.get("config") if isinstance(act.get("config"), str) else act.get("class_name", "?")
    return str(act or "linear").lower()


def output_activation(config: dict) -> str:
    """The activation the model's output leaves through: that of the last layer that has one
    (a Dense layer's `activation`, an Activation or Softmax layer after it)."""
    out = "linear"
    for layer in layers_of(config):
        inner = layer.get("config")
        if layer.get("class_name") in _ACTIVATION_LAYERS or (isinstance(inner, dict) and "activation" in inner):
            out = activation_of(layer)
    return out


def _shape_text(shape) -> str:
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + (",)" if len(shape) == 1 else ")")


def fit_problem(config: dict, output_shape, classes: int | None) -> str:
    """Why Keras cannot train this model on the task, or the grader not grade it, in words
    the student can act on; "" when it fits.

    `classes`: the number of classes of a classification (labels 0 .. classes-1, one per
    row), None for a regression (one number per row). `output_shape`: the model's, e.g.
    (None, 1). Accepted: a regression's one linear output with a non-cross-entropy loss; for
    two classes one unit (sigmoid and binary_crossentropy) or two units (softmax and
    sparse_categorical_crossentropy); for more classes one unit per class (softmax and
    sparse_categorical_crossentropy); a linear output instead of the sigmoid or softmax when
    the loss says from_logits=True.
    """
    loss, logits = loss_of(config)
    act = output_activation(config)
    if loss == "several":
        return "the model is compiled with several losses: it should have one output and one loss"
    shape = tuple(output_shape) if isinstance(output_shape, (list, tuple)) else None
    if shape is None or (shape and isinstance(shape[0], (list, tuple))):
        return "the model has several outputs; it should have one"
    if len(shape) != 2:
        hint = " (a Flatten() layer before the Dense layers?)" if len(shape) > 2 else ""
        return (f"the model's output has the shape {_shape_text(shape)}: it should give one row of numbers "
                f"per example, (None, units){hint}")
    units = shape[1]
    crossentropy = loss in BINARY_LOSSES | SPARSE_LOSSES | ONE_HOT_LOSSES
    if classes is None:
        if units != 1:
            return f"the model has {units} outputs; a regression has one, the predicted y: end with Dense(1)"
        if crossentropy:
            return (f"the loss '{loss_name(loss)}' is a cross-entropy, for classes: a regression predicts a number "
                    "(negative ones too) and is trained with loss='mse'")
        return ""
    labels = f"the class numbers 0 to {classes - 1}"
    if loss in ONE_HOT_LOSSES:
        return (f"the loss '{loss_name(loss)}' expects one-hot labels (rows such as [0, 1, 0, ...]), but the labels "
                f"are {labels}: use loss='sparse_categorical_crossentropy'"
                + (" (or one sigmoid unit with loss='binary_crossentropy')" if classes == 2 else ""))
    two = " (or, for two classes, one unit with activation='sigmoid' and loss='binary_crossentropy')"
    if units == 1 and classes == 2:
        if loss in SPARSE_LOSSES:
            return ("one output unit is the probability of class 1, which sparse_categorical_crossentropy "
                    "cannot train (it needs one unit per class): use loss='binary_crossentropy', or "
                    "Dense(2, activation='softmax')")
        if loss in BINARY_LOSSES:
            return _probability_problem(act, logits, "sigmoid", "BinaryCrossentropy")
        return ""
    if units == classes:
        if loss in BINARY_LOSSES:
            return (f"{units} output units with binary_crossentropy treat each unit as a yes/no question of "
                    f"its own; one class out of {classes}: activation='softmax' with "
                    "loss='sparse_categorical_crossentropy'" + (two if classes == 2 else ""))
        if loss not in SPARSE_LOSSES:
            return (f"the loss '{loss_name(loss)}' does not compare {units} outputs with {labels}: use "
                    "loss='sparse_categorical_crossentropy' with activation='softmax'")
        return _probability_problem(act, logits, "softmax", "SparseCategoricalCrossentropy")
    wanted = "1 (the probability of class 1) or 2 (one per class)" if classes == 2 else f"{classes}, one per class"
    return f"the model has {units} outputs; it should have {wanted}"


def _probability_problem(act: str, logits: bool, wanted: str, loss_class: str) -> str:
    if logits:
        if act in ("sigmoid", "softmax"):
            return (f"the output already has the activation {act!r} and the loss says from_logits=True, "
                    f"which applies it a second time: drop one of them")
        return ""
    if act != wanted:
        what = "no activation" if act == "linear" else f"the activation {act!r}"
        return (f"the output layer has {what}, so its outputs are not probabilities, which the loss needs: "
                f"use activation='{wanted}' (or keep it linear and use "
                f"loss=keras.losses.{loss_class}(from_logits=True))")
    return ""


# --------------------------------------------------------------------------- training


def _keras():
    """keras on the torch backend (set before the first import, as the notebook should)."""
    os.environ["KERAS_BACKEND"] = "torch"
    import keras

    if keras.backend.backend() != "torch":
        raise TrainingError(f"keras was imported with the {keras.backend.backend()!r} backend; "
                            'set os.environ["KERAS_BACKEND"] = "torch" before `import keras`')
    return keras


def _budget_callback(keras, budget_s: float, start: float):
    class Budget(keras.callbacks.Callback):
        """Stops training after the batch during which the wall-clock budget ran out."""

        def __init__(self):
            super().__init__()
            self.stopped = False
            self.epochs_done = 0
            self.steps = 0
            self._in_epoch = 0

        def on_epoch_begin(self, epoch, logs=None):
            self._in_epoch = 0

        def on_train_batch_end(self, batch, logs=None):
            self.steps += 1
            self._in_epoch += 1
            if time.perf_counter() - start > budget_s:
                self.stopped = True
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            steps = self.params.get("steps") if isinstance(self.params, dict) else None
            if not self.stopped or (steps and self._in_epoch >= steps):
                self.epochs_done += 1

    return Budget()


def _model_config(keras, model, build_name: str) -> str:
    if not isinstance(model, keras.Model):
        raise TrainingError(f"`{build_name}()` should return a compiled Keras model, "
                            f"it returned {type(model).__name__}")
    if not getattr(model, "compiled", False):
        raise TrainingError(f"`{build_name}()` returned a model that is not compiled: "
                            "call model.compile(optimizer=..., loss=..., metrics=[...]) before returning it")
    try:
        config = model.to_json()
    except Exception as exc:  # noqa: BLE001 - whatever keras says, the student can act on it
        raise TrainingError(f"the model's configuration could not be saved ({type(exc).__name__}: {exc}); "
                            f"use built-in Keras layers only ({ALLOWED_LAYERS}, ...)") from None
    check_config(json.loads(config))
    return config


def task_classes(y: np.ndarray) -> int | None:
    """The number of classes integer labels stand for (labels 0 .. n-1), None for numbers to predict."""
    if y.dtype.kind not in "biu":
        return None
    if y.ndim != 1:
        raise TrainingError(f"the labels have the shape {y.shape}; the grader expects one class number per row")
    return max(2, int(y.max()) + 1) if len(y) else 2


def shapes_of(model, build_name: str) -> tuple:
    """(input shape, output shape) of a Keras model, or a TrainingError for a model without one of each."""
    try:
        return model.input_shape, model.output_shape
    except Exception:  # noqa: BLE001 - a model without one input and one output
        raise TrainingError(f"`{build_name}()` returned a model without a single input and output: "
                            "start it with keras.Input(shape=...) and give it one output") from None


def check_fits(config: dict, inputs, outputs, example_shape: tuple, classes: int | None) -> None:
    """Refuse, before training, a model whose input or output does not fit the data and the task."""
    want = tuple(example_shape)
    if not isinstance(inputs, tuple) or len(inputs) != len(want) + 1 or (
            isinstance(inputs, tuple) and any(a is not None and a != b for a, b in zip(inputs[1:], want))):
        given = _shape_text(inputs[1:]) if isinstance(inputs, tuple) else str(inputs)
        raise TrainingError(f"the model takes inputs of the shape {given}, but each example here has the shape "
                            f"{_shape_text(want)}: "
                            f"start the model with keras.Input(shape={_shape_text(want)})")
    problem = fit_problem(config, outputs, classes)
    if problem:
        raise TrainingError(problem)


def training_data(request: dict) -> tuple[np.ndarray, np.ndarray]:
    """The training files of a request, as float32 inputs and float32 or int64 targets."""
    x, y = load_array(request.get("x")), load_array(request.get("y"))
    if len(x) != len(y):
        raise TrainingError(f"the training data do not match: {len(x)} inputs, {len(y)} targets")
    return x.astype(np.float32), (y.astype(np.float32) if y.dtype.kind == "f" else y.astype(np.int64))


def explain_fit_error(exc: BaseException) -> str:
    """Why `fit` failed, in the student's terms, for what the checks before training missed."""
    text = f"{type(exc).__name__}: {str(exc)[:600]}"
    if "shape" in str(exc).lower():
        return ("training failed: the model's output does not fit the training labels (check the number of "
                f"output units and the loss). Keras said: {text}")
    return f"training failed; Keras said: {text}"


MAX_CURVE = 500  # epochs of a learning curve sent back; a longer one is sampled evenly


def curve(values) -> np.ndarray:
    """A learning curve as a float64 array (at most MAX_CURVE points, the last one kept)."""
    try:
        array = np.asarray(values if values is not None else [], dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return np.zeros(0)
    if len(array) > MAX_CURVE:
        array = array[np.unique(np.linspace(0, len(array) - 1, MAX_CURVE).round().astype(int))]
    return array


# --------------------------------------------------------------------------- the notebook's half


def declare(namespace: dict, request: dict) -> dict:
    """In the student's process: {"config": the JSON configuration of `build_model()`'s model,
    "settings": TRAINING as plain values}. Only data; the grader checks it again on its side.

    The checks here give the student the reason early (in the notebook's terms); none of them
    is trusted, since student code ran in this process."""
    build_name, settings_name = request.get("name", ""), request.get("settings", "")
    build = namespace.get(build_name)
    if build is None or build is Ellipsis:
        raise TrainingError(f"`{build_name}` is not defined in the notebook")
    if not callable(build):
        raise TrainingError(f"`{build_name}` should be a function that builds and compiles a Keras model")
    if settings_name not in namespace:
        raise TrainingError(f"`{settings_name}` is not defined in the notebook")
    x, y = training_data(request)
    settings = check_settings(namespace[settings_name], settings_name, len(x))
    keras = _keras()
    with keras.device("cpu"):
        try:
            built = build()
        except Exception as exc:  # noqa: BLE001 - the student's function failed: that is the answer
            raise TrainingError(f"`{build_name}()` raised {type(exc).__name__}: {exc}") from None
        config = _model_config(keras, built, build_name)
        inputs, outputs = shapes_of(built, build_name)
    check_fits(json.loads(config), inputs, outputs, x.shape[1:], task_classes(y))
    return {"config": config, "settings": settings}


# --------------------------------------------------------------------------- the trainer's half


def fit(request: dict, callbacks=()) -> dict:
    """In the trainer's sandbox (no student code ever ran there): build the model of
    `request["config"]`, train it with `request["settings"]` under `request["budget_s"]`.

    `callbacks` are extra Keras callbacks (the benchmark's; never the student's)."""
    build_name = request.get("name", "build_model")
    config_text = request.get("config")
    if not isinstance(config_text, str):
        raise TrainingError("the trainer received no model configuration")
    try:
        config = json.loads(config_text)
    except ValueError:
        raise TrainingError("the model's configuration is not valid JSON") from None
    check_config(config)
    x, y = training_data(request)
    settings = check_settings(request.get("settings"), "TRAINING", len(x))
    classes = task_classes(y)
    budget_s, seed = request.get("budget_s"), request.get("seed")
    if isinstance(budget_s, bool) or not isinstance(budget_s, (int, float)) or not math.isfinite(budget_s) \
            or budget_s <= 0:
        raise TrainingError(f"the grader's time budget {budget_s!r} is not a positive number of seconds")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TrainingError(f"the grader's seed {seed!r} is not a whole number")
    budget_s = float(budget_s)
    config_text = json.dumps(without_seeds(config))

    keras = _keras()
    device = pick_device()
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    with keras.device(device):
        try:
            model = keras.models.model_from_json(config_text)
        except Exception as exc:  # noqa: BLE001
            raise TrainingError(explain_load_error(exc)) from None
        if not isinstance(model, keras.Model):
            raise TrainingError("the configuration does not describe a Keras model")
        inputs, outputs = shapes_of(model, build_name)
        check_fits(config, inputs, outputs, x.shape[1:], classes)
        if not getattr(model, "compiled", False):
            raise TrainingError(f"`{build_name}()` returned a model that is not compiled: "
                                "call model.compile(optimizer=..., loss=..., metrics=[...]) before returning it")
        budget = _budget_callback(keras, budget_s, start)
        try:
            history = model.fit(
                x, y, epochs=settings["epochs"], batch_size=settings["batch_size"],
                validation_split=settings["validation_split"], shuffle=settings["shuffle"],
                verbose=0, callbacks=[budget, *callbacks],
            )
        except Exception as exc:  # noqa: BLE001 - shapes that do not fit the data, a wrong loss, ...
            raise TrainingError(explain_fit_error(exc)) from None
    seconds = time.perf_counter() - start
    return {
        "config": model.to_json(),
        "weights": tuple(np.asarray(w) for w in model.get_weights()),
        "epochs_done": int(budget.epochs_done),
        "epochs_requested": settings["epochs"],
        "steps_done": int(budget.steps),
        "seconds": float(seconds),
        "budget_s": budget_s,
        "stopped_by_budget": bool(budget.stopped),
        "device": device,
        "device_name": device_name(device),
        "seed": seed,
        # The learning curve, for the grader's hint (only a hint: the grade is the held-out metric).
        "loss_curve": curve(getattr(history, "history", {}).get("loss")),
        "val_loss_curve": curve(getattr(history, "history", {}).get("val_loss")),
    }
