"""The rlimits fallback, made as safe as the machine allows: without bubblewrap, on the grader's side.

A root grader never runs a notebook as root. Each job gets a uid of its own, from a range no
account and no process uses (`SANDBOX_UIDS`), so that after the job every process of that uid
can be killed, whatever its session or parent (`kill_uid`), without touching anything else,
and so that one job cannot read another's files, environment or memory. Where the kernel
lets root make a mount namespace (not in a container that forbids it), the job also gets a
private view (`private_view`): fresh tmpfs on /tmp, /var/tmp and /dev/shm, its own IPC
namespace, the project repository (solutions, exercises, the engine's source), the secret
file and every folder that uid could not enter anyway (such as /root) covered by empty
read-only tmpfs, and only the Python installation and the job's own folders shown again
beneath them. That is also what lets a uid other than root run an interpreter installed
under /root. Without a mount namespace, an interpreter that the uid cannot run is refused.

An ordinary user cannot change uid: the notebook runs as the grader's user, and only the
grader's process (made non-dumpable) and the other jobs' workers are closed to it.
"""

from __future__ import annotations

import ctypes
import fcntl
import functools
import logging
import os
import pwd
import signal
import stat
import threading

from autograder.run.processes import is_zombie, processes_of
from autograder.sandbox.emptying import remove_files_of

log = logging.getLogger(__name__)

SANDBOX_UIDS = range(2_000_000_000, 2_000_000_000 + 4096)  # unassigned by Linux distributions
PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm")  # and every other folder all users may write: shared_folders()
PR_SET_DUMPABLE = 4
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x08000000, 0x10000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18


class RefusedError(RuntimeError):
    """The fallback cannot run a notebook safely on this machine."""


# --------------------------------------------------------------------------- uids


def _claims_folder() -> str:
    """Where grader processes on this machine claim sandbox uids: a folder only root may write."""
    return "/run/autograder-sandbox-uids" if os.path.isdir("/run") else "/var/lib/autograder-sandbox-uids"


class UidPool:
    """Sandbox uids handed to one job at a time; a uid with an account or a process is skipped.

    Every grader process of the machine (`--workers`, Dask workers started as processes, two
    batches at once) draws from the same range, so a uid is claimed with a lock file that its
    process holds while a job runs under it (released by the kernel if that process dies):
    only a uid nobody holds is taken, and only then are processes still left under it (of a
    grader that died) killed."""

    def __init__(self, uids: range = SANDBOX_UIDS):
        self.uids = uids
        self.busy: dict[int, int | None] = {}  # uid -> the descriptor of its claim
        self.lock = threading.Lock()

    def _claim(self, uid: int) -> int | None:
        """The lock file's descriptor, or None if another process holds `uid`."""
        folder = _claims_folder()
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        st = os.lstat(folder)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
            raise RefusedError(f"{folder} is not a folder of this grader's alone")
        fd = os.open(os.path.join(folder, str(uid)), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        return fd

    def take(self) -> int:
        with self.lock:
            for uid in self.uids:
                if uid in self.busy:
                    continue
                try:
                    pwd.getpwuid(uid)
                    continue  # someone's account
                except KeyError:
                    pass
                claim = self._claim(uid) if os.geteuid() == 0 else None
                if claim is None and os.geteuid() == 0:
                    continue  # another grader process runs a job under it
                if processes_of(uid):
                    kill_uid(uid)  # a leftover of a grader that is gone; never reused alive
                    if processes_of(uid):
                        if claim is not None:
                            os.close(claim)
                        continue
                self.busy[uid] = claim
                return uid
        raise RefusedError("no free sandbox uid is left")

    def give_back(self, uid: int) -> None:
        with self.lock:
            claim = self.busy.pop(uid, None)
            if claim is not None:
                os.close(claim)  # the lock goes with it


UIDS = UidPool()


def kill_uid(uid: int) -> None:
    """SIGKILL every process of `uid`: kill(-1) from a process of that uid reaches exactly those,
    atomically enough that a process forking meanwhile cannot escape (its children are killed too)."""
    if uid not in SANDBOX_UIDS or os.geteuid() != 0:
        raise ValueError(f"uid {uid} is not a sandbox uid of a root grader")
    for _ in range(5):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the forked helper
            try:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        if not [p for p in processes_of(uid) if not is_zombie(p)]:
            return


def release(uid: int) -> None:
    """A job of `uid` is over: every process of it killed, whatever its session; what it left in the
    shared temporary folders removed; the uid free for the next job."""
    try:
        kill_uid(uid)
        remove_files_of(uid, shared_folders())
    finally:
        UIDS.give_back(uid)


def shared_folders() -> tuple[str, ...]:
    """Every folder on this machine that any user may write: /tmp, /var/tmp, /dev/shm, and the
    others a system has (/run/lock, ...), found within a few levels of / once. A job could leave
    there what a later one reads: each is a private tmpfs in a job's view, and what a job's uid
    left in it is removed after the job."""
    return _shared_folders()


@functools.lru_cache(maxsize=None)
def _shared_folders() -> tuple[str, ...]:
    found = [t for t in PRIVATE_TMP if os.path.isdir(t) and not os.path.islink(t)]
    level = ["/"]
    for _ in range(4):
        deeper = []
        for folder in level:
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.path in ("/proc", "/sys") or not entry.is_dir(follow_symlinks=False):
                        continue
                    mode = entry.stat(follow_symlinks=False).st_mode
                except OSError:
                    continue
                if mode & stat.S_IWOTH:
                    if entry.path not in found:
                        found.append(entry.path)
                else:
                    deeper.append(entry.path)
        level = deeper
    return tuple(found)


def not_dumpable() -> None:
    """This process's /proc entries (environ, memory, descriptors) become root's: closed to its own uid."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


# --------------------------------------------------------------------------- the private view


def _traversable_by_others(path: str) -> bool:
    try:
        return bool(os.stat(path).st_mode & stat.S_IXOTH)
    except OSError:
        return False


def _closed_ancestor(path: str) -> str | None:
    """The outermost folder above (or at) `path` that a uid other than its owner cannot enter."""
    parts = os.path.realpath(path).split("/")[1:]
    current = ""
    for part in parts:
        current += "/" + part
        if os.path.isdir(current) and not _traversable_by_others(current):
            return current
    return None


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def tmpfs_options(mode: str, size_mb: int, inodes: int) -> str:
    """A tmpfs's mount options: a size and an inode limit, always (the kernel's default of half the
    machine's pages in inodes would let empty files pin gigabytes of kernel memory)."""
    return f"mode={mode},size={max(int(size_mb), 1)}m,nr_inodes={max(int(inodes), 64)}"


def mount_tmpfs(folders: list[tuple[str, str]], as_user: tuple[int, int] | None = None) -> None:
    """In a sandbox's first process (before exec): a mount namespace of its own in which each of
    `folders` (path, tmpfs options) is a fresh tmpfs; they vanish with the namespace. `as_user`
    (an ordinary user's uid and gid): in a user namespace of its own first, as its root, which
    may mount there (bubblewrap then nests its own user namespace inside)."""
    libc = _libc()
    if libc.unshare(CLONE_NEWNS | (CLONE_NEWUSER if as_user else 0)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare: {os.strerror(err)}")
    if as_user:
        for name, text in (("setgroups", "deny"), ("uid_map", f"0 {as_user[0]} 1"), ("gid_map", f"0 {as_user[1]} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    for folder, options in folders:
        _mount(libc, "tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, options)


def view_plan(keep: list[str], hide: list[str], disk_mb: int, disk_files: int = 32768) -> dict:
    """Which folders to cover (hidden: empty read-only; private: empty writable) and which kept
    paths to show again beneath them. Computed in the grader, before the fork."""
    keep = sorted({os.path.realpath(k) for k in keep if os.path.isdir(k)}, key=len)
    keep = [k for k in keep if not any(k != o and _inside(k, o) for o in keep)]
    covers: dict[str, str] = {}
    for k in keep:
        closed = _closed_ancestor(k)
        if closed is not None and closed != k:
            covers[closed] = "hidden"
    hidden_files = []
    for h in hide:
        real = os.path.realpath(h)
        if os.path.isdir(real) and real != "/":
            covers.setdefault(real, "hidden")
        elif os.path.isfile(real):
            hidden_files.append(real)
    for t in shared_folders():
        covers[t] = "private"
    ordered = sorted(covers, key=len)
    outer = [c for c in ordered if not any(c != o and _inside(c, o) for o in ordered)]
    shown = [k for k in keep if any(_inside(k, c) and k != c for c in outer)]
    hidden_files = [f for f in hidden_files if not any(_inside(f, c) for c in outer)]
    return {"covers": [(c, covers[c]) for c in outer], "shown": shown, "hidden_files": hidden_files,
            "size": max(int(disk_mb), 1), "inodes": disk_files}


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p)
    return libc


def _mount(libc, source, target, fstype, flags, data=None) -> None:
    def enc(s):
        return s.encode() if isinstance(s, str) else s

    if libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def enter_private_view(plan: dict) -> None:
    """In the job's first process (root, before it drops to its uid): a mount and IPC namespace
    of its own, laid out by `plan`. Raises OSError where the kernel refuses."""
    libc = _libc()
    if libc.unshare(CLONE_NEWNS | CLONE_NEWIPC) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare: {os.strerror(err)}")
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    fds = {k: os.open(k, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for k in plan["shown"]}
    for folder, cover in plan["covers"]:
        if cover == "private":
            _mount(libc, "tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV,
                   tmpfs_options("1777", plan["size"], plan.get("inodes", 32768)))
        else:
            _mount(libc, "tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")  # read-only below
    for path, fd in fds.items():
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(libc, f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)
    for folder, cover in plan["covers"]:
        if cover == "hidden":
            _mount(libc, None, folder, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    for path in plan["hidden_files"]:
        _mount(libc, "/dev/null", path, None, MS_BIND)
    for folder, options in plan.get("own", ()):  # the job's working and temporary folders: tmpfs too
        _mount(libc, "tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, options)


@functools.lru_cache(maxsize=None)
def private_view_works(check: tuple) -> bool:
    """Whether this machine lets root build the private view (tried once, in a throw-away child)."""
    import subprocess
    import sys

    plan = view_plan(list(check[0]), list(check[1]), 16)
    uid = UIDS.take()
    try:
        def preexec():
            enter_private_view(plan)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

        result = subprocess.run([sys.executable, "-c", "import numpy, IPython"], stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=60, cwd="/", preexec_fn=preexec)
        if result.returncode != 0:
            log.info("the private view does not work here: %s", result.stderr.decode(errors="replace")[-300:])
        return result.returncode == 0
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("the private view does not work here: %s", exc)
        return False
    finally:
        kill_uid(uid)
        UIDS.give_back(uid)
