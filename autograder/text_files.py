"""A teacher's text file (course.yaml, a roster, a CSV of hand-in times) read as UTF-8, or one
line saying why not, naming the file and, where the bytes go wrong, the line.

Spreadsheets save CSV in the system's code page unless told otherwise, so a roster that is not
UTF-8 is common; the line number lets the teacher find the name that is the cause.
"""

from __future__ import annotations

from pathlib import Path


def read_text(path: str | Path, error: type[Exception], what: str) -> str:
    """The text of `path` (UTF-8, a byte order mark allowed); `error(message)` otherwise,
    `what` naming the file in words ("the roster")."""
    try:
        if Path(path).exists() and not Path(path).is_file():  # a FIFO would block the read forever
            raise error(f"the {what} {path} is not a file (a folder, FIFO or device)")
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise error(f"no {what} at {path}") from None
    except OSError as exc:
        raise error(f"the {what} {path} could not be read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise error(f"{path}, line {line}: not UTF-8 text; save it as UTF-8") from None
