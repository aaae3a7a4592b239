"""One warm worker (a zygote) and its jobs, from the grader's side.

A zygote (`autograder/sandbox/zygote.py`) is launched once (`launch.py`, the same sandbox a
fresh worker gets), imports the libraries of its preload set (`preload.py`), says `warm`, and then, for
each job sent over its socket (the job's pipes passed as file descriptors), forks a child that
is a complete worker (`worker.main`) with its own limits and session. The grader moves that child
into a control group of its own (`cgroups.py`) before it reads its cells: the job's memory,
tasks and CPU are bounded and counted apart from the zygote's, and after the job the whole group
is killed and must be empty before the zygote gets another job. `PooledJob` is that child
as `supervise` drives it; the zygote reports `forked`, `reaped` (the child's wait status) and,
once it has killed every other process of its sandbox and emptied every writable folder,
`clean`. A zygote that dies, hangs or is not clean, or whose job left a process in the job's
control group, is killed and never gets another job.
`warm.py` decides how many zygotes of which preload set run.
"""

from __future__ import annotations

import json
import logging
import os
import select
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import replace

from autograder.probe import read_answers
from autograder.run import fallback
from autograder.run.cgroups import Cgroup
from autograder.run.folders import owned_folder, prepare_engine, remove_abandoned, remove_tree, replace_files
from autograder.run.isolation import isolation_mode
from autograder.run.job import RunJob
from autograder.run.launch import HostFolders, LaunchSpec, Placement, child_pid_from_info, launch
from autograder.run.limits import Limits
from autograder.run.preload import normalize
from autograder.run.processes import children, is_stopped, kill, kill_sandbox, session_members
from autograder.run.protocols import WorkerHandle
from autograder.run.results import RunResult
from autograder.run.states import Isolation
from autograder.run.supervise import supervise

log = logging.getLogger(__name__)

START_TIMEOUT = 180.0  # seconds for a zygote to import its libraries
CLEAN_TIMEOUT = 15.0  # seconds for a zygote to clean up after a job
ZYGOTE_PREFIX = "autograder-zygote-"  # a warm worker's host folder, in the temporary folder


class ZygoteError(RuntimeError):
    """A zygote that would not start or stopped answering."""


class WarmWorker:
    """One warm worker (a zygote): its sandbox process, its socket, its host folders."""

    def __init__(self, preload: tuple[str, ...], limits: Limits, wait: bool = True):
        self.preload, self.limits = normalize(preload), limits
        self.isolation = isolation_mode()
        self.start_seconds: float | None = None  # spawn to `warm`, once warm
        remove_abandoned(ZYGOTE_PREFIX)  # those of warm workers whose grader was killed outright
        self.base, lock = owned_folder(ZYGOTE_PREFIX)
        self._owner_lock: int | None = lock  # held while the folder is ours (run/folders.py)
        os.chmod(self.base, 0o711)
        self.engine, _ = prepare_engine(self.base, None)
        self.files_dir = os.path.join(self.base, "files")
        os.mkdir(self.files_dir, 0o755)
        # The zygote's process, its socket and its folders: set by _spawn() below, before anyone can ask.
        self.proc: subprocess.Popen
        self.sock: socket.socket
        self.placement: Placement
        self.buffer = b""
        self.vm_kb = 0
        self.init_pid: int | None = None  # bubblewrap: host pid of the namespace's init
        self.broken = False
        self._info_r: int | None = None
        self.uid: int | None = None  # rlimits mode for a root grader: this zygote's own sandbox uid
        self.cgroup: Cgroup | None = None  # the zygote's own control group (its jobs get one each)
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

        def zygote_args(placement: Placement) -> list[str]:
            args = ["--socket", str(child.fileno()), "--preload", ",".join(self.preload),
                    "--writable", ":".join(placement.writable)]
            if placement.mode == Isolation.RLIMITS:
                args += ["--rlimits", "--shared", ":".join(fallback.shared_folders())]
            if placement.uid is not None:
                # Its jobs share its uid, and no other process has it: after each job it kills them all.
                args += ["--own-uid"]
            return args

        try:
            spec = LaunchSpec("zygote.py", HostFolders(self.base, self.engine, self.files_dir), self.limits,
                              self.isolation, process_limits=zlimits, pass_fds=(child.fileno(),),
                              stdin=subprocess.DEVNULL)
            launched = launch(spec, zygote_args)
        finally:
            child.close()
        self.proc, self.placement, self.uid = launched.proc, launched.placement, launched.placement.uid
        self.cgroup = launched.cgroup
        self.sock = parent
        self._info_r = launched.info_fd
        threading.Thread(target=self._drain, args=(self.proc.stdout,), daemon=True).start()

    def wait_warm(self) -> None:
        """Wait until the zygote has imported its libraries and says `warm`."""
        if self._info_r is not None:
            self.init_pid = _read_init_pid(self._info_r, START_TIMEOUT)
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
        if self.cgroup is not None:
            self.cgroup.kill()
        if self.proc is not None:
            kill_sandbox(self.proc, self.init_pid, whole_session=True)
        if self.cgroup is not None:
            self.cgroup.remove()
        if self.uid is not None:
            uid, self.uid = self.uid, None
            fallback.release(uid)  # whatever a job of it left running, in any session
        self.sock.close()
        remove_tree(self.base)
        if self._owner_lock is not None:
            os.close(self._owner_lock)
            self._owner_lock = None

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
        if self.isolation == Isolation.RLIMITS:
            return self.proc.pid
        kids = children(self.init_pid) if self.init_pid else []
        return kids[0] if kids else None

    # -- one job

    def run(self, cells, probes, limits: Limits, files, env: dict | None = None) -> RunResult:
        job = RunJob(cells, probes, limits, self.isolation, files=files, env=env)
        replace_files(self.files_dir, files)
        # The job's memory limit is on top of what the zygote has loaded for it.
        # The others are this job's own too (the zygote was started with the pool's): a child can only lower them.
        rlimits = {"cpu": limits.cpu_limit(), "fsize": limits.file_mb * 1024 * 1024, "nofile": limits.open_files}
        if not limits.gpu:
            rlimits["as"] = self.vm_kb * 1024 + limits.memory_mb * 1024 * 1024
        if limits.processes and self.placement.own_uid:
            rlimits["nproc"] = limits.processes
        stdin_r, stdin_w = os.pipe()
        out_r, out_w = os.pipe()
        ev_r, ev_w = os.pipe()
        ctl_r, ctl_w = os.pipe()
        try:
            header = {"e": "job", "rlimits": rlimits, "env": job.env or {}}
            socket.send_fds(self.sock, [json.dumps(header).encode()],
                            [stdin_r, out_w, ev_w, ctl_r])
        except OSError as exc:
            for fd in (stdin_r, stdin_w, out_r, out_w, ev_r, ev_w, ctl_r, ctl_w):
                os.close(fd)
            self.broken = True
            raise ZygoteError(f"the warm worker is gone: {exc}") from None
        for fd in (stdin_r, out_w, ev_w, ctl_r):
            os.close(fd)
        handle = PooledJob(self, os.fdopen(stdin_w, "wb"), out_r, ev_r, ctl_w, limits)
        # The supervisor's answers folder, on the grader's side: one per job, outside the zygote's
        # folder, so that the answers are still there when the job leaves its zygote unusable.
        job.out_dir = tempfile.mkdtemp(prefix="autograder-answers-")
        try:
            try:
                if handle.never_forked:  # the zygote is gone or broken: the job has not begun
                    handle.kill_all()
                    raise ZygoteError("the warm worker did not start the job")
                if handle.cgroup_failed:  # never a job outside its own boundary
                    handle.kill_all()
                    raise ZygoteError("the warm worker's job could not be put in its control group")
                result = supervise(handle, job)
            finally:
                for fd in (ev_r, ctl_w, out_r):
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            result.answers = read_answers(job.out_dir, job.keys)
        finally:
            remove_tree(job.out_dir)
        result.seconds = time.monotonic() - job.started
        return result


def _read_init_pid(fd: int, timeout: float) -> int | None:
    """bubblewrap's info JSON (the namespace's init), read within `timeout` seconds."""
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
        pid = child_pid_from_info(data)
        if pid is not None:
            return pid
    return None


class PooledJob(WorkerHandle):
    """One job of a warm worker: the child it forked for one notebook, as `supervise` drives it."""

    def __init__(self, zygote: WarmWorker, stdin, stdout_fd: int, events_fd: int, control_fd: int,
                 limits: Limits | None = None):
        self.zygote, self.stdin, self.stdout_fd = zygote, stdin, stdout_fd
        self.events_fd, self.control_fd, self.placement = events_fd, control_fd, zygote.placement
        self.cgroup: Cgroup | None = None
        self.cgroup_failed = False
        self.status: int | None = None  # the child's wait status, once reaped
        self.gone = False  # the zygote died or stopped answering
        self.job_pid: int | None = None  # host pid of the forked child
        self.never_forked = False
        self.zygote_pid: int | None = None  # host pid of the zygote, once it forked the job
        forked = zygote.message(10.0)
        if not forked or forked.get("e") != "forked":
            self.gone = self.never_forked = True
            zygote.broken = True
            return
        zpid = self.zygote_pid = zygote.zygote_pid()
        for _ in range(100):  # the child shows up in /proc right after the fork
            kids = children(zpid) if zpid else []
            if kids:
                self.job_pid = kids[0]
                break
            time.sleep(0.005)
        if zygote.cgroup is not None and limits is not None:
            # The child waits for its cells on stdin, which supervise writes only after this: it runs
            # no student code before it is in its own group.
            try:
                if self.job_pid is None:
                    raise OSError("the job's process was not found")
                self.cgroup = Cgroup.make("j", limits)
                if self.cgroup is not None:
                    self.cgroup.add(self.job_pid)
            except OSError as exc:
                log.warning("a warm worker's job could not be put in its control group: %s", exc)
                self.cgroup_failed = True

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
        left_behind = False
        if self.cgroup is not None:
            # Every process of the job at once, whatever its session, uid or parent.
            left_behind = not self.cgroup.kill()
        if self.status is None and not self.gone:
            if self.job_pid is not None:
                # Under bubblewrap the zygote kills every other process of its namespace before it
                # says `clean` (and if it does not, its namespace's init is killed below), so only
                # the job's own process is killed here: no scan of the host's processes per job.
                others = session_members(self.job_pid) if self.zygote.isolation != Isolation.BUBBLEWRAP else []
                for pid in [self.job_pid] + others:
                    kill(pid, 9)
            deadline = time.monotonic() + CLEAN_TIMEOUT
            while self.status is None and not self.gone and time.monotonic() < deadline:
                self._poll(min(0.25, deadline - time.monotonic()))
                if self.status is None and is_stopped(self.zygote_pid):  # the job stopped it (SIGSTOP)
                    self.gone = True
        clean = None
        deadline = time.monotonic() + CLEAN_TIMEOUT
        while clean is None and not self.gone and self.status is not None and time.monotonic() < deadline:
            clean = self.zygote.message(min(0.25, deadline - time.monotonic()))
            if clean is None and (self.zygote.broken or is_stopped(self.zygote_pid)):  # a job's daemon stopped it
                break
        if self.cgroup is not None:
            left_behind = left_behind or not self.cgroup.kill(timeout=1.0)
            if left_behind:
                log.warning("a warm worker's job left processes behind: its worker is replaced")
        if left_behind or not clean or clean.get("e") != "clean":
            # Gone, hung, unclean or something of the job left: never hand this zygote another submission.
            if self.job_pid is not None:
                for pid in [self.job_pid] + session_members(self.job_pid):
                    kill(pid, 9)
            self.zygote.kill()
        if self.cgroup is not None:
            self.cgroup.remove()
        try:
            self.stdin.close()
        except OSError:
            pass

    @property
    def returncode(self) -> int | None:
        return os.waitstatus_to_exitcode(self.status) if self.status is not None else None
