"""The sandbox's half of a probe: answer the grader's requests from a notebook's namespace.

Runs inside the sandbox, after the student's cells, in the student's process: it imports
only the standard library, numpy and `wire` (copied next to it). Whatever student code did
to this process can at worst change the answers written here, and answers are only data
that the grader judges against its own solutions.
"""

from __future__ import annotations

from builtins import callable, dict, getattr, str, tuple, type  # noqa: A004  (bound before student code)
import json
import os
import traceback

try:  # inside the sandbox wire.py lies next to this file; in the package it is a sibling module
    import wire
except ImportError:  # pragma: no cover - the package path
    from autograder.sandbox import wire

REPLY_FILE = "answers.json"


def _error_text(exc: BaseException) -> str:
    try:
        text = f"{type(exc).__name__}: {exc}"
    except Exception:  # noqa: BLE001 - a student exception whose __str__ fails
        text = type(exc).__name__
    return text[:2000]


def model_as_data(model):
    """A Keras model as {"config": model.to_json(), "weights": (array, ...)}; `...` and None as
    they are, so that the grader can say the answer is missing."""
    if model is None or model is Ellipsis:
        return model
    to_json, get_weights = getattr(model, "to_json", None), getattr(model, "get_weights", None)
    if not callable(to_json) or not callable(get_weights):
        raise TypeError(f"it is a {type(model).__name__}, not a Keras model")
    return {"config": to_json(), "weights": tuple(get_weights())}  # a tuple: never merged into one array


def _trainer():
    try:  # inside the sandbox trainer.py lies next to this file
        import trainer
    except ImportError:  # pragma: no cover - the package path
        from autograder.sandbox import trainer
    return trainer


def answer_one(namespace: dict, request: dict, store: "wire.ArrayStore") -> dict:
    name = request.get("name", "")
    if request.get("kind") == "fit":  # the trainer's sandbox: no notebook ran here, only data is used
        try:
            return {"ok": True, "value": wire.encode(_trainer().fit(request), store)}
        except Exception as exc:  # noqa: BLE001 - a TrainingError, or a value that is not data
            return {"ok": False, "error": _error_text(exc)}
    if name not in namespace:
        return {"ok": False, "error": f"`{name}` is not defined in the notebook"}
    target = namespace[name]
    try:
        if request.get("kind") == "train":  # the notebook's half: the model and settings as data
            target = _trainer().declare(namespace, request)
        elif request.get("kind") == "model":
            target = model_as_data(target)
        elif request.get("kind") == "call":
            if not callable(target):
                return {"ok": False, "error": f"`{name}` is not a function"}
            args = [wire.decode(a) for a in request.get("args", [])]
            kwargs = {k: wire.decode(v) for k, v in request.get("kwargs", {}).items()}
            try:
                target = target(*args, **kwargs)
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - the student's function failed: that is the answer
                return {"ok": False, "raised": type(exc).__name__, "error": _error_text(exc)}
        return {"ok": True, "value": wire.encode(target, store)}
    except Exception as exc:  # noqa: BLE001 - encoding failed: the value is not data
        return {"ok": False, "error": f"the value of `{name}` could not be read: {_error_text(exc)}"}


def answer(namespace: dict, document: dict, folder: str) -> dict:
    """Answer every probe of the request `document`; write `answers.json` into `folder`."""
    store = wire.ArrayStore(folder)
    replies = {}
    for key, request in document.get("probes", {}).items():
        try:
            replies[key] = answer_one(namespace, request, store)
        except Exception:  # noqa: BLE001 - never lose the other answers to one broken probe
            replies[key] = {"ok": False, "error": traceback.format_exc(limit=1)[-2000:]}
    path = os.path.join(folder, REPLY_FILE)
    with open(path + ".part", "w") as f:
        json.dump({"probes": replies}, f, allow_nan=False)
    os.replace(path + ".part", path)
    return replies
