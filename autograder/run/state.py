"""The run state: what the worker did, judged event by event on the supervisor's own clock.

A state machine over the phases of a run (starting, each code cell, the gaps between them, each
probe, done), fed the events that `events.py` frames. It decides which events are genuine (the
next one expected) and which are forged, which cell or probe is timed against which limit, when
to interrupt and when to kill, and where the run was when it ended (`position`). It reads no
pipe and starts no process; `supervise.py` drives it.
"""

from __future__ import annotations

import json
import time

from autograder.run.events import MAX_REPLIES_JSON, MAX_REPLY_DEPTH, json_depth
from autograder.run.limits import Limits
from autograder.run.messages import Position, cell_stopped
from autograder.run.results import CellRun
from autograder.run.states import CellStatus, Due, ProbeAction, Stage


def probe_identity(key: str, probe) -> tuple[ProbeAction, str]:
    """What a probe does, as the messages name it: (CALL, function), (TRAIN, build),
    (BUILD, build) (a training task's model declared) or (READ, name)."""
    if hasattr(probe, "function"):
        return ProbeAction.CALL, probe.function
    if hasattr(probe, "budget_s"):
        return ProbeAction.TRAIN, probe.build
    if hasattr(probe, "build"):
        return ProbeAction.BUILD, probe.build
    return ProbeAction.READ, getattr(probe, "name", key)


class RunState:
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

    Every cell and probe also keeps the deadline of its own first start, whatever came after it:
    once that passes, its token is sent with an interrupt ('stale'), which a worker that really
    runs something later ignores. So a forged end followed by a forged start of the next cell
    cannot give the cell that really still runs the next cell's limit on top of its own: it is
    stopped at its genuine start plus its limit, and its real end, which comes then, shows the
    forgery.
    """

    def __init__(self, ncells: int, probes: dict, limits: Limits):
        self.limits = limits
        self.cells = [CellRun(i, CellStatus.NOT_RUN) for i in range(ncells)]
        self.keys = list(probes)
        self.probe_identity = {key: probe_identity(key, p) for key, p in probes.items()}
        self.probe_limit = {
            key: limits.probe_seconds() + 1.25 * float(getattr(p, "budget_s", 0.0) or 0.0)
            for key, p in probes.items()
        }
        self.phase: tuple | None = None  # (Stage.CELL, i) or (Stage.PROBE, n, key): what runs now
        self.phase_started = 0.0
        self.last: tuple | None = None  # the phase that ended last (its clock runs until the next starts);
        # (Stage.STARTING,) once the worker is ready and before its first cell
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
        name, phase = event.get("e"), event.get("phase")  # the wire's event name: "ready", "cell", ...
        if name == "ready":
            if self.ready_at is None:
                self.ready_at = now
                self.last, self.last_started, self.last_ended = (Stage.STARTING,), now, now
            return
        if self.ready_at is None:
            self._forged(f"{name} before the worker was ready")
            return
        if name == "cell":
            self._on_cell(event.get("i"), phase, event, now)
        elif name == "probe":
            self._on_probe(event.get("n"), event.get("key"), phase, now)
        elif name == "reply":
            self._on_reply(event.get("key"), event.get("reply"))
        elif name == "done":
            if (self.phase is None and len(self.cells_ended) == len(self.cells)
                    and len(self.probes_done) == len(self.keys)):
                self.done = True
                if self.probes_started is not None:
                    self.probes_ended = self.probes_ended or now
            else:
                self._forged("done before the end")
        else:
            self._forged(f"unknown event {str(name)[:30]!r}")

    def _on_cell(self, i, phase, event, now) -> None:
        if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(self.cells):
            self._forged("a cell event for no cell")
            return
        if phase == "start":
            expected = len(self.cell_started)
            if self.phase is None and i == expected and not self.probe_started:
                self.cell_started[i] = now
                self._begin((Stage.CELL, i), now)
                self.cells[i].status, self.cells[i].error = CellStatus.ERROR, "the cell did not finish"
            else:
                self._forged(f"a second or out-of-order start of code cell {i + 1}")
            return
        if phase != "end":
            self._forged("a cell event of no phase")
            return
        cell = self.cells[i]
        if self.phase == (Stage.CELL, i):
            cell.seconds = now - self.phase_started
            token = f"c{i}"
            if token in self.tokens_sent:
                cell.status = CellStatus.TIMEOUT
                cell.error = cell_stopped(self.limits.cell_timeout)
            elif event.get("status") == "ok":
                cell.status, cell.error = CellStatus.OK, ""
            else:
                cell.status, cell.error = CellStatus.ERROR, str(event.get("error", ""))[:300]
            self.cells_ended.add(i)
            self._end(now)
        elif i in self.cells_ended:
            # A second end: the first was forged, and the cell really ran until now.
            self._forged(f"a second end of code cell {i + 1}")
            self._overran(f"c{i}", self.cell_started[i], self.limits.cell_timeout, now)
            self._resync((Stage.CELL, i), now)
            cell.seconds = now - self.cell_started[i]
            if cell.seconds > self.limits.cell_timeout or f"c{i}" in self.tokens_sent:
                cell.status = CellStatus.TIMEOUT
                cell.error = cell_stopped(self.limits.cell_timeout)
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
                self._begin((Stage.PROBE, n, key), now)
            else:
                self._forged(f"a second or out-of-order start of the probe {key!r}")
        elif phase == "end":
            if self.phase == (Stage.PROBE, n, key):
                self.probe_durations[key] = now - self.phase_started
                self.probes_done.add(n)
                self.probes_ended = now
                self._end(now)
            elif n in self.probes_done:
                self._forged(f"a second end of the probe {key!r}")
                self._overran(f"p{n}", self.probe_started[n], self.probe_limit[key], now)
                self._resync((Stage.PROBE, n, key), now)
                self.probe_durations[key] = now - self.probe_started[n]
            else:
                self._forged(f"an end of the probe {key!r}, which was not running")
        else:
            self._forged("a probe event of no phase")

    def _on_reply(self, key, reply) -> None:
        if self.phase is None or self.phase[0] != Stage.PROBE or key != self.phase[2]:
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
        if really[0] == Stage.CELL:
            i = really[1]
            for j in [j for j in self.cell_started if j > i]:
                del self.cell_started[j]
                self.cells_ended.discard(j)
                self.cells[j] = CellRun(j, CellStatus.NOT_RUN)
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
        if phase is None or phase[0] == Stage.STARTING:
            return self.limits.cell_timeout
        return self.limits.cell_timeout if phase[0] == Stage.CELL else self.probe_limit[phase[2]]

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
        if phase is None or phase[0] == Stage.STARTING:
            return None
        return f"c{phase[1]}" if phase[0] == Stage.CELL else f"p{phase[1]}"

    def phase_limit(self) -> float:
        return self._limit_of(self.phase)

    def due(self, now: float) -> Due | None:
        """INTERRUPT, KILL or TOTAL when a limit is reached now; STALE when an earlier cell
        or probe reached its own (see the class)."""
        if now - self.started >= self.limits.total_timeout:
            return Due.TOTAL
        if self.overran is not None:
            return Due.KILL
        phase, started, limit = self._clock()
        if phase is None:
            return None
        if self.interrupted_at is None:
            if now - started >= limit:
                return Due.INTERRUPT
        elif now - self.interrupted_at >= self.limits.kill_grace:
            return Due.KILL
        return Due.STALE if self._stale(now) else None

    def _deadlines(self):
        """(token, deadline) of every started cell and probe: its first start plus its limit."""
        for i, started in self.cell_started.items():
            yield f"c{i}", started + self.limits.cell_timeout
        for n, started in self.probe_started.items():
            yield f"p{n}", started + self.probe_limit[self.keys[n]]

    def _stale(self, now: float | None) -> list[str]:
        """Tokens past their own deadline (at `now`; None: all pending) that the clock does not
        watch: a cell or probe that claimed to end, which may still run if that end was forged."""
        if self.done or self.ready_at is None:
            return []
        phase, started, limit = self._clock()
        current = self._token_of(phase)
        # One due within the kill grace of the running phase's own deadline waits for that one's
        # interrupt, which sends every token: a forger gains at most the grace, and an honest
        # worker gets no signal it does not need.
        latest = started + limit - self.limits.kill_grace if self.interrupted_at is None else float("inf")
        return [token for token, deadline in self._deadlines()
                if token != current and token not in self.tokens_sent and deadline <= latest
                and (now is None or now >= deadline)]

    def stale_token(self, now: float) -> bytes:
        """The tokens of `due(now) == Due.STALE`, marked sent: the worker stops only the one it runs."""
        tokens = self._stale(now)
        self.tokens_sent.update(tokens)
        return "".join(t + "\n" for t in tokens).encode()

    def next_deadline(self) -> float:
        deadline = self.started + self.limits.total_timeout
        pending = set(self._stale(None))
        for token, at in self._deadlines():
            if token in pending:
                deadline = min(deadline, at)
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
        if self.phase[0] == Stage.CELL:
            self.timed_out_cells.append(self.phase[1])
        else:
            self.timed_out_probes.append(self.phase[2])

    # the end ----------------------------------------------------------------
    def position(self) -> Position:
        if self.phase is None:
            if self.ready_at is None:
                return Position(Stage.STARTING)
            if self.probes_started is not None:
                return Position(Stage.ANSWERS)
            done_cells = [c.index for c in self.cells if c.status != CellStatus.NOT_RUN]
            if done_cells:
                return Position(Stage.AFTER_CELL, cell=max(done_cells))
            return Position(Stage.BEFORE_CELLS)
        if self.phase[0] == Stage.CELL:
            return Position(Stage.CELL, cell=self.phase[1])
        return Position(Stage.PROBE, probe=self.probe_identity[self.phase[2]])

    def overran_phase(self) -> tuple | None:
        """The cell or probe whose real end came long after a forged one: (CELL, i) or (PROBE, key)."""
        if self.overran is None:
            return None
        n = int(self.overran[1:])
        return (Stage.CELL, n) if self.overran[0] == "c" else (Stage.PROBE, self.keys[n])

    def finish_phase(self, now: float, status: CellStatus, error: str) -> None:
        if self.phase is not None and self.phase[0] == Stage.CELL:
            cell = self.cells[self.phase[1]]
            cell.seconds = now - self.phase_started
            cell.status, cell.error = status, error

    def code_seconds(self) -> float:
        return sum(c.seconds for c in self.cells)
