"""The fast path: one warm worker serves submission after submission, and nothing one of them
leaves behind (a file, a module patch, a thread, a process) reaches the next one. Warm workers
preload what their exercise imports, are kept only while their preload set has work, and a batch runs
warm or cold as the start-up costs measured on this machine say (no test depends on timing:
the costs are given)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import json

import nbformat
import yaml

from autograder.course import CourseError, load_course
from autograder.probe import Var
from autograder.run import Limits, isolation_mode
from autograder.run.preload import exercise_preload, normalize
from autograder.run.startup import Costs, StartupCosts, estimate, preload_key
from autograder.run.warm import WarmPool

LIMITS = Limits(cell_timeout=3, total_timeout=20, kill_grace=1.0)


@pytest.fixture(scope="module")
def pool():
    with WarmPool(size=1, preload=("numpy", "IPython")) as pool:
        pool.warm_up()
        yield pool


def value(result, key):
    answer = result.answers[key]
    assert answer.error is None, (answer.error, result.status, result.message, result.output[-500:])
    return answer.value


LOOK = """
import os, sys, builtins, threading
import numpy as np
tmp_files = sorted(os.listdir('/tmp'))
work_files = sorted(os.listdir('.'))
shm_files = sorted(os.listdir('/dev/shm'))
isclose_works = not bool(np.isclose(1.0, 2.0))
leak = hasattr(builtins, 'LEAK') or 'planted_module' in sys.modules
threads = threading.active_count()
processes = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
zygote = os.getppid()
"""
LOOK_PROBES = {k: Var(k) for k in
               ("tmp_files", "work_files", "shm_files", "isclose_works", "leak", "threads", "processes", "zygote")}

LITTER = """
import os, sys, builtins, subprocess, threading, time
import numpy as np
open('/tmp/left-in-tmp', 'w').write('x')
open('left-in-work', 'w').write('x')
open('/dev/shm/left-in-shm', 'w').write('x')
os.makedirs('locked/inner')
os.chmod('locked', 0)
np.isclose = lambda *a, **k: True
builtins.LEAK = True
sys.modules['planted_module'] = object()
def writer():
    n = 0
    while True:
        n += 1
        open(f'/tmp/thread-{n}', 'w').write('x')
        time.sleep(0.05)
threading.Thread(target=writer, daemon=False).start()
child = subprocess.Popen(['sleep', '1000'])
if os.fork() == 0:  # a daemon that leaves the job's session
    os.setsid()
    if os.fork() == 0:
        time.sleep(1000)
    os._exit(0)
done = True
"""


@pytest.mark.usefixtures("bwrap")
def test_nothing_survives_into_the_next_submission(pool):
    first = pool.run([LITTER], {"done": Var("done")}, LIMITS)
    assert first.status == "finished" and value(first, "done") is True
    second = pool.run([LOOK], LOOK_PROBES, LIMITS)
    assert second.status == "finished", second.message
    # Only what this submission's own worker made (its IPython folder, its answers folder), and
    # the mount point of a Python installation that lives under /tmp (a virtual environment).
    mounts = {Path(p).parts[2] for p in (sys.prefix, sys.base_prefix) if Path(p).parts[1:2] == ("tmp",)}
    left = [f for f in value(second, "tmp_files") if f != ".ipython" and not f.startswith("answers-")]
    assert [f for f in left if f not in mounts] == []
    assert value(second, "work_files") == []
    assert value(second, "shm_files") == []
    assert value(second, "isclose_works") is True
    assert value(second, "leak") is False
    assert value(second, "threads") == 1
    # The namespace's init, the zygote, and this submission's process: nothing else.
    assert len(value(second, "processes")) == 3
    third = pool.run([LOOK], LOOK_PROBES, LIMITS)
    assert value(third, "zygote") == value(second, "zygote")  # the same warm worker served both


@pytest.mark.usefixtures("bwrap")
def test_a_submission_that_kills_its_worker_only_loses_itself(pool):
    killer = pool.run(["import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(0.5)", "x = 1"],
                      {"x": Var("x")}, LIMITS)
    # Its own pipes outlive the worker it killed for a moment, or the sandbox ends with it.
    assert killer.status in ("finished", "crashed")
    after = pool.run(["x = 41 + 1"], {"x": Var("x")}, LIMITS)
    assert after.status == "finished" and value(after, "x") == 42
    assert pool.zygotes() == [("numpy", "IPython")]  # a new one took the place of the killed one


@pytest.mark.usefixtures("bwrap")
def test_a_submission_that_will_not_stop_is_killed_and_the_next_runs(pool):
    stubborn = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(1)"
    hung = pool.run([stubborn, "x = 1"], {"x": Var("x")}, LIMITS)
    assert hung.status == "timeout"
    after = pool.run(["x = 7"], {"x": Var("x")}, LIMITS)
    assert after.status == "finished" and value(after, "x") == 7


def test_interrupted_cell_goes_on_in_a_forked_worker(pool):
    result = pool.run(["while True:\n    pass", "x = 3"], {"x": Var("x")}, LIMITS)
    assert result.status == "timeout"
    assert [c.status for c in result.cells] == ["timeout", "ok"]
    assert value(result, "x") == 3


def test_memory_limit_applies_to_each_submission(pool):
    hog = "hog = []\ntry:\n    while True:\n        hog.append(bytearray(10**8))\nexcept MemoryError:\n    hit = True\ndel hog"
    result = pool.run([hog], {"hit": Var("hit")}, Limits(cell_timeout=10, total_timeout=30, memory_mb=512))
    assert result.status == "finished" and value(result, "hit") is True


def test_rlimits_fallback_forks_fresh_children_too(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "rlimits")
    with WarmPool(size=1, preload=("numpy",)) as pool:
        first = pool.run(["import numpy as np, os\nnp.isclose = lambda *a, **k: True\n"
                          "open('left-in-work', 'w').write('x')\nopen(os.path.join(os.environ['TMPDIR'], 't'), 'w')\n"
                          "done = True"], {"done": Var("done")}, LIMITS)
        assert first.isolation == "rlimits" and value(first, "done") is True
        second = pool.run(["import numpy as np, os\nok = not bool(np.isclose(1.0, 2.0))\nwork = os.listdir('.')\n"
                           "tmp = os.listdir(os.environ['TMPDIR'])"], {k: Var(k) for k in ("ok", "work", "tmp")}, LIMITS)
        assert value(second, "ok") is True
        assert value(second, "work") == []
        assert [f for f in value(second, "tmp") if f != ".ipython" and not f.startswith("answers-")] == []


# --------------------------------------------------------------------------- preload by need

NUMPY = ("numpy", "IPython")
PLOTS = ("numpy", "IPython", "matplotlib")
HAS = "import sys\nloaded = sorted(m for m in ('matplotlib', 'torch', 'keras') if m in sys.modules)"


def test_preload_is_what_the_exercise_imports():
    course = load_course()
    assert exercise_preload(course.exercise("sigmoid_probability")) == NUMPY
    assert exercise_preload(course.exercise("backprop")) == ("numpy", "IPython", "torch")
    # Keras runs on torch here, and a training task's trainer imports Keras whatever the master does.
    assert exercise_preload(course.exercise("keras_params")) == ("numpy", "IPython", "torch", "keras")
    assert exercise_preload(course.exercise("train_banknote")) == ("numpy", "IPython", "torch", "keras")
    assert normalize(["keras", "numpy"]) == normalize(["torch", "keras", "IPython", "numpy", "numpy"])


def test_preload_declared_in_course_yaml_wins_and_a_bad_one_is_refused(tmp_path):
    from autograder.course import DEFAULT_COURSE
    from autograder.exercises import EXERCISES_DIR

    data = yaml.safe_load(DEFAULT_COURSE.read_text())
    data["exercises"] = [{"id": "keras_params", "preload": ["numpy"]}]
    (tmp_path / "exercises").symlink_to(EXERCISES_DIR)
    (tmp_path / "course.yaml").write_text(yaml.safe_dump(data))
    assert exercise_preload(load_course(tmp_path / "course.yaml").exercise("keras_params")) == NUMPY
    data["exercises"] = [{"id": "keras_params", "preload": "numpy; import os"}]
    (tmp_path / "course.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(CourseError, match="preload must be a list of module names"):
        load_course(tmp_path / "course.yaml")


def test_each_preload_set_s_workers_are_kept_only_while_it_has_work():
    """One slot, runs A A B: the A worker serves both A runs and is gone after the last one; the
    B worker has matplotlib loaded, the A worker not."""
    with WarmPool.for_batch([NUMPY, NUMPY, PLOTS], workers=1, warm=True) as pool:
        first = pool.run([HAS], {"loaded": Var("loaded")}, LIMITS, preload=NUMPY)
        assert first.warm and value(first, "loaded") == []
        assert pool.zygotes() == [NUMPY]  # one more A run to come
        second = pool.run([HAS], {"loaded": Var("loaded")}, LIMITS, preload=NUMPY)
        assert second.warm and value(second, "loaded") == []
        assert pool.zygotes() == []  # no A run left: its worker (and its memory) is gone
        third = pool.run([HAS], {"loaded": Var("loaded")}, LIMITS, preload=PLOTS)
        assert third.warm and value(third, "loaded") == ["matplotlib"]
        assert pool.zygotes() == []


# --------------------------------------------------------------------------- warm or cold


def test_warm_pays_only_when_the_saved_start_ups_outweigh_the_workers_start():
    quick = Costs(start=1.0, warm=0.1, cold=1.0)
    assert not quick.warm_pays(1, workers=2)  # a worker started for one run: never
    assert not quick.warm_pays(2, workers=2)
    assert quick.warm_pays(3, workers=2) and quick.warm_pays(60, workers=2)
    heavy_fork = Costs(start=30.0, warm=4.0, cold=5.0)  # a slow start, and little saved per run
    assert not heavy_fork.warm_pays(8, workers=2) and heavy_fork.warm_pays(100, workers=2)
    # Before anything was measured: a warm worker starts as a cold run does, and forks cheaply.
    for preload in (NUMPY, ("numpy", "IPython", "torch", "keras")):
        guess = estimate(preload)
        assert not guess.warm_pays(2, workers=2) and guess.warm_pays(4, workers=2)


def test_costs_are_measured_medians_saved_for_the_next_batch(tmp_path):
    path = tmp_path / "costs.json"
    costs = StartupCosts(path)
    for seconds in (1.0, 9.0, 2.0):
        costs.record(NUMPY, "bubblewrap", "start", seconds)
    costs.record(NUMPY, "bubblewrap", "warm", 0.2)
    costs.record(NUMPY, "bubblewrap", "nonsense", 1.0)
    costs.save()
    again = StartupCosts(path).costs(NUMPY, "bubblewrap")
    assert (again.start, again.warm) == (2.0, 0.2)
    assert again.measured == ("start", "warm")
    assert again.cold == pytest.approx(2.0 + 0.2 - 0.05)  # not measured: a start and the same code
    assert StartupCosts(path).costs(NUMPY, "rlimits") == estimate(NUMPY)  # per isolation mode
    path.write_text("{ not json")
    assert StartupCosts(path).costs(NUMPY, "bubblewrap") == estimate(NUMPY)


def _sigmoid_batch(built_course, folder, count):
    paths = []
    for i in range(count):
        nb = nbformat.read(str(built_course / "sigmoid_probability" / "solution" / "sigmoid_probability.ipynb"),
                           as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell(f"copy {i}"))
        (folder / f"s{i}").mkdir(parents=True)
        nbformat.write(nb, str(folder / f"s{i}" / "sigmoid_probability.ipynb"))
        paths.append(str(folder / f"s{i}"))
    return paths


@pytest.mark.parametrize("cheap_start", [True, False])
def test_a_batch_runs_warm_or_cold_as_the_measured_costs_say(built_course, fast_course, tmp_path, monkeypatch,
                                                             cheap_start):
    from autograder.batch import grade_batch

    cache = tmp_path / "cache"
    cache.mkdir()
    start = 0.5 if cheap_start else 50.0  # seconds to start a warm worker, as if measured here
    key = preload_key(NUMPY, isolation_mode())
    (cache / "startup-costs.json").write_text(json.dumps({key: {"start": [start], "warm": [0.2], "cold": [1.5]}}))
    monkeypatch.setenv("AUTOGRADER_CACHE", str(cache))
    monkeypatch.delenv("AUTOGRADER_WARM", raising=False)
    results = grade_batch(_sigmoid_batch(built_course, tmp_path / "subs", 3), load_course(fast_course),
                          tmp_path / "out", workers=2, progress=False)
    assert len(results) == 3
    assert all(r["status"] == "graded" and r["score"] == r["max_score"] > 0 for r in results), results
    assert [r["run"]["warm"] for r in results] == [cheap_start] * 3
    saved = json.loads((cache / "startup-costs.json").read_text())[key]
    assert len(saved["warm" if cheap_start else "cold"]) == 1 + 3  # this batch's runs were measured
