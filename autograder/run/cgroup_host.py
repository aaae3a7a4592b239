"""The control groups of this host: which hierarchy (cgroup v2, else v1), where the grader's own
folder is in it, and how a group's limits are written there. Found and set up once per process.

* cgroup v2 (the unified hierarchy, with the memory, pids and cpu controllers): the grader's own
  cgroup must be writable by it (root, or a subtree delegated to it, e.g. a systemd scope with
  `Delegate=yes`: `systemd-run --user --scope -p Delegate=yes autograder grade ...`). The grader
  moves itself into a leaf (`grader`) when its cgroup holds processes, as the kernel's rule that
  only leaves hold processes requires, and enables the controllers below.
* cgroup v1 (separate memory, pids, cpu, cpuacct and freezer hierarchies, as many containers
  mount): one folder per hierarchy, under the grader's own cgroup of each.

Hand-written on cgroupfs, on purpose: the files are the kernel's documented interface and a few
dozen writes cover it; the Python bindings on PyPI either speak v1 only (cgroupspy) or need
systemd's D-Bus (pystemd), which containers and CI runners lack. systemd is used the way it
asks to be: by delegating a subtree to the grader, which then writes the files itself.

Every group of this grader lies under `autograder-<grader pid>`, removed when it exits (and, if
it was killed, by the next grader, once empty). `cgroups.py` makes and drives one sandbox's group.
"""

from __future__ import annotations

import atexit
import errno
import functools
import logging
import os
import time

from autograder.settings import settings

log = logging.getLogger(__name__)

V1_CONTROLLERS = ("memory", "pids", "cpu")  # needed; cpuacct and freezer are used where mounted
PERIOD_US = 100_000
# All the grader's sandboxes share one parent, which the scheduler would weigh as one task against
# the host's other tasks. Weighed as two per core, a sandbox keeps about a core of its own while
# the host is busy with other work, so its time limits (on the wall clock) measure its own code;
# each sandbox's own cap (its quota, `cpus`) still bounds what the grader can take in all.
PARENT_WEIGHT = 2 * (os.cpu_count() or 1)


def read_file(path: str) -> str:
    with open(path) as f:
        return f.read()


def write_file(path: str, value: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def keyed(text: str) -> dict[str, int]:
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


def own_cgroups(text: str) -> dict[str, str]:
    """/proc/self/cgroup as {controller or '' (v2): path}."""
    found = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for controller in parts[1].split(",") if parts[1] else [""]:
            found[controller] = parts[2]
    return found


def cgroup_mounts(mountinfo: str) -> tuple[str | None, dict[str, str]]:
    """(the cgroup2 mount point, {v1 controller: its mount point}) from /proc/self/mountinfo."""
    v2: str | None = None
    v1: dict[str, str] = {}
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, rest = left.split(), right.split()
        if len(fields) < 5 or len(rest) < 3:
            continue
        if rest[0] == "cgroup2" and v2 is None:
            v2 = fields[4]
        elif rest[0] == "cgroup":
            for option in rest[2].split(","):
                v1.setdefault(option, fields[4])
    return v2, v1


def own_folder(mount: str, own: str) -> str:
    """This process's cgroup folder under a mount. A container often mounts its own cgroup as the
    hierarchy's root while /proc/self/cgroup names its path on the host: then the mount is it."""
    folder = os.path.join(mount, own.lstrip("/"))
    return folder if os.path.isdir(folder) else mount


class Backend:
    """Where this grader's control groups live, and how each kind is written."""

    version = 0

    def __init__(self, folders: dict[str, str]):
        self.folders = folders  # controller ('' for v2) -> this grader's parent folder
        for controller, parent in folders.items():
            self.prepare(controller, parent)

    def prepare(self, controller: str, parent: str) -> None:
        """Make this grader's parent folder (again, if something removed it) and set it up."""
        os.makedirs(parent, exist_ok=True)

    def apply(self, paths: dict[str, str], memory: int, tasks: int, cpus: float) -> None:
        """Set a new group's limits: each cgroup version writes its own files."""
        raise NotImplementedError

    def create(self, name: str) -> dict[str, str]:
        made: dict[str, str] = {}
        for controller, parent in self.folders.items():
            if not os.path.isdir(parent):
                self.prepare(controller, parent)
            path = os.path.join(parent, name)
            if path not in made.values():  # co-mounted controllers (cpu,cpuacct) share one folder
                os.mkdir(path)
            made[controller] = path
        return made


class V2(Backend):
    version = 2

    def prepare(self, controller: str, parent: str) -> None:
        super().prepare(controller, parent)
        write_file(f"{parent}/cgroup.subtree_control", "+memory +pids +cpu")
        write_file(f"{parent}/cpu.weight", str(min(10000, 100 * PARENT_WEIGHT)))

    def apply(self, paths: dict[str, str], memory: int, tasks: int, cpus: float) -> None:
        path = paths[""]
        write_file(f"{path}/memory.max", str(memory))
        for name, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
            if os.path.exists(f"{path}/{name}"):
                write_file(f"{path}/{name}", value)
        write_file(f"{path}/pids.max", str(tasks) if tasks else "max")
        if cpus:
            write_file(f"{path}/cpu.max", f"{int(cpus * PERIOD_US)} {PERIOD_US}")


class V1(Backend):
    version = 1

    def prepare(self, controller: str, parent: str) -> None:
        super().prepare(controller, parent)
        if controller == "cpu":
            write_file(f"{parent}/cpu.shares", str(1024 * PARENT_WEIGHT))
            # The grader itself (the supervisor that reads every sandbox's pipes and keeps its clock)
            # joins the parent too, as one more child of equal weight: a sandbox weighed above it
            # would starve it of the CPU it needs to keep up with what the sandbox sends.
            leaf = os.path.join(parent, "grader")
            os.makedirs(leaf, exist_ok=True)
            try:
                write_file(f"{leaf}/cgroup.procs", str(os.getpid()))
                _left_behind.append(os.path.dirname(parent))  # rejoined at exit, so that the folder can go
            except OSError as exc:
                log.info("the grader could not join its cpu group (%s)", exc)

    def apply(self, paths: dict[str, str], memory: int, tasks: int, cpus: float) -> None:
        write_file(f"{paths['memory']}/memory.limit_in_bytes", str(memory))
        if os.path.exists(f"{paths['memory']}/memory.memsw.limit_in_bytes"):  # no swapping past it either
            write_file(f"{paths['memory']}/memory.memsw.limit_in_bytes", str(memory))
        write_file(f"{paths['pids']}/pids.max", str(tasks) if tasks else "max")
        if cpus:
            write_file(f"{paths['cpu']}/cpu.cfs_period_us", str(PERIOD_US))
            write_file(f"{paths['cpu']}/cpu.cfs_quota_us", str(int(cpus * PERIOD_US)))


_made_parents: list[str] = []
_left_behind: list[str] = []  # the cgroups this grader left for a leaf of its own (cgroup v1's cpu)


STALE_AFTER = 600.0  # seconds a gone grader's empty folder is left (a grader in another pid namespace looks gone)


def _parent(folder: str) -> str:
    """This grader's own folder under `folder` (made by the backend); empty ones of graders that are
    gone are removed (one that only seemed gone makes its own again: Backend.create)."""
    for entry in os.listdir(folder):
        path = os.path.join(folder, entry)
        if entry.startswith("autograder-") and entry[11:].isdigit() and not _alive(int(entry[11:])):
            try:
                if time.time() - os.stat(path).st_mtime > STALE_AFTER:
                    _remove_tree(path)
            except OSError:
                pass
    path = os.path.join(folder, f"autograder-{os.getpid()}")
    _made_parents.append(path)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _remove_tree(path: str) -> None:
    """rmdir a cgroup folder and its (empty) children, deepest first; a busy one stays."""
    for root, dirs, _ in os.walk(path, topdown=False):
        for d in dirs:
            try:
                os.rmdir(os.path.join(root, d))
            except OSError:
                pass
    try:
        os.rmdir(path)
    except OSError:
        pass


@atexit.register
def _remove_parents() -> None:
    # A folder that holds a live process cannot be removed, this grader's own leaf included: it
    # goes back to where it came from first (else its folder stayed until a later grader removed
    # it, STALE_AFTER on).
    for path in _left_behind:
        try:
            write_file(f"{path}/cgroup.procs", str(os.getpid()))
        except OSError:
            pass
    for path in _made_parents:
        _remove_tree(path)


def _v2_backend(mount: str, own: str) -> V2:
    base = own_folder(mount, own)
    controllers = set(read_file(f"{base}/cgroup.controllers").split())
    missing = {"memory", "pids", "cpu"} - controllers
    if missing:
        raise OSError(f"the cgroup v2 folder {base} offers no {', '.join(sorted(missing))} controller")
    if not os.access(f"{base}/cgroup.subtree_control", os.W_OK):
        raise OSError(f"the cgroup v2 folder {base} is not delegated to this user")
    enable = "+memory +pids +cpu"
    try:
        write_file(f"{base}/cgroup.subtree_control", enable)
    except OSError as exc:
        if exc.errno != errno.EBUSY:
            raise
        if os.geteuid() == 0 and os.path.realpath(base) != os.path.realpath(mount):
            # Root in a service's cgroup (sshd's, a terminal's): beside the host's services, at the
            # top, rather than moving the processes of a cgroup it was only started in.
            return _v2_backend(mount, "/")
        # Only leaves hold processes: this grader (and whatever else is in its delegated cgroup,
        # a scope of its own) moves to one.
        leaf = os.path.join(base, "grader")
        os.makedirs(leaf, exist_ok=True)
        for pid in read_file(f"{base}/cgroup.procs").split():
            try:
                write_file(f"{leaf}/cgroup.procs", pid)
            except OSError:
                pass
        write_file(f"{base}/cgroup.subtree_control", enable)
    return V2({"": _parent(base)})


def _v1_backend(mounts: dict[str, str], own: dict[str, str]) -> V1:
    missing = [c for c in V1_CONTROLLERS if c not in mounts]
    if missing:
        raise OSError(f"cgroup v1 has no {', '.join(missing)} hierarchy mounted")
    folders = {}
    for controller in V1_CONTROLLERS + ("cpuacct", "freezer"):
        if controller in mounts:
            base = own_folder(mounts[controller], own.get(controller, "/"))
            if not os.access(base, os.W_OK):
                raise OSError(f"the cgroup v1 folder {base} is not writable by this user")
            folders[controller] = _parent(base)
    return V1(folders)


@functools.lru_cache(maxsize=None)
def backend() -> tuple[Backend | None, str]:
    """(the backend, '') where control groups can be made here, else (None, why not). Once per process."""
    if not settings().cgroups:
        return None, "AUTOGRADER_CGROUPS=off"
    try:
        v2, v1 = cgroup_mounts(read_file("/proc/self/mountinfo"))
        own = own_cgroups(read_file("/proc/self/cgroup"))
    except OSError as exc:
        return None, f"cannot read this process's cgroups ({exc})"
    reasons = []
    if v2 is not None and "" in own:
        try:
            return _v2_backend(v2, own[""]), ""
        except OSError as exc:
            reasons.append(f"cgroup v2: {exc}")
    if v1:
        try:
            return _v1_backend(v1, own), ""
        except OSError as exc:
            reasons.append(f"cgroup v1: {exc}")
    return None, "; ".join(reasons) or "no cgroup file system is mounted"


@functools.lru_cache(maxsize=None)
def warn_none_once(why: str) -> None:
    """Said once per batch (per grading process: `why` does not change within one)."""
    log.warning("no control group can be made here (%s): memory, processes and CPU are bounded per "
                    "process only (rlimits), so one submission can hold more than memory_mb and slow the "
                    "others. Grade as root or in a delegated cgroup (README, isolation).", why)


def boundary_name() -> str:
    """What `run.isolation` adds: the control group version, or that there is none."""
    found, why = backend()
    return f"cgroup v{found.version}" if found else "no control group"
