"""The fresh path: one notebook in a worker started for it alone.

    run_notebook(cells, probes, limits, files, env) -> RunResult

The worker (`autograder/sandbox/worker.py`, with the rest of the sandbox package beside it)
executes the code cells in an IPython shell and answers the probes. This module launches it in
a new sandbox (`launch.py`), hands it the cells and the probe request (one `RunJob`, job.py) on
its standard input, and lets `supervise.py` watch it through `FreshWorker`: time limits, capped
output, the replies read back as data only, every process of the run killed at the end. The warm path (`warm.py`)
runs the same worker forked from a warm worker instead.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
import time

from autograder.probe import Probe, read_answers
from autograder.run import fallback
from autograder.run.folders import prepare_engine, remove_tree
from autograder.run.isolation import isolation_mode
from autograder.run.job import RunJob
from autograder.run.launch import HostFolders, Launched, child_pid_from_info, launch
from autograder.run.limits import Limits
from autograder.run.processes import children, exited, kill_sandbox
from autograder.run.protocols import WorkerHandle
from autograder.run.results import RunResult
from autograder.run.states import Isolation
from autograder.run.supervise import supervise

log = logging.getLogger(__name__)


def run_notebook(cells: list[str], probes: dict[str, Probe], limits: Limits | None = None,
                 files: dict[str, bytes] | None = None, env: dict | None = None) -> RunResult:
    """Execute `cells` in a sandbox, then answer `probes` there; see the module docstring."""
    job = RunJob(cells, probes, limits or Limits(), isolation_mode(), files=files, env=env)
    base = tempfile.mkdtemp(prefix="autograder-run-")
    try:
        engine, files_dir = prepare_engine(base, files)
        job.out_dir = os.path.join(base, "out")
        os.mkdir(job.out_dir, 0o700)
        result = _run(job, HostFolders(base, engine, files_dir))
        result.answers = read_answers(job.out_dir, job.keys)
    finally:
        remove_tree(base)  # rlimits mode: the job's working folder is in it, as deep as the job made it
    result.seconds = time.monotonic() - job.started
    return result


def _run(job: RunJob, folders: HostFolders) -> RunResult:
    ev_r, ev_w = os.pipe()
    ctl_r, ctl_w = os.pipe()
    worker_args = ["--events", str(ev_w), "--control", str(ctl_r)]
    try:
        launched = launch(job.launch_spec(folders, pass_fds=(ev_w, ctl_r)), lambda placement: worker_args)
    except BaseException:
        for fd in (ev_r, ctl_w):
            os.close(fd)
        raise
    finally:
        for fd in (ev_w, ctl_r):
            os.close(fd)
    placement = launched.placement
    try:
        return supervise(FreshWorker(launched, job.isolation, ev_r, ctl_w), job)
    finally:
        if launched.cgroup is not None:  # killed by supervise (kill_all); only its folders are left
            launched.cgroup.remove()
        if placement.uid is not None:
            fallback.release(placement.uid)
        for left in (ev_r, ctl_w, launched.info_fd):
            if left is not None:
                try:
                    os.close(left)
                except OSError:
                    pass


class FreshWorker(WorkerHandle):
    """The worker process launched for this run alone."""

    def __init__(self, launched: Launched, isolation: Isolation, events_fd: int, control_fd: int):
        proc = launched.proc
        self.proc, self.isolation, self.info_fd = proc, isolation, launched.info_fd
        self.placement = launched.placement
        self.uid = launched.placement.uid  # rlimits mode for a root grader: the job's own uid
        self.cgroup = launched.cgroup
        self.events_fd, self.control_fd = events_fd, control_fd
        assert proc.stdin is not None and proc.stdout is not None  # launch() gives it pipes
        self.stdin = proc.stdin
        self.stdout_fd = proc.stdout.fileno()
        self._info = bytearray()
        self.child_pid: int | None = None  # the sandbox's first process (bwrap's pid 1), host pid

    def on_info(self, data: bytes) -> None:
        self._info.extend(data[:65536])
        pid = child_pid_from_info(self._info)
        if pid is not None:
            self.child_pid = pid

    def worker_pid(self) -> int | None:
        if self.isolation == Isolation.RLIMITS:
            return self.proc.pid
        if self.child_pid is None:
            return None
        kids = children(self.child_pid)
        return kids[0] if kids else None

    def exited(self) -> bool:
        return exited(self.proc.pid)

    def wait(self, timeout: float) -> None:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass

    def kill_all(self) -> None:
        if self.cgroup is not None and not self.cgroup.kill():
            log.warning("a sandbox's control group is not empty after SIGKILL: %s", self.cgroup.pids()[:10])
        kill_sandbox(self.proc, self.child_pid if self.isolation == Isolation.BUBBLEWRAP else None,
                     whole_session=self.isolation == Isolation.RLIMITS)
        if self.uid is not None:
            fallback.kill_uid(self.uid)  # whatever its session or parent

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode
