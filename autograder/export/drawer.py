"""The process that draws a batch's feedback pages, so that matplotlib never runs in the grading
process: importing it and drawing hold the interpreter's lock for long stretches, and the
threads that talk to the sandboxes need that lock every few milliseconds (a batch is bound by
the sandboxes' latency, not by the CPU, so a second process draws on a core that waits anyway).

    python -m autograder.export.drawer
        reads one request a line on stdin, {"result": {...}, "title": "...", "reference": "auto"},
        and answers each with one line on stdout, {"html": "..."} or {"error": "..."}

`Drawer` is the grading process's side: `page(result, title, reference)` is the page's HTML, or
None where the process cannot give it (it did not start, it died, it failed on this page or took
longer than PAGE_SECONDS); the caller then makes that page itself. A process of our own with a
module of its own, not multiprocessing: spawning would import the parent's `__main__` again
(`python -m autograder` would grade the batch a second time in the child).
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path

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
        return subprocess.Popen([sys.executable, "-m", "autograder.export.drawer"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, close_fds=True)

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
            self.close()
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

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()  # its end of input: it exits
            proc.wait(timeout=5)
        except Exception:  # noqa: BLE001 - a process that does not end is ended
            proc.kill()
            proc.wait()
        finally:
            if proc.stdout is not None:
                proc.stdout.close()


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
