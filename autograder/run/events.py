"""Event framing: the worker's event stream cut into events and reply files, under caps.

The worker (`autograder/sandbox/worker.py`) writes newline-delimited JSON events on a pipe of
their own, in one order: `ready`; each code cell's `start` and `end` in turn; for each probe in
the order asked its `start`, its reply files (an `{"e": "file", "name", "size"}` header, then
exactly `size` raw bytes), its `reply` and its `end`; `done`. This module only frames the
stream: it cuts it into events and writes the reply files into the supervisor's private folder.
Whether an event comes in that order is the run state's judgement (`state.py`): student code
runs in the worker's process and can write anything here.

Everything is capped: one line, every reply's JSON together, every file together, and the whole
stream in bytes and in events. A run past a total cap is stopped (status `crashed`, with what
was received before it kept), so the grader's memory and time stay bounded whatever the sandbox
writes.
"""

from __future__ import annotations

import json
import os
import re
from typing import IO

from autograder.sandbox import wire

REPLY_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.npy")
MAX_REPLY_TOTAL = wire.MAX_ARRAY_BYTES + (1 << 20)  # every reply file together
MAX_REPLY_FILES = 4 * wire.MAX_ITEMS
MAX_EVENT_LINE = 2 * 1024 * 1024  # one event; a reply's JSON is a few KB (arrays travel as files)
MAX_REPLIES_JSON = wire.MAX_REPLY_BYTES - (64 << 10)  # every reply's JSON together: answers.json stays readable
MAX_STREAM_BYTES = MAX_REPLY_TOTAL + MAX_REPLIES_JSON + (8 << 20)  # the whole events stream
MAX_REPLY_DEPTH = 4 * (wire.MAX_DEPTH + 4)  # JSON nesting of a reply: wire's nodes are a few levels each


def max_events(ncells: int, nprobes: int) -> int:
    """Events an honest worker sends: ready, two per cell, three per probe and its files, done."""
    return 64 + 2 * ncells + 3 * nprobes + MAX_REPLY_FILES


class EventStream:
    """Parses the worker's event stream: JSON lines, and reply files as raw bytes after a header.

    `over` becomes a sentence once the stream passes a total cap; from then on nothing more is
    parsed or kept."""

    def __init__(self, out_dir: str, max_count: int = 10**6):
        self.out_dir = out_dir
        self.buf = bytearray()
        self.scanned = 0  # bytes of `buf` known to hold no newline (a long line is searched once)
        self.skipping = False  # inside a line over MAX_EVENT_LINE: dropped up to its newline
        self.file: IO[bytes] | None = None  # open file or None while draining a refused one
        self.left = 0  # raw bytes still to consume for the current file
        self.total = 0
        self.count = 0
        self.names: set[str] = set()
        self.refused: list[str] = []
        self.stream_bytes = 0
        self.events = 0
        self.max_count = max_count
        self.over: str | None = None

    def feed(self, data: bytes) -> list[dict]:
        if self.over:
            return []
        self.stream_bytes += len(data)
        if self.stream_bytes > MAX_STREAM_BYTES:
            self.over = f"more than {MAX_STREAM_BYTES // (1 << 20)} MB"
            self.buf.clear()
            return []
        self.buf += data
        events = []
        while self.buf:
            if self.left:
                take = min(self.left, len(self.buf))
                if self.file is not None:
                    self.file.write(self.buf[:take])
                del self.buf[:take]
                self.left -= take
                if not self.left:
                    self._close_file()
                continue
            newline = self.buf.find(b"\n", self.scanned)
            if newline < 0:
                if len(self.buf) > MAX_EVENT_LINE:  # not an event of ours: dropped, up to its end
                    self.buf.clear()
                    self.skipping = True
                self.scanned = len(self.buf)
                break
            line = bytes(self.buf[:newline])
            del self.buf[: newline + 1]
            self.scanned = 0
            if self.skipping:
                self.skipping = False
                continue
            if not line.strip():  # the worker starts each event on a line of its own
                continue
            self.events += 1
            if self.events > self.max_count:
                self.over = f"more than {self.max_count} messages"
                self.buf.clear()
                break
            try:
                event = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if not isinstance(event, dict):
                continue
            if event.get("e") == "file":
                self._open_file(event)
                continue
            events.append(event)
        return events

    def _open_file(self, event: dict) -> None:
        name, size = event.get("name"), event.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            return
        if size > MAX_STREAM_BYTES:
            self.over = f"a file of {size} bytes"
            return
        self.left = size
        self.file = None
        if not (
            isinstance(name, str) and REPLY_NAME.fullmatch(name) and name not in self.names
            and self.total + size <= MAX_REPLY_TOTAL and self.count < MAX_REPLY_FILES
        ):
            self.refused.append(str(name)[:100])
        else:
            self.names.add(name)
            self.total += size
            self.count += 1
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            self.file = os.fdopen(os.open(os.path.join(self.out_dir, name), flags, 0o600), "wb")
        if not self.left:
            self._close_file()

    def _close_file(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def close(self) -> None:
        self._close_file()


def json_depth(value) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_REPLY_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest
