"""A batch's feedback pages, made off the grading path: a row never waits for its page.

    FeedbackInBackground   the batch hands each result over once its row and result JSON are
                           stored; one thread writes its page and Markdown (write_feedback)
    Drawer                 the pages with figures are drawn by a process of their own: a fork
                           of the grading process made as a batch starts, which answers each
                           request, (result document, title, reference setting), with the page's
                           HTML over a pipe

Why a process: matplotlib then never runs in the grading process, where importing it and drawing
hold the interpreter's lock that the threads talking to the sandboxes need every few
milliseconds. Why a fork (multiprocessing's "fork" start method) and not a fresh interpreter: the
fork has the grader's modules already imported (the result model, the page's template) and starts
in milliseconds; a fresh interpreter spends about 1.5 s of CPU importing them again, on the cores
the sandboxes are starting on. Matplotlib is imported by the first figure, so that a batch in which
every check passes never loads it. Measured on a 2-CPU machine (benchmarks/throughput.py's figures
comparison, 60 submissions of sigmoid_probability, medians of 7 runs in turn): 4.40 s without
figures, 4.52 s with the pages drawn by the fork; in other runs, 5.00 s without, 4.95 s by a fresh
interpreter, 5.70 s in the grading process; one submission: 1.81 s without, 1.97 s by the fork, 2.35
s in the grading process. A fork is made only while the grading process runs no other thread
(a thread holding a lock at the fork would leave it held in the child forever); otherwise, and
wherever the process cannot give a page (it did not start, it died, it failed on this page or
took longer than PAGE_SECONDS), `Drawer.page` gives None and the page is drawn in the grading
process, as without it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from autograder.export.feedback import page_settings, write_feedback
from autograder.record import Result

PAGE_SECONDS = 60.0  # one page, its figures drawn; far above what one takes (a fraction of a second)


class Drawer:
    def __init__(self) -> None:
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None  # our end of the pipe
        self._broken = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        """Fork the process, once, before the batch starts any thread; where it cannot be forked
        (threads run already, the fork failed), every page is drawn by the caller."""
        if self._proc is not None or self._broken:
            return
        try:
            if threading.active_count() > 1:
                raise RuntimeError("the grading process runs threads: a fork could inherit a lock one of them holds")
            context = multiprocessing.get_context("fork")
            ours, theirs = context.Pipe()
            proc = context.Process(target=_serve, args=(theirs, ours), name="autograder-pages", daemon=True)
            proc.start()
            theirs.close()
            self._proc, self._conn = proc, ours
        except Exception:  # noqa: BLE001 - no process: the caller draws every page
            self._broken = True

    def page(self, result: dict, title: str, reference: str) -> str | None:
        """The page's HTML, or None where the caller draws it: never started (a page is asked for
        on the writer's thread, where forking is no longer safe), dead, hung or failed."""
        if self._conn is None:
            return None
        try:
            self._conn.send((result, title, reference))
            if not self._conn.poll(PAGE_SECONDS):
                raise TimeoutError("the drawing process did not answer in time")
            html = self._conn.recv()
            return html if isinstance(html, str) else None  # an error on this page: the caller draws it
        except Exception:  # noqa: BLE001 - a dead or hung process: the caller draws every page from now on
            self.close()
            self._broken = True
            return None

    def close(self) -> None:
        """End the process. It is killed, not asked to exit: it holds nothing (every page it drew
        was answered over the pipe), and an interpreter with matplotlib loaded takes a quarter of
        a second to tear itself down, which the batch would wait for at its very end."""
        proc, conn, self._proc, self._conn = self._proc, self._conn, None, None
        if proc is not None:  # killed before its pipe closes: it never finds the pipe gone mid-page
            with contextlib.suppress(Exception):  # it ended already
                proc.kill()
            proc.join()
            proc.close()
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()


def _serve(conn, parent_end) -> None:
    """The drawing process: answer each request with its page's HTML, or None where it failed
    (the grading process then draws that page), until the pipe closes. Run in the fork."""
    parent_end.close()
    # Nothing of this process reaches the teacher's terminal (a library's warning, a traceback
    # that multiprocessing prints for a process that failed): the grading process says what matters.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    # The grading process's handlers are not this process's: Ctrl-C, which reaches the whole
    # process group, is the grader's to handle; it kills this process when it is done with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # The lowest priority among the grader's own processes: a page is never urgent, the grading
    # process's dispatch (which keeps the sandboxes busy) is. The sandboxes have control groups of
    # their own, weighed above the grader's (run/cgroup_host.py), so this yields only to the grader.
    with contextlib.suppress(OSError):
        os.nice(19)
    from autograder.export.feedback import feedback_html  # matplotlib is imported by the first figure

    while True:
        try:
            result, title, reference = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer = feedback_html(result, None, title, reference)
        except Exception:  # noqa: BLE001 - this page is made by the grading process instead
            answer = None
        try:
            conn.send(answer)
        except OSError:  # the grading process is done with this one
            return


class FeedbackInBackground:
    """Writes each result's feedback (its page, then its Markdown: write_feedback) on one thread
    of its own, so that drawing a page's figures never delays recording the next result: a batch
    stores the row and the result JSON, hands the result over, and goes on.

    With `drawer`, pages with figures are drawn by that process (Drawer; the batch starts it before
    its sandboxes, so that its imports overlap theirs), so that matplotlib never runs in the
    grading process; a page it cannot give is drawn here, as without it. `close` ends it.

    A write that failed is raised by the next `write` or by `close` (the batch stops on it as it
    would have); `close` waits for every page handed over. A batch stopped before then leaves
    pages unwritten, never a row: its next run writes them (export/derived.py)."""

    def __init__(self, folder: Path, course=None, drawer: Drawer | None = None):
        self.folder, self.course = Path(folder), course
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feedback-pages")
        self._pending: list[Future] = []
        self._lock = threading.Lock()
        self.drawer = drawer

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
