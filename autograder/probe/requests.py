"""What the grader may ask the sandbox: the value of a name, or a call on chosen inputs.

Checks return these from `probes(rng)`; the engine gathers them under unique keys and sends
them as one JSON document on the sandbox's standard input, read before any student code runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from autograder.sandbox import wire


@dataclass(frozen=True)
class Var:
    """The value bound to `name` in the notebook's namespace after all cells ran."""

    name: str

    def to_json(self, store: wire.ArrayStore) -> dict:
        return {"kind": "var", "name": self.name}


@dataclass(frozen=True)
class Call:
    """The result of `function(*args, **kwargs)`, called in the sandbox on the grader's inputs."""

    function: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def to_json(self, store: wire.ArrayStore) -> dict:
        return {
            "kind": "call",
            "name": self.function,
            "args": [wire.encode(a, store) for a in self.args],
            "kwargs": {k: wire.encode(v, store) for k, v in self.kwargs.items()},
        }


@dataclass(frozen=True)
class Train:
    """The notebook's half of a timed training task: the model `build()` returns and the
    training settings bound to `settings`, as data (see autograder/sandbox/trainer.py: declare).

    Nothing is trained in the notebook's process: the reply is the model's JSON configuration
    and the settings as plain values, which the grader checks and hands to a `Fit` in the
    trainer's sandbox. `x` and `y` are the training files (`.npy`, in the working folder): the
    notebook's half checks the model's input and output against them, for an early message.
    """

    build: str
    settings: str
    x: str
    y: str

    def to_json(self, store: wire.ArrayStore) -> dict:
        return {"kind": "train", "name": self.build, "settings": self.settings, "x": self.x, "y": self.y}


@dataclass(frozen=True)
class Fit:
    """The trainer's half: train a declared model in a sandbox that runs no student code
    (autograder/run/training.py; autograder/sandbox/trainer.py: fit). Plain data only: the
    model's JSON configuration (checked by the grader), the checked settings, the training
    files, the budget and the seed. The reply is the trained model as data: its weights, the
    epochs completed, the training time, the device and the learning curve."""

    build: str  # the notebook's function that declared the model (for messages)
    config: str
    settings: tuple  # ((key, value), ...) of trainer.check_settings' plain values
    x: str
    y: str
    budget_s: float
    seed: int = 0

    def to_json(self, store: wire.ArrayStore) -> dict:
        return {
            "kind": "fit", "name": self.build, "config": str(self.config),
            "settings": {str(k): v for k, v in self.settings}, "x": self.x, "y": self.y,
            "budget_s": float(self.budget_s), "seed": int(self.seed),
        }


@dataclass(frozen=True)
class KerasModel:
    """The Keras model bound to `name`, as data: its JSON configuration (`model.to_json()`) and
    its weights (`model.get_weights()`). The grader rebuilds it in its own process (see
    judge/training.py: rebuild) and never unpickles anything of it."""

    name: str

    def to_json(self, store: wire.ArrayStore) -> dict:
        return {"kind": "model", "name": self.name}


Probe = Union[Var, Call, Train, Fit, KerasModel]


def encode_requests(probes: dict[str, Any]) -> dict:
    """The request document for {key: probe}: inline arrays, JSON only."""
    store = wire.ArrayStore(folder=None)
    return {"probes": {key: probe.to_json(store) for key, probe in probes.items()}}
