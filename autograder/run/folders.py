"""The host folders of a sandbox: the engine copied in, and the data files of the exercise.

The engine is the whole `autograder/sandbox/` package, copied read-only into the sandbox's own
folder (a folder, not a list of files someone has to keep). Data files get a folder of their
own, shown read-only to the notebook; their names are checked to stay inside it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# The one remover of what a sandbox wrote: a tree of any depth, closed folders, links never
# followed (the zygote empties its sandbox's folders with the same code).
from autograder.sandbox.emptying import remove as remove_tree  # noqa: F401

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
