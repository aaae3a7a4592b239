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

from autograder.probe import Answer, wire
from autograder.probe.answers import REPLY_FILE
from autograder.run import fallback
from autograder.run.limits import Limits

log = logging.getLogger(__name__)

# What may come back over the events pipe.
REPLY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.npy")
MAX_REPLY_TOTAL = wire.MAX_REPLY_BYTES + wire.MAX_ARRAY_BYTES + (1 << 20)
MAX_REPLY_FILES = 4 * wire.MAX_ITEMS
MAX_EVENT_LINE = wire.MAX_REPLY_BYTES  # a reply event carries one probe's JSON reply
MAX_REPLY_DEPTH = 4 * (wire.MAX_DEPTH + 4)  # JSON nesting of a reply: wire's nodes are a few levels each
READ_CHUNK = 1 << 16


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
    """Parses the worker's event stream: JSON lines, and reply files as raw bytes after a header."""

    def __init__(self, out_dir: str):
        self.out_dir = out_dir
        self.buf = bytearray()
        self.file = None  # open file or None while draining a refused one
        self.left = 0  # raw bytes still to consume for the current file
        self.total = 0
        self.count = 0
        self.names: set[str] = set()
        self.refused: list[str] = []

    def feed(self, data: bytes) -> list[dict]:
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
            newline = self.buf.find(b"\n")
            if newline < 0:
                if len(self.buf) > MAX_EVENT_LINE:
                    self.buf.clear()  # not an event of ours: drop it
                break
            line = bytes(self.buf[:newline])
            del self.buf[: newline + 1]
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
    def __init__(self, ncells: int, probes: dict, limits: Limits):
        self.limits = limits
        self.cells = [CellRun(i, "not run") for i in range(ncells)]
        self.cells_ended: set[int] = set()
        self.probe_text = {key: probe_text(key, p) for key, p in probes.items()}
        self.probe_limit = {
            key: limits.probe_seconds() + 1.25 * float(getattr(p, "budget_s", 0.0) or 0.0)
            for key, p in probes.items()
        }
        self.phase: tuple | None = None  # ("cell", i) or ("probe", n, key)
        self.phase_started = 0.0
        self.interrupted_at: float | None = None
        self.timed_out_cells: list[int] = []
        self.timed_out_probes: list[str] = []
        self.ready_at: float | None = None
        self.probes_started: float | None = None
        self.probes_ended: float | None = None
        self.replies: dict[str, dict] = {}  # key -> the worker's reply, as parsed JSON
        self.probe_durations: dict[str, float] = {}  # key -> seconds the sandbox spent answering it
        self.done = False
        self.started = time.monotonic()

    # events -----------------------------------------------------------------
    def on_event(self, event: dict, now: float) -> None:
        kind, phase = event.get("e"), event.get("phase")
        if kind == "ready":
            self.ready_at = self.ready_at or now
        elif kind == "cell" and isinstance(event.get("i"), int) and 0 <= event["i"] < len(self.cells):
            i = event["i"]
            if phase == "start":
                self._begin(("cell", i), now)
            elif phase == "end" and self.phase == ("cell", i):
                cell = self.cells[i]
                cell.seconds = now - self.phase_started
                reported = event.get("seconds")
                # The worker's own clock is finer for short cells (events arrive in batches);
                # it is trusted only within what the supervisor saw.
                if isinstance(reported, (int, float)) and 0 <= reported <= now - self.started:
                    cell.seconds = float(reported)
                if i in self.timed_out_cells:
                    cell.status = "timeout"
                    cell.error = f"stopped after {self.limits.cell_timeout:g} s (the limit per cell)"
                elif event.get("status") == "ok":
                    cell.status, cell.error = "ok", ""
                else:
                    cell.status, cell.error = "error", str(event.get("error", ""))[:300]
                self.cells_ended.add(i)
                self.phase = None
        elif kind == "probe" and isinstance(event.get("n"), int) and event.get("key") in self.probe_text:
            n = event["n"]
            key = event["key"]
            if phase == "start":
                if self.probes_started is None:
                    self.probes_started = now
                self._begin(("probe", n, key), now)
            elif phase == "end" and self.phase == ("probe", n, key):
                seconds = now - self.phase_started
                reported = event.get("seconds")  # finer, and trusted within what was seen here
                if isinstance(reported, (int, float)) and 0 <= reported <= now - self.started:
                    seconds = float(reported)
                self.probe_durations[key] = seconds
                self.phase = None
                self.probes_ended = now
        elif (kind == "reply" and event.get("key") in self.probe_text and isinstance(event.get("reply"), dict)
              and json_depth(event["reply"]) <= MAX_REPLY_DEPTH):
            self.replies[event["key"]] = event["reply"]
        elif kind == "done" and self.phase is None and len(self.cells_ended) == len(self.cells):
            self.done = True
            if self.probes_started is not None:
                self.probes_ended = self.probes_ended or now

    def _begin(self, phase: tuple, now: float) -> None:
        self.phase = phase
        self.phase_started = now
        self.interrupted_at = None
        if phase[0] == "cell":
            self.cells[phase[1]].status = "error"  # until its end event says otherwise
            self.cells[phase[1]].error = "the cell did not finish"

    # timers -----------------------------------------------------------------
    def phase_limit(self) -> float:
        if self.phase is None:
            return float("inf")
        return self.limits.cell_timeout if self.phase[0] == "cell" else self.probe_limit[self.phase[2]]

    def due(self, now: float) -> str | None:
        """'interrupt', 'kill' or 'total' when a limit is reached now."""
        if now - self.started >= self.limits.total_timeout:
            return "total"
        if self.phase is None:
            return None
        if self.interrupted_at is None:
            if now - self.phase_started >= self.phase_limit():
                return "interrupt"
        elif now - self.interrupted_at >= self.limits.kill_grace:
            return "kill"
        return None

    def next_deadline(self) -> float:
        deadline = self.started + self.limits.total_timeout
        if self.phase is not None:
            if self.interrupted_at is None:
                deadline = min(deadline, self.phase_started + self.phase_limit())
            else:
                deadline = min(deadline, self.interrupted_at + self.limits.kill_grace)
        return deadline

    def token(self) -> bytes:
        if self.phase is None:
            return b""
        return (f"c{self.phase[1]}" if self.phase[0] == "cell" else f"p{self.phase[1]}").encode() + b"\n"

    def mark_interrupted(self, now: float) -> None:
        self.interrupted_at = now
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
    events = Events(out_dir)
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

    reason = None  # why the supervisor stopped the run: 'total', 'kill', or None
    open_fds = {ev_r: "events", out_fd: "output"}
    if info_r is not None:
        open_fds[info_r] = "info"
    while True:
        now = time.monotonic()
        due = sup.due(now)
        if due in ("total", "kill"):
            reason = due
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
    elif reason == "kill":
        status = "timeout"
        if sup.phase[0] == "cell":
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
    if events.refused:
        log.warning("sandbox sent reply files that were refused: %s", events.refused[:5])
    if sup.replies:
        # Parsed JSON written back as JSON: read_answers checks it like any reply.
        with open(os.path.join(out_dir, REPLY_FILE), "w") as f:
            json.dump({"probes": sup.replies}, f)

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
