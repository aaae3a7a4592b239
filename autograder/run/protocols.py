"""The two interfaces of the run stage: what its callers call, and what its supervisor drives.

`Runner`: runs one notebook and answers its probes. `run_notebook` (a fresh worker), a warm
pool's `runner(preload)` and the Dask `ClusterRunner` are all one, so the pipeline and the batch
take any of them and never ask which.

`WorkerHandle`: the process that runs one notebook, as `supervise` sees it. A fresh worker
(`fresh.FreshWorker`) and a job forked by a warm worker (`warm_worker.PooledJob`) both subclass
it, so the one supervision loop watches either without knowing which it has.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import IO, TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # only for the annotations: the run stage's own modules import this one
    from autograder.probe import Probe
    from autograder.run.cgroups import Cgroup
    from autograder.run.launch import Placement
    from autograder.run.limits import Limits
    from autograder.run.results import RunResult


@runtime_checkable
class Runner(Protocol):
    def __call__(self, cells: list[str], probes: dict[str, Probe], limits: Limits | None = None,
                 files: dict[str, bytes] | None = None, env: dict | None = None) -> RunResult: ...


class WorkerHandle(ABC):
    """One notebook's worker process: its pipes, where it runs, its pid, its end."""

    stdin: IO[bytes]  # the job (cells and probe request) is written here, then it is closed
    stdout_fd: int  # the worker's stdout and stderr together, read non-blocking
    events_fd: int  # read end of the worker's events (events.py frames them)
    control_fd: int  # write end of the worker's control pipe: the tokens of what to interrupt
    placement: Placement  # where the worker finds its folders, as seen from inside its sandbox
    info_fd: int | None = None  # bubblewrap's --info-fd of a sandbox started for this job alone
    cgroup: Cgroup | None = None  # the job's own control group: its resources, counted and bounded

    def on_info(self, data: bytes) -> None:
        """Bytes read from `info_fd` (only called when it is not None)."""

    @abstractmethod
    def worker_pid(self) -> int | None:
        """Host pid of the process that runs the notebook (the one SIGINT interrupts); None if unknown."""

    @abstractmethod
    def exited(self) -> bool:
        """Whether the worker has ended (without waiting)."""

    @abstractmethod
    def wait(self, timeout: float) -> None:
        """Wait at most `timeout` seconds for the worker to end."""

    @abstractmethod
    def kill_all(self) -> None:
        """Kill every process the job left, so that nothing of it outlives the run."""

    @property
    @abstractmethod
    def returncode(self) -> int | None:
        """The worker's exit code (negative: the signal that ended it), None while unknown."""
