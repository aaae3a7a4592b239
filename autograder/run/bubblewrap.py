"""The bubblewrap command: bwrap's options for one sandbox, up to the program it starts.

No network; its own pid, ipc and uts (and, for an ordinary user, user) namespaces; a read-only
view of the system and of the Python installation only; private tmpfs working folder, /tmp and
/dev/shm; the engine and the data files read-only under /sandbox. Nothing of the project
repository (exercises, solutions, the engine's source, results, other submissions) is mounted,
and the project's packages are masked if they are installed into site-packages. The seccomp
filter of `syscall_filter.py` is handed to bwrap, which loads it just before the program.
"""

from __future__ import annotations

import glob
import os
import site
from pathlib import Path

from autograder.run import syscall_filter
from autograder.run.environment import python_dirs
from autograder.run.limits import Limits
from autograder.run.states import BwrapVariant

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


def passwd(uid: int) -> str:
    return f"root:x:0:0:root:/root:/bin/sh\nstudent:x:{uid}:{uid}:student:/tmp:/bin/sh\n"


def group(uid: int) -> str:
    return f"root:x:0:\nstudent:x:{uid}:\n"


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


def writable_tmpfs(limits: Limits) -> list[tuple[str, int]]:
    """The sandbox's writable folders, each a tmpfs of its own: (path inside, size in MB)."""
    disk = int(limits.disk_mb)
    return [("/dev/shm", min(disk, 256)), ("/tmp", disk), (WORKDIR, disk)]


def bwrap_args(bwrap: str, variant: BwrapVariant, limits: Limits, fds: Fds, engine: str | None,
                files: str | None, info_fd: int | None, uid: int = NOBODY,
                tmpfs_from: dict[str, str] | None = None) -> list[str]:
    """bwrap's options, up to the command.

    variant ROOT (the grader runs as root): no user namespace; bwrap keeps only CAP_SETUID and
    CAP_SETGID, which the worker uses to become `uid` before it reads its input, so the student's
    code runs under that uid on the host, without capabilities: the launcher gives each sandbox
    a uid of its own (`fallback.UIDS`), so that RLIMIT_NPROC counts one sandbox's processes only
    and a fork bomb in one cannot starve another.
    variant USERNS (an ordinary user): a user namespace maps uid/gid 65534 inside to the
    grader's uid outside; bwrap drops every capability.
    `tmpfs_from`: {path inside: host folder} where the launcher mounted each writable tmpfs itself
    (with a size and an inode limit, which bwrap's --tmpfs cannot set): bound instead.
    """
    args = [bwrap]
    if variant == BwrapVariant.ROOT:
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
    shown = uid if variant == BwrapVariant.ROOT else NOBODY
    args += ["--ro-bind-data", fds.data(passwd(shown)), "/etc/passwd",
             "--ro-bind-data", fds.data(group(shown)), "/etc/group"]
    tmpfs = {}
    for target, size_mb in writable_tmpfs(limits):
        if tmpfs_from and target in tmpfs_from:
            tmpfs[target] = ["--bind", tmpfs_from[target], target]
        else:
            tmpfs[target] = ["--perms", "1777", "--size", str(size_mb * 1024 * 1024), "--tmpfs", target]
    args += ["--proc", "/proc", "--dev", "/dev"] + tmpfs["/dev/shm"]
    if limits.gpu:
        for dev in sorted(glob.glob("/dev/nvidia*")) + sorted(glob.glob("/dev/nvidia-caps/*")):
            if not os.path.isdir(dev):
                args += ["--dev-bind", dev, dev]
        args += ["--ro-bind", "/sys", "/sys"]
    args += tmpfs["/tmp"]
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
    args += tmpfs[WORKDIR]
    args += ["--remount-ro", "/", "--chdir", WORKDIR]
    if info_fd is not None:
        args += ["--info-fd", str(info_fd)]
    try:
        args += ["--seccomp", fds.data(syscall_filter.program())]
    except syscall_filter.FilterUnavailable as exc:
        syscall_filter.warn_unavailable_once(exc)
    return args
