"""The worker's stdout and stderr, kept up to Limits.output_bytes; the rest drained and counted."""

from __future__ import annotations


class CappedOutput:
    """What the notebook printed: the first `limit` bytes kept, the rest only counted (so the pipe
    never blocks the worker, and the grader's memory stays bounded)."""

    def __init__(self, limit: int):
        self.limit = max(int(limit), 0)
        self.kept = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> None:
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept += data[:room]
        self.dropped += max(len(data) - max(room, 0), 0)

    def text(self) -> str:
        text = self.kept.decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n[autograder: {self.dropped} more bytes of output were dropped]\n"
        return text
