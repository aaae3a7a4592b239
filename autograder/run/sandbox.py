"""The trusted side of a run: build the isolation, start the worker, supervise it, read its answers.

    run_notebook(cells, probes, limits, files, env) -> RunResult

The worker (`worker.py`, with read-only copies of `responder.py`, `wire.py` and, where it
exists, `trainer.py`) executes the code cells in an IPython shell and answers the probes.
This module

* isolates it with bubblewrap when `bwrap` works here (checked once per process): no network,
  its own pid/ipc/uts/user namespaces, a read-only view of the system and the Python
  installation only, private tmpfs working folder and /tmp. Nothing of the project
  repository (exercises, solutions, the engine's source, results, other submissions) is
  mounted, and the project's packages are masked if they are installed into site-packages.
  When the grader runs as root, bubblewrap keeps only CAP_SETUID/CAP_SETGID and the worker
  becomes uid/gid 65534 before it reads its input, so the student's code runs as `nobody`
  on the host too, without capabilities; an ordinary grader gets a user namespace that maps
  uid 65534 inside to its own uid;
* otherwise (or with AUTOGRADER_SANDBOX=rlimits) runs the same worker with rlimits only, in
  its own session and process group and a private temporary folder, and logs once that the
  isolation is weaker;
* always sets rlimits (address space, CPU seconds, file size, no core files), passes a clean
  environment, enforces the per-cell, per-probe and total timeouts, caps the output it keeps
  and drains the rest, and kills every process of the run at the end;
* receives each probe's reply (JSON) and `.npy` files over a pipe as soon as it is known
  (never from a folder the sandbox can write), writes them into a private folder and reads
  them only with `autograder.probe.read_answers`: JSON and `.npy` with allow_pickle=False.
"""

from __future__ import annotations

import functools
import glob
import json
import logging
import os
import re
import resource
import selectors
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from autograder.probe import Answer, Probe, encode_requests, read_answers, wire
from autograder.probe.answers import REPLY_FILE

log = logging.getLogger(__name__)

RUN_DIR = Path(__file__).resolve().parent
PROBE_DIR = RUN_DIR.parent / "probe"
PROJECT_ROOT = RUN_DIR.parent.parent
ENGINE_FILES = (RUN_DIR / "worker.py", RUN_DIR / "zygote.py", PROBE_DIR / "responder.py", PROBE_DIR / "wire.py")
OPTIONAL_ENGINE_FILES = (PROBE_DIR / "trainer.py",)  # the responder imports it for Train probes
MASKED_PACKAGES = ("autograder", "solutions", "exercises")  # never visible in site-packages
NOBODY = 65534

# Inside the bubblewrap sandbox.
SANDBOX = "/sandbox"
ENGINE = f"{SANDBOX}/engine"
FILES = f"{SANDBOX}/files"
WORKDIR = f"{SANDBOX}/work"
SYSTEM_TOP = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = (
    "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime", "timezone",
    "nsswitch.conf", "host.conf", "hosts", "fonts", "mime.types", "matplotlibrc",
)
PASSWD = "root:x:0:0:root:/root:/bin/sh\nstudent:x:65534:65534:student:/tmp:/bin/sh\n"
GROUP = "root:x:0:\nstudent:x:65534:\n"

# What may come back over the events pipe.
REPLY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.npy")
MAX_REPLY_TOTAL = wire.MAX_REPLY_BYTES + wire.MAX_ARRAY_BYTES + (1 << 20)
MAX_REPLY_FILES = 4 * wire.MAX_ITEMS
MAX_EVENT_LINE = wire.MAX_REPLY_BYTES  # a reply event carries one probe's JSON reply
MAX_REPLY_DEPTH = 4 * (wire.MAX_DEPTH + 4)  # JSON nesting of a reply: wire's nodes are a few levels each
READ_CHUNK = 1 << 16

_warned_rlimits = False


@dataclass
class Limits:
    cell_timeout: float = 30.0  # seconds per cell
    total_timeout: float = 120.0  # seconds for the whole run, start-up and probes included
    memory_mb: int = 4096  # RLIMIT_AS of the sandbox's processes (torch and keras import under 1 GiB)
    output_bytes: int = 256 * 1024  # stdout+stderr kept; the rest is drained and dropped
    # Seconds per probe (a Call runs student code); None: cell_timeout. A Train probe gets
    # 1.25 * its budget_s on top (total_timeout must leave room for that budget too).
    probe_timeout: float | None = None
    kill_grace: float = 2.0  # seconds after SIGINT before a cell or probe that does not stop is killed
    cpu_seconds: int | None = None  # RLIMIT_CPU; None: total_timeout * (threads + 1) + 10
    file_mb: int = 256  # RLIMIT_FSIZE: largest file the notebook may write
    disk_mb: int = 512  # bubblewrap: size of the tmpfs working folder and of /tmp (each; /dev/shm: 256 at most)
    open_files: int = 1024  # RLIMIT_NOFILE
    # RLIMIT_NPROC (processes and threads), against fork bombs. Applied only where the notebook
    # runs under a uid of its own on the host (a root grader: bubblewrap's worker, or rlimits
    # mode, runs it as nobody); concurrent runs share that uid's count. 0: off.
    processes: int = 1024
    threads: int = 1  # OMP/MKL/OpenBLAS threads, and so torch's intra-op threads
    gpu: bool = False  # expose /dev/nvidia* and /sys and lift RLIMIT_AS (CUDA maps huge address space)

    def probe_seconds(self) -> float:
        return self.cell_timeout if self.probe_timeout is None else self.probe_timeout

    def cpu_limit(self) -> int:
        if self.cpu_seconds is not None:
            return int(self.cpu_seconds)
        return int(self.total_timeout * (max(self.threads, 1) + 1)) + 10


@dataclass
class CellRun:
    index: int  # position in the `cells` list given to run_notebook (0-based)
    status: str  # 'ok' | 'error' | 'timeout' | 'not run'
    seconds: float = 0.0
    error: str = ""  # short error text for 'error' (and what happened for 'timeout')


@dataclass
class RunResult:
    status: str  # 'finished' (all cells ran, probes answered), 'timeout', 'crashed'
    message: str  # a clear sentence for the student/teacher when not finished
    cells: list[CellRun]
    answers: dict[str, Answer]  # from read_answers, for every probe key asked
    output: str  # capped stdout/stderr
    seconds: float  # wall time of the whole run
    code_seconds: float  # time spent in the notebook's own cells
    isolation: str  # 'bubblewrap' or 'rlimits'
    output_dropped: int = 0  # bytes of output beyond Limits.output_bytes, drained and dropped
    startup_seconds: float = 0.0  # from start to the worker's shell being ready
    probe_seconds: float = 0.0  # time spent answering probes
    timed_out_probes: list[str] = field(default_factory=list)  # probe keys stopped by probe_timeout
    probe_durations: dict[str, float] = field(default_factory=dict)  # seconds spent on each probe key


# --------------------------------------------------------------------------- isolation


def _bwrap_path() -> str | None:
    found = shutil.which("bwrap")
    if found:
        return found
    return "/usr/bin/bwrap" if os.access("/usr/bin/bwrap", os.X_OK) else None


def _python_dirs() -> list[str]:
    """The Python installation the worker needs, read-only: prefixes and site-packages."""
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    candidates += site.getsitepackages()
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user_site and user_site in sys.path:
        candidates.append(user_site)
    for module in ("numpy", "IPython", "traitlets"):
        spec = find_spec(module)
        if spec is not None and spec.origin:
            candidates.append(str(Path(spec.origin).resolve().parent.parent))
    dirs: list[str] = []
    for path in candidates:
        if not path or not os.path.isdir(path):
            continue
        real = os.path.realpath(path)
        if real == "/" or real.startswith("/usr/") or real == "/usr":
            continue  # /usr is bound anyway
        for p in {path, real}:
            if p not in dirs:
                dirs.append(p)
    # Drop a folder inside another one already listed.
    return [d for d in dirs if not any(d != o and d.startswith(o.rstrip("/") + "/") for o in dirs)]


def _user_site_env() -> str | None:
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    return user_site if user_site and user_site in sys.path and os.path.isdir(user_site) else None


def _masks(dirs: list[str]) -> list[str]:
    """Project packages installed (not editable) into a bound site-packages folder."""
    masks = []
    for folder in set(dirs) | {os.path.realpath(p) for p in site.getsitepackages()}:
        for name in MASKED_PACKAGES:
            path = os.path.join(folder, name)
            if os.path.isdir(path) and not os.path.islink(path):
                masks.append(path)
    return sorted(set(masks))


class _Fds:
    """Pipes of data handed to bwrap (--ro-bind-data), closed here once it started."""

    def __init__(self):
        self.fds: list[int] = []

    def data(self, text: str) -> str:
        r, w = os.pipe()
        os.write(w, text.encode())
        os.close(w)
        self.fds.append(r)
        return str(r)

    def close(self):
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []


def _bwrap_args(bwrap: str, variant: str, limits: Limits, fds: _Fds, engine: str | None,
                files: str | None, info_fd: int | None) -> list[str]:
    """bwrap's options, up to the command.

    variant 'root' (the grader runs as root): no user namespace; bwrap keeps only CAP_SETUID and
    CAP_SETGID, which the worker uses to become uid/gid 65534 before it reads its input, so the
    student's code runs as `nobody` on the host, without capabilities.
    variant 'userns' (an ordinary user): a user namespace maps uid/gid 65534 inside to the
    grader's uid outside; bwrap drops every capability.
    """
    args = [bwrap]
    if variant == "root":
        args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                 "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY)]
    args += ["--die-with-parent", "--new-session", "--hostname", "sandbox", "--ro-bind", "/usr", "/usr"]
    for top in SYSTEM_TOP:
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    args += ["--perms", "0755", "--dir", "/etc"]  # bwrap run by root makes new folders 0700
    for name in ETC_FILES:
        if os.path.exists(f"/etc/{name}"):
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    args += ["--ro-bind-data", fds.data(PASSWD), "/etc/passwd",
             "--ro-bind-data", fds.data(GROUP), "/etc/group"]
    size = str(int(limits.disk_mb) * 1024 * 1024)
    shm = str(min(int(limits.disk_mb), 256) * 1024 * 1024)
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", shm, "--tmpfs", "/dev/shm"]
    if limits.gpu:
        for dev in sorted(glob.glob("/dev/nvidia*")) + sorted(glob.glob("/dev/nvidia-caps/*")):
            if not os.path.isdir(dev):
                args += ["--dev-bind", dev, dev]
        args += ["--ro-bind", "/sys", "/sys"]
    args += ["--perms", "1777", "--size", size, "--tmpfs", "/tmp"]
    dirs = _python_dirs()
    parents = sorted({str(p) for d in dirs for p in Path(d).parents if str(p) != "/"}, key=len)
    for parent in parents:  # traversable by nobody, whatever the host's modes (e.g. /root is 0700)
        args += ["--perms", "0755", "--dir", parent]
    for d in dirs:
        args += ["--ro-bind", d, d]
    for m in _masks(dirs):
        args += ["--tmpfs", m, "--remount-ro", m]
    args += ["--perms", "0755", "--dir", SANDBOX]
    if engine is not None:
        args += ["--ro-bind", engine, ENGINE]
    if files is not None:
        args += ["--ro-bind", files, FILES]
    args += ["--perms", "1777", "--size", size, "--tmpfs", WORKDIR]
    args += ["--remount-ro", "/", "--chdir", WORKDIR]
    if info_fd is not None:
        args += ["--info-fd", str(info_fd)]
    return args


def _worker_args(python: str, worker: str, ev_w: int, ctl_r: int, drop: bool) -> list[str]:
    args = [python, "-B", worker, "--events", str(ev_w), "--control", str(ctl_r)]
    return args + (["--drop-to", str(NOBODY)] if drop else [])


def _preexec(limits: Limits, as_nobody: bool, own_uid: bool):
    """rlimits (and, in rlimits mode for a root grader, the switch to nobody) for the first process.

    `own_uid`: the notebook will run as nobody on the host, so RLIMIT_NPROC counts only sandboxes.
    """
    wanted = [
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024, limits.file_mb * 1024 * 1024),
        (resource.RLIMIT_CPU, limits.cpu_limit(), limits.cpu_limit() + 5),
        (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
    ]
    if not limits.gpu:
        wanted.append((resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024, limits.memory_mb * 1024 * 1024))
    if limits.processes and own_uid:
        wanted.append((resource.RLIMIT_NPROC, limits.processes, limits.processes))

    def apply():
        for which, soft, hard in wanted:
            _, cur_hard = resource.getrlimit(which)
            if cur_hard != resource.RLIM_INFINITY:
                hard = min(hard, cur_hard)
                soft = min(soft, hard)
            resource.setrlimit(which, (soft, hard))
        if as_nobody:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)

    return apply


DROP_CHECK = (
    "import os, sys\n"
    "if '--drop' in sys.argv:\n"
    "    os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
    "assert os.getuid() != 0 and os.geteuid() != 0\n"
    "import numpy, IPython\n"
)


def _try_bwrap(bwrap: str, variant: str) -> bool:
    fds = _Fds()
    try:
        args = _bwrap_args(bwrap, variant, Limits(), fds, None, None, None)
        args += ["--", sys.executable, "-c", DROP_CHECK] + (["--drop"] if variant == "root" else [])
        result = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                                env=_clean_env(Limits(), "/tmp", "/tmp"), pass_fds=fds.fds,
                                preexec_fn=_preexec(Limits(), False, False))
        if result.returncode != 0:
            log.info("bubblewrap (%s) does not work here: %s", variant,
                     result.stderr.decode(errors="replace")[-500:])
        return result.returncode == 0
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("bubblewrap (%s) does not work here: %s", variant, exc)
        return False
    finally:
        fds.close()


@functools.lru_cache(maxsize=None)
def _bwrap_variant() -> tuple[str, str] | None:
    """(bwrap path, 'root' or 'userns') when bubblewrap works here; checked once per process."""
    bwrap = _bwrap_path()
    if bwrap is None:
        return None
    variants = ["root", "userns"] if os.geteuid() == 0 else ["userns"]
    for variant in variants:
        if _try_bwrap(bwrap, variant):
            return bwrap, variant
    log.warning("bubblewrap is installed at %s but cannot start a sandbox here", bwrap)
    return None


@functools.lru_cache(maxsize=None)
def _rlimits_as_nobody() -> bool:
    """In rlimits mode, a root grader runs the worker as nobody when nobody can run this Python."""
    if os.geteuid() != 0:
        return False
    try:
        result = subprocess.run([sys.executable, "-c", DROP_CHECK], stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=60, cwd="/", env=_clean_env(Limits(), "/tmp", "/tmp"),
                                preexec_fn=_preexec(Limits(), True, False))
        return result.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def isolation_mode() -> str:
    """'bubblewrap' or 'rlimits', from AUTOGRADER_SANDBOX (auto, bubblewrap, rlimits) and this machine."""
    wanted = os.environ.get("AUTOGRADER_SANDBOX", "auto").strip().lower()
    if wanted == "rlimits":
        return "rlimits"
    if _bwrap_variant() is not None:
        return "bubblewrap"
    if wanted in ("bubblewrap", "bwrap"):
        raise RuntimeError("AUTOGRADER_SANDBOX=bubblewrap, but bubblewrap does not work on this machine")
    return "rlimits"


def _warn_rlimits_once() -> None:
    global _warned_rlimits
    if not _warned_rlimits:
        _warned_rlimits = True
        log.warning(
            "notebooks run WITHOUT bubblewrap: only rlimits, a process group and a private temp "
            "folder isolate them; they can read the grader's files and reach the network. "
            "Install bubblewrap (Debian package `bubblewrap`) for real isolation.%s",
            "" if not os.geteuid() == 0 or _rlimits_as_nobody() else
            " This grader runs as root and nobody (uid 65534) cannot run its Python, so notebooks run AS ROOT.",
        )


def _clean_env(limits: Limits, home: str, tmp: str, extra: dict | None = None) -> dict:
    threads = str(max(int(limits.threads), 1))
    env = {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": tmp,
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "KERAS_BACKEND": "torch",
        # Notebooks may skip their own exploring (long training runs) when graded.
        "AUTOGRADER_GRADING": "1",
        "IPYTHONDIR": os.path.join(home, ".ipython"),
        "MALLOC_ARENA_MAX": "2",  # fewer 64 MiB malloc arenas: threads stay under RLIMIT_AS
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "NUMEXPR_NUM_THREADS": threads,
        "VECLIB_MAXIMUM_THREADS": threads,
    }
    if not limits.gpu:
        env["CUDA_VISIBLE_DEVICES"] = ""
    user_site = _user_site_env()
    if user_site:
        env["PYTHONPATH"] = user_site
    for key, value in (extra or {}).items():
        env[str(key)] = str(value)
    return env


# --------------------------------------------------------------------------- the run's folders


def _safe_relative(name: str) -> str:
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts or name.startswith("/"):
        raise ValueError(f"data file name {name!r} must be a relative path inside the working folder")
    return os.path.join(*parts)


def _prepare(base: str, files: dict[str, bytes] | None) -> tuple[str, str | None]:
    engine = os.path.join(base, "engine")
    os.mkdir(engine)
    for source in ENGINE_FILES + tuple(p for p in OPTIONAL_ENGINE_FILES if p.is_file()):
        target = os.path.join(engine, source.name)
        shutil.copyfile(source, target)
        os.chmod(target, 0o444)
    os.chmod(engine, 0o555)
    if not files:
        return engine, None
    folder = os.path.join(base, "files")
    os.mkdir(folder)
    for name, data in files.items():
        target = os.path.join(folder, _safe_relative(name))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(bytes(data))
    for root, dirnames, filenames in os.walk(folder):
        os.chmod(root, 0o755)
        for n in filenames:
            os.chmod(os.path.join(root, n), 0o644)
    return engine, folder


# --------------------------------------------------------------------------- supervision


class _Output:
    def __init__(self, limit: int):
        self.limit = max(int(limit), 0)
        self.kept = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> None:
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept += data[:room]
        self.dropped += max(len(data) - max(room, 0), 0)

    def text(self) -> str:
        text = self.kept.decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n[autograder: {self.dropped} more bytes of output were dropped]\n"
        return text


class _Events:
    """Parses the worker's event stream: JSON lines, and reply files as raw bytes after a header."""

    def __init__(self, out_dir: str):
        self.out_dir = out_dir
        self.buf = bytearray()
        self.file = None  # open file or None while draining a refused one
        self.left = 0  # raw bytes still to consume for the current file
        self.total = 0
        self.count = 0
        self.names: set[str] = set()
        self.refused: list[str] = []

    def feed(self, data: bytes) -> list[dict]:
        self.buf += data
        events = []
        while self.buf:
            if self.left:
                take = min(self.left, len(self.buf))
                if self.file is not None:
                    self.file.write(self.buf[:take])
                del self.buf[:take]
                self.left -= take
                if not self.left:
                    self._close_file()
                continue
            newline = self.buf.find(b"\n")
            if newline < 0:
                if len(self.buf) > MAX_EVENT_LINE:
                    self.buf.clear()  # not an event of ours: drop it
                break
            line = bytes(self.buf[:newline])
            del self.buf[: newline + 1]
            try:
                event = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if not isinstance(event, dict):
                continue
            if event.get("e") == "file":
                self._open_file(event)
                continue
            events.append(event)
        return events

    def _open_file(self, event: dict) -> None:
        name, size = event.get("name"), event.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            return
        self.left = size
        self.file = None
        ok = (
            isinstance(name, str) and REPLY_NAME.fullmatch(name) and name not in self.names
            and self.total + size <= MAX_REPLY_TOTAL and self.count < MAX_REPLY_FILES
        )
        if not ok:
            self.refused.append(str(name)[:100])
        else:
            self.names.add(name)
            self.total += size
            self.count += 1
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            self.file = os.fdopen(os.open(os.path.join(self.out_dir, name), flags, 0o600), "wb")
        if not self.left:
            self._close_file()

    def _close_file(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def close(self) -> None:
        self._close_file()


def _read_available(fd: int) -> tuple[bytes, bool]:
    """What can be read now, and whether the pipe reached EOF."""
    chunks = []
    while True:
        try:
            data = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            return b"".join(chunks), False
        except OSError:
            return b"".join(chunks), True
        if not data:
            return b"".join(chunks), True
        chunks.append(data)
        if len(chunks) >= 64:
            return b"".join(chunks), False


def _exited(pid: int) -> bool:
    """Whether the child exited, without reaping it (so its pid cannot be reused meanwhile)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        pass
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def _session_members(sid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[3]) == sid or int(fields[2]) == sid:  # session or process group
                    members.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return members


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


_SIGNAL_TEXT = {
    signal.SIGSEGV: "it crashed with a segmentation fault (SIGSEGV)",
    signal.SIGBUS: "it crashed with a bus error (SIGBUS)",
    signal.SIGFPE: "it crashed with a floating point exception (SIGFPE)",
    signal.SIGILL: "it crashed with an illegal instruction (SIGILL)",
    signal.SIGABRT: "it was aborted (SIGABRT), often a library that ran out of memory",
    signal.SIGKILL: "it was killed (SIGKILL), most likely for using too much memory",
    signal.SIGXCPU: "it used up its CPU time limit",
    signal.SIGXFSZ: "it wrote a file over the size limit",
}


def _json_depth(value) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_REPLY_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _probe_text(key: str, probe) -> str:
    if hasattr(probe, "function"):
        return f"called `{probe.function}(...)`"
    if hasattr(probe, "build"):
        return f"trained the model of `{probe.build}`"
    return f"read `{getattr(probe, 'name', key)}`"


class _Supervisor:
    def __init__(self, ncells: int, probes: dict, limits: Limits):
        self.limits = limits
        self.cells = [CellRun(i, "not run") for i in range(ncells)]
        self.cells_ended: set[int] = set()
        self.probe_text = {key: _probe_text(key, p) for key, p in probes.items()}
        self.probe_limit = {
            key: limits.probe_seconds() + 1.25 * float(getattr(p, "budget_s", 0.0) or 0.0)
            for key, p in probes.items()
        }
        self.phase: tuple | None = None  # ("cell", i) or ("probe", n, key)
        self.phase_started = 0.0
        self.interrupted_at: float | None = None
        self.timed_out_cells: list[int] = []
        self.timed_out_probes: list[str] = []
        self.ready_at: float | None = None
        self.probes_started: float | None = None
        self.probes_ended: float | None = None
        self.replies: dict[str, dict] = {}  # key -> the worker's reply, as parsed JSON
        self.probe_durations: dict[str, float] = {}  # key -> seconds the sandbox spent answering it
        self.done = False
        self.started = time.monotonic()

    # events -----------------------------------------------------------------
    def on_event(self, event: dict, now: float) -> None:
        kind, phase = event.get("e"), event.get("phase")
        if kind == "ready":
            self.ready_at = self.ready_at or now
        elif kind == "cell" and isinstance(event.get("i"), int) and 0 <= event["i"] < len(self.cells):
            i = event["i"]
            if phase == "start":
                self._begin(("cell", i), now)
            elif phase == "end" and self.phase == ("cell", i):
                cell = self.cells[i]
                cell.seconds = now - self.phase_started
                reported = event.get("seconds")
                # The worker's own clock is finer for short cells (events arrive in batches);
                # it is trusted only within what the supervisor saw.
                if isinstance(reported, (int, float)) and 0 <= reported <= now - self.started:
                    cell.seconds = float(reported)
                if i in self.timed_out_cells:
                    cell.status = "timeout"
                    cell.error = f"stopped after {self.limits.cell_timeout:g} s (the limit per cell)"
                elif event.get("status") == "ok":
                    cell.status, cell.error = "ok", ""
                else:
                    cell.status, cell.error = "error", str(event.get("error", ""))[:300]
                self.cells_ended.add(i)
                self.phase = None
        elif kind == "probe" and isinstance(event.get("n"), int) and event.get("key") in self.probe_text:
            n = event["n"]
            key = event["key"]
            if phase == "start":
                if self.probes_started is None:
                    self.probes_started = now
                self._begin(("probe", n, key), now)
            elif phase == "end" and self.phase == ("probe", n, key):
                seconds = now - self.phase_started
                reported = event.get("seconds")  # finer, and trusted within what was seen here
                if isinstance(reported, (int, float)) and 0 <= reported <= now - self.started:
                    seconds = float(reported)
                self.probe_durations[key] = seconds
                self.phase = None
                self.probes_ended = now
        elif (kind == "reply" and event.get("key") in self.probe_text and isinstance(event.get("reply"), dict)
              and _json_depth(event["reply"]) <= MAX_REPLY_DEPTH):
            self.replies[event["key"]] = event["reply"]
        elif kind == "done" and self.phase is None and len(self.cells_ended) == len(self.cells):
            self.done = True
            if self.probes_started is not None:
                self.probes_ended = self.probes_ended or now

    def _begin(self, phase: tuple, now: float) -> None:
        self.phase = phase
        self.phase_started = now
        self.interrupted_at = None
        if phase[0] == "cell":
            self.cells[phase[1]].status = "error"  # until its end event says otherwise
            self.cells[phase[1]].error = "the cell did not finish"

    # timers -----------------------------------------------------------------
    def phase_limit(self) -> float:
        if self.phase is None:
            return float("inf")
        return self.limits.cell_timeout if self.phase[0] == "cell" else self.probe_limit[self.phase[2]]

    def due(self, now: float) -> str | None:
        """'interrupt', 'kill' or 'total' when a limit is reached now."""
        if now - self.started >= self.limits.total_timeout:
            return "total"
        if self.phase is None:
            return None
        if self.interrupted_at is None:
            if now - self.phase_started >= self.phase_limit():
                return "interrupt"
        elif now - self.interrupted_at >= self.limits.kill_grace:
            return "kill"
        return None

    def next_deadline(self) -> float:
        deadline = self.started + self.limits.total_timeout
        if self.phase is not None:
            if self.interrupted_at is None:
                deadline = min(deadline, self.phase_started + self.phase_limit())
            else:
                deadline = min(deadline, self.interrupted_at + self.limits.kill_grace)
        return deadline

    def token(self) -> bytes:
        if self.phase is None:
            return b""
        return (f"c{self.phase[1]}" if self.phase[0] == "cell" else f"p{self.phase[1]}").encode() + b"\n"

    def mark_interrupted(self, now: float) -> None:
        self.interrupted_at = now
        if self.phase[0] == "cell":
            self.timed_out_cells.append(self.phase[1])
        else:
            self.timed_out_probes.append(self.phase[2])

    # the end ----------------------------------------------------------------
    def where(self) -> str:
        if self.phase is None:
            if self.ready_at is None:
                return "while starting"
            if self.probes_started is not None:
                return "while the grader read its answers"
            done_cells = [c.index for c in self.cells if c.status != "not run"]
            if done_cells:
                return f"after code cell {max(done_cells) + 1}"
            return "before the first code cell"
        if self.phase[0] == "cell":
            return f"during code cell {self.phase[1] + 1}"
        return f"while the grader {self.probe_text[self.phase[2]]}"

    def finish_phase(self, now: float, status: str, error: str) -> None:
        if self.phase is not None and self.phase[0] == "cell":
            cell = self.cells[self.phase[1]]
            cell.seconds = now - self.phase_started
            cell.status, cell.error = status, error

    def code_seconds(self) -> float:
        return sum(c.seconds for c in self.cells)


def _describe_exit(returncode: int | None, isolation: str, limits: Limits) -> str:
    if returncode is None:
        return "it ended"
    sig = None
    if returncode < 0:
        sig = -returncode
    elif isolation == "bubblewrap" and returncode > 128:
        sig = returncode - 128
    if sig:
        try:
            text = _SIGNAL_TEXT.get(signal.Signals(sig), f"it was killed by signal {signal.Signals(sig).name}")
        except ValueError:
            text = f"it was killed by signal {sig}"
        if sig == signal.SIGXCPU:
            text += f" of {limits.cpu_limit()} s"
        return text
    if returncode == 0:
        return "it exited with code 0 (os._exit or a library that ended the process)"
    return f"it exited with code {returncode}"


def run_notebook(cells: list[str], probes: dict[str, Probe], limits: Limits | None = None,
                 files: dict[str, bytes] | None = None, env: dict | None = None) -> RunResult:
    """Execute `cells` in a sandbox, then answer `probes` there; see the module docstring."""
    limits = limits or Limits()
    cells = [str(c) for c in cells]
    keys = list(probes)
    request = encode_requests(probes)
    isolation = isolation_mode()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="autograder-run-") as base:
        os.chmod(base, 0o700)
        engine, files_dir = _prepare(base, files)
        out_dir = os.path.join(base, "out")
        os.mkdir(out_dir, 0o700)
        result = _run(cells, probes, request, limits, env, isolation, base, engine, files_dir, out_dir, started)
        result.answers = read_answers(out_dir, keys)
    result.seconds = time.monotonic() - started
    return result


def _run(cells, probes, request, limits, extra_env, isolation, base, engine, files_dir, out_dir, started):
    ev_r, ev_w = os.pipe()
    ctl_r, ctl_w = os.pipe()
    info_r = info_w = None
    fds = _Fds()
    job = {"cells": cells, "request": request}
    if isolation == "bubblewrap":
        bwrap, variant = _bwrap_variant()
        info_r, info_w = os.pipe()
        args = _bwrap_args(bwrap, variant, limits, fds, engine, files_dir, info_w)
        args += ["--"] + _worker_args(sys.executable, f"{ENGINE}/worker.py", ev_w, ctl_r, variant == "root")
        env = _clean_env(limits, "/tmp", "/tmp", extra_env)
        job.update(workdir=WORKDIR, files=FILES if files_dir else None)
        cwd = "/"
        preexec = _preexec(limits, False, variant == "root")
    else:
        _warn_rlimits_once()
        as_nobody = _rlimits_as_nobody()
        workdir, tmp = os.path.join(base, "work"), os.path.join(base, "tmp")
        os.mkdir(workdir)
        os.mkdir(tmp)
        if as_nobody:
            os.chmod(base, 0o711)
            for folder in (workdir, tmp):
                os.chown(folder, NOBODY, NOBODY)
        args = _worker_args(sys.executable, os.path.join(engine, "worker.py"), ev_w, ctl_r, False)
        env = _clean_env(limits, tmp, tmp, extra_env)
        job.update(workdir=workdir, files=files_dir)
        cwd = workdir
        preexec = _preexec(limits, as_nobody, as_nobody)
    pass_fds = [ev_w, ctl_r] + fds.fds + ([info_w] if info_w is not None else [])
    try:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                cwd=cwd, env=env, pass_fds=pass_fds, preexec_fn=preexec,
                                start_new_session=True, close_fds=True)
    except Exception:
        for fd in (ev_r, ev_w, ctl_r, ctl_w, info_r, info_w):
            if fd is not None:
                os.close(fd)
        fds.close()
        raise
    for fd in (ev_w, ctl_r, info_w):
        if fd is not None:
            os.close(fd)
    fds.close()
    try:
        handle = _FreshProcess(proc, isolation, info_r)
        return _supervise(handle, ev_r, ctl_w, job, cells, probes, limits, isolation, out_dir, started)
    finally:
        for fd in (ev_r, ctl_w, info_r):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


def _feed_stdin(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
    except (BrokenPipeError, OSError, ValueError):
        pass
    finally:
        try:
            pipe.close()
        except (BrokenPipeError, OSError, ValueError):
            pass


class _FreshProcess:
    """The worker process started for this run alone: what `_supervise` needs to drive it.

    (A warm pool's job, `warm._PooledJob`, offers the same methods.)
    """

    def __init__(self, proc: subprocess.Popen, isolation: str, info_fd: int | None):
        self.proc, self.isolation, self.info_fd = proc, isolation, info_fd
        self.stdin = proc.stdin
        self.stdout_fd = proc.stdout.fileno()
        self._info = bytearray()
        self.child_pid: int | None = None  # the sandbox's first process (bwrap's pid 1), host pid

    def on_info(self, data: bytes) -> None:
        self._info.extend(data[:65536])
        try:
            self.child_pid = int(json.loads(bytes(self._info))["child-pid"])
        except (ValueError, KeyError, TypeError):
            pass

    def worker_pid(self) -> int | None:
        """Host pid of the process that runs the notebook (the one to interrupt)."""
        if self.isolation == "rlimits":
            return self.proc.pid
        if self.child_pid is None:
            return None
        kids = _children(self.child_pid)
        return kids[0] if kids else None

    def exited(self) -> bool:
        return _exited(self.proc.pid)

    def wait(self, timeout: float) -> None:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass

    def kill_all(self) -> None:
        _kill_all(self.proc, self.isolation, self.child_pid)

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode


def _supervise(handle, ev_r, ctl_w, job, cells, probes, limits, isolation, out_dir, started) -> RunResult:
    sup = _Supervisor(len(cells), probes, limits)
    sup.started = started
    output = _Output(limits.output_bytes)
    events = _Events(out_dir)
    info_r = handle.info_fd
    out_fd = handle.stdout_fd
    for fd in (ev_r, out_fd, ctl_w) + ((info_r,) if info_r is not None else ()):
        os.set_blocking(fd, False)
    threading.Thread(target=_feed_stdin, args=(handle.stdin, json.dumps(job).encode()), daemon=True).start()

    sel = selectors.DefaultSelector()
    sel.register(ev_r, selectors.EVENT_READ, "events")
    sel.register(out_fd, selectors.EVENT_READ, "output")
    if info_r is not None:
        sel.register(info_r, selectors.EVENT_READ, "info")

    def pump(name: str, fd: int) -> bool:
        """Read what is there; False at EOF."""
        data, eof = _read_available(fd)
        now = time.monotonic()
        if name == "output":
            output.feed(data)
        elif name == "events":
            for event in events.feed(data):
                sup.on_event(event, now)
        elif name == "info":
            handle.on_info(data)
        return not eof

    reason = None  # why the supervisor stopped the run: 'total', 'kill', or None
    open_fds = {ev_r: "events", out_fd: "output"}
    if info_r is not None:
        open_fds[info_r] = "info"
    while True:
        now = time.monotonic()
        due = sup.due(now)
        if due in ("total", "kill"):
            reason = due
            break
        if due == "interrupt":
            try:
                os.write(ctl_w, sup.token())
            except OSError:
                pass
            pid = handle.worker_pid()
            if pid is not None:
                _kill(pid, signal.SIGINT)
            sup.mark_interrupted(now)
            continue
        if sup.done or handle.exited():
            break
        wait = max(0.0, min(sup.next_deadline() - now, 0.2))
        for key, _ in sel.select(wait):
            if not pump(key.data, key.fd):
                sel.unregister(key.fd)
                open_fds.pop(key.fd, None)
        if not open_fds.get(ev_r) and not open_fds.get(out_fd):
            # Both pipes closed: the worker is gone (or closed them); wait for its exit.
            handle.wait(min(1.0, max(0.0, sup.next_deadline() - time.monotonic())))
    # Whatever the worker wrote before it ended (its last events, its answers).
    for fd, name in list(open_fds.items()):
        pump(name, fd)
    end = time.monotonic()

    if info_r is not None and getattr(handle, "child_pid", 0) is None:
        pump("info", info_r)
    handle.kill_all()
    returncode = handle.returncode
    # Output written by now is kept; background writers are dead (bubblewrap) or ignored.
    deadline = time.monotonic() + 0.5
    while open_fds and time.monotonic() < deadline:
        for key, _ in sel.select(0.05):
            if not pump(key.data, key.fd):
                sel.unregister(key.fd)
                open_fds.pop(key.fd, None)
    sel.close()
    events.close()
    for event in events.feed(b""):
        sup.on_event(event, end)

    status, message = "finished", ""
    where = sup.where()
    if reason == "total":
        status = "timeout"
        message = (f"The notebook was stopped {where}: the whole run may take at most "
                   f"{limits.total_timeout:g} s.")
        sup.finish_phase(end, "timeout", f"stopped: the whole run went past {limits.total_timeout:g} s")
    elif reason == "kill":
        status = "timeout"
        if sup.phase[0] == "cell":
            message = (f"Code cell {sup.phase[1] + 1} ran past the {limits.cell_timeout:g} s limit per cell "
                       "and did not stop when interrupted, so the notebook was stopped there.")
        else:
            message = (f"The notebook was stopped {where}: this took more than "
                       f"{sup.phase_limit():g} s and did not stop when interrupted.")
        sup.finish_phase(end, "timeout", f"stopped after {limits.cell_timeout:g} s (the limit per cell) "
                                         "and did not respond to the interrupt")
    elif not sup.done:
        status = "crashed"
        how = _describe_exit(returncode, isolation, limits)
        if sup.ready_at is None:
            tail = output.text().strip()[-500:]
            message = f"The sandbox could not start the notebook: {how}." + (f" Output: {tail}" if tail else "")
        else:
            message = f"The notebook's process ended {where}: {how}."
            if sup.phase is not None and sup.phase[0] == "cell" and sup.phase[1] + 1 < len(cells):
                message += " The cells after it did not run."
        sup.finish_phase(end, "error", f"the notebook's process ended here: {how}")
    if status != "crashed" and sup.timed_out_cells and reason != "kill":
        numbers = ", ".join(str(i + 1) for i in sup.timed_out_cells)
        note = (f"Code cell {numbers} ran past the {limits.cell_timeout:g} s limit per cell and was stopped; "
                "the cells after it still ran.") if len(sup.timed_out_cells) == 1 else (
                f"Code cells {numbers} ran past the {limits.cell_timeout:g} s limit per cell and were stopped; "
                "the cells after them still ran.")
        status = "timeout"
        message = note if not message else f"{message} {note}"
    elif status == "crashed" and sup.timed_out_cells:
        numbers = ", ".join(str(i + 1) for i in sup.timed_out_cells)
        message += f" Before that, code cell {numbers} ran past the {limits.cell_timeout:g} s limit per cell."
    if events.refused:
        log.warning("sandbox sent reply files that were refused: %s", events.refused[:5])
    if sup.replies:
        # Parsed JSON written back as JSON: read_answers checks it like any reply.
        with open(os.path.join(out_dir, REPLY_FILE), "w") as f:
            json.dump({"probes": sup.replies}, f)

    probe_seconds = 0.0
    if sup.probes_started is not None:
        probe_seconds = (sup.probes_ended or end) - sup.probes_started
    return RunResult(
        status=status,
        message=message,
        cells=sup.cells,
        answers={},
        output=output.text(),
        seconds=end - started,
        code_seconds=sup.code_seconds(),
        isolation=isolation,
        output_dropped=output.dropped,
        startup_seconds=(sup.ready_at - started) if sup.ready_at else 0.0,
        probe_seconds=probe_seconds,
        timed_out_probes=list(sup.timed_out_probes),
        probe_durations=dict(sup.probe_durations),
    )


def _kill_all(proc, isolation, child_pid) -> None:
    """Kill every process of the run: the pid namespace (bubblewrap) or the session (rlimits)."""
    if isolation == "bubblewrap":
        if child_pid is not None:
            _kill(child_pid, signal.SIGKILL)  # pid 1 of the namespace: the kernel kills the rest
    else:
        for pid in _session_members(proc.pid):
            _kill(pid, signal.SIGKILL)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    _kill(proc.pid, signal.SIGKILL)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process in uninterruptible sleep
        log.warning("sandbox process %s did not end after SIGKILL", proc.pid)
    if isolation == "rlimits":
        for pid in _session_members(proc.pid):
            _kill(pid, signal.SIGKILL)
