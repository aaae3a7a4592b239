"""Supervision: the loop that watches one worker run a notebook, and the RunResult it makes.

The worker reports over an events pipe (framed by `events.py`, judged by the run state in
`state.py`); its stdout and stderr come through another pipe (`output.py`, capped). This loop
waits on those pipes until the run state says a limit is due: it interrupts a cell or probe past
its limit (a token on the control pipe, then SIGINT; a kill after the grace period), stops the
whole run past the total limit or past a cap, and at the end kills every process of the run.
Then `messages.outcome` says what the run's status and message are. The reply files it wrote
into a private folder are read only with `autograder.probe.read_answers`: JSON and `.npy` with
allow_pickle=False.

The process watched is a `WorkerHandle` (protocols.py): a fresh worker or a warm worker's job.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import signal
import threading
import time

from autograder.probe.answers import REPLY_FILE
from autograder.run.cgroup_host import boundary_name
from autograder.run.events import EventStream, max_events
from autograder.run.job import RunJob
from autograder.run.messages import Ending, outcome
from autograder.run.output import CappedOutput
from autograder.run.processes import kill
from autograder.run.protocols import WorkerHandle
from autograder.run.results import RunResult
from autograder.run.state import RunState
from autograder.run.states import Due, Stop

log = logging.getLogger(__name__)

SAMPLE_EVERY = 0.1  # seconds between two readings of the control group (a flood of events wakes the loop often)

READ_CHUNK = 1 << 16


def read_available(fd: int) -> tuple[bytes, bool]:
    """What can be read now, and whether the pipe reached EOF."""
    chunks: list[bytes] = []
    while True:
        try:
            data = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            return b"".join(chunks), False
        except OSError:
            return b"".join(chunks), True
        if not data:
            return b"".join(chunks), True
        chunks.append(data)
        if len(chunks) >= 64:
            return b"".join(chunks), False


def feed_stdin(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
    except (BrokenPipeError, OSError, ValueError):
        pass
    finally:
        try:
            pipe.close()
        except (BrokenPipeError, OSError, ValueError):
            pass


def supervise(handle: WorkerHandle, job: RunJob) -> RunResult:
    """Watch `handle` run `job` (its cells, then its probes) until it ends or is stopped."""
    cells, limits, isolation, out_dir, started = job.cells, job.limits, job.isolation, job.out_dir, job.started
    state = RunState(len(cells), job.probes, limits)
    state.started = started
    output = CappedOutput(limits.output_bytes)
    events = EventStream(out_dir, max_events(len(cells), len(job.probes)))
    info_r = handle.info_fd
    out_fd, ev_r, ctl_w = handle.stdout_fd, handle.events_fd, handle.control_fd
    for fd in (ev_r, out_fd, ctl_w) + ((info_r,) if info_r is not None else ()):
        os.set_blocking(fd, False)
    worker_input = json.dumps(job.worker_input(handle.placement)).encode()
    threading.Thread(target=feed_stdin, args=(handle.stdin, worker_input), daemon=True).start()

    sel = selectors.DefaultSelector()
    sel.register(ev_r, selectors.EVENT_READ, "events")
    sel.register(out_fd, selectors.EVENT_READ, "output")
    if info_r is not None:
        sel.register(info_r, selectors.EVENT_READ, "info")

    def pump(name: str, fd: int) -> bool:
        """Read what is there; False at EOF."""
        data, eof = read_available(fd)
        now = time.monotonic()
        if name == "output":
            output.feed(data)
        elif name == "events":
            for event in events.feed(data):
                state.on_event(event, now)
        elif name == "info":
            handle.on_info(data)
        return not eof

    stopped: Stop | None = None  # why the supervisor stopped the run; None: it ended by itself
    open_fds = {ev_r: "events", out_fd: "output"}
    if info_r is not None:
        open_fds[info_r] = "info"
    sampled = 0.0
    while True:
        now = time.monotonic()
        due = state.due(now)
        if due in (Due.TOTAL, Due.KILL):
            stopped = Stop(due.value)
            break
        if events.over or state.over:
            stopped = Stop.FLOOD
            break
        if handle.cgroup is not None and now - sampled >= SAMPLE_EVERY:
            sampled = now
            handle.cgroup.sample()
            if handle.cgroup.oom_kills():
                stopped = Stop.MEMORY  # over memory_mb: the kernel killed one of its processes
                break
        if due is Due.STALE:  # an earlier cell's own deadline: stopped if it is what really runs
            try:
                os.write(ctl_w, state.stale_token(now))
            except OSError:
                pass
            pid = handle.worker_pid()
            if pid is not None:
                kill(pid, signal.SIGINT)
            continue
        if due is Due.INTERRUPT:
            try:
                os.write(ctl_w, state.token())
            except OSError:
                pass
            pid = handle.worker_pid()
            if pid is not None:
                kill(pid, signal.SIGINT)
            state.mark_interrupted(now)
            continue
        if state.done or handle.exited():
            break
        wait = max(0.0, min(state.next_deadline() - now, 0.2))
        for key, _ in sel.select(wait):
            if not pump(key.data, key.fd):
                sel.unregister(key.fd)
                open_fds.pop(key.fd, None)
        if not open_fds.get(ev_r) and not open_fds.get(out_fd):
            # Both pipes closed: the worker is gone (or closed them); wait for its exit.
            handle.wait(min(1.0, max(0.0, state.next_deadline() - time.monotonic())))
    # Whatever the worker wrote before it ended (its last events, its answers, bubblewrap's info).
    for fd, name in list(open_fds.items()):
        pump(name, fd)
    end = time.monotonic()

    if stopped is None and handle.cgroup is not None and handle.cgroup.oom_kills():
        stopped = Stop.MEMORY  # the process the kernel killed was the worker itself
    usage = handle.cgroup.usage() if handle.cgroup is not None else None  # its peaks, before it is removed
    handle.kill_all()
    returncode = handle.returncode
    # Output written by now is kept; background writers are dead (bubblewrap) or ignored.
    deadline = time.monotonic() + 0.5
    while open_fds and time.monotonic() < deadline:
        for key, _ in sel.select(0.05):
            if not pump(key.data, key.fd):
                sel.unregister(key.fd)
                open_fds.pop(key.fd, None)
    sel.close()
    events.close()
    for event in events.feed(b""):
        state.on_event(event, end)

    ended = outcome(Ending(
        position=state.position(), ncells=len(cells), total_timeout=limits.total_timeout,
        cell_timeout=limits.cell_timeout, phase_limit=state.phase_limit(), cpu_limit=limits.cpu_limit(),
        memory_mb=limits.memory_mb,
        stopped=stopped, done=state.done, ready=state.ready_at is not None, flood=events.over or state.over,
        overran=state.overran_phase(), returncode=returncode, isolation=isolation,
        output_tail=output.text() if state.ready_at is None else "",
        timed_out_cells=tuple(state.timed_out_cells), forged=tuple(state.forged)))
    if ended.cell_status is not None:
        state.finish_phase(end, ended.cell_status, ended.cell_error or "")
    if state.forged:
        log.warning("forged events from the sandbox: %s", state.forged[:5])
    if events.refused:
        log.warning("sandbox sent reply files that were refused: %s", events.refused[:5])
    if state.replies:
        # Each reply's JSON, re-serialised here when it arrived, joined: read_answers checks it like any reply.
        with open(os.path.join(out_dir, REPLY_FILE), "w") as f:
            f.write('{"probes":{' + ",".join(json.dumps(k) + ":" + v for k, v in state.replies.items()) + "}}")

    probe_seconds = 0.0
    if state.probes_started is not None:
        probe_seconds = (state.probes_ended or end) - state.probes_started
    return RunResult(
        status=ended.status,
        message=ended.message,
        cells=state.cells,
        answers={},
        output=output.text(),
        seconds=end - started,
        code_seconds=state.code_seconds(),
        isolation=isolation,
        output_dropped=output.dropped,
        startup_seconds=(state.ready_at - started) if state.ready_at else 0.0,
        probe_seconds=probe_seconds,
        timed_out_probes=list(state.timed_out_probes),
        probe_durations=dict(state.probe_durations),
        boundary=boundary_name(),
        resources=usage.as_dict() if usage is not None else {},
    )
