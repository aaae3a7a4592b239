"""The running service: the course, the store, the queues and the web server, started and
stopped together (`autograder serve`, the demo, the tests).

    DATA/serve.sqlite      sessions, launches, attempts, score posts owed (serve/store.py)
    DATA/gradebook.sqlite  the results, as `autograder grade` writes them (autograder/record/)
    DATA/uploads/          every hand-in, by content hash (serve/storage.py)
    DATA/dist/             the exercises' notebooks, built on first use (serve/notebooks.py)
    DATA/serve.key         the key of standalone links (serve/security.py)

The web server is waitress (pure Python, no set-up), on 127.0.0.1 by default: put it behind
an HTTPS reverse proxy for an LMS (README). With `proxy=True` the proxy's X-Forwarded-*
headers are trusted (werkzeug's ProxyFix), so the tool sees its public https address.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from autograder.course import Course
from autograder.record import Gradebook, Result
from autograder.serve import security
from autograder.serve.grading import GradingQueue, lane_of, max_points
from autograder.serve.notebooks import Notebooks
from autograder.serve.passback import Passback, counted
from autograder.serve.storage import UploadStore
from autograder.serve.store import Store

log = logging.getLogger(__name__)

DEFAULT_UPLOAD_MB = 20.0
DEFAULT_UPLOADS_PER_HOUR = 30



@dataclass(frozen=True)
class Counted:
    """The attempt that counts for a student and exercise (lms.pick), as the teacher's table shows it."""

    result: Result
    attempts: int  # made here, at this exercise

    @property
    def status(self) -> str:
        return self.result.status.value

    @property
    def score(self) -> float:
        return self.result.score

    @property
    def max_score(self) -> float:
        return self.result.max_score

class Service:
    """Everything the pages reach, built from the course and a data folder."""

    def __init__(self, course: Course, data: Path, workers: int = 1, runner=None):
        self.course, self.data = course, Path(data)
        self.data.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.data / "serve.sqlite")
        self.uploads = UploadStore(self.data / "uploads")
        self.gradebook_path = self.data / "gradebook.sqlite"
        self.link_key = security.link_key(self.data)
        self.notebooks = Notebooks(course, self.data / "dist")
        lti = course.lms.lti
        self.upload_mb = lti.upload_mb if lti else DEFAULT_UPLOAD_MB
        self.uploads_per_hour = lti.uploads_per_hour if lti else DEFAULT_UPLOADS_PER_HOUR
        self.lti = None
        self.frame_ancestors: list[str] = []
        if lti is not None:
            from autograder.serve.lti import ToolLti

            self.lti = ToolLti(lti, security.read_private_key(lti.private_key_file), self.store)
            self.frame_ancestors = sorted({security.origin_of(u) for p in lti.platforms
                                           for u in (p.issuer, p.auth_login_url) if u.startswith("http")}
                                          | set(lti.frame_ancestors))
        self._points: dict[str, float] = {}
        self.titles = {e.id: e.title for e in course.exercises}
        self.passback = Passback(course, self.store, self.gradebook_path, self.lti, self.titles)
        self.queue = GradingQueue(course, self.store, self.uploads, self.gradebook_path, workers,
                                  on_graded=self.passback.poke, runner=runner)

    # -- what the pages ask

    @contextlib.contextmanager
    def gradebook(self):
        book = Gradebook(self.gradebook_path)
        try:
            yield book
        finally:
            book.close()

    def max_points(self, exercise: str) -> float:
        if exercise not in self._points:
            self._points[exercise] = max_points(self.course, exercise)
        return self._points[exercise]

    def student_of(self, platform: str, user_id: str) -> str:
        """The gradebook's student id of an LMS user: their `sub`, which the LMS keeps stable; with
        several LMS registered, with the issuer's host after it, so two platforms' users stay apart."""
        if self.lti is None or len(self.lti.lti.platforms) < 2:
            return user_id
        return f"{user_id}@{urlsplit(platform.rsplit(' ', 1)[0]).netloc or platform}"

    def lane_of(self, exercise: str) -> str:
        return lane_of(self.course, exercise)

    def colab_link(self, exercise: str) -> str | None:
        url = self.course.published_notebook(exercise)
        return url.replace("https://github.com/", "https://colab.research.google.com/github/", 1) if url else None

    def counted_results(self, results: list[Result]) -> dict[tuple[str, str], Counted]:
        """{(student, exercise): the counted result (lms.pick), with `attempts`} over the attempts made here."""
        by_key: dict[tuple[str, str], list[Result]] = {}
        attempts: dict[tuple[str, str], int] = {}
        for a in self.store.attempts():
            attempts[(a.student, a.exercise)] = attempts.get((a.student, a.exercise), 0) + 1
        for r in results:
            if r.exercise:
                by_key.setdefault((r.student, r.exercise), []).append(r)
        out = {}
        for key, rows in by_key.items():
            chosen = counted(rows, key[1], self.course.lms.pick)
            if chosen is not None:
                out[key] = Counted(chosen, attempts.get(key, len(rows)))
        return out

    def class_table(self) -> dict:
        """The teacher's table: every student and exercise with status, score, attempts and passback."""
        with self.gradebook() as book:
            results = book.results()
        chosen = self.counted_results(results)
        people, posts = self.store.people(), self.store.passback_rows()
        waiting = {}
        for a in self.store.attempts():
            if a.state != "done":
                waiting[(a.student, a.exercise)] = a.state
        # Every learner who opened the tool, and whoever handed in; every exercise of the course.
        students = sorted({s for s, _ in chosen} | {s for s, _ in waiting} | set(self.store.learners()))
        exercises = list(self.course.exercises)
        return {"students": students, "exercises": exercises, "chosen": chosen, "waiting": waiting,
                "people": people, "posts": posts, "pick": self.course.lms.pick}

    # -- life

    def start(self) -> None:
        self.queue.start()
        self.passback.start()

    def stop(self) -> None:
        self.queue.stop()
        self.passback.stop()
        self.store.close()


class Server:
    """The service behind waitress on `host:port` (port 0: a free one), in a thread of its own.
    `threads`: requests served at once (a feedback page may wait up to 2.5 s for its result)."""

    def __init__(self, service: Service, host: str = "127.0.0.1", port: int = 0, proxy: bool = False,
                 threads: int = 24):
        from waitress.server import create_server

        from autograder.serve.app import create_app

        self.service = service
        app = create_app(service)
        if proxy:
            from werkzeug.middleware.proxy_fix import ProxyFix

            # Flask's documented way to put a middleware in front of its WSGI app.
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)  # type: ignore[method-assign]
        self.app = app
        self.server = create_server(app, host=host, port=port, threads=threads, clear_untrusted_proxy_headers=not proxy)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> "Server":
        self.service.start()
        self.thread = threading.Thread(target=self.server.run, name="waitress", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.close()
        if self.thread is not None:
            self.thread.join(10)
        self.service.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
