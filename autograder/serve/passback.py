"""Score passback: after each grading, the score that counts (course.yaml `lms.pick`: the
best or the latest attempt) is posted to the LMS through Assignment and Grade Services.

Each post owed is a row of the store (written in the same transaction that marks the attempt
graded), so nothing is lost across a restart. A post that fails (the LMS unreachable, a 5xx,
a refused token) is retried with exponential backoff, 2 s doubling up to 10 minutes, with
jitter; the teacher's page shows what is pending and the last error; a restart tries every owed post
at once. A student with no LMS
target (standalone, or an LMS that gave no grade service) owes nothing.
"""

from __future__ import annotations

import logging
import random
import threading
import time

from autograder.export.lms import match_results
from autograder.record import Gradebook, Result

log = logging.getLogger(__name__)

FIRST_RETRY_S = 2.0
LAST_RETRY_S = 600.0
PAUSE_AFTER_FAULT = 5.0  # seconds before the next round after the store or the gradebook failed


def backoff(tries: int) -> float:
    """Seconds before the next try after `tries` failures."""
    return min(LAST_RETRY_S, FIRST_RETRY_S * 2 ** max(0, tries)) * random.uniform(0.8, 1.2)


def counted(results: list[Result], exercise: str, pick: str) -> Result | None:
    """The result that counts of one student's attempts at one exercise (lms.pick)."""
    if not results:
        return None
    grades, _ = match_results(results, None, [exercise], pick)
    return next(iter(grades.values()), {}).get(exercise)


class Passback:
    def __init__(self, course, store, gradebook, tool_lti, titles: dict[str, str]):
        self.course, self.store, self.gradebook, self.lti, self.titles = course, store, gradebook, tool_lti, titles
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="passback", daemon=True)

    def start(self) -> None:
        self.store.due_now()
        self.thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self.stopping.set()
        self.wake.set()
        self.thread.join(timeout)

    def poke(self, *_args) -> None:
        self.wake.set()

    def results_of(self, book: Gradebook, student: str, exercise: str) -> list[Result]:
        shas = {a.sha256 for a in self.store.attempts(student, exercise) if a.state == "done"}
        found = [book.result(sha, student) for sha in sorted(shas)]
        return [r for r in found if r is not None and r.exercise == exercise]

    def _loop(self) -> None:
        """Posts what is owed until stopped. It outlives every failure (a gradebook locked at its
        opening, a row that cannot be read): a thread that died posted no score again."""
        book: Gradebook | None = None  # a connection of this thread's own, opened on first use
        try:
            while not self.stopping.is_set():
                wait = PAUSE_AFTER_FAULT
                try:
                    if book is None:
                        book = Gradebook(self.gradebook)
                    for owed in self.store.owed(time.time()):
                        if self.stopping.is_set():
                            return
                        self._send_or_defer(owed, book)
                    due = self.store.next_due()
                    wait = 60.0 if due is None else max(0.05, min(60.0, due - time.time()))
                except Exception:  # the store or the gradebook failed: tried again after a pause
                    log.exception("score posts paused for %.0f s", wait)
                self.wake.wait(wait)
                self.wake.clear()
        finally:
            if book is not None:
                book.close()

    def _send_or_defer(self, owed, book: Gradebook) -> None:
        """Send one owed score; a fault of ours in doing it defers that row, not the others."""
        try:
            self._send(owed, book)
        except Exception as exc:  # the row stays owed and is tried again later
            delay = backoff(owed.tries)
            log.exception("score for %s/%s not sent; retrying in %.0f s", owed.student, owed.exercise, delay)
            self.store.retry_later(owed, time.time() + delay, f"{type(exc).__name__}: {str(exc)[:300]}")

    def _send(self, owed, book: Gradebook) -> None:
        target = self.store.target(owed.student, owed.exercise)
        result = counted(self.results_of(book, owed.student, owed.exercise), owed.exercise, self.course.lms.pick)
        if target is None or self.lti is None or result is None:
            self.store.sent(owed, None, None, "no LMS grade service for this student and exercise")
            return
        platform, user_id, service = target
        score, max_score = float(result.score or 0.0), float(result.max_score or 0.0)
        if max_score <= 0:
            self.store.sent(owed, None, None, f"not posted: the counted attempt is {result.status}, with no points")
            return
        try:
            self.lti.post_score(platform, user_id, service, owed.exercise, self.titles.get(owed.exercise, owed.exercise),
                                score, max_score, f"{result.status}: {score:g}/{max_score:g}")
        except Exception as exc:  # noqa: BLE001 - any failure is retried; the row stays owed
            delay = backoff(owed.tries)
            log.warning("score for %s/%s not posted (%s); retrying in %.0f s", owed.student, owed.exercise,
                        str(exc)[:200], delay)
            self.store.retry_later(owed, time.time() + delay, f"{type(exc).__name__}: {str(exc)[:300]}")
            return
        self.store.sent(owed, score, max_score)
