"""A batch's feedback pages, made off the grading path: a row never waits for its page.

    FeedbackInBackground   the batch hands each result over once its row and result JSON are
                           stored; one thread writes its page and Markdown (write_feedback)
    Drawer                 in a batch of DRAWER_FROM or more, the pages with figures are drawn
                           by a process of their own (see DRAWER_FROM), this module run as

    python -m autograder.export.pages
        reads one request a line on stdin, {"result": {...}, "title": "...", "reference": "auto"},
        and answers each with one line on stdout, {"html": "..."} or {"error": "..."}

Why a process: matplotlib then never runs in the grading process, where drawing holds the
interpreter's lock that the threads talking to the sandboxes need every few milliseconds (a
batch is bound by the sandboxes' latency, not by the CPU), at the price of a second
interpreter's start. `Drawer.page` gives None where the
process cannot give the page (it did not start, it died, it failed on this page or took longer
than PAGE_SECONDS); the page is then drawn in the grading process, as without it. A process of
our own with a module of its own, not multiprocessing: spawning imports the parent's `__main__`
again (`python -m autograder grade` would grade the batch a second time in the child).
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from autograder.export.feedback import page_settings, write_feedback
from autograder.record import Result

PAGE_SECONDS = 60.0  # one page, its figures drawn; far above what one takes (a fraction of a second)


class Drawer:
    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._broken = False
        self._buffer = b""

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _start(self) -> subprocess.Popen:
        package_root = str(Path(__file__).resolve().parents[2])  # the child imports this same package
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p)}
        return subprocess.Popen([sys.executable, "-m", "autograder.export.pages"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True)

    def start(self) -> None:
        """Start the process now (it imports matplotlib while the batch starts its sandboxes)."""
        if self._proc is None and not self._broken:
            try:
                self._proc = self._start()
            except Exception:  # noqa: BLE001 - no process: the caller draws every page
                self._broken = True

    def page(self, result: dict, title: str, reference: str) -> str | None:
        if self._broken:
            return None
        try:
            if self._proc is None:
                self._proc = self._start()
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps({"result": result, "title": title, "reference": reference}).encode()
                                   + b"\n")
            self._proc.stdin.flush()
            reply = json.loads(self._line(time.monotonic() + PAGE_SECONDS))
            html = reply.get("html") if isinstance(reply, dict) else None
            return html if isinstance(html, str) else None  # an error on this page: the caller draws it
        except Exception:  # noqa: BLE001 - no process, a dead or hung one: the caller draws every page
            self.close(kill=True)
            self._broken = True
            return None

    def _line(self, deadline: float) -> bytes:
        """The next line the process writes, by `deadline`."""
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise TimeoutError("the drawing process did not answer in time")
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise EOFError("the drawing process ended")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def close(self, kill: bool = False) -> None:
        """End the process: its input closed, it exits; `kill`, or one that does not, is killed."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if kill:
                proc.kill()
            if proc.stdin is not None:
                proc.stdin.close()  # its end of input: it exits
            proc.wait(timeout=5)
        except Exception:  # noqa: BLE001 - a process that does not end is ended
            proc.kill()
            proc.wait()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()


# A batch at least this large draws its pages in a process of their own; a smaller one draws them
# on the writer's thread here. Measured on a 60-submission batch (benchmarks/throughput.py, a
# loaded 2-CPU machine): the process costs about 1.2 s more CPU than drawing here (its own
# interpreter and imports: +1.55 s against +0.3 s for figures on), and drawing here did not slow
# the batch beyond the noise. The process pays where the batch's own drawing (40-100 ms a figure
# not drawn before in the batch) holds the grading process's lock longer than that: a batch
# large enough to hold dozens of different mistakes.
DRAWER_FROM = 200


class FeedbackInBackground:
    """Writes each result's feedback (its page, then its Markdown: write_feedback) on one thread
    of its own, so that drawing a page's figures never delays recording the next result: a batch
    stores the row and the result JSON, hands the result over, and goes on.

    With `drawer`, pages with figures are drawn by a process of their own (Drawer), started
    with the batch (its imports overlap the sandboxes' start), so that matplotlib never runs in
    the grading process; a page it cannot give is drawn here, as without it.

    A write that failed is raised by the next `write` or by `close` (the batch stops on it as it
    would have); `close` waits for every page handed over. A batch stopped before then leaves
    pages unwritten, never a row: its next run writes them (export/derived.py)."""

    def __init__(self, folder: Path, course=None, drawer: bool = False, start: bool = True):
        self.folder, self.course = Path(folder), course
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feedback-pages")
        self._pending: list[Future] = []
        self._lock = threading.Lock()
        self.drawer = Drawer() if drawer else None
        if self.drawer is not None and start:
            self.drawer.start()

    def write(self, result: Result | dict, title: str | None = None) -> None:
        self._raise_failed(wait=False)
        with self._lock:
            self._pending.append(self._pool.submit(self._write, Result.read(result, "the result given"), title))

    def _write(self, result: Result, title: str | None) -> None:
        page = None  # made here, by write_feedback
        if self.drawer is not None and _draws(result):
            own_title, reference = page_settings(result, self.course)
            page = self.drawer.page(result.document(), title or own_title, reference)
        write_feedback(result, self.folder, title, self.course, page)

    def _raise_failed(self, wait: bool) -> None:
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            if wait or future.done():
                future.result()  # raises what the write raised
                with self._lock:
                    self._pending.remove(future)

    def flush(self) -> None:
        """Wait for every page handed over so far, raising the first write that failed."""
        self._raise_failed(wait=True)

    def close(self, wait: bool = True) -> None:
        """Wait for every page handed over (raising the first failed write), or, with `wait`
        False (the batch is stopping), drop the pages not yet started."""
        try:
            if wait:
                self.flush()
        finally:
            self._pool.shutdown(wait=wait, cancel_futures=not wait)
            if self.drawer is not None:
                self.drawer.close()

    def __enter__(self) -> FeedbackInBackground:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        self.close(wait=kind is None)


def _draws(result: Result) -> bool:
    """Whether the page of `result` draws a figure."""
    from autograder import figures
    from autograder.figures.draw import draws_any

    return figures.enabled() and draws_any(result)


def serve() -> None:
    """Answer requests until stdin ends. Only the answers go to stdout: anything else printed
    (a library's warning) goes to stderr, so that it cannot break a line of the protocol."""
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    from autograder import figures
    from autograder.export.feedback import feedback_html

    figures.prepare()
    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
            answer = {"html": feedback_html(request["result"], None, request["title"], request["reference"])}
        except Exception as exc:  # noqa: BLE001 - this page is made by the grading process instead
            answer = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve()
