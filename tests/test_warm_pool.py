"""The fast path: one warm worker serves submission after submission, and nothing one of them
leaves behind (a file, a module patch, a thread, a process) reaches the next one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from autograder.probe import Var
from autograder.run import Limits, isolation_mode
from autograder.run.warm import WarmPool

LIMITS = Limits(cell_timeout=3, total_timeout=20, kill_grace=1.0)
needs_bwrap = pytest.mark.skipif(isolation_mode() != "bubblewrap", reason="bubblewrap is not installed here")


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


@needs_bwrap
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


@needs_bwrap
def test_a_submission_that_kills_its_worker_only_loses_itself(pool):
    killer = pool.run(["import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(0.5)", "x = 1"],
                      {"x": Var("x")}, LIMITS)
    # Its own pipes outlive the worker it killed for a moment, or the sandbox ends with it.
    assert killer.status in ("finished", "crashed")
    after = pool.run(["x = 41 + 1"], {"x": Var("x")}, LIMITS)
    assert after.status == "finished" and value(after, "x") == 42
    assert pool.idle.qsize() == 1


@needs_bwrap
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
