"""What the student and the teacher are told when a run did not simply finish.

`outcome(ending)` is the one place the run's failure messages are written: timeouts (the whole
run, a cell, a probe, a worker that would not stop), crashes (memory, signals, os._exit, a
sandbox that could not start), the caps on what the sandbox sends, and forged events. It is a
pure function of plain data about how the run ended (`Ending`, filled in by `supervise.py` from
the run state), so every message can be read and tested without starting a sandbox.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

from autograder.run.states import CellStatus, Isolation, ProbeAction, RunStatus, Stage, Stop

SIGNAL_TEXT = {
    signal.SIGSEGV: "it crashed with a segmentation fault (SIGSEGV)",
    signal.SIGBUS: "it crashed with a bus error (SIGBUS)",
    signal.SIGFPE: "it crashed with a floating point exception (SIGFPE)",
    signal.SIGILL: "it crashed with an illegal instruction (SIGILL)",
    signal.SIGABRT: "it was aborted (SIGABRT), often a library that ran out of memory",
    signal.SIGKILL: "it was killed (SIGKILL), most likely for using too much memory",
    signal.SIGXCPU: "it used up its CPU time limit",
    signal.SIGXFSZ: "it wrote a file over the size limit",
}


@dataclass(frozen=True)
class Position:
    """Where the run was when it ended.

    stage: a Stage; `cell` is the code cell that was running (CELL) or the last one that ran
    (AFTER_CELL). probe: for PROBE, what the grader did: (ProbeAction, the function or variable)."""

    stage: Stage
    cell: int | None = None  # 0-based
    probe: tuple[ProbeAction, str] | None = None

    @property
    def cell_number(self) -> int | str:
        """The cell's number as the notebook counts them (from 1); '?' where none was recorded."""
        return "?" if self.cell is None else self.cell + 1


@dataclass(frozen=True)
class Ending:
    """How a run ended, as plain data."""

    position: Position
    ncells: int
    total_timeout: float  # Limits.total_timeout
    cell_timeout: float  # Limits.cell_timeout
    phase_limit: float  # seconds the running cell or probe may take
    cpu_limit: int  # Limits.cpu_limit(): the CPU seconds of RLIMIT_CPU
    stopped: Stop | None = None  # why the supervisor stopped it; None: it ended by itself
    done: bool = False  # the worker said `done` after every cell and probe
    ready: bool = True  # the worker's shell came up
    flood: str | None = None  # Stop.FLOOD: which cap was passed ("more than 48 MB")
    overran: tuple | None = None  # Stop.KILL after a forged end: (Stage.CELL, index) or (Stage.PROBE, key)
    returncode: int | None = None  # the worker's exit code (negative: the signal), None: unknown
    isolation: Isolation = Isolation.BUBBLEWRAP  # bubblewrap reports a signal as 128 + n
    output_tail: str = ""  # the end of the output, for a sandbox that could not start
    timed_out_cells: tuple[int, ...] = ()  # cells stopped by their limit, 0-based
    forged: tuple[str, ...] = ()  # the events that were forged, described
    memory_mb: int = 0  # Limits.memory_mb: what the whole submission may hold (its control group)


@dataclass(frozen=True)
class Outcome:
    """The run's status and message; `cell_status` and `cell_error` for the code cell that was
    running when it ended (None: nothing to mark)."""

    status: RunStatus
    message: str
    cell_status: CellStatus | None = None
    cell_error: str | None = None


def probe_action(probe: tuple[ProbeAction, str] | None) -> str:
    action, name = probe or (ProbeAction.READ, "?")
    if action == ProbeAction.CALL:
        return f"called `{name}(...)`"
    if action == ProbeAction.TRAIN:
        return f"trained the model of `{name}`"
    if action == ProbeAction.BUILD:
        return f"called `{name}()` for the model to train"
    return f"read `{name}`"


def where(position: Position) -> str:
    stage = position.stage
    if stage == Stage.STARTING:
        return "while starting"
    if stage == Stage.ANSWERS:
        return "while the grader read its answers"
    if stage == Stage.AFTER_CELL:
        return f"after code cell {position.cell_number}"
    if stage == Stage.BEFORE_CELLS:
        return "before the first code cell"
    if stage == Stage.CELL:
        return f"during code cell {position.cell_number}"
    return f"while the grader {probe_action(position.probe)}"


def cell_stopped(cell_timeout: float) -> str:
    """A cell's error when its limit stopped it."""
    return f"stopped after {cell_timeout:g} s (the limit per cell)"


def describe_exit(returncode: int | None, isolation: Isolation, cpu_limit: int) -> str:
    """How the worker's process ended, as the second half of a sentence."""
    if returncode is None:
        return "it ended"
    sig = None
    if returncode < 0:
        sig = -returncode
    elif isolation == Isolation.BUBBLEWRAP and returncode > 128:
        sig = returncode - 128
    if sig:
        try:
            text = SIGNAL_TEXT.get(signal.Signals(sig), f"it was killed by signal {signal.Signals(sig).name}")
        except ValueError:
            text = f"it was killed by signal {sig}"
        if sig == signal.SIGXCPU:
            text += f" of {cpu_limit} s"
        return text
    if returncode == 0:
        return "it exited with code 0 (os._exit or a library that ended the process)"
    return f"it exited with code {returncode}"


def _cell_numbers(cells) -> str:
    return ", ".join(str(i + 1) for i in cells)


def outcome(e: Ending) -> Outcome:
    """The status and the message of a run that ended as `e` says (module docstring)."""
    status, message = RunStatus.FINISHED, ""
    cell_status = cell_error = None
    at = where(e.position)
    if e.stopped == Stop.TOTAL:
        status = RunStatus.TIMEOUT
        message = f"The notebook was stopped {at}: the whole run may take at most {e.total_timeout:g} s."
        cell_status, cell_error = CellStatus.TIMEOUT, f"stopped: the whole run went past {e.total_timeout:g} s"
    elif e.stopped == Stop.FLOOD:
        status = RunStatus.CRASHED
        message = (f"The notebook sent the grader {e.flood} of messages {at}, more than any "
                   "notebook needs, so it was stopped there. The answers received before count.")
        cell_status, cell_error = CellStatus.ERROR, "stopped: the notebook sent the grader too much"
    elif e.stopped == Stop.MEMORY:
        status = RunStatus.CRASHED
        message = (f"The notebook used more than its {e.memory_mb} MB of memory {at} (all its processes, "
                   "and the files it wrote in its temporary folders and shared memory, count together), "
                   "so it was stopped there. The answers received before count.")
        cell_status, cell_error = CellStatus.ERROR, f"stopped: over the memory limit of {e.memory_mb} MB"
    elif e.stopped == Stop.KILL:
        status = RunStatus.TIMEOUT
        if e.overran is not None:
            what = f"Code cell {e.overran[1] + 1}" if e.overran[0] == Stage.CELL else f"The probe {e.overran[1]!r}"
            message = f"{what} ran past its time limit and did not stop when interrupted, so the notebook was stopped."
        elif e.position.stage not in (Stage.CELL, Stage.PROBE):
            message = (f"The notebook was stopped {at}: it stopped answering the grader for longer than "
                       "its limit and did not stop when interrupted.")
        elif e.position.stage == Stage.CELL:
            message = (f"Code cell {e.position.cell_number} ran past the {e.cell_timeout:g} s limit per cell "
                       "and did not stop when interrupted, so the notebook was stopped there.")
        else:
            message = (f"The notebook was stopped {at}: this took more than "
                       f"{e.phase_limit:g} s and did not stop when interrupted.")
        cell_status = CellStatus.TIMEOUT
        cell_error = cell_stopped(e.cell_timeout) + " and did not respond to the interrupt"
    elif not e.done:
        status = RunStatus.CRASHED
        how = describe_exit(e.returncode, e.isolation, e.cpu_limit)
        if not e.ready:
            tail = e.output_tail.strip()[-500:]
            message = f"The sandbox could not start the notebook: {how}." + (f" Output: {tail}" if tail else "")
        else:
            message = f"The notebook's process ended {at}: {how}."
            if e.position.stage == Stage.CELL and e.position.cell is not None and e.position.cell + 1 < e.ncells:
                message += " The cells after it did not run."
        cell_status, cell_error = CellStatus.ERROR, f"the notebook's process ended here: {how}"
    if status != RunStatus.CRASHED and e.timed_out_cells and e.stopped != Stop.KILL:
        numbers = _cell_numbers(e.timed_out_cells)
        if len(e.timed_out_cells) == 1:
            note = (f"Code cell {numbers} ran past the {e.cell_timeout:g} s limit per cell and was stopped; "
                    "the cells after it still ran.")
        else:
            note = (f"Code cells {numbers} ran past the {e.cell_timeout:g} s limit per cell and were stopped; "
                    "the cells after them still ran.")
        status = RunStatus.TIMEOUT
        message = note if not message else f"{message} {note}"
    elif status == RunStatus.CRASHED and e.timed_out_cells:
        message += (f" Before that, code cell {_cell_numbers(e.timed_out_cells)} ran past the "
                    f"{e.cell_timeout:g} s limit per cell.")
    if e.forged and status in (RunStatus.FINISHED, RunStatus.TIMEOUT):
        # The limits held on this side's clock whatever was sent; the run cannot count as a clean one.
        status = RunStatus.TIMEOUT
        note = ("The notebook wrote the grader's own messages itself (" + "; ".join(e.forged[:3]) +
                "); they were not trusted, and its time limits were kept on the grader's clock.")
        message = note if not message else f"{message} {note}"
    return Outcome(status, message, cell_status, cell_error)
