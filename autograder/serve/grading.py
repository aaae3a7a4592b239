"""The grading queue behind the pages: each attempt through the existing pipeline, its result
into the gradebook, its score owed to the LMS.

Two lanes, each a FIFO of attempts that the store remembers (a restart re-reads both and
grades what was not finished; an attempt is `done` only once its result is in the gradebook):

- `quick`: pen-and-paper exercises, on resident warm workers (autograder/run/warm.py) that
  stay started between hand-ins, so one hand-in costs a fork, not a sandbox start;
- `training`: timed training tasks, one at a time in a fresh worker (each trains for its
  budget); the student's page shows their place in this lane.

With `--cluster`, both lanes run their notebooks on Dask workers instead
(autograder/cluster/), judging and the gradebook staying here.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path

from autograder import handout as handouts
from autograder.course import Course
from autograder.exercises import load_checks
from autograder.intake.submissions import read_submission
from autograder.pipeline import failure_result, grade_submission
from autograder.record import Gradebook, Status
from autograder.run import run_notebook
from autograder.run.preload import exercise_preload
from autograder.run.warm import WarmPool

log = logging.getLogger(__name__)

LANES = ("quick", "training")
RECORD_TRIES = 3  # an attempt whose grading or recording fails is tried this often before it waits for a restart
RETRY_PAUSE = 2.0  # seconds before the next try, times the tries so far


def lane_of(course: Course, exercise: str) -> str:
    ex = course.exercise(exercise)
    return "training" if ex is not None and ex.trains else "quick"


def max_points(course: Course, exercise: str) -> float:
    ex = course.exercise(exercise)
    try:
        return float(sum(c.points for c in load_checks(ex))) if ex else 0.0
    except Exception:  # noqa: BLE001 - a broken checks.py: its attempts get `error` rows when graded
        return 0.0


class GradingQueue:
    """Grades the store's attempts on `workers` warm workers (quick lane) and one training lane."""

    def __init__(self, course: Course, store, uploads, gradebook: Path, workers: int = 1,
                 on_graded=None, runner=None):
        self.course, self.store, self.uploads, self.gradebook = course, store, uploads, gradebook
        self.workers = max(1, workers)
        self.on_graded = on_graded or (lambda attempt, result: None)
        self.queues: dict[str, queue.Queue] = {lane: queue.Queue() for lane in LANES}
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.warming: threading.Thread | None = None  # starts the warm workers ahead of the first hand-in
        self.runner = runner  # a cluster's runner; None: this machine's workers
        quick = [e for e in course.exercises if not e.trains]
        first = exercise_preload(quick[0]) if quick else ("numpy",)
        self.pool = WarmPool(size=self.workers, preload=first, warm=True) if runner is None else None
        self.graded = threading.Condition()  # notified after each attempt is done

    def start(self) -> None:
        for lane in LANES:  # what a previous run acknowledged and did not finish
            for attempt in self.store.waiting(lane):
                if attempt.state == "grading":
                    self.store.set_state(attempt.id, "queued")
                self.queues[lane].put(attempt.id)
        for n in range(self.workers):
            self._thread(f"grade-quick-{n}", "quick")
        self._thread("grade-training", "training")
        if self.pool is not None:
            self.warming = threading.Thread(target=self._warm_up, name="warm-up", daemon=True)
            self.warming.start()

    def _warm_up(self) -> None:
        if self.pool is None:  # a cluster's runner: no workers of this machine to warm
            return
        try:
            self.pool.warm_up()
        except Exception as exc:  # noqa: BLE001 - the first hand-in starts its worker instead
            log.warning("warm workers did not start ahead: %s", exc)

    def _thread(self, name: str, lane: str) -> None:
        thread = threading.Thread(target=self._work, args=(lane,), name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def submit(self, attempt) -> None:
        self.queues[attempt.lane].put(attempt.id)

    def regrade(self, attempt) -> None:
        self.store.set_state(attempt.id, "queued")
        self.submit(attempt)

    def wait_done(self, aid: str, timeout: float) -> bool:
        """Wait up to `timeout` s for the attempt to be graded: the feedback page answers the moment
        its result is in, instead of the browser polling for it."""
        deadline = time.monotonic() + timeout
        with self.graded:
            while True:
                attempt = self.store.attempt(aid)
                left = deadline - time.monotonic()
                if attempt is None or attempt.state == "done" or left <= 0 or self.stopping.is_set():
                    return attempt is not None and attempt.state == "done"
                self.graded.wait(left)

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        for q in self.queues.values():
            for _ in range(self.workers + 1):
                q.put(None)
        for thread in self.threads:
            thread.join(timeout)
        if self.pool is not None:
            self.pool.close()  # kills the workers still warming up: the warm-up ends at once
        if self.warming is not None:
            self.warming.join(timeout)

    def _work(self, lane: str) -> None:
        """One lane's thread. It outlives every failure: a thread that died (of a gradebook
        locked at its opening, a full disk) left every later hand-in of its lane waiting forever."""
        book: Gradebook | None = None  # a connection of this thread's own, opened on first use
        failures: dict[str, int] = {}
        try:
            while not self.stopping.is_set():
                aid = self.queues[lane].get()
                if aid is None or self.stopping.is_set():
                    return
                try:
                    attempt = self.store.attempt(aid)
                    if attempt is None or attempt.state == "done":
                        continue  # queued twice (a regrade of one still waiting): graded once
                    if book is None:
                        book = Gradebook(self.gradebook)
                    self._grade(attempt, book, lane, last_try=failures.get(aid, 0) >= RECORD_TRIES - 1)
                    failures.pop(aid, None)
                except Exception:  # the store or the gradebook failed, not the grading (that makes an `error` row)
                    failures[aid] = failures.get(aid, 0) + 1
                    log.exception("attempt %s could not be graded and recorded (try %d of %d)",
                                  aid, failures[aid], RECORD_TRIES)
                    if failures[aid] < RECORD_TRIES and not self.stopping.wait(RETRY_PAUSE * failures[aid]):
                        self.queues[lane].put(aid)  # behind the others: one attempt does not hold its lane
                    # after the last try it stays waiting in the store (`queued`, or `grading` where it got that
                    # far): a restart queues it and grades it again
        finally:
            if book is not None:
                book.close()

    def _runner(self, exercise: str, lane: str):
        if self.runner is not None:
            return self.runner
        ex = self.course.exercise(exercise)
        if lane == "training" or ex is None or self.pool is None:
            return run_notebook
        return self.pool.runner(exercise_preload(ex))

    def _grade(self, attempt, book: Gradebook, lane: str, last_try: bool = False) -> None:
        self.store.set_state(attempt.id, "grading")
        path = self.uploads.path(attempt.sha256)
        sub = read_submission(path, path.parent, self.course.ids)
        sub.student, sub.path = attempt.student, attempt.filename
        if not sub.status and sub.exercise != attempt.exercise:
            sub.status = Status.INVALID
            sub.message = (f"this notebook is exercise {sub.exercise!r}, handed in on the page of {attempt.exercise!r}: "
                           "hand it in on its own exercise's page")
        if sub.status:
            sub.exercise = attempt.exercise  # the row belongs to the page it was handed in on
        try:
            result = grade_submission(sub, self.course, None, handouts.load(self.course),
                                      self._runner(attempt.exercise, lane))
        except Exception as exc:  # a bug of ours must not lose the attempt
            log.exception("grading attempt %s failed", attempt.id)
            result = failure_result(sub, exc)
        result.sha256 = attempt.sha256
        result.attempt = attempt.id
        try:
            book.record(result)  # the result first: `done` is only ever said of a recorded attempt
        except Exception as exc:
            if not last_try:
                raise
            # the last try records that it failed, in place of a result the gradebook refused
            log.exception("the result of attempt %s could not be recorded", attempt.id)
            result = failure_result(sub, exc)
            result.sha256, result.attempt = attempt.sha256, attempt.id
            book.record(result)
        self.store.finish(attempt.id, attempt.student, attempt.exercise)
        with self.graded:
            self.graded.notify_all()
        self.on_graded(attempt, result)
