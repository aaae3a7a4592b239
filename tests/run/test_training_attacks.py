"""Hostile timed-training submissions, graded as the pipeline grades them: the notebook in the
sandbox (forked from a warm worker with Keras loaded), its declared model trained in the
trainer's sandbox that runs no student code, judged here.

Each notebook trains a good model in a cell of its own and then tries to get those weights, or
a time of its own, into the grade by patching Keras, torch, the callbacks or the clock in its
process. The grade must be that of the model it declared: `build_model()` with a learning rate
of 0 and one epoch cannot learn, and gets what the same declaration gets honestly.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.course import load_course
from autograder.exercises import data_files, load_checks
from autograder.pipeline import run_limits
from autograder.probe import Fit
from autograder.run.preload import exercise_preload
from autograder.run.training import NotData, train_declared, trainer_job
from autograder.run.warm import WarmPool

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

EXERCISE = "train_banknote"

SETUP = '''
import os
os.environ["KERAS_BACKEND"] = "torch"
import time
import numpy as np
import keras
import torch
x = np.load("data/banknote_x.npy"); y = np.load("data/banknote_y.npy")

def layers():
    return [keras.Input(shape=(2,)), keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid")]
'''

PRETRAINED = '''
good = keras.Sequential(layers())
good.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy")
good.fit(x, y, epochs=40, batch_size=64, verbose=0)
GOOD = [w.copy() for w in good.get_weights()]
'''

DECLARED = '''
def build_model():
    model = keras.Sequential(layers())
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="binary_crossentropy")
    return model

TRAINING = {"epochs": 1, "batch_size": 64}
'''

SWAP = '''
_fit, _get = keras.Model.fit, keras.Model.get_weights
def fit(self, *args, **kwargs):
    history = _fit(self, *args, **kwargs)
    self.set_weights(GOOD)
    return history
keras.Model.fit = fit
keras.Model.get_weights = lambda self: [w.copy() for w in GOOD]
class Swap(keras.callbacks.Callback):
    def on_train_end(self, logs=None):
        self.model.set_weights(GOOD)
keras.callbacks.Callback = Swap
keras.callbacks.History = Swap
_load = torch.load
torch.load = lambda *a, **k: GOOD
torch.nn.Module.state_dict = lambda self, *a, **k: {}
np.save("weights.npy", np.concatenate([w.ravel() for w in GOOD]))
'''

CLOCK = '''
time.perf_counter = lambda: 0.0
time.time = lambda: 0.0
time.monotonic = lambda: 0.0
class Fake:
    history = {"loss": [0.0]}
keras.Model.fit = lambda self, *a, **k: Fake()
keras.callbacks.Callback.on_epoch_end = lambda self, epoch, logs=None: None
'''

HONEST_MODEL = '''
def build_model():
    model = keras.Sequential(layers())
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy")
    return model

TRAINING = {"epochs": 30, "batch_size": 64}
'''

NOTEBOOKS = {
    "declared": [SETUP, DECLARED],  # the declaration alone, honestly: what the attacks must get
    "swap": [SETUP, PRETRAINED, DECLARED, SWAP],
    "clock": [SETUP, HONEST_MODEL, CLOCK],
}


@pytest.fixture(scope="module")
def graded():
    """{name: (RunResult, verdict)} for each notebook, graded on one warm pool as a batch does."""
    course = load_course()
    exercise = course.exercise(EXERCISE)
    limits, files = run_limits(course, EXERCISE), data_files(exercise.folder)
    preload = exercise_preload(exercise)
    out = {}
    with WarmPool(size=1, preload=preload, limits=limits) as pool:
        for name, cells in NOTEBOOKS.items():
            checks = load_checks(EXERCISE)
            asked = {c.name: c.probes(np.random.default_rng(0)) for c in checks}
            flat = {f"{n}/{k}": p for n, probes in asked.items() for k, p in probes.items()}
            run = pool.run(cells, flat, limits, files, preload=preload)
            assert run.status == "finished", (name, run.message, run.output[-2000:])
            train_declared(checks, asked, run, pool.runner(preload), limits, files)
            [check] = checks
            out[name] = (run, check.run({"model": run.answers["model/model"]}, asked["model"]))
    return out


def test_weights_swapped_in_by_patching_keras_torch_or_callbacks_get_the_declared_models_score(graded):
    _, declared = graded["declared"]
    run, swap = graded["swap"]
    assert declared.details["status"] == "graded" and declared.points == 0, declared.message
    assert swap.details["status"] == "graded" and swap.points == 0, swap.message
    assert swap.details["value"] == declared.details["value"]  # the same model, the same weights
    assert swap.details["epochs_done"] == 1 and swap.details["epochs_requested"] == 1
    assert run.trainer["status"] == "finished" and run.trainer["warm"] is True


def test_a_patched_clock_fit_or_callbacks_get_the_measured_time_and_epochs(graded):
    run, clock = graded["clock"]
    d = clock.details
    assert d["status"] == "graded" and clock.points == 4, clock.message  # trained for real, 30 epochs
    assert d["epochs_done"] == d["epochs_requested"] == 30
    assert 0.05 < d["seconds"] <= d["supervisor_seconds"] < d["budget_s"]
    assert f"{d['seconds']:.1f} s" in clock.message


def test_the_trainer_job_is_data_only():
    """What goes to the trainer's sandbox (locally or to a Dask worker, cluster/plain.make_task):
    no cells, Fit requests of plain JSON, nothing else."""
    from autograder.cluster.plain import make_task
    from autograder.run import Limits

    fit = Fit("build_model", '{"class_name": "Sequential"}', (("batch_size", 64), ("epochs", 2)),
              "data/banknote_x.npy", "data/banknote_y.npy", 10.0, 3)
    cells, probes, limits = trainer_job({"model/model": fit}, Limits(total_timeout=5))
    assert cells == [] and probes == {"model/model": fit} and limits.total_timeout >= 60 + 30 + 12.5
    task = make_task(cells, probes, limits, {"data/banknote_x.npy": b"x"}, None)
    assert task["cells"] == [] and set(task) == {"cells", "probes", "limits", "files", "env"}
    assert all(type(p) is Fit for p in task["probes"].values())
    with pytest.raises(NotData):
        trainer_job({"k": fit.__class__("b", "{}", (("epochs", float("nan")),), "x", "y", 1.0)}, Limits())
    with pytest.raises(NotData):
        trainer_job({"k": object()}, Limits())
