"""Opening a SQLite file that other connections may be opening at the same moment.

The gradebook and the serve store are opened by several threads and processes at once (each
grading thread holds a connection of its own). `timeout=` makes SQLite wait for a lock, but
not always: switching a new file to WAL, or a write that would deadlock with another
connection's read, answers "database is locked" at once, without waiting. A grading thread
that died of that left its hand-ins "waiting to be graded" forever. So the setup statements
are tried again, for as long as `timeout` allows, whenever SQLite says the file is busy.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path


def busy(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds the file (SQLITE_BUSY or
    SQLITE_LOCKED, extended codes included), not for a real fault."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def open_database(path: str | Path, setup: str, timeout: float = 30.0, **connect) -> sqlite3.Connection:
    """A connection to `path` in WAL mode with the `setup` script (CREATE ... IF NOT EXISTS,
    pragmas) run, waiting up to `timeout` seconds for others that hold the file."""
    db = sqlite3.connect(str(path), timeout=timeout, **connect)
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")  # once per file; every later opening only reads it
            db.executescript(setup)
            db.commit()
            return db
        except sqlite3.OperationalError as exc:
            if not busy(exc) or time.monotonic() + pause > deadline:
                db.close()
                raise
            if db.in_transaction:
                db.rollback()
            time.sleep(pause)
            pause = min(pause * 2, 0.25)
