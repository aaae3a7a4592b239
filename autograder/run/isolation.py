"""Isolation: the sandbox a notebook runs in, and the clean process that starts there.

With bubblewrap (when `bwrap` works here; checked once per process): no network, its own
pid/ipc/uts (and, for an ordinary user, user) namespaces, a read-only view of the system and
the Python installation only, private tmpfs working folder, /tmp and /dev/shm. Nothing of the
project repository (exercises, solutions, the engine's source, results, other submissions) is
mounted, and the project's packages are masked if they are installed into site-packages. When
the grader runs as root, bubblewrap is started so that the worker becomes `nobody` (65534)
before it reads anything, so the student's process is unprivileged on the host too.

Without it (or with AUTOGRADER_SANDBOX=rlimits) the same worker runs with rlimits, in its own
session and a private temporary folder, and a warning says once that isolation is weaker; a
root grader runs it under a sandbox uid of its own with, where the kernel allows, a private
view of the file system (`fallback.py`), never as root. Either way: rlimits (address space,
CPU seconds, file size, no core files, open files, processes), the seccomp filter of
`syscall_filter.py` (bubblewrap's --seccomp, or loaded before exec) and a clean environment.
"""

from __future__ import annotations

import functools
import glob
import logging
import os
import resource
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from autograder.run import fallback, syscall_filter
from autograder.run.limits import Limits

log = logging.getLogger(__name__)

RUN_DIR = Path(__file__).resolve().parent
SANDBOX_PACKAGE = RUN_DIR.parent / "sandbox"  # everything that runs inside, copied as a folder
PROJECT_ROOT = RUN_DIR.parent.parent


def engine_files() -> list[Path]:
    """The sandbox package's modules: the whole folder, not a list someone has to keep."""
    return sorted(p for p in SANDBOX_PACKAGE.glob("*.py") if p.name != "__init__.py")
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

_warned_rlimits = False


def bwrap_path() -> str | None:
    found = shutil.which("bwrap")
    if found:
        return found
    return "/usr/bin/bwrap" if os.access("/usr/bin/bwrap", os.X_OK) else None


def python_dirs() -> list[str]:
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


def user_site_env() -> str | None:
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    return user_site if user_site and user_site in sys.path and os.path.isdir(user_site) else None


def masks(dirs: list[str]) -> list[str]:
    """Project packages installed (not editable) into a bound site-packages folder."""
    masks = []
    for folder in set(dirs) | {os.path.realpath(p) for p in site.getsitepackages()}:
        for name in MASKED_PACKAGES:
            path = os.path.join(folder, name)
            if os.path.isdir(path) and not os.path.islink(path):
                masks.append(path)
    return sorted(set(masks))


class Fds:
    """Pipes of data handed to bwrap (--ro-bind-data), closed here once it started."""

    def __init__(self):
        self.fds: list[int] = []

    def data(self, text: str | bytes) -> str:
        r, w = os.pipe()
        os.write(w, text.encode() if isinstance(text, str) else text)  # well under a pipe's 64 KiB
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


def bwrap_args(bwrap: str, variant: str, limits: Limits, fds: Fds, engine: str | None,
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
    dirs = python_dirs()
    parents = sorted({str(p) for d in dirs for p in Path(d).parents if str(p) != "/"}, key=len)
    for parent in parents:  # traversable by nobody, whatever the host's modes (e.g. /root is 0700)
        args += ["--perms", "0755", "--dir", parent]
    for d in dirs:
        args += ["--ro-bind", d, d]
    for m in masks(dirs):
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
    try:
        args += ["--seccomp", fds.data(syscall_filter.program())]
    except syscall_filter.FilterUnavailable as exc:
        warn_no_filter_once(exc)
    return args


_warned_filter = False


def warn_no_filter_once(exc: Exception) -> None:
    global _warned_filter
    if not _warned_filter:
        _warned_filter = True
        log.warning("%s: notebooks run WITHOUT the seccomp filter (keyring, System V IPC, ptrace, ... "
                    "stay reachable). Install libseccomp2 and pyseccomp.", exc)


def worker_args(python: str, worker: str, ev_w: int, ctl_r: int, drop: bool) -> list[str]:
    args = [python, "-B", worker, "--events", str(ev_w), "--control", str(ctl_r)]
    return args + (["--drop-to", str(NOBODY)] if drop else [])


def rlimits_preexec(limits: Limits, own_uid: bool, uid: int | None = None, view: dict | None = None,
                    seccomp: bool = False):
    """What the first process of a sandbox does before exec: rlimits; in rlimits mode for a root
    grader, the private view (`fallback.enter_private_view`) and the switch to the job's own
    `uid`; in rlimits mode, the seccomp filter (bubblewrap loads it itself).

    `own_uid`: the notebook runs under a uid of its own on the host, so RLIMIT_NPROC counts only sandboxes.
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
    load_filter = None
    if seccomp:
        try:
            load_filter = syscall_filter.loader()  # built here: the child only loads it
        except syscall_filter.FilterUnavailable as exc:
            warn_no_filter_once(exc)

    def apply():
        for which, soft, hard in wanted:
            _, cur_hard = resource.getrlimit(which)
            if cur_hard != resource.RLIM_INFINITY:
                hard = min(hard, cur_hard)
                soft = min(soft, hard)
            resource.setrlimit(which, (soft, hard))
        if view is not None:
            fallback.enter_private_view(view)
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            if os.getuid() == 0 or os.geteuid() == 0:
                raise OSError("could not give up root")
        if load_filter is not None:
            load_filter()  # last: it refuses mount and unshare

    return apply


@dataclass
class RlimitsSetup:
    """How rlimits mode isolates a job on this machine (see fallback.py)."""

    own_uid: bool  # a root grader: each job runs under a sandbox uid of its own
    private_view: bool  # ... and with a mount namespace of its own

    def view_for(self, base: str, limits: Limits) -> dict | None:
        if not self.private_view:
            return None
        return fallback.view_plan(view_keep(base), view_hidden(), limits.disk_mb)


def view_keep(base: str | None) -> list[str]:
    """What a job's private view shows: the Python installation, the job's own folder."""
    keep = python_dirs() + [os.path.dirname(os.path.realpath(sys.executable))]
    return keep + ([base] if base else [])


def view_hidden() -> list[str]:
    """Covered in a job's private view: the project (solutions, exercises, the engine), the secret file."""
    hidden = [str(PROJECT_ROOT)]
    secret_file = os.environ.get("AUTOGRADER_SECRET_FILE")
    if secret_file:
        hidden.append(secret_file)
    return hidden


DROP_CHECK = (
    "import os, sys\n"
    "if '--drop' in sys.argv:\n"
    "    os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
    "assert os.getuid() != 0 and os.geteuid() != 0\n"
    "import numpy, IPython\n"
)
# Whether a sandbox starts is checked once per grading process; finding numpy and IPython (not
# importing them: that would cost every batch another notebook's start-up) shows the Python
# installation is bound in, and the first notebook's own run imports them.
BWRAP_CHECK = DROP_CHECK.replace(
    "import numpy, IPython\n",
    "from importlib.util import find_spec\nassert find_spec('numpy') and find_spec('IPython')\n")


def try_bwrap(bwrap: str, variant: str) -> bool:
    fds = Fds()
    try:
        args = bwrap_args(bwrap, variant, Limits(), fds, None, None, None)
        args += ["--", sys.executable, "-c", BWRAP_CHECK] + (["--drop"] if variant == "root" else [])
        result = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                                env=clean_env(Limits(), "/tmp", "/tmp"), pass_fds=fds.fds,
                                preexec_fn=rlimits_preexec(Limits(), False))
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
def bwrap_variant() -> tuple[str, str] | None:
    """(bwrap path, 'root' or 'userns') when bubblewrap works here; checked once per process."""
    bwrap = bwrap_path()
    if bwrap is None:
        return None
    variants = ["root", "userns"] if os.geteuid() == 0 else ["userns"]
    for variant in variants:
        if try_bwrap(bwrap, variant):
            return bwrap, variant
    log.warning("bubblewrap is installed at %s but cannot start a sandbox here", bwrap)
    return None


@functools.lru_cache(maxsize=None)
def rlimits_setup() -> RlimitsSetup:
    """Checked once per process. A root grader never runs a notebook as root: with a private view
    where the kernel allows one, else under a sandbox uid, which must be able to run this Python."""
    if os.geteuid() != 0:
        return RlimitsSetup(own_uid=False, private_view=False)
    if fallback.private_view_works((tuple(view_keep(None)), tuple(view_hidden()))):
        return RlimitsSetup(own_uid=True, private_view=True)
    uid = fallback.UIDS.take()
    try:
        result = subprocess.run([sys.executable, "-c", DROP_CHECK], stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=60, cwd="/", env=clean_env(Limits(), "/tmp", "/tmp"),
                                preexec_fn=rlimits_preexec(Limits(), True, uid=uid))
        runnable = result.returncode == 0
    except (OSError, subprocess.SubprocessError):
        runnable = False
    finally:
        fallback.kill_uid(uid)
        fallback.UIDS.give_back(uid)
    if not runnable:
        raise fallback.RefusedError(
            f"rlimits mode refuses to run notebooks: this grader runs as root, the kernel allows no mount "
            f"namespace here, and a uid other than root cannot run {sys.executable}. Install bubblewrap, grade "
            "as an ordinary user, or use a Python installation every user can read (e.g. under /usr or /opt).")
    return RlimitsSetup(own_uid=True, private_view=False)


def isolation_mode() -> str:
    """'bubblewrap' or 'rlimits', from AUTOGRADER_SANDBOX (auto, bubblewrap, rlimits) and this machine."""
    wanted = os.environ.get("AUTOGRADER_SANDBOX", "auto").strip().lower()
    if wanted == "rlimits":
        return "rlimits"
    if bwrap_variant() is not None:
        return "bubblewrap"
    if wanted in ("bubblewrap", "bwrap"):
        raise RuntimeError("AUTOGRADER_SANDBOX=bubblewrap, but bubblewrap does not work on this machine")
    return "rlimits"


def warn_rlimits_once() -> RlimitsSetup:
    """The rlimits setup of this machine (raises fallback.RefusedError), with a warning said once."""
    global _warned_rlimits
    setup = rlimits_setup()
    if not _warned_rlimits:
        _warned_rlimits = True
        if not setup.own_uid:
            fallback.not_dumpable()  # the notebook runs as this user: keep it out of this process's /proc
        log.warning(
            "notebooks run WITHOUT bubblewrap: rlimits, the seccomp filter and %s isolate them; they "
            "reach the network%s. Install bubblewrap (Debian package `bubblewrap`) for real isolation.",
            "a uid of their own and a private view of the file system" if setup.private_view else
            "a uid of their own" if setup.own_uid else "a private temporary folder",
            "" if setup.private_view else " and can read every file their uid can read",
        )
    return setup


def clean_env(limits: Limits, home: str, tmp: str, extra: dict | None = None) -> dict:
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
    user_site = user_site_env()
    if user_site:
        env["PYTHONPATH"] = user_site
    for key, value in (extra or {}).items():
        env[str(key)] = str(value)
    return env


# --------------------------------------------------------------------------- the run's folders


def safe_relative(name: str) -> str:
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts or name.startswith("/"):
        raise ValueError(f"data file name {name!r} must be a relative path inside the working folder")
    return os.path.join(*parts)


def prepare_engine(base: str, files: dict[str, bytes] | None) -> tuple[str, str | None]:
    engine = os.path.join(base, "engine")
    os.mkdir(engine)
    for source in engine_files():
        target = os.path.join(engine, source.name)
        shutil.copyfile(source, target)
        os.chmod(target, 0o444)
    os.chmod(engine, 0o555)
    if not files:
        return engine, None
    folder = os.path.join(base, "files")
    os.mkdir(folder)
    for name, data in files.items():
        target = os.path.join(folder, safe_relative(name))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(bytes(data))
    for root, dirnames, filenames in os.walk(folder):
        os.chmod(root, 0o755)
        for n in filenames:
            os.chmod(os.path.join(root, n), 0o644)
    return engine, folder
