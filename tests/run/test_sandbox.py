"""The run stage: notebooks execute in a sandbox, and what they can and cannot do there.

Each test asserts the run's status and what was (or was not) possible. Tests marked with the
`mode` fixture run with bubblewrap and with the rlimits fallback; the isolation tests need
bubblewrap (the `bwrap` and `mode` fixtures of conftest.py: skipped where it cannot start, failed in CI).
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import uuid
from pathlib import Path

import numpy as np
import pytest

from autograder.probe import Call, Var
from support.environment import missing_here
from autograder.sandbox.wire import Opaque
from autograder.run import Limits, run_notebook
from autograder.run import bubblewrap, events as event_stream, isolation, state as run_state
from autograder.run.fallback import SANDBOX_UIDS
from support.paths import REPO

FAST = Limits(cell_timeout=10, total_timeout=40, kill_grace=1.0)

def statuses(result):
    return [c.status for c in result.cells]


def live_processes_with(marker: str) -> list[int]:
    """Host pids (zombies excluded) whose environment holds `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            with open(f"/proc/{entry}/environ", "rb") as f:
                environ = f.read()
        except OSError:
            continue
        if state != "Z" and marker.encode() in environ:
            found.append(int(entry))
    return found


# --------------------------------------------------------------------------- a normal notebook


NORMAL = [
    "%matplotlib inline\nimport otter\ngrader = otter.Notebook('forward_pass.ipynb')",
    "!pip install foo\n%pip install bar\nlisting = !ls /\nimport numpy as np\nimport matplotlib.pyplot as plt",
    "%%bash\ntouch ran_bash.txt",
    "%system touch ran_system.txt",
    "%%script sh\ntouch ran_script.txt",
    "%sx touch ran_sx.txt",
    "%matplotlib notebook\n%ls\n%conda install baz",
    "x = 0.8205\nW = np.arange(6.0).reshape(2, 3)\ndata = open('data/points.csv').read().strip()\n"
    "def double(a):\n    return np.asarray(a) * 2\n"
    "def picky(a):\n    raise ValueError('no negative inputs')\n"
    "plt.plot([1, 2, 3]); plt.show()\nprint('cell output', x)",
    "grader.check('q1')\ngrader.check_all()\ngrader.export(pdf=False)",
    "import os\nescapes = sorted(f for f in os.listdir('.') if f.startswith('ran_'))\nlisting = list(listing)\n"
    "environment = dict(os.environ)",
]


def test_normal_notebook(mode, monkeypatch):
    monkeypatch.setenv("GRADER_SECRET_TOKEN", "do-not-leak")
    probes = {
        "environment": Var("environment"),
        "x": Var("x"),
        "W": Var("W"),
        "data": Var("data"),
        "double": Call("double", (np.array([1.0, 2.5]),)),
        "picky": Call("picky", (-1,)),
        "missing": Var("not_defined"),
        "escapes": Var("escapes"),
        "listing": Var("listing"),
    }
    result = run_notebook(NORMAL, probes, FAST, files={"data/points.csv": b"1,2\n"})
    assert result.status == "finished", result.message + result.output
    assert result.message == ""
    assert statuses(result) == ["ok"] * len(NORMAL)
    assert result.isolation == mode
    a = result.answers
    assert a["x"].value == 0.8205 and a["x"].origin == "float"
    assert np.array_equal(a["W"].value, np.arange(6.0).reshape(2, 3)) and a["W"].origin == "ndarray"
    assert a["data"].value == "1,2"
    assert np.array_equal(a["double"].value, [2.0, 5.0])
    assert a["picky"].raised == "ValueError" and "no negative" in a["picky"].error
    assert a["missing"].error and "not defined" in a["missing"].error
    # No shell escape, magic or script ran anything.
    assert a["escapes"].value == []
    assert a["listing"].value == []
    assert "pip install foo" in result.output and "cell output 0.8205" in result.output
    assert "<Figure" in result.output
    environment = a["environment"].value
    assert "GRADER_SECRET_TOKEN" not in environment and "do-not-leak" not in str(environment)
    assert environment["KERAS_BACKEND"] == "torch" and environment["MPLBACKEND"] == "Agg"
    assert environment["OMP_NUM_THREADS"] == "1"
    assert result.code_seconds <= result.seconds
    assert all(c.seconds >= 0 for c in result.cells)


def test_torch_and_keras_under_the_memory_limit(bwrap):
    cells = [
        "import torch\nt = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)\n"
        "def triple(a):\n    return torch.as_tensor(a) * 3",
        "import keras\nmodel = keras.Sequential([keras.Input((10,)), keras.layers.Dense(20), keras.layers.Dense(30)])\n"
        "params = model.count_params()\nbackend = keras.backend.backend()",
    ]
    probes = {"t": Var("t"), "triple": Call("triple", (np.array([1.0, 2.0]),)), "params": Var("params"),
              "backend": Var("backend")}
    result = run_notebook(cells, probes, Limits(cell_timeout=30, total_timeout=60, memory_mb=4096))
    assert result.status == "finished", result.message + result.output
    assert np.array_equal(result.answers["t"].value, [[1.0, 2.0], [3.0, 4.0]])
    assert result.answers["t"].origin == "tensor"
    assert result.answers["triple"].origin == "tensor"
    assert np.allclose(result.answers["triple"].value, [3.0, 6.0])
    assert result.answers["params"].value == 850
    assert result.answers["backend"].value == "torch"


# --------------------------------------------------------------------------- ending early


def test_os_exit_crashes(mode):
    cells = ["a = 1", "import os\nos._exit(0)", "b = 2"]
    result = run_notebook(cells, {"a": Var("a"), "b": Var("b")}, FAST)
    assert result.status == "crashed"
    assert "code cell 2" in result.message and "exit" in result.message
    assert statuses(result) == ["ok", "error", "not run"]
    assert result.answers["a"].error and result.answers["b"].error  # nothing could be asked


def test_segfault_crashes(bwrap):
    result = run_notebook(["import ctypes\nctypes.string_at(0)", "b = 2"], {"b": Var("b")}, FAST)
    assert result.status == "crashed"
    assert "code cell 1" in result.message and "segmentation fault" in result.message
    assert statuses(result) == ["error", "not run"]


def test_sys_exit_is_only_a_cell_error(bwrap):
    cells = ["import sys\nsys.exit()", "raise SystemExit(3)", "b = 2"]
    result = run_notebook(cells, {"b": Var("b")}, FAST)
    assert result.status == "finished", result.message
    assert statuses(result) == ["error", "error", "ok"]
    assert result.cells[0].error.startswith("SystemExit")
    assert result.answers["b"].value == 2


# --------------------------------------------------------------------------- time limits


def test_cell_timeout_interrupts_and_goes_on(mode):
    cells = ["a = 1", "while True:\n    pass", "b = 2"]
    limits = Limits(cell_timeout=1, total_timeout=30, kill_grace=2)
    result = run_notebook(cells, {"a": Var("a"), "b": Var("b")}, limits)
    assert result.status == "timeout"
    assert statuses(result) == ["ok", "timeout", "ok"]
    assert "Code cell 2" in result.message and "still ran" in result.message
    assert result.answers["b"].value == 2 and result.answers["a"].value == 1
    assert 1 <= result.cells[1].seconds < 3


def test_uninterruptible_cell_is_killed(bwrap):
    cells = [
        "a = 1",
        # The interrupt is caught and the loop goes on: only SIGKILL ends it.
        "import time\nwhile True:\n    try:\n        time.sleep(10)\n    except BaseException:\n        pass",
        "b = 2",
    ]
    limits = Limits(cell_timeout=0.7, total_timeout=30, kill_grace=0.7)
    result = run_notebook(cells, {"a": Var("a"), "b": Var("b")}, limits)
    assert result.status == "timeout"
    assert statuses(result) == ["ok", "timeout", "not run"]
    assert "did not stop" in result.message
    assert result.answers["b"].error
    assert result.seconds < 8


def test_loop_catching_the_interrupt_ends_as_timeout(bwrap):
    # CPython 3.11 raises a signal handler's exception past an enclosing `try` at a bare
    # `while True: pass`, so this loop may end at the first interrupt or need SIGKILL: either
    # way the run is a timeout and nothing after the limit counts as finished.
    cells = ["while True:\n try:\n  while True: pass\n except BaseException: pass", "b = 2"]
    result = run_notebook(cells, {"b": Var("b")}, Limits(cell_timeout=0.7, total_timeout=30, kill_grace=0.7))
    assert result.status == "timeout"
    assert result.cells[0].status == "timeout"
    assert result.cells[1].status in ("ok", "not run")


def test_ignored_sigint_is_killed(mode):
    cells = ["import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass", "b = 2"]
    result = run_notebook(cells, {"b": Var("b")}, Limits(cell_timeout=0.7, total_timeout=30, kill_grace=0.7))
    assert result.status == "timeout"
    assert statuses(result) == ["timeout", "not run"]
    assert "did not stop" in result.message


def test_total_timeout(bwrap):
    # Far more sleeping than the limit, and a limit well past the sandbox's start on a busy machine.
    cells = ["import time"] + ["time.sleep(0.5)"] * 200
    result = run_notebook(cells, {"x": Var("time")}, Limits(cell_timeout=5, total_timeout=15))
    assert result.status == "timeout"
    assert "at most 15 s" in result.message
    assert "timeout" in statuses(result) and statuses(result)[-1] == "not run"
    assert result.answers["x"].error
    assert result.seconds < 15 + 10  # stopped at the limit, not after the cells


def test_probe_timeout_stops_only_that_probe(bwrap):
    cells = ["def slow(x):\n    while True:\n        pass", "def fast(x):\n    return x + 1"]
    probes = {"slow": Call("slow", (1,)), "fast": Call("fast", (1,))}
    result = run_notebook(cells, probes, Limits(cell_timeout=10, probe_timeout=1, total_timeout=30))
    assert result.status == "finished"
    assert result.timed_out_probes == ["slow"]
    assert "time limit" in result.answers["slow"].error
    assert result.answers["fast"].value == 2


# --------------------------------------------------------------------------- resources


def test_memory_bomb_is_contained(bwrap):
    cells = [
        "x = bytearray(10**11)",
        "grow = []\nwhile True:\n    grow.append(bytearray(10**7))",
        "del grow\nok = 1",
    ]
    result = run_notebook(cells, {"ok": Var("ok")}, Limits(memory_mb=1024, cell_timeout=20, total_timeout=40))
    # Either the cells fail with MemoryError and the run goes on, or the run is not a finished one.
    if result.status == "finished":
        assert result.cells[0].error.startswith("MemoryError")
        assert result.cells[1].status in ("error", "timeout")
        assert result.answers["ok"].value == 1
    else:
        assert result.status in ("crashed", "timeout")


def test_disk_and_file_size_limits(bwrap):
    cells = [
        "errors = {}\n"
        "try:\n    for n in range(3):\n        open(f'part{n}.bin', 'wb').write(b'x' * 3 * 2**19)\n"
        "    errors['disk'] = None\nexcept OSError as exc:\n    errors['disk'] = exc.errno",
        "try:\n    open('/tmp/big.bin', 'wb').write(b'x' * 3 * 2**20)\n    errors['file'] = None\n"
        "except OSError as exc:\n    errors['file'] = exc.errno",
    ]
    result = run_notebook(cells, {"errors": Var("errors")}, Limits(disk_mb=4, file_mb=2, cell_timeout=10))
    assert result.status == "finished", result.message + result.output
    assert result.answers["errors"].value == {"disk": errno.ENOSPC, "file": errno.EFBIG}


def test_fork_bomb_is_bounded(bwrap):
    if isolation.bwrap_variant()[1] != "root":
        missing_here("RLIMIT_NPROC applies only where the notebook has a uid of its own (a root grader)",
                     "run the suite as root, as .ci/run does")
    cells = [
        "import os, time\nstarted, failed = 0, None\nfor _ in range(200):\n"
        "    try:\n        pid = os.fork()\n    except OSError as exc:\n        failed = type(exc).__name__\n        break\n"
        "    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n    started += 1",
    ]
    result = run_notebook(cells, {"started": Var("started"), "failed": Var("failed")},
                          Limits(processes=40, cell_timeout=10))
    assert result.status == "finished", result.message + result.output
    assert result.answers["failed"].value == "BlockingIOError"
    assert result.answers["started"].value < 40


def test_huge_output_is_capped(mode):
    cells = ["print('start')\nwhile True:\n    print('x' * 10**6)", "after = 1"]
    limits = Limits(cell_timeout=1, total_timeout=30, output_bytes=10_000)
    result = run_notebook(cells, {"after": Var("after")}, limits)
    assert result.status == "timeout"
    assert statuses(result) == ["timeout", "ok"]
    assert result.output.startswith("start")
    assert len(result.output) < 10_200 and result.output_dropped > 10**6
    assert result.answers["after"].value == 1


# --------------------------------------------------------------------------- isolation


def test_no_network_no_project_files_no_writes_outside(bwrap, tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    gradebook = tmp_path / "results" / "gradebook.sqlite"
    gradebook.parent.mkdir()
    gradebook.write_text("grades")
    outside = tmp_path / "escaped.txt"
    solution = next(REPO.glob("solutions/*.py"))
    targets = {
        "solution": str(solution),
        "repo": str(REPO),
        "gradebook": str(gradebook),
        "worker_source": str(REPO / "autograder" / "run" / "sandbox.py"),
    }
    cells = [
        "import socket, os, importlib\nerrors = {}\n"
        "def attempt(name, action):\n"
        "    try:\n        action()\n        errors[name] = None\n"
        "    except BaseException as exc:\n        errors[name] = type(exc).__name__",
        "attempt('internet', lambda: socket.create_connection(('1.1.1.1', 53), timeout=2))\n"
        f"attempt('local', lambda: socket.create_connection(('127.0.0.1', {port}), timeout=2))",
        f"targets = {targets!r}\n"
        "for name, path in targets.items():\n"
        "    attempt('read ' + name, lambda: open(path).read() if not os.path.isdir(path) else os.listdir(path))\n"
        "attempt('import autograder', lambda: importlib.import_module('autograder'))\n"
        "attempt('import solutions', lambda: importlib.import_module('solutions'))",
        f"attempt('write outside', lambda: open({str(outside)!r}, 'w').write('x'))\n"
        "attempt('write usr', lambda: open('/usr/escaped.txt', 'w').write('x'))\n"
        "attempt('write root', lambda: open('/escaped.txt', 'w').write('x'))\n"
        "attempt('write engine', lambda: open('/sandbox/engine/wire.py', 'a').write('x'))\n"
        "attempt('write workdir', lambda: open('mine.txt', 'w').write('x'))\n"
        "attempt('write tmp', lambda: open('/tmp/mine.txt', 'w').write('x'))\n"
        "uid = os.getuid()\npids = [p for p in os.listdir('/proc') if p.isdigit()]",
    ]
    result = run_notebook(cells, {"errors": Var("errors"), "uid": Var("uid"), "pids": Var("pids")}, FAST)
    assert result.status == "finished", result.message + result.output
    errors = result.answers["errors"].value
    assert errors["internet"] is not None and errors["local"] is not None
    with pytest.raises(socket.timeout):
        listener.accept()  # nothing reached the grader's socket
    listener.close()
    for name in targets:
        assert errors["read " + name] == "FileNotFoundError", name
    assert errors["import autograder"] == "ModuleNotFoundError"
    assert errors["import solutions"] == "ModuleNotFoundError"
    assert errors["write outside"] == "FileNotFoundError" and not outside.exists()
    for name in ("write usr", "write root", "write engine"):
        assert errors[name] in ("OSError", "PermissionError"), name
    assert not Path("/usr/escaped.txt").exists() and not Path("/escaped.txt").exists()
    assert errors["write workdir"] is None and errors["write tmp"] is None
    # A root grader: a sandbox uid of its own (no count per uid shared with another sandbox); a user: nobody.
    own = isolation.bwrap_variant()[1] == "root"
    assert result.answers["uid"].value in SANDBOX_UIDS if own else result.answers["uid"].value == 65534
    assert len(result.answers["pids"].value) <= 3  # its own pid namespace: the host's processes are not there


def test_background_processes_and_threads_end_with_the_run(mode):
    marker = f"AUTOGRADER_TEST_{uuid.uuid4().hex}"
    cells = [
        "import subprocess, threading, time\n"
        "child = subprocess.Popen(['sleep', '1000'])\n"
        "loose = subprocess.Popen(['sleep', '1001'], start_new_session=True) if SESSION else None\n"
        "worker = threading.Thread(target=time.sleep, args=(1000,))\nworker.start()\n"
        "def alive():\n    return (child.poll() is None, worker.is_alive(), threading.active_count())",
    ]
    cells[0] = f"SESSION = {mode == 'bubblewrap'}\n" + cells[0]
    result = run_notebook(cells, {"alive": Call("alive")}, FAST, env={"RUN_MARKER": marker})
    assert result.status == "finished", result.message + result.output
    assert result.answers["alive"].value[:2] == (True, True)  # running while the probes were asked
    assert live_processes_with(marker) == []


def test_reply_objects_are_never_unpickled(bwrap, tmp_path):
    side_effect = tmp_path / "unpickled.txt"
    cells = [
        "import numpy as np\n"
        "class Evil:\n"
        f"    def __reduce__(self):\n        return (open, ({str(side_effect)!r}, 'w'))\n"
        "evil = Evil()\nevil_array = np.array([Evil()], dtype=object)\nplain = np.ones(3)",
        # Forge the reply: the responder's np.save now writes a pickled object array.
        "_save = np.save\n"
        "def forged(file, arr, allow_pickle=False):\n"
        "    return _save(file, np.array([Evil()], dtype=object), allow_pickle=True)\n"
        "np.save = forged",
    ]
    probes = {"evil": Var("evil"), "evil_array": Var("evil_array"), "plain": Var("plain")}
    result = run_notebook(cells, probes, FAST)
    assert result.status == "finished", result.message + result.output
    assert isinstance(result.answers["evil"].value, Opaque)
    assert result.answers["evil"].value.type_name == "Evil"
    assert isinstance(result.answers["evil_array"].value, Opaque)
    assert result.answers["plain"].error  # the forged .npy was refused, not unpickled
    assert not side_effect.exists()


def test_reply_files_with_bad_names_are_refused(tmp_path):
    events = event_stream.EventStream(str(tmp_path))
    data = (b'{"e": "file", "name": "../escape.npy", "size": 2}\n{}'
            b'{"e": "file", "name": "answers.json", "size": 2}\n{}'
            b'{"e": "file", "name": "a0.npy", "size": 3}\nabc'
            b'{"e": "file", "name": "a0.npy", "size": 3}\nxyz'
            b'{"e": "cell", "i": 0, "phase": "start"}\n')
    assert events.feed(data) == [{"e": "cell", "i": 0, "phase": "start"}]
    events.close()
    assert sorted(os.listdir(tmp_path)) == ["a0.npy"]
    assert (tmp_path / "a0.npy").read_bytes() == b"abc"
    assert not (tmp_path.parent / "escape.npy").exists()
    # answers.json is written by the supervisor from the reply events, never by the sandbox.
    assert events.refused == ["../escape.npy", "answers.json", "a0.npy"]


def test_rlimits_mode_warns_once(monkeypatch, caplog):
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "rlimits")
    monkeypatch.setattr(isolation, "_warned_rlimits", False)
    with caplog.at_level(logging.WARNING, logger="autograder.run.isolation"):
        first = run_notebook(["a = 1"], {"a": Var("a")}, FAST)
        second = run_notebook(["a = 2"], {"a": Var("a")}, FAST)
    assert first.isolation == second.isolation == "rlimits"
    assert (first.answers["a"].value, second.answers["a"].value) == (1, 2)
    warnings = [r for r in caplog.records if "WITHOUT bubblewrap" in r.getMessage()]
    assert len(warnings) == 1


def test_bwrap_command_binds_no_project_path_and_masks_installed_packages(tmp_path, monkeypatch):
    site_packages = tmp_path / "site-packages"
    for name in ("autograder", "solutions", "exercises", "numpy"):
        (site_packages / name).mkdir(parents=True)
    monkeypatch.setattr(bubblewrap.site, "getsitepackages", lambda: [str(site_packages)])
    fds = bubblewrap.Fds()
    try:
        args = bubblewrap.bwrap_args("bwrap", "userns", Limits(), fds, "/x/engine", None, None)
    finally:
        fds.close()
    for flag in ("--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--remount-ro"):
        assert flag in args
    assert args[args.index("--uid") + 1] == "65534"
    masked = {args[i + 1] for i, a in enumerate(args) if a == "--tmpfs"}
    assert {str(site_packages / n) for n in ("autograder", "solutions", "exercises")} <= masked
    assert str(site_packages / "numpy") not in masked
    sources = {args[i + 1] for i, a in enumerate(args) if a in ("--ro-bind", "--bind", "--dev-bind")}
    assert not any(s == str(REPO) or s.startswith(str(REPO) + "/") for s in sources)
    fds = bubblewrap.Fds()
    try:
        root_args = bubblewrap.bwrap_args("bwrap", "root", Limits(), fds, None, None, None)
    finally:
        fds.close()
    assert "--unshare-net" in root_args and "--unshare-pid" in root_args
    assert root_args[root_args.index("--cap-drop") + 1] == "ALL"


def test_answers_sent_before_a_crash_are_kept(bwrap):
    cells = ["x = 1.5\ndef boom():\n    import os\n    os._exit(3)"]
    probes = {"x": Var("x"), "boom": Call("boom"), "after": Var("x")}
    result = run_notebook(cells, probes, FAST)
    assert result.status == "crashed"
    assert "called `boom(...)`" in result.message and "code 3" in result.message
    assert result.cells[0].status == "ok"
    assert result.answers["x"].value == 1.5
    assert result.answers["boom"].error and result.answers["after"].error


def test_forged_events_cannot_break_the_supervisor(tmp_path):
    events = event_stream.EventStream(str(tmp_path))
    deep = b"[" * 100_000 + b"]" * 100_000
    junk = b"x" * (event_stream.MAX_EVENT_LINE + 10)
    assert events.feed(deep + b"\n" + junk + b"\n" + b'{"e": "ready"}\n') == [{"e": "ready"}]
    sup = run_state.RunState(1, {"k": Var("k")}, Limits())
    nested = {"a": None}
    for _ in range(200):
        nested = {"a": nested}
    sup.on_event({"e": "reply", "key": "k", "reply": nested}, 0.0)
    sup.on_event({"e": "reply", "key": "other", "reply": {"ok": True}}, 0.0)
    sup.on_event({"e": "done"}, 0.0)  # not before every cell ended
    assert sup.replies == {} and not sup.done


def test_a_test_that_needs_bubblewrap_fails_in_ci_when_it_cannot_start(monkeypatch):
    from support import environment

    monkeypatch.setattr(environment, "bubblewrap_works", lambda: False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        environment.require_bubblewrap()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="bubblewrap cannot start"):
        environment.require_bubblewrap()


def test_a_missing_prerequisite_skips_here_and_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: this test cannot be skipped, but chromium is missing"):
        missing_here("chromium is missing", "install it")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="chromium is missing"):
        missing_here("chromium is missing", "install it")
