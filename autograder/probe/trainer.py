"""The sandbox's half of a timed training task: train the student's model under a budget.

Runs inside the sandbox, in the student's process, called by `responder.py` for a probe of
kind "train" (see `autograder.probe.requests.Train`). It imports only the standard library,
numpy, torch and keras: the sandbox cannot see the autograder package.

The contract with the notebook:

* `build_model()` (the name is the request's `name`) returns a compiled Keras model;
* `TRAINING` (the request's `settings`) is a dict {"epochs": int, "batch_size": int}, and may
  also say "validation_split" (a float below 0.5) and "shuffle" (a bool);
* the training data are the `.npy` files `x` and `y` of the request, in the working folder.

What happens here:

1. seed everything with `keras.utils.set_random_seed(seed)`, start the clock;
2. call `build_model()` and take the model's configuration (`model.to_json()`, the compile
   settings included). A configuration that needs custom code (a Lambda layer, a class of the
   notebook, a Python function as loss) is refused here already, with the reason;
3. seed again and build a fresh model from that configuration: the weights start from their
   initialisers, so nothing `build_model()` did to them (loading, pre-training) is kept, and
   the time `build_model()` took counts against the budget;
4. `fit` on the training data, on CUDA when torch sees it (else the CPU), `verbose=0`, with a
   callback that stops training after the batch during which the budget ran out;
5. return plain data: the configuration, the weights, the epochs completed, the seconds, the
   device and whether the budget stopped it. The grader rebuilds the model from that data in
   its own process and evaluates it on held-out data the notebook never had.

Errors raise `TrainingError` with a message for the student; the responder reports it.
Everything here runs in the student's process, so it is best effort against a notebook that
patches keras or the clock: the grade comes from the held-out evaluation in the grader's
process, and the sandbox's hard time limit stops whatever ignores the budget.
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


def check_config(node, where: str = "the model") -> None:
    """Refuse a model configuration that needs custom code to load (raises TrainingError).

    Built-in Keras objects name a module under `keras`; a class or function of the notebook
    names `__main__` or another module, and some Keras layers carry code themselves.
    """
    if isinstance(node, dict):
        name = node.get("class_name")
        if isinstance(name, str):
            if name in REFUSED_CLASSES:
                raise TrainingError(
                    f"{where} uses {name}: {REFUSED_CLASSES[name]}. Use built-in Keras layers only "
                    "(Dense, Activation, Dropout, Flatten, Rescaling, Normalization, ...)."
                )
            module = node.get("module")
            if module is not None and module != "builtins" and not (
                isinstance(module, str) and (module == "keras" or module.startswith("keras."))
            ):
                raise TrainingError(
                    f"{where} uses {name!r} from {module!r}, which is custom code: the grader loads "
                    "models from their configuration alone, so only built-in Keras layers, losses, "
                    "activations and optimizers can be used."
                )
            registered = node.get("registered_name")
            if isinstance(registered, str) and ">" in registered:
                raise TrainingError(
                    f"{where} uses the registered custom object {registered!r}: the grader loads models "
                    "from their configuration alone, so only built-in Keras objects can be used."
                )
        for value in node.values():
            check_config(value, where)
    elif isinstance(node, list):
        for value in node:
            check_config(value, where)


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
    out = {}
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
                            "use built-in Keras layers only") from None
    check_config(json.loads(config))
    return config


def train(namespace: dict, request: dict, callbacks=()) -> dict:
    """Train `namespace[request["name"]]()` with `namespace[request["settings"]]` under the budget.

    `callbacks` are extra Keras callbacks (the benchmark's; never the student's).
    """
    build_name, settings_name = request.get("name", ""), request.get("settings", "")
    build = namespace.get(build_name)
    if build is None or build is Ellipsis:
        raise TrainingError(f"`{build_name}` is not defined in the notebook")
    if not callable(build):
        raise TrainingError(f"`{build_name}` should be a function that builds and compiles a Keras model")
    if settings_name not in namespace:
        raise TrainingError(f"`{settings_name}` is not defined in the notebook")
    x, y = load_array(request.get("x")), load_array(request.get("y"))
    if len(x) != len(y):
        raise TrainingError(f"the training data do not match: {len(x)} inputs, {len(y)} targets")
    x = x.astype(np.float32)
    y = y.astype(np.float32) if y.dtype.kind == "f" else y.astype(np.int64)
    settings = check_settings(namespace[settings_name], settings_name, len(x))
    budget_s, seed = float(request.get("budget_s", 60.0)), int(request.get("seed", 0))
    if not math.isfinite(budget_s) or budget_s <= 0:
        raise TrainingError(f"the grader's time budget {budget_s!r} is not a positive number of seconds")

    keras = _keras()
    device = pick_device()
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    with keras.device(device):
        try:
            built = build()
        except Exception as exc:  # noqa: BLE001 - the student's function failed: that is the answer
            raise TrainingError(f"`{build_name}()` raised {type(exc).__name__}: {exc}") from None
        config = _model_config(keras, built, build_name)
        del built
        keras.utils.set_random_seed(seed)
        try:
            model = keras.models.model_from_json(config)
        except Exception as exc:  # noqa: BLE001
            raise TrainingError(explain_load_error(exc)) from None
        budget = _budget_callback(keras, budget_s, start)
        try:
            model.fit(
                x, y, epochs=settings["epochs"], batch_size=settings["batch_size"],
                validation_split=settings["validation_split"], shuffle=settings["shuffle"],
                verbose=0, callbacks=[budget, *callbacks],
            )
        except Exception as exc:  # noqa: BLE001 - shapes that do not fit the data, a wrong loss, ...
            raise TrainingError(f"training failed: {type(exc).__name__}: {str(exc)[:1000]}") from None
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
    }
