"""The run stage's interfaces and its process handling, without a sandbox.

`supervise` drives any WorkerHandle: here a plain Python process that writes the worker's events
by hand, so the loop, the run state and the messages are exercised together in well under a
second of real work. The process-tree helpers are checked on a real process tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from autograder.probe import Var
from autograder.run import Limits, Runner, WorkerHandle, run_notebook
from autograder.run.fresh import FreshWorker
from autograder.run.job import RunJob
from autograder.run.launch import Placement
from autograder.run.states import Isolation
from autograder.run.processes import children, exited, kill_sandbox, session_members
from autograder.run.supervise import supervise
from autograder.run.warm import WarmPool
from autograder.run.warm_worker import PooledJob


class ScriptWorker(WorkerHandle):
    """A process that plays the worker: `script` writes events to the fd in argv[1]."""

    def __init__(self, script: str, ev_w: int, ev_r: int, ctl_w: int, workdir: str):
        self.proc = subprocess.Popen([sys.executable, "-c", script, str(ev_w)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=[ev_w],
                                     start_new_session=True)
        self.stdin, self.stdout_fd = self.proc.stdin, self.proc.stdout.fileno()
        self.events_fd, self.control_fd = ev_r, ctl_w
        self.placement = Placement(Isolation.RLIMITS, workdir, None, (workdir,))

    def worker_pid(self):
        return self.proc.pid

    def exited(self):
        return exited(self.proc.pid)

    def wait(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass

    def kill_all(self):
        kill_sandbox(self.proc, None, whole_session=True)

    @property
    def returncode(self):
        return self.proc.returncode


PREAMBLE = ("import json, os, sys, time\nfd = int(sys.argv[1])\n"
            "def send(**e):\n    os.write(fd, (json.dumps(e) + '\\n').encode())\n"
            "sys.stdin.read()\n")
HONEST = PREAMBLE + (
    "send(e='ready'); send(e='cell', i=0, phase='start'); print('hello', flush=True)\n"
    "send(e='cell', i=0, phase='end', status='ok')\n"
    "send(e='probe', n=0, key='x', phase='start')\n"
    "send(e='reply', key='x', reply={'ok': True, 'value': {'t': 'int', 'v': 3}})\n"
    "send(e='probe', n=0, key='x', phase='end'); send(e='done')\n")


def run_script(script: str, tmp_path, limits: Limits | None = None, cells=("x = 3",)):
    ev_r, ev_w = os.pipe()
    ctl_r, ctl_w = os.pipe()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    try:
        handle = ScriptWorker(script, ev_w, ev_r, ctl_w, str(tmp_path))
        os.close(ev_w)
        job = RunJob(list(cells), {"x": Var("x")}, limits or Limits(cell_timeout=30, total_timeout=60),
                     Isolation.RLIMITS, out_dir=str(out_dir))
        return supervise(handle, job), out_dir
    finally:
        for fd in (ev_r, ctl_r, ctl_w):
            os.close(fd)


def test_supervise_drives_any_worker_handle_and_keeps_its_reply(tmp_path):
    result, out_dir = run_script(HONEST, tmp_path)
    assert (result.status, result.message) == ("finished", "")
    assert [c.status for c in result.cells] == ["ok"]
    assert result.output == "hello\n"
    assert json.loads((out_dir / "answers.json").read_text()) == {
        "probes": {"x": {"ok": True, "value": {"t": "int", "v": 3}}}}


def test_a_forged_reply_is_named_in_the_message(tmp_path):
    forged = HONEST.replace("send(e='done')", "send(e='reply', key='x', reply={}); send(e='done')")
    result, _ = run_script(forged, tmp_path)
    assert result.status == "timeout"
    assert result.message == ("The notebook wrote the grader's own messages itself (a reply outside its probe); they "
                              "were not trusted, and its time limits were kept on the grader's clock.")


def test_a_worker_that_exits_in_a_cell_is_crashed_with_its_exit_code(tmp_path):
    script = PREAMBLE + "send(e='ready'); send(e='cell', i=0, phase='start'); os._exit(7)\n"
    result, _ = run_script(script, tmp_path, cells=("a = 1", "b = 2"))
    assert result.status == "crashed"
    assert result.message == ("The notebook's process ended during code cell 1: it exited with code 7. "
                              "The cells after it did not run.")
    assert [(c.status, c.error) for c in result.cells] == [
        ("error", "the notebook's process ended here: it exited with code 7"), ("not run", "")]


def test_a_worker_that_never_gets_ready_is_stopped_at_the_total_limit(tmp_path):
    result, _ = run_script(PREAMBLE + "time.sleep(600)\n", tmp_path, Limits(total_timeout=1.0))
    assert result.status == "timeout"
    assert result.message == "The notebook was stopped while starting: the whole run may take at most 1 s."


def test_fresh_and_pooled_jobs_are_worker_handles_and_every_runner_is_a_runner():
    assert issubclass(FreshWorker, WorkerHandle) and issubclass(PooledJob, WorkerHandle)
    with pytest.raises(TypeError):
        WorkerHandle()  # the protocol's methods are abstract: a handle must implement them all
    assert isinstance(run_notebook, Runner)
    with WarmPool(size=1) as pool:  # no zygote starts until a run asks for one
        assert isinstance(pool.runner(("numpy",)), Runner)


def _running(pid: int) -> bool:
    """Neither gone nor a zombie, read from /proc itself (not through the module under test)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def test_the_process_tree_is_found_and_killed_whole():
    proc = subprocess.Popen(["sh", "-c", "sleep 300 & sleep 300 & wait"], start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while len(children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        kids = children(proc.pid)
        assert len(kids) == 2
        assert set(kids) | {proc.pid} <= set(session_members(proc.pid))
    finally:
        kill_sandbox(proc, None, whole_session=True)
    assert proc.returncode == -9
    # SIGKILL is delivered asynchronously: each child becomes a zombie (until init reaps it) or
    # goes away soon after, so wait for that rather than look once.
    deadline = time.monotonic() + 30
    alive = list(kids)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _running(pid)]
        time.sleep(0.05)
    assert alive == [], f"still running after SIGKILL: {alive}"


def test_the_run_states_cross_a_dask_worker_as_plain_strings_and_come_back_typed():
    from autograder.cluster.plain import PlainDataError, run_from_plain, run_to_plain
    from autograder.run import CellStatus, Isolation, RunStatus
    from autograder.run.results import CellRun, RunResult

    run = RunResult(RunStatus.TIMEOUT, "stopped", [CellRun(0, CellStatus.NOT_RUN)], {}, "", 1.0, 0.0,
                    Isolation.RLIMITS)
    plain = run_to_plain(run)
    assert (type(plain["status"]), type(plain["isolation"]), type(plain["cells"][0]["status"])) == (str, str, str)
    back = run_from_plain(json.loads(json.dumps(plain)))
    assert (back.status, back.isolation, back.cells[0].status) == (RunStatus.TIMEOUT, Isolation.RLIMITS,
                                                                   CellStatus.NOT_RUN)
    assert type(back.status) is RunStatus and back.status == "timeout"
    with pytest.raises(PlainDataError, match="a state this grader does not know"):
        run_from_plain({**plain, "status": "exploded"})
