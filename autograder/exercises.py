"""Where an exercise lives and how its hidden checks are loaded.

Exercises are folders, not packages: `exercises/<id>/checks.py` is loaded by path, so a
teacher can add one without touching the Python package.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import lru_cache
from pathlib import Path

from autograder.judge import Check

REPO_ROOT = Path(__file__).resolve().parent.parent
EXERCISES_DIR = REPO_ROOT / "exercises"


def exercise_dir(exercise_id: str, root: Path = EXERCISES_DIR) -> Path:
    return root / exercise_id


def master_notebook(exercise_id: str, root: Path = EXERCISES_DIR) -> Path:
    return exercise_dir(exercise_id, root) / f"{exercise_id}.ipynb"


@lru_cache(maxsize=None)
def load_checks(exercise_id: str, root: Path = EXERCISES_DIR) -> tuple[Check, ...]:
    """The exercise's CHECKS, imported once per process from its checks.py."""
    path = exercise_dir(exercise_id, root) / "checks.py"
    if not path.is_file():
        raise FileNotFoundError(f"exercise {exercise_id!r} has no checks.py at {path}")
    name = f"autograder_checks_{exercise_id}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    checks = tuple(module.CHECKS)
    names = [c.name for c in checks]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: check names must be unique, got {names}")
    return checks


@lru_cache(maxsize=None)
def data_files(folder: Path) -> dict[str, bytes]:
    """{"data/...": bytes} of an exercise's data/ folder, read once: the files its notebook
    reads, placed in every sandbox's working folder as they are shipped to students."""
    data = Path(folder) / "data"
    if not data.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}


def max_score(exercise_id: str) -> float:
    return float(sum(c.points for c in load_checks(exercise_id)))
