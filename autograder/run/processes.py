"""The host's processes of a sandbox, found and killed through psutil.

A sandbox's processes are found three ways, by what the grader knows about them: the children
of a known process (the worker under bubblewrap's init, the job a zygote forked), the members of
the session or process group the grader started (rlimits mode), and every process of a sandbox
uid (rlimits mode for a root grader, `fallback.py`). Killing always sends SIGKILL: nothing
the notebook does can catch it or stall the grader.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess

import psutil

log = logging.getLogger(__name__)


def kill(pid: int, sig: int) -> None:
    """Send `sig`; a process that is gone already (or was never ours to signal) is no error."""
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def exited(pid: int) -> bool:
    """Whether the child exited, without reaping it (so its pid cannot be reused meanwhile)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def children(pid: int) -> list[int]:
    """Host pids of the direct children of `pid`, oldest pid first; [] once it is gone."""
    try:
        return sorted(child.pid for child in psutil.Process(pid).children())
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return []


def session_members(sid: int) -> list[int]:
    """Every process whose session or process group is `sid` (the leader started with a new session)."""
    members = []
    for pid in psutil.pids():
        try:
            if os.getsid(pid) == sid or os.getpgid(pid) == sid:
                members.append(pid)
        except OSError:  # gone meanwhile
            pass
    return members


def processes_of(uid: int) -> list[int]:
    """Every process whose real or effective uid is `uid` (a non-dumpable one included)."""
    found = []
    for process in psutil.process_iter(["uids"]):
        uids = process.info["uids"]
        if uids is not None and uid in (uids.real, uids.effective):
            found.append(process.pid)
    return found


def is_zombie(pid: int) -> bool:
    """Dead and waiting to be reaped, or gone: nothing left that could run."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def is_stopped(pid: int | None) -> bool:
    """Stopped (SIGSTOP, SIGTSTP, ...): it does nothing until someone continues it."""
    if pid is None:
        return False
    try:
        return psutil.Process(pid).status() in (psutil.STATUS_STOPPED, psutil.STATUS_TRACING_STOP)
    except psutil.NoSuchProcess:
        return False


def kill_sandbox(proc: subprocess.Popen, init_pid: int | None, whole_session: bool) -> None:
    """Kill every process of a launched sandbox and reap the launched one.

    `init_pid`: bubblewrap's pid 1 of the namespace (the kernel kills the rest of it with it).
    `whole_session`: also every member of the launched process's session or group, before and
    after it is reaped (rlimits mode, or a namespace whose init is not known)."""
    if init_pid is not None:
        kill(init_pid, signal.SIGKILL)
    if whole_session:
        for pid in session_members(proc.pid):
            kill(pid, signal.SIGKILL)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    kill(proc.pid, signal.SIGKILL)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process in uninterruptible sleep
        log.warning("sandbox process %s did not end after SIGKILL", proc.pid)
    if whole_session:
        for pid in session_members(proc.pid):
            kill(pid, signal.SIGKILL)
