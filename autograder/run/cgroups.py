"""Control groups: one resource boundary per sandbox (memory, tasks, CPU), killed and counted whole.

    boundary = Cgroup.make("j12", limits)     # None where this host gives the grader no control group
    preexec = boundary.enter                  # the sandbox's first process joins it before exec
    boundary.sample(); boundary.out_of_memory(); boundary.usage()
    boundary.kill(); boundary.remove()        # every process of it, whatever its session or uid

rlimits bound one process; a submission that forks, maps memfd files or fills a tmpfs holds
many. A control group counts all of it: every process, the tmpfs and shared-memory pages they
write, memfd pages and the kernel memory of their files (inodes, dentries), so `memory_mb`
bounds the submission, `processes` bounds its tasks and `cpus` its share of the machine.

Two kinds of host, one interface:

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

Each sandbox gets a folder of its own under `autograder-<grader pid>`: a fresh worker one, a warm
worker (zygote) one, and each of its jobs one more, a sibling the job's process is moved into
before it reads its cells; the zygote's preloaded pages stay charged to the zygote, so the job's
`memory_mb` is on top of them, as RLIMIT_AS was.
"""

from __future__ import annotations

import atexit
import errno
import functools
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass

from autograder.run.limits import Limits

log = logging.getLogger(__name__)

V1_CONTROLLERS = ("memory", "pids", "cpu")  # needed; cpuacct and freezer are used where mounted
PERIOD_US = 100_000
KILL_TIMEOUT = 10.0  # seconds for a group to be empty after SIGKILL (a task in uninterruptible sleep)


@dataclass
class Usage:
    """What a sandbox used, from its control group (plain data, as the result records it)."""

    memory_peak_mb: float | None = None
    cpu_seconds: float | None = None
    tasks_peak: int | None = None
    oom_kills: int = 0

    def as_dict(self) -> dict:
        return {"memory_peak_mb": None if self.memory_peak_mb is None else round(self.memory_peak_mb, 1),
                "cpu_seconds": None if self.cpu_seconds is None else round(self.cpu_seconds, 3),
                "tasks_peak": self.tasks_peak, "oom_kills": self.oom_kills}


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


def _write(path: str, value: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _keyed(text: str) -> dict[str, int]:
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
    v2, v1 = None, {}
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


class Backend:
    """Where this grader's control groups live, and how each kind is written."""

    version = 0

    def __init__(self, folders: dict[str, str]):
        self.folders = folders  # controller ('' for v2) -> this grader's parent folder

    def create(self, name: str) -> dict[str, str]:
        made = {}
        for controller, parent in self.folders.items():
            path = os.path.join(parent, name)
            os.mkdir(path)
            made[controller] = path
        return made


class V2(Backend):
    version = 2

    def apply(self, paths: dict[str, str], memory: int, tasks: int, cpus: float) -> None:
        path = paths[""]
        _write(f"{path}/memory.max", str(memory))
        for name, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
            if os.path.exists(f"{path}/{name}"):
                _write(f"{path}/{name}", value)
        _write(f"{path}/pids.max", str(tasks) if tasks else "max")
        if cpus:
            _write(f"{path}/cpu.max", f"{int(cpus * PERIOD_US)} {PERIOD_US}")


class V1(Backend):
    version = 1

    def apply(self, paths: dict[str, str], memory: int, tasks: int, cpus: float) -> None:
        _write(f"{paths['memory']}/memory.limit_in_bytes", str(memory))
        if os.path.exists(f"{paths['memory']}/memory.memsw.limit_in_bytes"):  # no swapping past it either
            _write(f"{paths['memory']}/memory.memsw.limit_in_bytes", str(memory))
        _write(f"{paths['pids']}/pids.max", str(tasks) if tasks else "max")
        if cpus:
            _write(f"{paths['cpu']}/cpu.cfs_period_us", str(PERIOD_US))
            _write(f"{paths['cpu']}/cpu.cfs_quota_us", str(int(cpus * PERIOD_US)))


_made_parents: list[str] = []


def _parent(folder: str) -> str:
    """This grader's own folder under `folder`; empty ones of graders that are gone are removed."""
    for entry in os.listdir(folder):
        if entry.startswith("autograder-") and entry[11:].isdigit() and not _alive(int(entry[11:])):
            _remove_tree(os.path.join(folder, entry))
    path = os.path.join(folder, f"autograder-{os.getpid()}")
    os.makedirs(path, exist_ok=True)
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
    for path in _made_parents:
        _remove_tree(path)


def _v2_backend(mount: str, own: str) -> V2:
    base = os.path.join(mount, own.lstrip("/"))
    controllers = set(_read(f"{base}/cgroup.controllers").split())
    missing = {"memory", "pids", "cpu"} - controllers
    if missing:
        raise OSError(f"the cgroup v2 folder {base} offers no {', '.join(sorted(missing))} controller")
    if not os.access(f"{base}/cgroup.subtree_control", os.W_OK):
        raise OSError(f"the cgroup v2 folder {base} is not delegated to this user")
    enable = "+memory +pids +cpu"
    try:
        _write(f"{base}/cgroup.subtree_control", enable)
    except OSError as exc:
        if exc.errno != errno.EBUSY:
            raise
        # Only leaves hold processes: this grader (and whatever else is in its cgroup) moves to one.
        leaf = os.path.join(base, "grader")
        os.makedirs(leaf, exist_ok=True)
        for pid in _read(f"{base}/cgroup.procs").split():
            try:
                _write(f"{leaf}/cgroup.procs", pid)
            except OSError:
                pass
        _write(f"{base}/cgroup.subtree_control", enable)
    parent = _parent(base)
    _write(f"{parent}/cgroup.subtree_control", enable)
    _write(f"{parent}/cpu.weight", str(min(10000, 100 * (os.cpu_count() or 1))))  # see _v1_backend
    return V2({"": parent})


def _v1_backend(mounts: dict[str, str], own: dict[str, str]) -> V1:
    missing = [c for c in V1_CONTROLLERS if c not in mounts]
    if missing:
        raise OSError(f"cgroup v1 has no {', '.join(missing)} hierarchy mounted")
    folders = {}
    for controller in V1_CONTROLLERS + ("cpuacct", "freezer"):
        if controller in mounts:
            base = os.path.join(mounts[controller], own.get(controller, "/").lstrip("/"))
            if not os.access(base, os.W_OK):
                raise OSError(f"the cgroup v1 folder {base} is not writable by this user")
            folders[controller] = _parent(base)
    # All the grader's sandboxes share one parent, which the scheduler weighs as one task against
    # the host's other tasks: weighed as many as there are cores, they get what their processes got
    # before they had a group (each sandbox's own cap is its quota).
    _write(f"{folders['cpu']}/cpu.shares", str(1024 * (os.cpu_count() or 1)))
    return V1(folders)


_lock = threading.Lock()


@functools.lru_cache(maxsize=None)
def backend() -> tuple[Backend | None, str]:
    """(the backend, '') where control groups can be made here, else (None, why not). Once per process."""
    if os.environ.get("AUTOGRADER_CGROUPS", "").strip().lower() in ("0", "off", "no", "false"):
        return None, "AUTOGRADER_CGROUPS=off"
    try:
        v2, v1 = cgroup_mounts(_read("/proc/self/mountinfo"))
        own = own_cgroups(_read("/proc/self/cgroup"))
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


_warned = False


def warn_none_once(why: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        log.warning("no control group can be made here (%s): memory, processes and CPU are bounded per "
                    "process only (rlimits), so one submission can hold more than memory_mb and slow the "
                    "others. Grade as root or in a delegated cgroup (README, isolation).", why)


def boundary_name() -> str:
    """What `run.isolation` adds: the control group version, or that there is none."""
    found, why = backend()
    return f"cgroup v{found.version}" if found else "no control group"


def memory_limit(limits: Limits) -> int:
    return int(limits.memory_mb) * 1024 * 1024


_counter = iter(range(1, 1 << 62))


class Cgroup:
    """One sandbox's control group (one folder per v1 hierarchy, one folder in v2)."""

    def __init__(self, found: Backend, paths: dict[str, str]):
        self.backend, self.paths = found, paths
        self.tasks_peak = 0
        self.memory_peak = 0  # v2 without memory.peak: sampled
        self.removed = False

    @classmethod
    def make(cls, kind: str, limits: Limits, memory: int | None = None) -> Cgroup | None:
        """A new control group under the limits, or None (said once) where none can be made."""
        found, why = backend()
        if found is None:
            warn_none_once(why)
            return None
        with _lock:
            name = f"{kind}{next(_counter)}"
        paths = found.create(name)
        group = cls(found, paths)
        try:
            found.apply(paths, memory_limit(limits) if memory is None else memory, limits.processes,
                        float(limits.cpus))
        except OSError:
            group.remove()
            raise
        return group

    # -- membership

    def _procs_files(self) -> list[str]:
        return [f"{path}/cgroup.procs" for path in self.paths.values()]

    def add(self, pid: int) -> None:
        for procs in self._procs_files():
            _write(procs, str(pid))

    def enter(self) -> None:
        """Between fork and exec: this process joins the group, so all it starts is in it too."""
        self.add(os.getpid())

    def pids(self) -> list[int]:
        path = self.paths.get("") or self.paths["pids"]
        try:
            return [int(p) for p in _read(f"{path}/cgroup.procs").split()]
        except OSError:
            return []

    # -- what it uses

    def _file(self, controller: str, name: str) -> str:
        return f"{self.paths.get('') or self.paths[controller]}/{name}"

    def sample(self) -> None:
        """Note the task count (and, in v2 without memory.peak, the memory) now: their peaks."""
        try:
            tasks = int(_read(self._file("pids", "pids.current")))
            self.tasks_peak = max(self.tasks_peak, tasks)
            if self.backend.version == 2 and not os.path.exists(self._file("memory", "memory.peak")):
                self.memory_peak = max(self.memory_peak, int(_read(self._file("memory", "memory.current"))))
        except (OSError, ValueError):
            pass

    def oom_kills(self) -> int:
        """How many of its processes the kernel killed for being over the memory limit."""
        try:
            if self.backend.version == 2:
                return _keyed(_read(self._file("memory", "memory.events"))).get("oom_kill", 0)
            return _keyed(_read(self._file("memory", "memory.oom_control"))).get("oom_kill", 0)
        except OSError:
            return 0

    def usage(self) -> Usage:
        self.sample()
        usage = Usage(tasks_peak=self.tasks_peak, oom_kills=self.oom_kills())
        try:
            if self.backend.version == 2:
                peak = self._file("memory", "memory.peak")
                memory = int(_read(peak)) if os.path.exists(peak) else self.memory_peak
                cpu = _keyed(_read(self._file("cpu", "cpu.stat"))).get("usage_usec", 0) / 1e6
                pids_peak = self._file("pids", "pids.peak")
                if os.path.exists(pids_peak):
                    usage.tasks_peak = max(self.tasks_peak, int(_read(pids_peak)))
            else:
                memory = int(_read(self._file("memory", "memory.max_usage_in_bytes")))
                cpu = None
                if "cpuacct" in self.paths:
                    cpu = int(_read(self._file("cpuacct", "cpuacct.usage"))) / 1e9
            usage.memory_peak_mb = memory / (1 << 20)
            usage.cpu_seconds = cpu
        except (OSError, ValueError):
            pass
        return usage

    # -- the end

    def _freeze(self, frozen: bool) -> bool:
        if self.backend.version == 2:
            path = self._file("", "cgroup.freeze")
            value = "1" if frozen else "0"
        elif "freezer" in self.paths:
            path, value = f"{self.paths['freezer']}/freezer.state", "FROZEN" if frozen else "THAWED"
        else:
            return False
        try:
            _write(path, value)
            return True
        except OSError:
            return False

    def kill(self, timeout: float = KILL_TIMEOUT) -> bool:
        """SIGKILL every process of the group; whether it is empty within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        kill_file = self._file("", "cgroup.kill") if self.backend.version == 2 else None
        while True:
            if kill_file and os.path.exists(kill_file):
                try:
                    _write(kill_file, "1")  # the kernel kills them all at once, forks in flight included
                except OSError:
                    pass
            else:
                # Frozen, nothing in the group can fork while it is killed; SIGKILL ends frozen tasks too.
                frozen = self._freeze(True)
                for pid in self.pids():
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                if frozen:
                    self._freeze(False)
            if self.empty():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def empty(self) -> bool:
        """No process left in any of its folders (a zombie awaiting its parent counts as left)."""
        return all(not _read(procs).split() for procs in self._procs_files() if os.path.exists(procs))

    def remove(self) -> None:
        """Remove its folders (it must be empty); what stays busy is logged and left."""
        if self.removed:
            return
        self.removed = True
        for path in self.paths.values():
            try:
                os.rmdir(path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("could not remove the control group %s: %s", path, exc)
