"""Supervision: watch a worker run the notebook, enforce the time limits, collect what it sends.

The worker reports over an events pipe (cell and probe starts and ends, each probe's reply and
its `.npy` files); its stdout and stderr come through another pipe, capped. The supervisor
interrupts a cell or probe past its limit (SIGINT, then SIGKILL after a grace period), stops the
whole run past the total limit, kills every process of the run at the end, and turns what
happened into a RunResult. The reply files it writes into a private folder are read only with
`autograder.probe.read_answers`: JSON and `.npy` with allow_pickle=False.

The process being watched is a handle: `FreshProcess` for a worker started for this run alone,
or `warm._PooledJob` for a child forked by a warm worker.
"""

from __future__ import annotations

import json
import logging
import os
import re
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

from autograder.probe import Answer
from autograder.sandbox import wire
from autograder.probe.answers import REPLY_FILE
from autograder.run import fallback
from autograder.run.limits import Limits

log = logging.getLogger(__name__)

# What may come back over the events pipe. Everything is capped: one line, every reply's JSON
# together, every file together, and the whole stream in bytes and in events. A run past a total
# cap is stopped (status `crashed`, with what was received before it kept), so the grader's
# memory and time stay bounded whatever the sandbox writes.
REPLY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.npy")
MAX_REPLY_TOTAL = wire.MAX_ARRAY_BYTES + (1 << 20)  # every reply file together
MAX_REPLY_FILES = 4 * wire.MAX_ITEMS
MAX_EVENT_LINE = 2 * 1024 * 1024  # one event; a reply's JSON is a few KB (arrays travel as files)
MAX_REPLIES_JSON = wire.MAX_REPLY_BYTES - (64 << 10)  # every reply's JSON together: answers.json stays readable
MAX_STREAM_BYTES = MAX_REPLY_TOTAL + MAX_REPLIES_JSON + (8 << 20)  # the whole events stream
MAX_REPLY_DEPTH = 4 * (wire.MAX_DEPTH + 4)  # JSON nesting of a reply: wire's nodes are a few levels each
READ_CHUNK = 1 << 16


def max_events(ncells: int, nprobes: int) -> int:
    """Events an honest worker sends: ready, two per cell, three per probe and its files, done."""
    return 64 + 2 * ncells + 3 * nprobes + MAX_REPLY_FILES


@dataclass
class CellRun:
    index: int  # position in the `cells` list given to run_notebook (0-based)
    status: str  # 'ok' | 'error' | 'timeout' | 'not run'
    seconds: float = 0.0
    error: str = ""  # short error text for 'error' (and what happened for 'timeout')


@dataclass
class RunResult:
    status: str  # 'finished' (all cells ran, probes answered), 'timeout', 'crashed'
    message: str  # a clear sentence for the student/teacher when not finished
    cells: list[CellRun]
    answers: dict[str, Answer]  # from read_answers, for every probe key asked
    output: str  # capped stdout/stderr
    seconds: float  # wall time of the whole run
    code_seconds: float  # time spent in the notebook's own cells
    isolation: str  # 'bubblewrap' or 'rlimits'
    output_dropped: int = 0  # bytes of output beyond Limits.output_bytes, drained and dropped
    startup_seconds: float = 0.0  # from start to the worker's shell being ready
    probe_seconds: float = 0.0  # time spent answering probes
    timed_out_probes: list[str] = field(default_factory=list)  # probe keys stopped by probe_timeout
    probe_durations: dict[str, float] = field(default_factory=dict)  # seconds spent on each probe key
    warm: bool = False  # forked from a warm worker (warm.py), not started fresh


class Output:
    def __init__(self, limit: int):
        self.limit = max(int(limit), 0)
        self.kept = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> None:
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept += data[:room]
        self.dropped += max(len(data) - max(room, 0), 0)

    def text(self) -> str:
        text = self.kept.decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n[autograder: {self.dropped} more bytes of output were dropped]\n"
        return text


class Events:
    """Parses the worker's event stream: JSON lines, and reply files as raw bytes after a header.

    `over` becomes a sentence once the stream passes a total cap; from then on nothing more is
    parsed or kept."""

    def __init__(self, out_dir: str, max_count: int = 10**6):
        self.out_dir = out_dir
        self.buf = bytearray()
        self.scanned = 0  # bytes of `buf` known to hold no newline (a long line is searched once)
        self.skipping = False  # inside a line over MAX_EVENT_LINE: dropped up to its newline
        self.file = None  # open file or None while draining a refused one
        self.left = 0  # raw bytes still to consume for the current file
        self.total = 0
        self.count = 0
        self.names: set[str] = set()
        self.refused: list[str] = []
        self.stream_bytes = 0
        self.events = 0
        self.max_count = max_count
        self.over: str | None = None

    def feed(self, data: bytes) -> list[dict]:
        if self.over:
            return []
        self.stream_bytes += len(data)
        if self.stream_bytes > MAX_STREAM_BYTES:
            self.over = f"more than {MAX_STREAM_BYTES // (1 << 20)} MB"
            self.buf.clear()
            return []
        self.buf += data
        events = []
        while self.buf:
            if self.left:
                take = min(self.left, len(self.buf))
                if self.file is not None:
                    self.file.write(self.buf[:take])
                del self.buf[:take]
                self.left -= take
                if not self.left:
                    self._close_file()
                continue
            newline = self.buf.find(b"\n", self.scanned)
            if newline < 0:
                if len(self.buf) > MAX_EVENT_LINE:  # not an event of ours: dropped, up to its end
                    self.buf.clear()
                    self.skipping = True
                self.scanned = len(self.buf)
                break
            line = bytes(self.buf[:newline])
            del self.buf[: newline + 1]
            self.scanned = 0
            if self.skipping:
                self.skipping = False
                continue
            self.events += 1
            if self.events > self.max_count:
                self.over = f"more than {self.max_count} messages"
                self.buf.clear()
                break
            try:
                event = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if not isinstance(event, dict):
                continue
            if event.get("e") == "file":
                self._open_file(event)
                continue
            events.append(event)
        return events

    def _open_file(self, event: dict) -> None:
        name, size = event.get("name"), event.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            return
        if size > MAX_STREAM_BYTES:
            self.over = f"a file of {size} bytes"
            return
        self.left = size
        self.file = None
        ok = (
            isinstance(name, str) and REPLY_NAME.fullmatch(name) and name not in self.names
            and self.total + size <= MAX_REPLY_TOTAL and self.count < MAX_REPLY_FILES
        )
        if not ok:
            self.refused.append(str(name)[:100])
        else:
            self.names.add(name)
            self.total += size
            self.count += 1
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            self.file = os.fdopen(os.open(os.path.join(self.out_dir, name), flags, 0o600), "wb")
        if not self.left:
            self._close_file()

    def _close_file(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def close(self) -> None:
        self._close_file()


def read_available(fd: int) -> tuple[bytes, bool]:
    """What can be read now, and whether the pipe reached EOF."""
    chunks = []
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


def exited(pid: int) -> bool:
    """Whether the child exited, without reaping it (so its pid cannot be reused meanwhile)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        pass
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def session_members(sid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[3]) == sid or int(fields[2]) == sid:  # session or process group
                    members.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return members


def kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


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


def json_depth(value) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_REPLY_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def probe_text(key: str, probe) -> str:
    if hasattr(probe, "function"):
        return f"called `{probe.function}(...)`"
    if hasattr(probe, "build"):
        return f"trained the model of `{probe.build}`"
    return f"read `{getattr(probe, 'name', key)}`"


class Supervisor:
    """What the run did, on the supervisor's own clock, from events that are never trusted.

    The worker's events follow one order: ready, each cell's start and end in turn, each probe's
    start, reply and end in the order asked, done. Student code runs in the same process and can
    write any event, so an event only moves the run forward when it is the next one expected;
    anything else (a second end of a cell, a reply outside its probe) is a forgery, noted in
    `forged`, and makes the run a `timeout` at least. Times are the supervisor's: a cell runs from
    its first start; the time between a cell's end and the next start still counts against the
    cell that ended; when a limit is reached the supervisor interrupts every cell or probe that
    may still be running (a stale token is ignored by the worker), and kills the run when that
    does not help. So a forged "cell end", "probe end" or reply cannot stop, extend or relabel
    a limit, and the times in the result are measured here.
    """

    def __init__(self, ncells: int, probes: dict, limits: Limits):
        self.limits = limits
        self.cells = [CellRun(i, "not run") for i in range(ncells)]
        self.keys = list(probes)
        self.probe_text = {key: probe_text(key, p) for key, p in probes.items()}
        self.probe_limit = {
            key: limits.probe_seconds() + 1.25 * float(getattr(p, "budget_s", 0.0) or 0.0)
            for key, p in probes.items()
        }
        self.phase: tuple | None = None  # ("cell", i) or ("probe", n, key): what runs now
        self.phase_started = 0.0
        self.last: tuple | None = None  # the phase that ended last (its clock runs until the next starts)
        self.last_started = 0.0
        self.last_ended = 0.0
        self.interrupted_at: float | None = None
        self.cell_started: dict[int, float] = {}
        self.cells_ended: set[int] = set()
        self.probe_started: dict[int, float] = {}
        self.probes_done: set[int] = set()
        self.tokens_sent: set[str] = set()
        self.timed_out_cells: list[int] = []
        self.timed_out_probes: list[str] = []
        self.ready_at: float | None = None
        self.probes_started: float | None = None
        self.probes_ended: float | None = None
        self.replies: dict[str, str] = {}  # key -> the worker's reply, as compact JSON text
        self.replies_bytes = 0
        self.over: str | None = None  # a total cap passed
        self.probe_durations: dict[str, float] = {}  # key -> seconds spent answering it, measured here
        self.forged: list[str] = []
        self.overran: str | None = None  # a cell or probe that ended long past its limit: kill
        self.done = False
        self.started = time.monotonic()

    # events -----------------------------------------------------------------
    def _forged(self, what: str) -> None:
        if len(self.forged) < 20:
            self.forged.append(what)

    def on_event(self, event: dict, now: float) -> None:
        kind, phase = event.get("e"), event.get("phase")
        if kind == "ready":
            if self.ready_at is None:
                self.ready_at = now
                self.last, self.last_started, self.last_ended = ("ready",), now, now
            return
        if self.ready_at is None:
            self._forged(f"{kind} before the worker was ready")
            return
        if kind == "cell":
            self._on_cell(event.get("i"), phase, event, now)
        elif kind == "probe":
            self._on_probe(event.get("n"), event.get("key"), phase, now)
        elif kind == "reply":
            self._on_reply(event.get("key"), event.get("reply"))
        elif kind == "done":
            if (self.phase is None and len(self.cells_ended) == len(self.cells)
                    and len(self.probes_done) == len(self.keys)):
                self.done = True
                if self.probes_started is not None:
                    self.probes_ended = self.probes_ended or now
            else:
                self._forged("done before the end")
        else:
            self._forged(f"unknown event {str(kind)[:30]!r}")

    def _on_cell(self, i, phase, event, now) -> None:
        if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(self.cells):
            self._forged("a cell event for no cell")
            return
        if phase == "start":
            expected = len(self.cell_started)
            if self.phase is None and i == expected and not self.probe_started:
                self.cell_started[i] = now
                self._begin(("cell", i), now)
                self.cells[i].status, self.cells[i].error = "error", "the cell did not finish"
            else:
                self._forged(f"a second or out-of-order start of code cell {i + 1}")
            return
        if phase != "end":
            self._forged("a cell event of no phase")
            return
        cell = self.cells[i]
        if self.phase == ("cell", i):
            cell.seconds = now - self.phase_started
            token = f"c{i}"
            if token in self.tokens_sent:
                cell.status = "timeout"
                cell.error = f"stopped after {self.limits.cell_timeout:g} s (the limit per cell)"
            elif event.get("status") == "ok":
                cell.status, cell.error = "ok", ""
            else:
                cell.status, cell.error = "error", str(event.get("error", ""))[:300]
            self.cells_ended.add(i)
            self._end(now)
        elif i in self.cells_ended:
            # A second end: the first was forged, and the cell really ran until now.
            self._forged(f"a second end of code cell {i + 1}")
            self._overran(f"c{i}", self.cell_started[i], self.limits.cell_timeout, now)
            self._resync(("cell", i), now)
            cell.seconds = now - self.cell_started[i]
            if cell.seconds > self.limits.cell_timeout or f"c{i}" in self.tokens_sent:
                cell.status = "timeout"
                cell.error = f"stopped after {self.limits.cell_timeout:g} s (the limit per cell)"
                if i not in self.timed_out_cells:
                    self.timed_out_cells.append(i)
        else:
            self._forged(f"an end of code cell {i + 1}, which was not running")

    def _on_probe(self, n, key, phase, now) -> None:
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n < len(self.keys) or key != self.keys[n]:
            self._forged("a probe event for no probe")
            return
        if phase == "start":
            if (self.phase is None and n == len(self.probe_started) and len(self.cells_ended) == len(self.cells)):
                if self.probes_started is None:
                    self.probes_started = now
                self.probe_started[n] = now
                self._begin(("probe", n, key), now)
            else:
                self._forged(f"a second or out-of-order start of the probe {key!r}")
        elif phase == "end":
            if self.phase == ("probe", n, key):
                self.probe_durations[key] = now - self.phase_started
                self.probes_done.add(n)
                self.probes_ended = now
                self._end(now)
            elif n in self.probes_done:
                self._forged(f"a second end of the probe {key!r}")
                self._overran(f"p{n}", self.probe_started[n], self.probe_limit[key], now)
                self._resync(("probe", n, key), now)
                self.probe_durations[key] = now - self.probe_started[n]
            else:
                self._forged(f"an end of the probe {key!r}, which was not running")
        else:
            self._forged("a probe event of no phase")

    def _on_reply(self, key, reply) -> None:
        if self.phase is None or self.phase[0] != "probe" or key != self.phase[2]:
            self._forged("a reply outside its probe")
            return
        if key in self.replies:
            self._forged(f"a second reply to {key!r}")
            return
        if not isinstance(reply, dict) or json_depth(reply) > MAX_REPLY_DEPTH:
            return
        text = json.dumps(reply, allow_nan=False, separators=(",", ":"))
        if self.replies_bytes + len(text) > MAX_REPLIES_JSON:
            self.over = f"replies of more than {MAX_REPLIES_JSON // (1 << 20)} MB"
            return
        self.replies_bytes += len(text)
        self.replies[key] = text

    def _resync(self, really: tuple, now: float) -> None:
        """`really` (a cell or probe) ended only now: whatever seemed to start after it was forged.
        Those are forgotten, so that their real events count when they come."""
        if really[0] == "cell":
            i = really[1]
            for j in [j for j in self.cell_started if j > i]:
                del self.cell_started[j]
                self.cells_ended.discard(j)
                self.cells[j] = CellRun(j, "not run")
                self.tokens_sent.discard(f"c{j}")
                if j in self.timed_out_cells:
                    self.timed_out_cells.remove(j)
            later_probes = list(self.probe_started)
            started = self.cell_started[i]
        else:
            later_probes = [m for m in self.probe_started if m > really[1]]
            started = self.probe_started[really[1]]
        for m in later_probes:
            key = self.keys[m]
            del self.probe_started[m]
            self.probes_done.discard(m)
            self.tokens_sent.discard(f"p{m}")
            self.probe_durations.pop(key, None)
            if key in self.timed_out_probes:
                self.timed_out_probes.remove(key)
            text = self.replies.pop(key, None)
            if text is not None:
                self.replies_bytes -= len(text)
        if not self.probe_started:
            self.probes_started = self.probes_ended = None
        self.phase = None
        self.interrupted_at = None
        self.last, self.last_started, self.last_ended = really, started, now

    def _overran(self, token: str, started: float, limit: float, now: float) -> None:
        """A phase whose real end came after a forged one: past its limit and the grace, a kill."""
        if now - started > limit + self.limits.kill_grace:
            self.overran = token

    def _begin(self, phase: tuple, now: float) -> None:
        self.phase = phase
        self.phase_started = now
        self.interrupted_at = None

    def _end(self, now: float) -> None:
        self.last, self.last_started, self.last_ended = self.phase, self.phase_started, now
        self.phase = None
        self.interrupted_at = None

    # timers -----------------------------------------------------------------
    def _limit_of(self, phase: tuple | None) -> float:
        if phase is None or phase[0] == "ready":
            return self.limits.cell_timeout
        return self.limits.cell_timeout if phase[0] == "cell" else self.probe_limit[phase[2]]

    def _clock(self) -> tuple[tuple | None, float, float]:
        """(the phase whose clock runs, its start, its limit): the running phase, or in a gap
        the one that ended last; (None, inf, inf) before the worker is ready or once it is done."""
        if self.done or self.ready_at is None:
            return None, float("inf"), float("inf")
        if self.phase is not None:
            return self.phase, self.phase_started, self._limit_of(self.phase)
        # A gap. After a phase that was already stopped, the next gets a limit of its own; after
        # any other, the clock of the one that ended goes on (its end may have been forged).
        started = self.last_ended if self._token_of(self.last) in self.tokens_sent else self.last_started
        return self.last, started, self._limit_of(self.last)

    @staticmethod
    def _token_of(phase: tuple | None) -> str | None:
        if phase is None or phase[0] == "ready":
            return None
        return f"c{phase[1]}" if phase[0] == "cell" else f"p{phase[1]}"

    def phase_limit(self) -> float:
        return self._limit_of(self.phase)

    def due(self, now: float) -> str | None:
        """'interrupt', 'kill' or 'total' when a limit is reached now."""
        if now - self.started >= self.limits.total_timeout:
            return "total"
        if self.overran is not None:
            return "kill"
        phase, started, limit = self._clock()
        if phase is None:
            return None
        if self.interrupted_at is None:
            if now - started >= limit:
                return "interrupt"
        elif now - self.interrupted_at >= self.limits.kill_grace:
            return "kill"
        return None

    def next_deadline(self) -> float:
        deadline = self.started + self.limits.total_timeout
        phase, started, limit = self._clock()
        if phase is not None:
            if self.interrupted_at is None:
                deadline = min(deadline, started + limit)
            else:
                deadline = min(deadline, self.interrupted_at + self.limits.kill_grace)
        return deadline

    def token(self) -> bytes:
        """Tokens of everything that may be running: every started cell and probe not stopped yet.
        The worker stops only the one it runs; the others' tokens are stale and ignored."""
        tokens = [f"c{i}" for i in self.cell_started] + [f"p{n}" for n in self.probe_started]
        fresh = [t for t in tokens if t not in self.tokens_sent]
        mine = self._token_of(self._clock()[0])
        if mine is not None and mine not in fresh:
            fresh.append(mine)
        self.tokens_sent.update(fresh)
        return "".join(t + "\n" for t in fresh).encode()

    def mark_interrupted(self, now: float) -> None:
        self.interrupted_at = now
        if self.phase is None:
            return  # a gap: whatever runs there was stopped through the tokens
        if self.phase[0] == "cell":
            self.timed_out_cells.append(self.phase[1])
        else:
            self.timed_out_probes.append(self.phase[2])

    # the end ----------------------------------------------------------------
    def where(self) -> str:
        if self.phase is None:
            if self.ready_at is None:
                return "while starting"
            if self.probes_started is not None:
                return "while the grader read its answers"
            done_cells = [c.index for c in self.cells if c.status != "not run"]
            if done_cells:
                return f"after code cell {max(done_cells) + 1}"
            return "before the first code cell"
        if self.phase[0] == "cell":
            return f"during code cell {self.phase[1] + 1}"
        return f"while the grader {self.probe_text[self.phase[2]]}"

    def finish_phase(self, now: float, status: str, error: str) -> None:
        if self.phase is not None and self.phase[0] == "cell":
            cell = self.cells[self.phase[1]]
            cell.seconds = now - self.phase_started
            cell.status, cell.error = status, error

    def code_seconds(self) -> float:
        return sum(c.seconds for c in self.cells)


def describe_exit(returncode: int | None, isolation: str, limits: Limits) -> str:
    if returncode is None:
        return "it ended"
    sig = None
    if returncode < 0:
        sig = -returncode
    elif isolation == "bubblewrap" and returncode > 128:
        sig = returncode - 128
    if sig:
        try:
            text = SIGNAL_TEXT.get(signal.Signals(sig), f"it was killed by signal {signal.Signals(sig).name}")
        except ValueError:
            text = f"it was killed by signal {sig}"
        if sig == signal.SIGXCPU:
            text += f" of {limits.cpu_limit()} s"
        return text
    if returncode == 0:
        return "it exited with code 0 (os._exit or a library that ended the process)"
    return f"it exited with code {returncode}"


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


class FreshProcess:
    """The worker process started for this run alone: what `supervise` needs to drive it.

    (A warm pool's job, `warm._PooledJob`, offers the same methods.)
    """

    def __init__(self, proc: subprocess.Popen, isolation: str, info_fd: int | None, uid: int | None = None):
        self.proc, self.isolation, self.info_fd = proc, isolation, info_fd
        self.uid = uid  # rlimits mode for a root grader: the job's own uid
        self.stdin = proc.stdin
        self.stdout_fd = proc.stdout.fileno()
        self._info = bytearray()
        self.child_pid: int | None = None  # the sandbox's first process (bwrap's pid 1), host pid

    def on_info(self, data: bytes) -> None:
        self._info.extend(data[:65536])
        try:
            self.child_pid = int(json.loads(bytes(self._info))["child-pid"])
        except (ValueError, KeyError, TypeError):
            pass

    def worker_pid(self) -> int | None:
        """Host pid of the process that runs the notebook (the one to interrupt)."""
        if self.isolation == "rlimits":
            return self.proc.pid
        if self.child_pid is None:
            return None
        kids = children(self.child_pid)
        return kids[0] if kids else None

    def exited(self) -> bool:
        return exited(self.proc.pid)

    def wait(self, timeout: float) -> None:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass

    def kill_all(self) -> None:
        kill_all(self.proc, self.isolation, self.child_pid)
        if self.uid is not None:
            fallback.kill_uid(self.uid)  # whatever its session or parent

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode


def supervise(handle, ev_r, ctl_w, job, cells, probes, limits, isolation, out_dir, started) -> RunResult:
    sup = Supervisor(len(cells), probes, limits)
    sup.started = started
    output = Output(limits.output_bytes)
    events = Events(out_dir, max_events(len(cells), len(probes)))
    info_r = handle.info_fd
    out_fd = handle.stdout_fd
    for fd in (ev_r, out_fd, ctl_w) + ((info_r,) if info_r is not None else ()):
        os.set_blocking(fd, False)
    threading.Thread(target=feed_stdin, args=(handle.stdin, json.dumps(job).encode()), daemon=True).start()

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
                sup.on_event(event, now)
        elif name == "info":
            handle.on_info(data)
        return not eof

    reason = None  # why the supervisor stopped the run: 'total', 'kill', 'flood', or None
    open_fds = {ev_r: "events", out_fd: "output"}
    if info_r is not None:
        open_fds[info_r] = "info"
    while True:
        now = time.monotonic()
        due = sup.due(now)
        if due in ("total", "kill"):
            reason = due
            break
        if events.over or sup.over:
            reason = "flood"
            break
        if due == "interrupt":
            try:
                os.write(ctl_w, sup.token())
            except OSError:
                pass
            pid = handle.worker_pid()
            if pid is not None:
                kill(pid, signal.SIGINT)
            sup.mark_interrupted(now)
            continue
        if sup.done or handle.exited():
            break
        wait = max(0.0, min(sup.next_deadline() - now, 0.2))
        for key, _ in sel.select(wait):
            if not pump(key.data, key.fd):
                sel.unregister(key.fd)
                open_fds.pop(key.fd, None)
        if not open_fds.get(ev_r) and not open_fds.get(out_fd):
            # Both pipes closed: the worker is gone (or closed them); wait for its exit.
            handle.wait(min(1.0, max(0.0, sup.next_deadline() - time.monotonic())))
    # Whatever the worker wrote before it ended (its last events, its answers).
    for fd, name in list(open_fds.items()):
        pump(name, fd)
    end = time.monotonic()

    if info_r is not None and getattr(handle, "child_pid", 0) is None:
        pump("info", info_r)
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
        sup.on_event(event, end)

    status, message = "finished", ""
    where = sup.where()
    if reason == "total":
        status = "timeout"
        message = (f"The notebook was stopped {where}: the whole run may take at most "
                   f"{limits.total_timeout:g} s.")
        sup.finish_phase(end, "timeout", f"stopped: the whole run went past {limits.total_timeout:g} s")
    elif reason == "flood":
        status = "crashed"
        message = (f"The notebook sent the grader {events.over or sup.over} of messages {where}, more than any "
                   "notebook needs, so it was stopped there. The answers received before count.")
        sup.finish_phase(end, "error", "stopped: the notebook sent the grader too much")
    elif reason == "kill":
        status = "timeout"
        if sup.overran is not None:
            what = (f"Code cell {int(sup.overran[1:]) + 1}" if sup.overran[0] == "c"
                    else f"The probe {sup.keys[int(sup.overran[1:])]!r}")
            message = f"{what} ran past its time limit and did not stop when interrupted, so the notebook was stopped."
        elif sup.phase is None:
            message = (f"The notebook was stopped {where}: it stopped answering the grader for longer than "
                       "its limit and did not stop when interrupted.")
        elif sup.phase[0] == "cell":
            message = (f"Code cell {sup.phase[1] + 1} ran past the {limits.cell_timeout:g} s limit per cell "
                       "and did not stop when interrupted, so the notebook was stopped there.")
        else:
            message = (f"The notebook was stopped {where}: this took more than "
                       f"{sup.phase_limit():g} s and did not stop when interrupted.")
        sup.finish_phase(end, "timeout", f"stopped after {limits.cell_timeout:g} s (the limit per cell) "
                                         "and did not respond to the interrupt")
    elif not sup.done:
        status = "crashed"
        how = describe_exit(returncode, isolation, limits)
        if sup.ready_at is None:
            tail = output.text().strip()[-500:]
            message = f"The sandbox could not start the notebook: {how}." + (f" Output: {tail}" if tail else "")
        else:
            message = f"The notebook's process ended {where}: {how}."
            if sup.phase is not None and sup.phase[0] == "cell" and sup.phase[1] + 1 < len(cells):
                message += " The cells after it did not run."
        sup.finish_phase(end, "error", f"the notebook's process ended here: {how}")
    if status != "crashed" and sup.timed_out_cells and reason != "kill":
        numbers = ", ".join(str(i + 1) for i in sup.timed_out_cells)
        note = (f"Code cell {numbers} ran past the {limits.cell_timeout:g} s limit per cell and was stopped; "
                "the cells after it still ran.") if len(sup.timed_out_cells) == 1 else (
                f"Code cells {numbers} ran past the {limits.cell_timeout:g} s limit per cell and were stopped; "
                "the cells after them still ran.")
        status = "timeout"
        message = note if not message else f"{message} {note}"
    elif status == "crashed" and sup.timed_out_cells:
        numbers = ", ".join(str(i + 1) for i in sup.timed_out_cells)
        message += f" Before that, code cell {numbers} ran past the {limits.cell_timeout:g} s limit per cell."
    if sup.forged and status in ("finished", "timeout"):
        # The limits held on this side's clock whatever was sent; the run cannot count as a clean one.
        status = "timeout"
        note = ("The notebook wrote the grader's own messages itself (" + "; ".join(sup.forged[:3]) +
                "); they were not trusted, and its time limits were kept on the grader's clock.")
        message = note if not message else f"{message} {note}"
    if sup.forged:
        log.warning("forged events from the sandbox: %s", sup.forged[:5])
    if events.refused:
        log.warning("sandbox sent reply files that were refused: %s", events.refused[:5])
    if sup.replies:
        # Each reply's JSON, re-serialised here when it arrived, joined: read_answers checks it like any reply.
        with open(os.path.join(out_dir, REPLY_FILE), "w") as f:
            f.write('{"probes":{' + ",".join(json.dumps(k) + ":" + v for k, v in sup.replies.items()) + "}}")

    probe_seconds = 0.0
    if sup.probes_started is not None:
        probe_seconds = (sup.probes_ended or end) - sup.probes_started
    return RunResult(
        status=status,
        message=message,
        cells=sup.cells,
        answers={},
        output=output.text(),
        seconds=end - started,
        code_seconds=sup.code_seconds(),
        isolation=isolation,
        output_dropped=output.dropped,
        startup_seconds=(sup.ready_at - started) if sup.ready_at else 0.0,
        probe_seconds=probe_seconds,
        timed_out_probes=list(sup.timed_out_probes),
        probe_durations=dict(sup.probe_durations),
    )


def kill_all(proc, isolation, child_pid) -> None:
    """Kill every process of the run: the pid namespace (bubblewrap) or the session (rlimits)."""
    if isolation == "bubblewrap":
        if child_pid is not None:
            kill(child_pid, signal.SIGKILL)  # pid 1 of the namespace: the kernel kills the rest
    else:
        for pid in session_members(proc.pid):
            kill(pid, signal.SIGKILL)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    kill(proc.pid, signal.SIGKILL)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process in uninterruptible sleep
        log.warning("sandbox process %s did not end after SIGKILL", proc.pid)
    if isolation == "rlimits":
        for pid in session_members(proc.pid):
            kill(pid, signal.SIGKILL)
