"""The fast path: a pool of warm workers (zygotes), each forking a fresh child per submission.

    with WarmPool(size=2, preload=["numpy", "IPython", "matplotlib", "torch", "keras"]) as pool:
        result = pool.run(cells, probes, limits)        # same RunResult as run_notebook

A zygote (`zygote.py`) is started once per pool slot inside the same sandbox a fresh worker
gets (bubblewrap, or rlimits with a warning), imports the libraries of the course, and then
forks one child per submission. The child is a complete worker (`worker.main`) with its own
pipes, limits and session; it is supervised by the very code that supervises a fresh worker
(`supervise.supervise`), through `_PooledJob`. After each job the zygote kills every other
process of its sandbox and empties every writable folder, and only then takes the next job,
so that no file, process, thread or module patch of one submission reaches the next one.

If a submission kills its zygote, hangs it, or leaves it unclean, that zygote is thrown away
and a new one starts for the next submission. Runs on a GPU go to `run_notebook` (a fresh
worker, with the GPU's devices in its sandbox).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace

from autograder.probe import Probe, encode_requests, read_answers
from autograder.run import isolation
from autograder.run import fallback
from autograder.run.isolation import (ENGINE, FILES, WORKDIR, Fds, bwrap_args, bwrap_variant, clean_env,
                                      isolation_mode, prepare_engine, rlimits_preexec, safe_relative,
                                      warn_rlimits_once)
from autograder.run.limits import Limits
from autograder.run.sandbox import run_notebook
from autograder.run.supervise import RunResult, children, kill, session_members, supervise

log = logging.getLogger(__name__)

DEFAULT_PRELOAD = ("numpy", "IPython", "matplotlib", "torch", "keras")
START_TIMEOUT = 180.0  # seconds for a zygote to import its libraries
CLEAN_TIMEOUT = 15.0  # seconds for a zygote to clean up after a job


class ZygoteError(RuntimeError):
    """A zygote that would not start or stopped answering."""


class _Zygote:
    """One warm worker: its sandbox process, its socket, its host folders."""

    def __init__(self, preload: tuple[str, ...], limits: Limits, wait: bool = True):
        self.preload, self.limits = preload, limits
        self.isolation = isolation_mode()
        self.base = tempfile.mkdtemp(prefix="autograder-zygote-")
        os.chmod(self.base, 0o711)
        self.engine, _ = prepare_engine(self.base, None)
        self.files_dir = os.path.join(self.base, "files")
        os.mkdir(self.files_dir, 0o755)
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.vm_kb = 0
        self.init_pid: int | None = None  # bubblewrap: host pid of the namespace's init
        self.broken = False
        self._info_r: int | None = None
        self.uid: int | None = None  # rlimits mode for a root grader: this zygote's own sandbox uid
        self._spawn()
        if wait:
            self.wait_warm()

    # -- life cycle

    def _spawn(self) -> None:
        """Start the zygote's process. bubblewrap's --die-with-parent follows the *thread* that
        started it, so this runs in a thread that outlives the zygote (the pool's owner)."""
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        # The zygote lives long; each job gets its own CPU and memory limits from the zygote.
        zlimits = replace(self.limits, memory_mb=1 << 20, cpu_seconds=10**7, gpu=False)
        fds = Fds()
        info_r = info_w = None
        zygote_args = ["--socket", str(child.fileno()), "--preload", ",".join(self.preload)]
        if self.isolation == "bubblewrap":
            bwrap, variant = bwrap_variant()
            info_r, info_w = os.pipe()
            args = bwrap_args(bwrap, variant, zlimits, fds, self.engine, self.files_dir, info_w)
            args += ["--", sys.executable, "-B", f"{ENGINE}/zygote.py", *zygote_args,
                     "--writable", f"{WORKDIR}:/tmp:/dev/shm"]
            if variant == "root":
                args += ["--drop-to", str(isolation.NOBODY)]
            env = clean_env(self.limits, "/tmp", "/tmp")
            cwd, preexec = "/", rlimits_preexec(zlimits, variant == "root")
        else:
            setup = warn_rlimits_once()
            work, tmp = os.path.join(self.base, "work"), os.path.join(self.base, "tmp")
            if setup.own_uid:
                self.uid = fallback.UIDS.take()
            for folder in (work, tmp):
                os.mkdir(folder, 0o700)
                if self.uid is not None:
                    os.chown(folder, self.uid, self.uid)
            writable = [work, tmp] + (list(fallback.PRIVATE_TMP) if setup.private_view else [])
            args = [sys.executable, "-B", os.path.join(self.engine, "zygote.py"), *zygote_args,
                    "--writable", ":".join(writable), "--rlimits"]
            if self.uid is not None:
                # Its jobs share its uid, and no other process has it: after each job it kills them all.
                args += ["--own-uid"]
            env = clean_env(self.limits, tmp, tmp)
            cwd = work
            preexec = rlimits_preexec(zlimits, setup.own_uid, uid=self.uid,
                                      view=setup.view_for(self.base, self.limits), seccomp=True)
            self.workdir = work
        pass_fds = [child.fileno()] + fds.fds + ([info_w] if info_w is not None else [])
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, cwd=cwd, env=env, pass_fds=pass_fds,
                                         preexec_fn=preexec, start_new_session=True, close_fds=True)
        finally:
            child.close()
            fds.close()
            if info_w is not None:
                os.close(info_w)
        self.sock = parent
        self._info_r = info_r
        threading.Thread(target=self._drain, args=(self.proc.stdout,), daemon=True).start()

    def wait_warm(self) -> None:
        """Wait until the zygote has imported its libraries and says `warm`."""
        if self._info_r is not None:
            self.init_pid = _read_info_pid(self._info_r, START_TIMEOUT)
            os.close(self._info_r)
            self._info_r = None
        warm = self.message(START_TIMEOUT)
        if not warm or warm.get("e") != "warm":
            self.kill()
            raise ZygoteError(f"a warm worker did not start ({warm})")
        self.vm_kb = int(warm.get("vm_kb", 0))

    @staticmethod
    def _drain(stream) -> None:
        for line in stream:  # the zygote's own output: only its warnings
            log.debug("zygote: %s", line.decode(errors="replace").rstrip())

    def alive(self) -> bool:
        return not self.broken and self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        self.broken = True
        if self.proc is not None:
            if self.init_pid is not None:
                kill(self.init_pid, 9)  # the namespace's init: the kernel kills the rest
            for pid in session_members(self.proc.pid):
                kill(pid, 9)
            kill(self.proc.pid, 9)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                log.warning("warm worker %s did not end after SIGKILL", self.proc.pid)
        if self.uid is not None:
            uid, self.uid = self.uid, None
            try:
                fallback.kill_uid(uid)  # whatever a job of it left running, in any session
                fallback.remove_files_of(uid)
            finally:
                fallback.UIDS.give_back(uid)
        if self.sock is not None:
            self.sock.close()
        shutil.rmtree(self.base, ignore_errors=True)

    # -- messages

    def message(self, timeout: float) -> dict | None:
        """The zygote's next message, or None at EOF or after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return None
            try:
                data = self.sock.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                self.broken = True
                return None
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            self.broken = True
            return None

    def zygote_pid(self) -> int | None:
        """Host pid of the zygote process itself."""
        if self.isolation == "rlimits":
            return self.proc.pid
        kids = children(self.init_pid) if self.init_pid else []
        return kids[0] if kids else None

    # -- one job

    def run(self, cells, probes, limits: Limits, files, env: dict | None = None) -> RunResult:
        keys = list(probes)
        request = encode_requests(probes)
        started = time.monotonic()
        _replace_files(self.files_dir, files)
        job = {"cells": [str(c) for c in cells], "request": request,
               "workdir": WORKDIR if self.isolation == "bubblewrap" else self.workdir,
               "files": (FILES if self.isolation == "bubblewrap" else self.files_dir) if files else None}
        # The job's memory limit is on top of what the zygote has loaded for it.
        rlimits = {"cpu": limits.cpu_limit()}
        if not limits.gpu:
            rlimits["as"] = self.vm_kb * 1024 + limits.memory_mb * 1024 * 1024
        stdin_r, stdin_w = os.pipe()
        out_r, out_w = os.pipe()
        ev_r, ev_w = os.pipe()
        ctl_r, ctl_w = os.pipe()
        try:
            header = {"e": "job", "rlimits": rlimits, "env": env or {}}
            socket.send_fds(self.sock, [json.dumps(header).encode()],
                            [stdin_r, out_w, ev_w, ctl_r])
        except OSError as exc:
            for fd in (stdin_r, stdin_w, out_r, out_w, ev_r, ev_w, ctl_r, ctl_w):
                os.close(fd)
            self.broken = True
            raise ZygoteError(f"the warm worker is gone: {exc}") from None
        for fd in (stdin_r, out_w, ev_w, ctl_r):
            os.close(fd)
        handle = _PooledJob(self, os.fdopen(stdin_w, "wb"), out_r)
        with tempfile.TemporaryDirectory(prefix="autograder-run-") as base:
            out_dir = os.path.join(base, "out")
            os.mkdir(out_dir, 0o700)
            try:
                result = supervise(handle, ev_r, ctl_w, job, cells, probes, limits, self.isolation, out_dir,
                                    started)
            finally:
                for fd in (ev_r, ctl_w, out_r):
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            result.answers = read_answers(out_dir, keys)
        result.seconds = time.monotonic() - started
        return result


def _read_info_pid(fd: int, timeout: float) -> int | None:
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
        try:
            return int(json.loads(data)["child-pid"])
        except (ValueError, KeyError):
            continue
    return None


def _replace_files(folder: str, files: dict[str, bytes] | None) -> None:
    """The job's data files in the folder the sandbox sees read-only (emptied first)."""
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    for name, data in (files or {}).items():
        target = os.path.join(folder, safe_relative(name))
        os.makedirs(os.path.dirname(target), exist_ok=True, mode=0o755)
        with open(target, "wb") as f:
            f.write(bytes(data))
        os.chmod(target, 0o644)


class _PooledJob:
    """One job of a zygote, offering what `supervise` needs (see supervise.FreshProcess)."""

    info_fd = None

    def __init__(self, zygote: _Zygote, stdin, stdout_fd: int):
        self.zygote, self.stdin, self.stdout_fd = zygote, stdin, stdout_fd
        self.status: int | None = None  # the child's wait status, once reaped
        self.gone = False  # the zygote died or stopped answering
        self.job_pid: int | None = None  # host pid of the forked child
        forked = zygote.message(10.0)
        if not forked or forked.get("e") != "forked":
            self.gone = True
            zygote.broken = True
            return
        zpid = zygote.zygote_pid()
        for _ in range(100):  # the child shows up in /proc right after the fork
            kids = children(zpid) if zpid else []
            if kids:
                self.job_pid = kids[0]
                break
            time.sleep(0.005)

    def worker_pid(self) -> int | None:
        return self.job_pid

    def _poll(self, timeout: float) -> None:
        if self.status is not None or self.gone:
            return
        message = self.zygote.message(timeout)
        if message is None:
            if self.zygote.broken or not self.zygote.alive():
                self.gone = True
            return
        if message.get("e") == "reaped":
            self.status = int(message.get("status", 0))

    def exited(self) -> bool:
        self._poll(0.0)
        return self.status is not None or self.gone

    def wait(self, timeout: float) -> None:
        self._poll(timeout)

    def kill_all(self) -> None:
        if self.status is None and not self.gone:
            if self.job_pid is not None:
                for pid in [self.job_pid] + session_members(self.job_pid):
                    kill(pid, 9)
            deadline = time.monotonic() + CLEAN_TIMEOUT
            while self.status is None and not self.gone and time.monotonic() < deadline:
                self._poll(deadline - time.monotonic())
        clean = None
        if not self.gone and self.status is not None:
            clean = self.zygote.message(CLEAN_TIMEOUT)
        if not clean or clean.get("e") != "clean":
            # Gone, hung or unclean: never hand this zygote another submission.
            if self.job_pid is not None:
                for pid in [self.job_pid] + session_members(self.job_pid):
                    kill(pid, 9)
            self.zygote.kill()
        try:
            self.stdin.close()
        except OSError:
            pass

    @property
    def returncode(self) -> int | None:
        return os.waitstatus_to_exitcode(self.status) if self.status is not None else None


class WarmPool:
    """Warm workers, one per slot, started lazily and replaced when one breaks."""

    def __init__(self, size: int = 1, preload: tuple[str, ...] | list[str] = DEFAULT_PRELOAD,
                 limits: Limits | None = None):
        self.size, self.preload = max(1, int(size)), tuple(preload)
        self.limits = limits or Limits()
        self.idle: queue.Queue = queue.Queue()
        for _ in range(self.size):
            self.idle.put(None)  # a slot without a zygote yet
        self.closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def warm_up(self) -> None:
        """Start every slot's zygote now, in parallel (otherwise the first job of a slot does)."""
        slots = [self.idle.get() for _ in range(self.size)]
        started: list = []
        for slot in slots:  # all spawned first, so they import their libraries in parallel
            try:
                started.append(slot if slot and slot.alive() else _Zygote(self.preload, self.limits, wait=False))
            except Exception as exc:  # noqa: BLE001 - a slot that fails starts again on its next job
                log.warning("a warm worker did not start: %s", exc)
                started.append(None)
        for zygote in started:
            try:
                if zygote is not None and zygote.init_pid is None and zygote.vm_kb == 0:
                    zygote.wait_warm()
            except ZygoteError as exc:
                log.warning("%s", exc)
            self.idle.put(zygote if zygote is not None and zygote.alive() else None)

    def run(self, cells: list[str], probes: dict[str, Probe], limits: Limits | None = None,
            files: dict[str, bytes] | None = None, env: dict | None = None) -> RunResult:
        limits = limits or self.limits
        if limits.gpu or self.closed:  # a GPU needs its devices bound into a sandbox of its own
            return run_notebook(cells, probes, limits, files, env)
        zygote = self.idle.get()
        try:
            if zygote is None or not zygote.alive():
                if zygote is not None:
                    zygote.kill()
                zygote = _Zygote(self.preload, self.limits)
            return zygote.run(cells, probes, limits, files, env)
        except ZygoteError as exc:
            log.warning("warm worker failed (%s); running this submission in a fresh worker", exc)
            if zygote is not None:
                zygote.kill()
            zygote = None
            return run_notebook(cells, probes, limits, files, env)
        finally:
            self.idle.put(zygote if zygote is not None and zygote.alive() else None)

    def close(self) -> None:
        self.closed = True
        while True:
            try:
                zygote = self.idle.get_nowait()
            except queue.Empty:
                return
            if zygote is not None:
                zygote.kill()
