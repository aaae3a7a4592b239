"""The background threads of `autograder serve` (the grading queue, the score posts) outlive
failures of their own bookkeeping.

In CI a grading thread died of "database is locked" when it opened the gradebook, and every
later hand-in of its lane waited forever. Here the gradebook fails in each way we know (at its
opening, at a row's write, for one result only) and every attempt still ends `done` with a row.

The handed-in file is not a notebook, so no sandbox starts: the row says `invalid`, and what
is tested is the queue's bookkeeping around the pipeline. The score posts have no LMS here:
a row sent is one marked "no LMS grade service", which the thread only writes once it has read
the gradebook.
"""

from __future__ import annotations

import sqlite3

import pytest

from autograder.record import Gradebook, Status
from autograder.serve import grading, passback
from autograder.serve.grading import GradingQueue
from autograder.serve.passback import Passback
from autograder.serve.storage import UploadStore
from autograder.serve.store import Store
from support.serve import EXERCISE, course_in, wait_for


def hand_in(store: Store, uploads: UploadStore, student: str):
    sha = uploads.put(f"not a notebook, from {student}".encode())
    return store.add_attempt(student, EXERCISE, sha, "handed_in.ipynb", "quick")


@pytest.fixture
def serve_state(tmp_path, monkeypatch):
    monkeypatch.setattr(grading, "RETRY_PAUSE", 0.01)
    store, uploads = Store(tmp_path / "serve.sqlite"), UploadStore(tmp_path / "uploads")
    yield course_in(tmp_path), store, uploads, tmp_path / "gradebook.sqlite"
    store.close()


def grade_all(serve_state, students, timeout=60):
    course, store, uploads, gradebook = serve_state
    attempts = [hand_in(store, uploads, s) for s in students]
    queue = GradingQueue(course, store, uploads, gradebook, workers=1, runner=lambda *a, **k: None)
    queue.start()
    try:
        for attempt in attempts:
            queue.submit(attempt)
        done = {a.student: queue.wait_done(a.id, timeout) for a in attempts}
        alive = [t.name for t in queue.threads if t.is_alive()]
    finally:
        queue.stop()
    with Gradebook(gradebook) as book:
        rows = {r.student: r for r in book.results()}
    return done, alive, rows


class FailingGradebook(Gradebook):
    """The real gradebook, failing as told: `opens` times at its opening, `writes` times at a
    row's write, and always for a row whose status is in `refused`."""

    opens, writes, refused = 0, 0, ()

    def __init__(self, path):
        if FailingGradebook.opens > 0:
            FailingGradebook.opens -= 1
            raise sqlite3.OperationalError("database is locked")
        super().__init__(path)

    def record(self, result):
        if FailingGradebook.writes > 0:
            FailingGradebook.writes -= 1
            raise sqlite3.OperationalError("disk I/O error")
        if result.status in FailingGradebook.refused:
            raise ValueError("a result the gradebook cannot store")
        super().record(result)


@pytest.mark.parametrize(("opens", "writes"), [(1, 0), (0, 2)], ids=["locked at its opening", "two writes fail"])
def test_a_gradebook_that_fails_for_a_while_loses_no_attempt(serve_state, monkeypatch, opens, writes):
    monkeypatch.setattr(FailingGradebook, "opens", opens)
    monkeypatch.setattr(FailingGradebook, "writes", writes)
    monkeypatch.setattr(grading, "Gradebook", FailingGradebook)
    done, alive, rows = grade_all(serve_state, ["ada", "ben", "cy"])
    assert done == {"ada": True, "ben": True, "cy": True}
    assert "grade-quick-0" in alive
    assert {s: r.status for s, r in rows.items()} == {s: Status.INVALID for s in ("ada", "ben", "cy")}
    assert FailingGradebook.opens == 0 and FailingGradebook.writes == 0


def test_a_result_the_gradebook_refuses_is_recorded_as_an_error_that_says_why(serve_state, monkeypatch):
    monkeypatch.setattr(FailingGradebook, "refused", (Status.INVALID,))
    monkeypatch.setattr(grading, "Gradebook", FailingGradebook)
    done, alive, rows = grade_all(serve_state, ["ada", "ben"])
    assert done == {"ada": True, "ben": True}
    assert "grade-quick-0" in alive
    assert {s: (r.status, r.score) for s, r in rows.items()} == {"ada": (Status.ERROR, 0.0), "ben": (Status.ERROR, 0.0)}
    assert "a result the gradebook cannot store" in rows["ada"].message


def test_a_gradebook_that_never_opens_leaves_the_attempt_queued_for_a_restart(serve_state, monkeypatch):
    monkeypatch.setattr(FailingGradebook, "opens", 10 ** 6)
    monkeypatch.setattr(grading, "Gradebook", FailingGradebook)
    store = serve_state[1]
    done, alive, rows = grade_all(serve_state, ["ada"], timeout=3)
    assert done == {"ada": False}
    assert "grade-quick-0" in alive
    assert [a.state for a in store.attempts("ada")] == ["queued"]
    assert rows == {}


def post_scores(serve_state, students, monkeypatch, refuse=()):
    """Each student's attempt graded, then the score posts run until every row is sent or deferred."""
    course, store, uploads, gradebook = serve_state
    monkeypatch.setattr(passback, "PAUSE_AFTER_FAULT", 0.05)
    monkeypatch.setattr(passback, "Gradebook", FailingGradebook)
    real_results_of = Passback.results_of

    def results_of(self, book, student, exercise):
        if student in refuse:
            raise ValueError(f"a row of {student} that cannot be read")
        return real_results_of(self, book, student, exercise)

    monkeypatch.setattr(Passback, "results_of", results_of)
    for student in students:
        attempt = hand_in(store, uploads, student)
        store.finish(attempt.id, student, EXERCISE)
    posts = Passback(course, store, gradebook, None, {})
    posts.start()
    try:
        return wait_for(lambda: (rows := store.passback_rows()) and
                        all(not r["pending"] or r["tries"] for r in rows.values()) and rows, timeout=30, every=0.02)
    finally:
        posts.stop()


def test_score_posts_go_on_after_the_gradebook_was_locked_at_their_opening(serve_state, monkeypatch):
    monkeypatch.setattr(FailingGradebook, "opens", 2)
    rows = post_scores(serve_state, ["ada", "ben"], monkeypatch)
    assert {k: (r["pending"], r["error"]) for k, r in rows.items()} == {
        (s, EXERCISE): (False, "no LMS grade service for this student and exercise") for s in ("ada", "ben")}
    assert FailingGradebook.opens == 0


def test_a_score_that_fails_to_send_is_deferred_and_the_others_are_sent(serve_state, monkeypatch):
    rows = post_scores(serve_state, ["ada", "ben"], monkeypatch, refuse=("ada",))
    assert (rows[("ada", EXERCISE)]["pending"], rows[("ada", EXERCISE)]["tries"]) == (True, 1)
    assert rows[("ada", EXERCISE)]["error"] == "ValueError: a row of ada that cannot be read"
    assert (rows[("ben", EXERCISE)]["pending"], rows[("ben", EXERCISE)]["tries"]) == (False, 0)
