"""Control groups: one resource boundary per sandbox (memory, tasks, CPU), killed and counted whole.

    boundary = Cgroup.make("j", limits)       # None where this host gives the grader no control group
    preexec = boundary.enter                  # the sandbox's first process joins it before exec
    boundary.sample(); boundary.oom_kills(); boundary.usage()
    boundary.kill(); boundary.remove()        # every process of it, whatever its session or uid

rlimits bound one process; a submission that forks, maps memfd files or fills a tmpfs holds
many. A control group counts all of it: every process, the tmpfs and shared-memory pages they
write, memfd pages and the kernel memory of their files (inodes, dentries), so `memory_mb`
bounds the submission, `processes` bounds its tasks and `cpus` its share of the machine.
Where the groups live and how v1 and v2 differ is `cgroup_host.py`.

Each sandbox gets a group of its own: a fresh worker one, a warm worker (zygote) one, and each of
its jobs one more, a sibling the job's process is moved into before it reads its cells; the
zygote's preloaded pages stay charged to the zygote, so the job's `memory_mb` is on top of them,
as RLIMIT_AS was.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from dataclasses import dataclass

from autograder.run.cgroup_host import Backend, backend, keyed, read_file, warn_none_once, write_file
from autograder.run.limits import Limits

log = logging.getLogger(__name__)

KILL_TIMEOUT = 10.0  # seconds for a group to be empty after SIGKILL (a task in uninterruptible sleep)
_lock = threading.Lock()


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
    def make(cls, prefix: str, limits: Limits, memory: int | None = None) -> Cgroup | None:
        """A new control group under the limits, named `prefix` and a number ("s": a sandbox, "j": a warm
        worker's job), or None (said once) where none can be made."""
        found, why = backend()
        if found is None:
            warn_none_once(why)
            return None
        with _lock:
            name = f"{prefix}{next(_counter)}"
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
        return [f"{path}/cgroup.procs" for path in sorted(set(self.paths.values()))]

    def add(self, pid: int) -> None:
        for procs in self._procs_files():
            write_file(procs, str(pid))

    def enter(self) -> None:
        """Between fork and exec: this process joins the group, so all it starts is in it too."""
        self.add(os.getpid())

    def pids(self) -> list[int]:
        path = self.paths.get("") or self.paths["pids"]
        try:
            return [int(p) for p in read_file(f"{path}/cgroup.procs").split()]
        except OSError:
            return []

    # -- what it uses

    def _file(self, controller: str, name: str) -> str:
        return f"{self.paths.get('') or self.paths[controller]}/{name}"

    def sample(self) -> None:
        """Note the task count (and, in v2 without memory.peak, the memory) now: their peaks."""
        try:
            tasks = int(read_file(self._file("pids", "pids.current")))
            self.tasks_peak = max(self.tasks_peak, tasks)
            if self.backend.version == 2 and not os.path.exists(self._file("memory", "memory.peak")):
                self.memory_peak = max(self.memory_peak, int(read_file(self._file("memory", "memory.current"))))
        except (OSError, ValueError):
            pass

    def oom_kills(self) -> int:
        """How many of its processes the kernel killed for being over the memory limit."""
        try:
            if self.backend.version == 2:
                return keyed(read_file(self._file("memory", "memory.events"))).get("oom_kill", 0)
            return keyed(read_file(self._file("memory", "memory.oom_control"))).get("oom_kill", 0)
        except OSError:
            return 0

    def usage(self) -> Usage:
        self.sample()
        usage = Usage(tasks_peak=self.tasks_peak, oom_kills=self.oom_kills())
        try:
            if self.backend.version == 2:
                peak = self._file("memory", "memory.peak")
                memory = int(read_file(peak)) if os.path.exists(peak) else self.memory_peak
                cpu = keyed(read_file(self._file("cpu", "cpu.stat"))).get("usage_usec", 0) / 1e6
                pids_peak = self._file("pids", "pids.peak")
                if os.path.exists(pids_peak):
                    usage.tasks_peak = max(self.tasks_peak, int(read_file(pids_peak)))
            else:
                memory = int(read_file(self._file("memory", "memory.max_usage_in_bytes")))
                cpu = None
                if "cpuacct" in self.paths:
                    cpu = int(read_file(self._file("cpuacct", "cpuacct.usage"))) / 1e9
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
            write_file(path, value)
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
                    write_file(kill_file, "1")  # the kernel kills them all at once, forks in flight included
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
        return all(not read_file(procs).split() for procs in self._procs_files() if os.path.exists(procs))

    def remove(self) -> None:
        """Remove its folders (it must be empty); what stays busy is logged and left."""
        if self.removed:
            return
        self.removed = True
        for path in sorted(set(self.paths.values())):
            try:
                os.rmdir(path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("could not remove the control group %s: %s", path, exc)
