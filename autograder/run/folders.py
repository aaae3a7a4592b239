"""The host folders of a sandbox: the engine copied in, and the data files of the exercise.

The engine is the whole `autograder/sandbox/` package, copied read-only into the sandbox's own
folder (a folder, not a list of files someone has to keep). Data files get a folder of their
own, shown read-only to the notebook; their names are checked to stay inside it.

A folder that outlives one run (a warm worker's) is owned: its owner holds a lock on a file in
it, which the kernel lets go of however the owner ends. A grader killed outright (SIGKILL, out
of memory) cleans nothing up, so the next one to make such a folder removes those whose owner
is gone.
"""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import tempfile
import time
from pathlib import Path

# The one remover of what a sandbox wrote: a tree of any depth, closed folders, links never
# followed (the zygote empties its sandbox's folders with the same code).
from autograder.sandbox.emptying import remove as remove_tree

SANDBOX_PACKAGE = Path(__file__).resolve().parent.parent / "sandbox"  # everything that runs inside


def engine_files() -> list[Path]:
    """The sandbox package's modules: the whole folder, not a list someone has to keep."""
    return sorted(p for p in SANDBOX_PACKAGE.glob("*.py") if p.name != "__init__.py")


def safe_relative(name: str) -> str:
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts or name.startswith("/"):
        raise ValueError(f"data file name {name!r} must be a relative path inside the working folder")
    return os.path.join(*parts)


def prepare_engine(base: str, files: dict[str, bytes] | None) -> tuple[str, str | None]:
    """`base`/engine (the engine, read-only) and, where there are data files, `base`/files."""
    engine = os.path.join(base, "engine")
    os.mkdir(engine)
    for source in engine_files():
        target = os.path.join(engine, source.name)
        shutil.copyfile(source, target)
        os.chmod(target, 0o444)
    os.chmod(engine, 0o555)
    if not files:
        return engine, None
    folder = os.path.join(base, "files")
    os.mkdir(folder)
    for name, data in files.items():
        target = os.path.join(folder, safe_relative(name))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(bytes(data))
    for root, dirnames, filenames in os.walk(folder):
        os.chmod(root, 0o755)
        for n in filenames:
            os.chmod(os.path.join(root, n), 0o644)
    return engine, folder


def replace_files(folder: str, files: dict[str, bytes] | None) -> None:
    """A warm worker's next job's data files in the folder its sandbox sees read-only (emptied first)."""
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    for name, data in (files or {}).items():
        target = os.path.join(folder, safe_relative(name))
        os.makedirs(os.path.dirname(target), exist_ok=True, mode=0o755)
        with open(target, "wb") as f:
            f.write(bytes(data))
        os.chmod(target, 0o644)


OWNER_LOCK = ".owner.lock"  # the file whose lock says that the folder's owner is alive
ABANDONED_AFTER_S = 60.0  # a lock file younger than this may not be locked yet: left alone


def owned_folder(prefix: str) -> tuple[str, int]:
    """(a new temporary folder, the descriptor of its lock): the folder is this process's for as
    long as the descriptor is open (close it after removing the folder)."""
    folder = tempfile.mkdtemp(prefix=prefix)
    fd = os.open(os.path.join(folder, OWNER_LOCK), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return folder, fd


def remove_abandoned(prefix: str) -> list[str]:
    """Remove the folders `owned_folder(prefix)` made whose owner has ended without removing them;
    the paths removed. A folder without a lock file is not one of these and stays."""
    removed = []
    for folder in glob.glob(os.path.join(glob.escape(tempfile.gettempdir()), glob.escape(prefix) + "*")):
        try:
            fd = os.open(os.path.join(folder, OWNER_LOCK), os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            if time.time() - os.fstat(fd).st_mtime < ABANDONED_AFTER_S:
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # OSError: its owner holds it
            remove_tree(folder)
            removed.append(folder)
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed
