"""The gradebook and the serve store opened by many threads at the same moment.

SQLite answers "database is locked" at once, without waiting for its timeout, to a connection
that switches a new file to WAL while others open it. A grading thread of `autograder serve`
died of that in CI and left its hand-in "waiting to be graded" forever. Here six threads open
the same new file 200 times over; before the fix about one time in ten ended with an error.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from autograder.record import Gradebook
from autograder.record.database import open_database
from autograder.serve.store import Store


def open_all_at_once(open_one, path, threads: int = 6) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def opener():
        start.wait()
        try:
            open_one(path).close()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    workers = [threading.Thread(target=opener) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return errors


@pytest.mark.parametrize("open_one", [Gradebook, Store], ids=["gradebook", "serve store"])
def test_threads_opening_a_new_file_at_once_all_get_a_connection(tmp_path, open_one):
    failed = {}
    for trial in range(200):
        errors = open_all_at_once(open_one, tmp_path / f"{trial}.sqlite")
        if errors:
            failed[trial] = repr(errors[0])
    assert failed == {}
    check = sqlite3.connect(tmp_path / "0.sqlite")
    assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    check.close()


def test_a_fault_that_is_not_a_lock_is_raised_at_once(tmp_path):
    """A path that cannot be a database is not waited on for 30 s."""
    (tmp_path / "not_a_database.sqlite").write_bytes(b"this is not SQLite" * 100)
    started = time.monotonic()
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        open_database(tmp_path / "not_a_database.sqlite", "CREATE TABLE IF NOT EXISTS t (x);")
    assert time.monotonic() - started < 5
