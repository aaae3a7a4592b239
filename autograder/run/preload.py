"""What a warm worker imports before it forks a notebook: the libraries its exercise uses.

A warm worker that has torch and Keras loaded starts in seconds and forks slowly; one with
numpy and IPython starts in about a second and forks in milliseconds. So each exercise has its
own preload set (what its warm workers import):

* declared in course.yaml, `preload: [numpy, IPython, ...]` on the exercise, or else
* derived from the imports of the exercise's master notebook (its code cells, parsed, never
  run): every third-party top-level package it imports that is installed here, plus `keras`
  for a timed training task (the trainer imports it).

numpy and IPython are always in the set: the worker itself runs on IPython, and every
exercise of this course uses numpy. The set is normalised (known order, no duplicates), so
two exercises that need the same libraries share their warm workers.
"""

from __future__ import annotations

import ast
import functools
import json
import sys
from importlib.util import find_spec
from pathlib import Path

BASE = ("numpy", "IPython")
# Import order of the known libraries (keras picks its torch backend after torch is in).
ORDER = ("numpy", "IPython", "matplotlib", "scipy", "pandas", "sklearn", "torch", "keras")
# Never preloaded: the worker stands in for Otter; these would only slow a warm worker's start.
NOT_PRELOADED = {"otter", "autograder", "solutions", "exercises"}


def normalize(names) -> tuple[str, ...]:
    """A preload set in one canonical order: BASE first, then known libraries, then the rest."""
    wanted = {str(n).strip() for n in names if str(n).strip()} | set(BASE)
    if "keras" in wanted:
        wanted.add("torch")  # its backend here (KERAS_BACKEND=torch): the same worker either way
    known = [n for n in ORDER if n in wanted]
    return tuple(known + sorted(wanted - set(ORDER)))


def exercise_preload(exercise) -> tuple[str, ...]:
    """The preload set of a course exercise (`autograder.course.Exercise`, whose `preload` the
    course model has checked to be module names); see the module docstring."""
    if exercise.preload is not None:
        return normalize(exercise.preload)
    return normalize(master_imports(str(exercise.master)) + (("keras",) if exercise.trains else ()))


@functools.lru_cache(maxsize=None)
def master_imports(path: str) -> tuple[str, ...]:
    """Third-party top-level packages the master notebook's code cells import, installed here."""
    try:
        cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return ()
    found: set[str] = set()
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        # Magics and shell lines are not Python; what is left must parse, or it is skipped.
        lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    third_party = {name for name in found
                   if name not in sys.stdlib_module_names and name not in NOT_PRELOADED and _installed(name)}
    return tuple(sorted(third_party))


def _installed(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):
        return False
