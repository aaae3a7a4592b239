"""The corpus of typical mistakes, run and judged: how far the exercises' hints reach.

A `Mistake` (judge/mistakes.py) is run as a notebook runs, cell after cell, a failing cell not
stopping the next, on the exercise's solution with the mistake's edits; then judged by the
exercise's checks exactly as the grader judges (judge/in_process.py). The corpus is trusted code
written by the course's authors: it runs in this process, not in the sandbox. Used by
`autograder coverage` (cli/coverage.py), by autograder.testing and by the tests.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.judge.in_process import RUN_KEY, judge_in_process
from autograder.judge.mistakes import Mistake
from autograder.sandbox.cells import run_trusted


@dataclass
class Outcome:
    """What the checks made of one mistake."""

    mistake: Mistake
    failing: dict[str, tuple[str, str]]  # check -> (message, hint), for every check below full points
    problems: list[str]  # hints that are missing or wrong, checks that pass or fail unexpectedly

    @property
    def hinted(self) -> int:
        return sum(1 for _, hint in self.failing.values() if hint)

    @property
    def right(self) -> int:
        return sum(1 for name, (_, hint) in self.failing.items()
                   if hint and self.mistake.expect.get(name) and self.mistake.expect[name] in hint)


def _code_cells(master: Path, params: dict | None) -> list[str]:
    """The master's code as the solution notebook holds it: its given and solution cells,
    without the test cells, with the placeholders filled. Otter's calls stay: they run against
    the sandbox's stand-in for Otter, as in a graded notebook."""
    if params is not None:  # a personal variant: its numbers, whatever their types, rendered as given
        return list(_cells_of(str(master), params))
    stat = Path(master).stat()
    return list(_default_cells_of(str(master), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=64)
def _default_cells_of(master: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    # Once per master as it is on disk: a corpus runs dozens of mistakes on one master at the
    # slides' numbers, and reading and rendering it took a tenth of a second each time.
    return _cells_of(master, None)


def _cells_of(master: str, params: dict | None) -> tuple[str, ...]:
    from autograder.build.variants import render

    nb = nbformat.read(master, as_version=4)
    if any(c.cell_type in ("markdown", "code") and "{{" in c.source for c in nb.cells):
        from autograder.build.variants import default_variant

        render(nb, params or default_variant(Path(master).stem, Path(master).parent), master)
    cells, in_tests = [], False
    for cell in nb.cells:
        if cell.cell_type == "raw":
            if "# BEGIN TESTS" in cell.source:
                in_tests = True
            elif "# END TESTS" in cell.source:
                in_tests = False
            continue
        if cell.cell_type == "code" and not in_tests:
            cells.append(cell.source)
    return tuple(cells)


def run_mistake(master: Path, mistake: Mistake, params: dict | None = None) -> dict:
    """The namespace of the solution with the mistake's edits, run cell by cell by the
    sandbox's own cell runner (in this process: the corpus is trusted), output discarded."""
    cells = _code_cells(master, params)
    code = "\n\n# ---- cell ----\n".join(cells)
    for old, new in mistake.edits.items():
        if old not in code:
            raise ValueError(f"{master.stem}, mistake {mistake.name!r}: the text {old!r} is not in the solution")
    pieces = []
    for cell in cells:
        for old, new in mistake.edits.items():
            cell = cell.replace(old, new)
        pieces.append(cell)
    if mistake.after:
        pieces.append(mistake.after)
    # A cell that fails does not stop the next, as in a notebook: that is run_cell's rule.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        namespace, outcomes = run_trusted(pieces)
    namespace[RUN_KEY] = (pieces, outcomes)
    return namespace


def judge_mistake(exercise, mistake: Mistake, seed: int = 0, namespace: dict | None = None) -> Outcome:
    """The outcome of one mistake of `exercise` (a course's Exercise), judged on the draw `seed`;
    `namespace`: the mistake's run_mistake, when it has run already (another draw of the same)."""
    from autograder.exercises import load_checks

    checks = load_checks(exercise)
    namespace = run_mistake(Path(exercise.master), mistake) if namespace is None else namespace
    verdicts = judge_in_process(checks, namespace, seed)
    points = {c.name: c.points for c in checks}
    failing = {name: (v.message, v.hint) for name, v in verdicts.items() if v.points < points[name]}
    problems = []
    for name, (message, hint) in failing.items():
        if name not in mistake.expect:
            problems.append(f"{name} fails unexpectedly: {message} / hint: {hint or '-'}")
        elif mistake.expect[name] and mistake.expect[name] not in hint:
            problems.append(f"{name}: expected a hint with {mistake.expect[name]!r}, got {hint or 'none'!r}")
    for name in mistake.expect:
        if name not in failing:
            problems.append(f"{name} was expected to fail but passes")
    return Outcome(mistake, failing, problems)


CORPORA = {"own": "mistakes.py", "held-out": "held_out.py"}


def load_corpus(exercise, corpus: str = "own") -> list[Mistake]:
    """`MISTAKES` of exercises/<id>/mistakes.py (the exercise's own list, which its hints were
    written for) or of exercises/<id>/held_out.py (mistakes written before, and never used for,
    the hints: how far the hints generalise), or [] for an exercise without that corpus."""
    path = Path(exercise.folder) / CORPORA[corpus]
    if not path.is_file():
        return []
    spec = importlib.util.spec_from_file_location(f"autograder_{corpus.replace('-', '_')}_{exercise.id}", path)
    if spec is None or spec.loader is None:  # a path Python cannot load as a module
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.MISTAKES)
