"""The run stage's states, named: each a StrEnum, so that a value is one of a known few.

They are str subclasses: a RunResult still compares equal to the strings it always held
("finished", "ok"), is written to JSON, CSV and SQLite as those strings, and crosses to and from
Dask workers as it is. Code of the run stage uses the members, so a misspelt state is an
AttributeError at once instead of a branch that is never taken.
"""

from __future__ import annotations

from enum import StrEnum


class Isolation(StrEnum):
    """How a sandbox isolates its notebook (run/isolation.py picks one per machine)."""

    BUBBLEWRAP = "bubblewrap"
    RLIMITS = "rlimits"


class BwrapVariant(StrEnum):
    """How bubblewrap runs here (run/bubblewrap.py's options differ by it)."""

    ROOT = "root"  # the grader is root: no user namespace, a sandbox uid of its own per sandbox
    USERNS = "userns"  # an ordinary user: a user namespace maps nobody inside to the grader's uid


class RunStatus(StrEnum):
    """RunResult.status: how the run as a whole ended."""

    FINISHED = "finished"  # every cell ran and every probe was answered
    TIMEOUT = "timeout"  # a limit stopped it (or it forged the grader's messages)
    CRASHED = "crashed"  # its process ended, or it was stopped for a cap (memory, messages)


class CellStatus(StrEnum):
    """CellRun.status: how one code cell ended."""

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    NOT_RUN = "not run"


class Due(StrEnum):
    """What the run state says the supervisor must do now (RunState.due)."""

    INTERRUPT = "interrupt"  # the running cell or probe reached its limit: its token and SIGINT
    STALE = "stale"  # an earlier cell or probe reached its own deadline: its token and SIGINT
    KILL = "kill"  # an interrupt did not help within the grace, or a forged end hid an overrun
    TOTAL = "total"  # the whole run reached its limit


class Stop(StrEnum):
    """Why the supervisor stopped a run before it ended by itself (Ending.stopped)."""

    TOTAL = "total"  # the whole run's time limit
    KILL = "kill"  # a cell or probe that did not stop when interrupted
    FLOOD = "flood"  # more messages or replies than any notebook sends
    MEMORY = "memory"  # over its control group's memory: the kernel killed one of its processes


class Stage(StrEnum):
    """Where a run was when it ended (Position.stage)."""

    STARTING = "starting"  # the worker was not ready
    BEFORE_CELLS = "before cells"  # ready, no cell started
    CELL = "cell"  # a code cell was running
    AFTER_CELL = "after cell"  # between cells
    PROBE = "probe"  # a probe was being answered
    ANSWERS = "answers"  # between probes


class ProbeAction(StrEnum):
    """What the grader did in a probe, as the messages name it."""

    CALL = "call"  # called a student function
    TRAIN = "train"  # trained the model of a training task
    BUILD = "build"  # built a training task's model, to send its configuration
    READ = "read"  # read a variable
