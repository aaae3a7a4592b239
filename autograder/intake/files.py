"""Finding submission files and reading their bytes, without trusting the folder they lie in.

A folder of submissions is written by students (or by an LMS export of what students
uploaded), so it may hold symbolic links (to the solutions, to /dev/zero), FIFOs that block
a reader forever, devices, or files far larger than any notebook. None of these is followed
or read: each still becomes a row, with the reason, so a teacher sees what was handed in.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".ipynb", ".zip")


class IntakeError(ValueError):
    """Why a file is not a usable submission; becomes status `invalid`."""


class MissingInput(ValueError):
    """A path given to grade does not exist: a typo, not a student. Nothing is graded."""


def check_inputs(paths) -> None:
    """Raise MissingInput naming every given path that does not exist (a dangling link does:
    it gets its row)."""
    absent = [str(p) for p in paths if not os.path.lexists(p)]
    if absent:
        names = ", ".join(repr(a) for a in absent[:5]) + (f" and {len(absent) - 5} more" if len(absent) > 5 else "")
        raise MissingInput(f"no such file or folder: {names}; nothing was graded")


@dataclass
class Found:
    """A candidate file: where it is, the argument it came from, and why it can't be read (if so)."""

    path: Path
    base: Path
    problem: str | None = None
    explicit: bool = False  # named on the command line (the teacher chose it), not found in a folder


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _listing(folder: Path) -> tuple[list[str], list[str]]:
    """(the folders in `folder` to enter, everything else in it), each sorted: hidden folders
    are not entered, links are never entered."""
    with os.scandir(folder) as entries:
        listed = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
    enter = sorted(name for name, is_dir in listed if is_dir and not name.startswith("."))
    return enter, sorted(name for name, is_dir in listed if not is_dir)


def _candidate(folder: Path, name: str) -> bool:
    """A file named like a submission, or a link to a folder (whatever its name: a student's
    folder that is a link still gets its row)."""
    if name.startswith("."):
        return False
    path = folder / name
    return path.suffix.lower() in SUFFIXES or (path.is_symlink() and path.is_dir())


def _walk(given: Path) -> list[Found]:
    """The candidates under the folder `given`, depth first, each folder's files before its
    folders. Iterative, with its own stack: a student's folder nested thousands deep cannot
    exhaust the grader's (os.walk recurses in Python 3.11); a folder that cannot be listed
    (too long a path, no permission) gets its row."""
    found: list[Found] = []
    stack = [given]
    while stack:
        folder = stack.pop()
        try:
            enter, others = _listing(folder)
        except OSError as exc:
            found.append(Found(folder, given, f"the folder could not be read: {exc.strerror or exc}"))
            continue
        for name in others:
            path = folder / name
            try:
                if not _candidate(folder, name):
                    continue
                mode = os.lstat(path).st_mode
            except OSError as exc:
                found.append(Found(path, given, f"the file could not be read: {exc.strerror or exc}"))
                continue
            problem = None if stat.S_ISREG(mode) else f"it is {_kind(mode)}, which is not followed or read"
            found.append(Found(path, given, problem))
        stack.extend(folder / name for name in reversed(enter))
    return found


def discover(paths: list[str | Path]) -> list[Found]:
    """Every candidate file under `paths`, sorted per argument. A folder given is walked (a
    link the teacher names is followed), without following the links inside it; a link or
    special file with a submission's suffix gets a row saying why."""
    found: list[Found] = []
    for given in map(Path, paths):
        try:
            is_dir = given.is_dir()
        except (OSError, ValueError):
            is_dir = False
        if is_dir:
            found.extend(_walk(given))
        else:
            found.append(Found(given, given.parent, explicit=True))  # odd files still get a row
    return found


def read_limited(path: Path, limit: int, follow_links: bool) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; anything else is an IntakeError.

    The size is checked on the open descriptor before reading (a FIFO or a device is refused
    before a read could block or never end), and the read itself stops at limit + 1 bytes in
    case the file grows while it is read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if not follow_links and os.path.islink(path):
            raise IntakeError("it is a symbolic link, which is not followed or read") from None
        raise IntakeError(f"the file could not be read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise IntakeError(f"it is {_kind(info.st_mode)}, which is not read")
        if info.st_size > limit:
            raise IntakeError(f"the file is {info.st_size:,} bytes, over the limit of {limit:,} bytes")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise IntakeError(f"the file is over the limit of {limit:,} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise IntakeError(f"the file could not be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
