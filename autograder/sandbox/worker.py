"""The sandbox's side of a run: execute a notebook's code cells, then answer the grader's probes.

This script runs INSIDE the sandbox, as the student's process. It is self-contained: the
standard library, numpy and IPython only, plus `cells.py` (the shell the cells run in, and how
one cell runs), `responder.py` and `wire.py`, which lie next to it (read-only copies). The
`autograder` package is not visible here. This module adds what a sandboxed run needs around
the cells: the channel to the supervisor, interrupts it can aim, the probes, giving up root.

Protocol with the supervisor (framed by `autograder/run/events.py`, its order judged by
`autograder/run/state.py`, watched by `autograder/run/supervise.py`):

* stdin: one JSON document, read completely before any student code runs, then stdin is
  replaced by /dev/null:
  {"cells": [source, ...], "request": <encode_requests output>, "workdir": path,
   "files": path or null}
* `--events FD`: newline-delimited JSON events to the supervisor, each on a line of its own
  (a newline before it ends whatever unfinished line student code left there):
  {"e": "ready"}                                  the shell is up, cells come next
  {"e": "cell", "i": 0, "phase": "start"}
  {"e": "cell", "i": 0, "phase": "end", "status": "ok"|"error"|"interrupted", "error": "...",
   "seconds": 0.12}
  {"e": "probe", "n": 0, "key": "...", "phase": "start"}
  {"e": "file", "name": "a0.npy", "size": 123} followed by exactly `size` raw bytes
  {"e": "reply", "key": "...", "reply": {...}}    responder.answer_one's reply for that probe
  {"e": "probe", "n": 0, "key": "...", "phase": "end"}
  {"e": "done"}
  The `.npy` files the responder writes into a private folder travel this way, and the
  supervisor writes `answers.json` from the replies: the sandbox never writes into the
  grader's file system, and an answer sent is kept even if a later probe crashes.
* `--control FD`: tokens from the supervisor ("c3\\n": stop cell 3, "p1\\n": stop probe 1),
  written just before it sends SIGINT. The SIGINT handler raises KeyboardInterrupt only when
  the token names what is running now, so a late signal never hits the next cell.
* `--drop-to UID`: give up root first (bubblewrap started by a root grader).
* stdout/stderr: the notebook's output, captured (and capped) by the supervisor.

The worker ends with os._exit: no atexit hook, non-daemon thread or finaliser of the student's
can keep it alive or change what was sent.
"""

from __future__ import annotations

import faulthandler
import io
import json
import os
import shutil
import signal
import sys
import tempfile
import time

try:  # inside the sandbox the engine's modules lie next to this file
    from cells import prepare_shell, run_cell, short_error
except ImportError:  # imported as part of the autograder package (tests)
    from autograder.sandbox.cells import prepare_shell, run_cell, short_error

ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))


# --------------------------------------------------------------------------- channel


class Channel:
    """Events to the supervisor on a pipe that is neither stdout nor stderr.

    Only the worker's own process speaks on it. A copy of the worker that a cell forked (`os.fork()`
    without an exit: it goes on from the cell as the worker would) ends, quietly, the moment it
    would send the cell's end: the notebook's cells and probes run once, in the worker."""

    def __init__(self, fd: int):
        self.fd = fd
        self.pid = os.getpid()

    def _write(self, data: bytes) -> None:
        if os.getpid() != self.pid:
            os._exit(0)
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def send(self, **event) -> None:
        # The leading newline ends whatever unfinished line student code may have written here,
        # so that this event arrives whole (the supervisor skips empty lines).
        self._write(("\n" + json.dumps(event) + "\n").encode("utf-8"))

    def send_file(self, name: str, path: str) -> None:
        """Header line, then exactly `size` bytes (zero padding if the file shrank meanwhile)."""
        size = os.path.getsize(path)
        self.send(e="file", name=name, size=size)
        left = size
        with open(path, "rb") as f:
            while left:
                chunk = f.read(min(left, 1 << 20))
                if not chunk:
                    chunk = b"\0" * min(left, 1 << 20)
                self._write(chunk)
                left -= len(chunk)


class Interrupts:
    """SIGINT handler that stops only the cell or probe the supervisor named."""

    def __init__(self, fd: int):
        self.fd = fd
        self.current: str | None = None
        self.pending = b""
        os.set_blocking(fd, False)

    def handler(self, signum, frame):
        __tracebackhide__ = True  # IPython leaves this frame out of the student's traceback
        try:
            while True:
                data = os.read(self.fd, 4096)
                if not data:
                    break
                self.pending = (self.pending + data)[-4096:]
        except (BlockingIOError, InterruptedError, OSError):
            pass
        tokens = self.pending.split(b"\n")
        if self.current is not None and self.current.encode() in tokens[:-1]:
            self.pending = b""
            raise KeyboardInterrupt("stopped by the grader: the time limit was reached")
        # A late signal for something that already ended: ignore it.

    def arm(self, token: str) -> None:
        self.current = token
        signal.signal(signal.SIGINT, self.handler)


# --------------------------------------------------------------------------- main


def flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a stream the student closed or replaced
            pass


def fresh_output_streams() -> None:
    """New stdout/stderr objects on fds 1 and 2. An interrupt that lands inside a write of a
    flood of output can leave the old buffered stream half-written or locked; what the notebook
    printed before is flushed if it can be, and the probes that follow never depend on it."""
    import io

    for name, fd in (("stdout", 1), ("stderr", 2)):
        old = getattr(sys, name)
        try:
            old.flush()
        except BaseException:  # noqa: BLE001 - a broken stream is dropped, not repaired
            pass
        try:
            stream = io.TextIOWrapper(io.FileIO(fd, "wb", closefd=False), encoding="utf-8", errors="replace",
                                      line_buffering=True)
            setattr(sys, name, stream)
            setattr(sys, f"__{name}__", stream)
        except OSError:
            pass


def copy_files(source: str, target: str) -> None:
    for entry in os.listdir(source):
        src = os.path.join(source, entry)
        dst = os.path.join(target, entry)
        if os.path.isdir(src):
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copyfile(src, dst)


def run_cells(shell, cells, channel: Channel, interrupts: Interrupts) -> None:
    for i, source in enumerate(cells):
        channel.send(e="cell", i=i, phase="start")
        status, error = "ok", ""
        started = time.perf_counter()
        try:
            interrupts.arm(f"c{i}")
            status, error = run_cell(shell, source)
            interrupts.current = None
        except KeyboardInterrupt:
            interrupts.current = None
            status, error = "interrupted", "KeyboardInterrupt"
        except BaseException as exc:  # noqa: BLE001 - SystemExit or worse escaping IPython
            interrupts.current = None
            status, error = "error", short_error(exc)
        seconds = time.perf_counter() - started
        if status == "interrupted":
            fresh_output_streams()
        flush_output()
        channel.send(e="cell", i=i, phase="end", status=status, error=error, seconds=seconds)


def answer_probes(namespace, request, channel: Channel, interrupts: Interrupts, folder: str) -> None:
    """Answer each probe with responder.answer_one, one at a time, so that each can be stopped
    alone, and send each reply as soon as it is known (its `.npy` files first), so that a later
    probe that crashes or runs out of time loses no earlier answer. The supervisor writes the
    replies into the same `answers.json` as responder.answer: {"probes": {key: reply}}.
    """
    import responder
    import wire

    store = wire.ArrayStore(folder)
    sent: set[str] = set()
    probes = request.get("probes", {}) if isinstance(request, dict) else {}
    for n, (key, probe) in enumerate(probes.items()):
        channel.send(e="probe", n=n, key=key, phase="start")
        started = time.perf_counter()
        try:
            interrupts.arm(f"p{n}")
            reply = responder.answer_one(namespace, probe, store)
            interrupts.current = None
        except KeyboardInterrupt:
            interrupts.current = None
            reply = {"ok": False, "error": f"the grader stopped `{probe.get('name', '')}`: it ran past the time limit"}
        except BaseException as exc:  # noqa: BLE001 - whatever the probe raised, the worker answers
            interrupts.current = None
            reply = {"ok": False, "error": f"the value of `{probe.get('name', '')}` could not be read: {short_error(exc)}"}
        flush_output()
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            if name not in sent and name.endswith(".npy") and os.path.isfile(path) and not os.path.islink(path):
                sent.add(name)
                channel.send_file(name, path)
        try:
            channel.send(e="reply", key=key, reply=json.loads(json.dumps(reply, allow_nan=False)))
        except (TypeError, ValueError) as exc:
            channel.send(e="reply", key=key, reply={"ok": False, "error": f"unreadable reply: {exc}"})
        channel.send(e="probe", n=n, key=key, phase="end", seconds=time.perf_counter() - started)


def drop_privileges(uid: int) -> None:
    """Become `uid` for good (bubblewrap started by root keeps CAP_SETUID/CAP_SETGID for this)."""
    if os.getuid() == 0 or os.geteuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    if os.getuid() == 0 or os.geteuid() == 0 or os.getgid() == 0:
        os.write(2, b"autograder worker: could not give up root, refusing to run the notebook\n")
        os._exit(70)


def not_dumpable() -> None:
    """This process's /proc entries (environ, memory, descriptors) become root's, so that another
    job running under the same uid (rlimits mode as a user) cannot read or steer this one."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def main(argv) -> None:
    if "--drop-to" in argv:
        drop_privileges(int(argv[argv.index("--drop-to") + 1]))
    not_dumpable()
    events_fd = int(argv[argv.index("--events") + 1])
    control_fd = int(argv[argv.index("--control") + 1])

    # Everything the grader sends comes first, before any student code can read stdin.
    job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)

    channel = Channel(events_fd)
    interrupts = Interrupts(control_fd)
    os.set_inheritable(events_fd, False)
    os.set_inheritable(control_fd, False)
    faulthandler.enable(all_threads=False)
    try:
        for stream in (sys.stdout, sys.stderr):
            if isinstance(stream, io.TextIOWrapper):
                stream.reconfigure(line_buffering=True)
    except Exception:  # noqa: BLE001 - streams that cannot be reconfigured stay as they are
        pass

    # The engine's modules are imported now, then its folder leaves sys.path: the notebook's
    # own folder comes first, as in Jupyter.
    sys.path.insert(0, ENGINE_DIR)
    import responder  # noqa: F401
    import wire  # noqa: F401

    try:  # the training probes' half (absent from an engine without training tasks)
        import trainer  # noqa: F401
    except ImportError:
        pass
    sys.path[:] = [p for p in sys.path if p not in (ENGINE_DIR, "")]
    workdir = job["workdir"]
    os.makedirs(workdir, exist_ok=True)
    if job.get("files"):
        copy_files(job["files"], workdir)
    os.chdir(workdir)
    sys.path.insert(0, "")
    out_folder = tempfile.mkdtemp(prefix="answers-")

    shell = prepare_shell()  # a warm worker's child finds it made before the fork
    channel.send(e="ready")

    run_cells(shell, job.get("cells", []), channel, interrupts)
    answer_probes(shell.user_ns, job.get("request", {}), channel, interrupts, out_folder)

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    flush_output()
    channel.send(e="done")
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
