"""What a run gives back: one RunResult per notebook, with a CellRun per code cell.

Plain data only (the Dask runner sends it across machines as it is); `supervise.py` fills it in
and `messages.py` writes its `message`."""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder.probe import Answer
from autograder.run.states import CellStatus, Isolation, RunStatus


@dataclass
class CellRun:
    index: int  # position in the `cells` list given to run_notebook (0-based)
    status: CellStatus
    seconds: float = 0.0
    error: str = ""  # short error text for 'error' (and what happened for 'timeout')


@dataclass
class RunResult:
    status: RunStatus
    message: str  # a clear sentence for the student/teacher when not finished
    cells: list[CellRun]
    answers: dict[str, Answer]  # from read_answers, for every probe key asked
    output: str  # capped stdout/stderr
    seconds: float  # wall time of the whole run
    code_seconds: float  # time spent in the notebook's own cells
    isolation: Isolation
    output_dropped: int = 0  # bytes of output beyond Limits.output_bytes, drained and dropped
    startup_seconds: float = 0.0  # from start to the worker's shell being ready
    probe_seconds: float = 0.0  # time spent answering probes
    timed_out_probes: list[str] = field(default_factory=list)  # probe keys stopped by probe_timeout
    probe_durations: dict[str, float] = field(default_factory=dict)  # seconds spent on each probe key
    warm: bool = False  # forked from a warm worker (warm.py), not started fresh
    trainer: dict = field(default_factory=dict)  # a training task: the trainer's own run (run/training.py)
    # What the whole submission used, from its control group (cgroups.Usage.as_dict: memory_peak_mb,
    # cpu_seconds, tasks_peak, oom_kills) and which boundary it had: 'cgroup v1', 'cgroup v2' or
    # 'no control group' (then only rlimits bound each process, and `resources` is empty).
    boundary: str = ""
    resources: dict = field(default_factory=dict)
