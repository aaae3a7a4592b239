"""One notebook's run as the run stage passes it along: a `RunJob`, made once.

A runner (`fresh.run_notebook`, `warm_worker.WarmWorker.run`) turns its call (cells, probes,
limits, files, env) into a RunJob, adds the isolation this machine gives and the host folder
the replies are read from, and hands that one object on: to `launch` (through
`RunJob.launch_spec`) and to `supervise`. So a new thing a run needs is a field here, not one
more positional parameter on every function between the runner and the supervisor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from autograder.probe import Probe, encode_requests
from autograder.run.launch import HostFolders, LaunchSpec, Placement
from autograder.run.limits import Limits
from autograder.run.states import Isolation


@dataclass
class RunJob:
    """What runs (cells, probes), under which limits and isolation, and where its replies go."""

    cells: list[str]
    probes: dict[str, Probe]
    limits: Limits
    isolation: Isolation
    files: dict[str, bytes] | None = None  # the exercise's data files, read-only in the sandbox
    env: dict | None = None  # extra environment variables for the worker
    out_dir: str = ""  # the host folder the supervisor writes the replies to (read_answers reads it)
    started: float = field(default_factory=time.monotonic)  # the supervisor's clock: the run's start
    request: dict = field(init=False)  # the probes, encoded for the worker

    def __post_init__(self) -> None:
        self.cells = [str(cell) for cell in self.cells]
        self.request = encode_requests(self.probes)

    @property
    def keys(self) -> list[str]:
        return list(self.probes)

    def worker_input(self, placement: Placement) -> dict:
        """What the worker reads on its standard input: the cells, the probes and, as seen from
        inside its sandbox, its working folder and its data files' folder."""
        return {"cells": self.cells, "request": self.request, "workdir": placement.workdir,
                "files": placement.files if self.files else None}

    def launch_spec(self, folders: HostFolders, pass_fds: tuple[int, ...]) -> LaunchSpec:
        """A fresh worker of its own for this job (fresh.py)."""
        return LaunchSpec("worker.py", folders, self.limits, self.isolation, env=self.env, pass_fds=pass_fds)
