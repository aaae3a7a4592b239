"""The fast path: a pool of warm workers (zygotes), each forking a fresh child per submission.

    with WarmPool(size=2, preload=["numpy", "IPython", "matplotlib", "torch", "keras"]) as pool:
        result = pool.run(cells, probes, limits)        # same RunResult as run_notebook

    with WarmPool.for_batch([kind_of_each_run, ...], workers=2) as pool:   # a batch: per kind, warm or cold
        result = pool.run(cells, probes, limits, preload=("numpy", "IPython"))

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

Kinds of warm workers. A zygote preloads one set of libraries (`preload.py`: what an exercise
imports), and serves only runs that asked for that set. A pool made for a batch knows how many
runs of each kind are to come (`plan`): for each kind it chooses warm or fresh workers from
the start-up costs measured on this machine (`startup.py`), keeps a kind's zygotes only while
runs of that kind are still to start, and gives their slot (and memory) to the next kind. A
pool without a plan (the Dask workers) keeps its zygotes until it is closed.
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
from collections import Counter
from dataclasses import replace
from functools import partial

from autograder.probe import Probe, encode_requests, read_answers
from autograder.run import isolation
from autograder.run import fallback
from autograder.run.isolation import (ENGINE, FILES, WORKDIR, Fds, bwrap_args, bwrap_variant, clean_env,
                                      isolation_mode, prepare_engine, rlimits_preexec, safe_relative,
                                      warn_rlimits_once)
from autograder.run.limits import Limits
from autograder.run.preload import normalize
from autograder.run.sandbox import run_notebook
from autograder.run.startup import StartupCosts
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
        self.preload, self.limits = normalize(preload), limits
        self.isolation = isolation_mode()
        self.start_seconds: float | None = None  # spawn to `warm`, once warm
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
        self.spawned = time.monotonic()
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
        self.start_seconds = time.monotonic() - self.spawned

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
        # The supervisor's answers folder, on the grader's side: one per zygote, emptied per job.
        out_dir = os.path.join(self.base, "out")
        shutil.rmtree(out_dir, ignore_errors=True)
        os.mkdir(out_dir, 0o700)
        try:
            result = supervise(handle, ev_r, ctl_w, job, cells, probes, limits, self.isolation, out_dir, started)
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
                # Under bubblewrap the zygote kills every other process of its namespace before it
                # says `clean` (and if it does not, its namespace's init is killed below), so only
                # the job's own process is killed here: no scan of the host's processes per job.
                others = session_members(self.job_pid) if self.zygote.isolation != "bubblewrap" else []
                for pid in [self.job_pid] + others:
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


def warm_setting(warm: bool | None = None) -> bool | None:
    """True (warm workers wherever they can run), False (fresh workers only) or None (chosen per
    kind from the measured costs): `warm` if given, else AUTOGRADER_WARM (0/cold, 1/warm, auto)."""
    if warm is not None:
        return bool(warm)
    value = os.environ.get("AUTOGRADER_WARM", "auto").strip().lower()
    if value in ("0", "off", "no", "false", "cold"):
        return False
    if value in ("1", "on", "yes", "true", "warm", "always"):
        return True
    return None


class _Spawner:
    """The one thread that starts every zygote of a pool. bubblewrap's --die-with-parent follows
    the thread that started it, so zygotes must not be started by the threads that come and go
    with jobs; this thread lives as long as the pool."""

    def __init__(self):
        self.requests: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None

    def spawn(self, preload: tuple[str, ...], limits: Limits) -> _Zygote:
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._serve, name="autograder-zygotes", daemon=True)
            self.thread.start()
        reply: queue.Queue = queue.Queue(maxsize=1)
        self.requests.put((preload, limits, reply))
        outcome = reply.get()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _serve(self) -> None:
        while True:
            request = self.requests.get()
            if request is None:
                return
            preload, limits, reply = request
            try:
                reply.put(_Zygote(preload, limits, wait=False))
            except BaseException as exc:  # noqa: BLE001 - handed to the thread that asked
                reply.put(exc)

    def stop(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            self.requests.put(None)


class WarmPool:
    """Warm workers, at most `size` at once, of one kind per preload set, started when a run asks.

    `plan`: {preload set: runs to come} of a batch (see `for_batch`), or None: every kind is
    warm and its zygotes stay until `close`. `warm`: True every kind warm, False every run in a
    fresh worker, None (with a plan) chosen per kind from `costs` (startup.py).
    """

    def __init__(self, size: int = 1, preload: tuple[str, ...] | list[str] = DEFAULT_PRELOAD,
                 limits: Limits | None = None, plan: dict | None = None, warm: bool | None = None,
                 costs: StartupCosts | None = None):
        self.size, self.preload = max(1, int(size)), normalize(preload)
        self.limits = limits or Limits()
        self.plan = {normalize(k): int(n) for k, n in plan.items()} if plan is not None else None
        self.remaining = dict(self.plan) if self.plan is not None else None  # runs not started yet, per kind
        self.force = warm
        self.costs = costs if costs is not None else StartupCosts()
        self.decided: dict[tuple[str, ...], bool] = {}
        self._cond = threading.Condition()
        self._idle: list[_Zygote] = []
        self._live = 0  # zygotes idle, busy or starting
        self._spawner = _Spawner()
        self._isolation: str | None = None
        self.closed = False

    @classmethod
    def for_batch(cls, kinds: list, workers: int, warm: bool | None = None, limits: Limits | None = None,
                  costs: StartupCosts | None = None) -> "WarmPool":
        """A pool for a batch whose runs ask for these preload sets, one entry per run."""
        plan = Counter(normalize(k) for k in kinds)
        return cls(min(max(1, workers), max(1, len(kinds))), limits=limits, plan=plan, warm=warm_setting(warm),
                   costs=costs)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- decisions

    @property
    def isolation(self) -> str:
        if self._isolation is None:
            self._isolation = isolation_mode()
        return self._isolation

    def warm_for(self, kind: tuple[str, ...]) -> bool:
        """Whether runs of this kind fork from warm workers (decided once per kind)."""
        if self.force is not None:
            return self.force
        if self.plan is None:
            return True
        if kind not in self.decided:
            costs = self.costs.costs(kind, self.isolation)
            runs = self.plan.get(kind, 1)
            self.decided[kind] = costs.warm_pays(runs, self.size)
            log.info("%d run(s) needing %s on %d worker(s): %s workers (%s)", runs, ",".join(kind), self.size,
                     "warm" if self.decided[kind] else "fresh", costs.describe())
        return self.decided[kind]

    def rank(self, kind) -> tuple:
        """Sort key of a run in the batch: each kind's runs together, warm kinds first, the larger first."""
        if kind is None:
            return (0, 0, ())
        kind = normalize(kind)
        return (1 if self.warm_for(kind) else 2, -(self.plan or {}).get(kind, 0), kind)

    def runner(self, preload=None):
        """`run` for runs that need `preload` (a callable like run_notebook)."""
        return partial(self.run, preload=preload)

    # -- zygotes

    def warm_up(self) -> None:
        """Start, in parallel, the zygotes of the first warm kind to run (otherwise its first runs do)."""
        kinds = sorted(self.plan, key=self.rank) if self.plan is not None else [self.preload]
        first = next((k for k in kinds if self.warm_for(k)), None)
        if first is None or self.closed:
            return
        with self._cond:
            count = min(self.size - self._live, (self.remaining or {}).get(first, self.size))
            self._live += max(count, 0)
        started = []
        for _ in range(max(count, 0)):  # all spawned first, so they import their libraries in parallel
            try:
                started.append(self._spawner.spawn(first, self.limits))
            except Exception as exc:  # noqa: BLE001 - a slot that fails starts again on its next run
                log.warning("a warm worker did not start: %s", exc)
        for zygote in started:
            try:
                zygote.wait_warm()
                self.costs.record(zygote.preload, zygote.isolation, "start", zygote.start_seconds)
            except ZygoteError as exc:
                log.warning("%s", exc)
        with self._cond:
            self._live -= count - len(started)
            for zygote in started:
                if zygote.alive():
                    self._idle.append(zygote)
                else:
                    self._live -= 1
            self._cond.notify_all()

    def _take(self, kind: tuple[str, ...]) -> _Zygote | None:
        """An idle zygote of this kind; else a new one, in a free slot or in that of an idle zygote of
        another kind (killed); else wait for one. None if none would start."""
        victim = None
        with self._cond:
            while True:
                if self.closed:
                    return None
                for zygote in list(self._idle):
                    if not zygote.alive():
                        self._idle.remove(zygote)
                        self._live -= 1
                        zygote.kill()
                    elif zygote.preload == kind:
                        self._idle.remove(zygote)
                        return zygote
                if self._live < self.size:
                    self._live += 1
                    break
                others = [z for z in self._idle if z.preload != kind]
                if others:  # the one whose kind has the fewest runs still to come
                    victim = min(others, key=lambda z: (self.remaining or {}).get(z.preload, 1))
                    self._idle.remove(victim)
                    break
                self._cond.wait()
        if victim is not None:
            victim.kill()
        try:
            zygote = self._spawner.spawn(kind, self.limits)
            zygote.wait_warm()
        except Exception as exc:  # noqa: BLE001 - this run goes to a fresh worker instead
            log.warning("a warm worker did not start (%s); running this submission in a fresh worker", exc)
            with self._cond:
                self._live -= 1
                self._cond.notify_all()
            return None
        self.costs.record(kind, zygote.isolation, "start", zygote.start_seconds)
        return zygote

    def _give(self, zygote: _Zygote) -> None:
        """Back to the idle ones, or killed: broken, pool closed, or no run of its kind to come."""
        with self._cond:
            keep = zygote.alive() and not self.closed and \
                (self.remaining is None or self.remaining.get(zygote.preload, 0) > 0)
            if keep:
                self._idle.append(zygote)
            else:
                self._live -= 1
            self._cond.notify_all()
        if not keep:
            zygote.kill()

    # -- runs

    def run(self, cells: list[str], probes: dict[str, Probe], limits: Limits | None = None,
            files: dict[str, bytes] | None = None, env: dict | None = None, preload=None) -> RunResult:
        """Run one notebook, as `run_notebook` does, forked from a warm worker of its kind (`preload`,
        default the pool's) where that kind runs warm."""
        limits = limits or self.limits
        kind = normalize(preload) if preload is not None else self.preload
        with self._cond:
            if self.remaining is not None and self.remaining.get(kind, 0) > 0:
                self.remaining[kind] -= 1
        if limits.gpu or self.closed:  # a GPU needs its devices bound into a sandbox of its own
            return run_notebook(cells, probes, limits, files, env)
        if not self.warm_for(kind):
            return self._fresh(kind, cells, probes, limits, files, env)
        zygote = self._take(kind)
        if zygote is None:
            return run_notebook(cells, probes, limits, files, env)
        try:
            result = zygote.run(cells, probes, limits, files, env)
        except ZygoteError as exc:
            log.warning("warm worker failed (%s); running this submission in a fresh worker", exc)
            zygote.kill()
            return run_notebook(cells, probes, limits, files, env)
        finally:
            self._give(zygote)
        result.warm = True
        if result.status == "finished":
            self.costs.record(kind, result.isolation, "warm", result.seconds)
        return result

    def _fresh(self, kind, cells, probes, limits, files, env) -> RunResult:
        result = run_notebook(cells, probes, limits, files, env)
        if result.status == "finished":
            self.costs.record(kind, result.isolation, "cold", result.seconds)
        return result

    def zygotes(self) -> list[tuple[str, ...]]:
        """The kinds of the idle zygotes (for tests and logs)."""
        with self._cond:
            return [z.preload for z in self._idle]

    def close(self) -> None:
        with self._cond:
            self.closed = True
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            self._cond.notify_all()
        for zygote in idle:
            zygote.kill()
        self._spawner.stop()
        self.costs.save()
