"""The service's own state, in one SQLite file beside the gradebook (DATA/serve.sqlite).

What the service must not forget across a restart lives here, each change in one
transaction: sessions (server side: the browser holds only a random id), the launch data and
nonces of LTI launches (a nonce is consumed once), the attempts (each upload, queued until
its result is in the gradebook), where each student's score for an exercise goes in the LMS,
and the score posts still owed to it. The results themselves stay in the gradebook
(autograder/record/), the source of truth that grades.csv and the report are written from.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.record.database import open_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, csrf TEXT NOT NULL, student TEXT NOT NULL, name TEXT NOT NULL,
    role TEXT NOT NULL, exercise TEXT, platform TEXT, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS launch_data (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, used REAL NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, student TEXT NOT NULL,
    exercise TEXT NOT NULL, sha256 TEXT NOT NULL, filename TEXT NOT NULL, uploaded REAL NOT NULL,
    state TEXT NOT NULL, lane TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_of ON attempts (student, exercise);
CREATE TABLE IF NOT EXISTS people (
    student TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, role TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS targets (
    student TEXT NOT NULL, exercise TEXT NOT NULL, platform TEXT NOT NULL, user_id TEXT NOT NULL,
    service TEXT NOT NULL, PRIMARY KEY (student, exercise));
CREATE TABLE IF NOT EXISTS passback (
    student TEXT NOT NULL, exercise TEXT NOT NULL, wanted INTEGER NOT NULL, sent INTEGER NOT NULL,
    due REAL NOT NULL, tries INTEGER NOT NULL, error TEXT NOT NULL, score REAL, max_score REAL,
    PRIMARY KEY (student, exercise));
"""

SESSION_SECONDS = 8 * 3600
LAUNCH_DATA_SECONDS = 3600
NONCE_SECONDS = 24 * 3600


def new_id() -> str:
    """An id nobody can guess: 128 random bits."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Session:
    id: str
    csrf: str
    student: str
    name: str
    role: str  # "learner" or "instructor"
    exercise: str | None  # the exercise the launch opened, if one
    platform: str | None  # "issuer client_id" of the LMS, None standalone

    @property
    def instructor(self) -> bool:
        return self.role == "instructor"


@dataclass(frozen=True)
class Attempt:
    seq: int
    id: str
    student: str
    exercise: str
    sha256: str
    filename: str
    uploaded: float
    state: str  # queued, grading, done
    lane: str  # quick (warm workers) or training


@dataclass(frozen=True)
class Owed:
    """A score post owed to the LMS: the latest wanted version of (student, exercise)."""

    student: str
    exercise: str
    wanted: int
    tries: int


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()  # one connection, shared by the server's and the queues' threads
        self.db = open_database(self.path, SCHEMA, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA synchronous=FULL")  # an acknowledged upload survives a power cut

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def _run(self, sql: str, args=()) -> list:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    def _write(self, *statements: tuple[str, tuple]) -> None:
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self.db.execute(sql, args)
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # -- sessions

    def new_session(self, student: str, name: str, role: str, exercise: str | None, platform: str | None) -> Session:
        session = Session(new_id() + new_id(), new_id() + new_id(), student, name, role, exercise, platform)
        self._write(("DELETE FROM sessions WHERE expires < ?", (time.time(),)),
                    ("INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?)",
                     (session.id, session.csrf, student, name, role, exercise, platform,
                      time.time() + SESSION_SECONDS)))
        return session

    def session(self, sid: str | None) -> Session | None:
        if not sid or len(sid) > 100:
            return None
        rows = self._run("SELECT id, csrf, student, name, role, exercise, platform FROM sessions "
                         "WHERE id = ? AND expires > ?", (sid, time.time()))
        return Session(*rows[0]) if rows else None

    # -- LTI launch data (pylti1p3's storage) and nonces

    def put_launch_data(self, key: str, value, seconds: float | None) -> None:
        expires = time.time() + (seconds or LAUNCH_DATA_SECONDS)
        self._write(("DELETE FROM launch_data WHERE expires < ?", (time.time(),)),
                    ("INSERT OR REPLACE INTO launch_data VALUES (?,?,?)", (key, json.dumps(value), expires)))

    def launch_data(self, key: str):
        rows = self._run("SELECT value FROM launch_data WHERE key = ? AND expires > ?", (key, time.time()))
        return json.loads(rows[0][0]) if rows else None

    def consume_nonce(self, nonce: str) -> bool:
        """True the first time a launch's nonce is seen, False ever after (a replayed launch)."""
        try:  # a launch token lives minutes: nonces a day old can no longer come with a valid one
            self._write(("DELETE FROM nonces WHERE used < ?", (time.time() - NONCE_SECONDS,)),
                        ("INSERT INTO nonces VALUES (?, ?)", (nonce, time.time())))
        except sqlite3.IntegrityError:
            return False
        return True

    # -- people and where their scores go

    def remember_person(self, student: str, name: str, email: str, role: str) -> None:
        self._write(("INSERT OR REPLACE INTO people VALUES (?,?,?,?)", (student, name, email, role)))

    def people(self) -> dict[str, tuple[str, str]]:
        """{student: (name, e-mail)} of everyone who opened the tool."""
        return {s: (n, e) for s, n, e in self._run("SELECT student, name, email FROM people")}

    def learners(self) -> list[str]:
        return [r[0] for r in self._run("SELECT student FROM people WHERE role = 'learner' ORDER BY student")]

    def set_target(self, student: str, exercise: str, platform: str, user_id: str, service: dict) -> None:
        """Where this student's score for this exercise goes; a new or changed target is owed the
        counted score again (graded before the LMS gave a grade service, or moved to a new line item)."""
        value = (platform, user_id, json.dumps(service))
        with self.lock:
            known = self._run("SELECT platform, user_id, service FROM targets WHERE student = ? AND exercise = ?",
                              (student, exercise))
            if known and tuple(known[0]) == value:
                return
            self._write(("INSERT OR REPLACE INTO targets VALUES (?,?,?,?,?)", (student, exercise, *value)),
                        ("UPDATE passback SET wanted = wanted + 1, due = ?, tries = 0 WHERE student = ? AND exercise = ?",
                         (time.time(), student, exercise)))

    def target(self, student: str, exercise: str) -> tuple[str, str, dict] | None:
        rows = self._run("SELECT platform, user_id, service FROM targets WHERE student = ? AND exercise = ?",
                         (student, exercise))
        return (rows[0][0], rows[0][1], json.loads(rows[0][2])) if rows else None

    # -- attempts

    def add_attempt(self, student: str, exercise: str, sha256: str, filename: str, lane: str) -> Attempt:
        aid = new_id()
        self._write(("INSERT INTO attempts (id, student, exercise, sha256, filename, uploaded, state, lane) "
                     "VALUES (?,?,?,?,?,?,?,?)", (aid, student, exercise, sha256, filename, time.time(), "queued", lane)))
        written = self.attempt(aid)
        assert written is not None  # the row written just above
        return written

    def attempt(self, aid: str) -> Attempt | None:
        if not aid or len(aid) > 64:
            return None
        rows = self._run("SELECT * FROM attempts WHERE id = ?", (aid,))
        return Attempt(*rows[0]) if rows else None

    def attempts(self, student: str | None = None, exercise: str | None = None) -> list[Attempt]:
        where, args = [], []
        for column, value in (("student", student), ("exercise", exercise)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = "SELECT * FROM attempts" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
        return [Attempt(*r) for r in self._run(sql, tuple(args))]

    def uploads_since(self, student: str, since: float) -> int:
        return self._run("SELECT COUNT(*) FROM attempts WHERE student = ? AND uploaded > ?", (student, since))[0][0]

    def set_state(self, aid: str, state: str) -> None:
        self._write(("UPDATE attempts SET state = ? WHERE id = ?", (state, aid)))

    def waiting(self, lane: str) -> list[Attempt]:
        """Attempts of a lane not yet graded, oldest first (a restart finds its queue here)."""
        return [Attempt(*r) for r in self._run(
            "SELECT * FROM attempts WHERE lane = ? AND state != 'done' ORDER BY seq", (lane,))]

    def place(self, attempt: Attempt) -> int:
        """How many attempts of its lane wait before this one."""
        return self._run("SELECT COUNT(*) FROM attempts WHERE lane = ? AND state = 'queued' AND seq < ?",
                         (attempt.lane, attempt.seq))[0][0]

    def finish(self, aid: str, student: str, exercise: str) -> None:
        """The attempt is graded (its result is in the gradebook); its exercise's score is owed to the LMS,
        in the same transaction, so a crash can leave neither without the other."""
        self._write(("UPDATE attempts SET state = 'done' WHERE id = ?", (aid,)),
                    ("INSERT INTO passback VALUES (?, ?, 1, 0, ?, 0, '', NULL, NULL) "
                     "ON CONFLICT (student, exercise) DO UPDATE SET wanted = wanted + 1, due = excluded.due, tries = 0",
                     (student, exercise, time.time())))

    # -- score posts owed to the LMS

    def owed(self, now: float) -> list[Owed]:
        return [Owed(*r) for r in self._run(
            "SELECT student, exercise, wanted, tries FROM passback WHERE wanted > sent AND due <= ? ORDER BY due",
            (now,))]

    def due_now(self) -> None:
        """Every post still owed is tried at once (a restart is when an outage is likely fixed)."""
        self._write(("UPDATE passback SET due = ? WHERE wanted > sent", (time.time(),)))

    def next_due(self) -> float | None:
        rows = self._run("SELECT MIN(due) FROM passback WHERE wanted > sent")
        return rows[0][0]

    def sent(self, owed: Owed, score: float | None, max_score: float | None, note: str = "") -> None:
        self._write(("UPDATE passback SET sent = MAX(sent, ?), score = ?, max_score = ?, error = ?, tries = 0 "
                     "WHERE student = ? AND exercise = ?", (owed.wanted, score, max_score, note, owed.student,
                                                            owed.exercise)))

    def retry_later(self, owed: Owed, due: float, error: str) -> None:
        self._write(("UPDATE passback SET due = ?, tries = tries + 1, error = ? WHERE student = ? AND exercise = ?",
                     (due, error[:500], owed.student, owed.exercise)))

    def passback_rows(self) -> dict[tuple[str, str], dict]:
        rows = self._run("SELECT student, exercise, wanted, sent, tries, error, score, max_score FROM passback")
        return {(r[0], r[1]): {"pending": r[2] > r[3], "tries": r[4], "error": r[5], "score": r[6],
                               "max_score": r[7]} for r in rows}
