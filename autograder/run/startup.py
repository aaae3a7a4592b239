"""Warm or cold: the choice, per preload set of the workers, from start-up costs measured on this machine.

Three costs per preload set (what a warm worker imports, see preload.py), isolation mode and Python:

    start  seconds from spawning a warm worker to its `warm` (its libraries imported)
    warm   seconds of one run forked from a warm worker (the notebook's code included)
    cold   seconds of one run in a fresh worker (the same, plus a fresh start and the imports)

Every batch records what it measured (runs that finished only: a timeout costs the same
either way) in a small JSON file, `$AUTOGRADER_CACHE/startup-costs.json` (default
`~/.cache/autograder/`), and the median of the last SAMPLES of each cost is what the next
batch uses. Until a cost was measured it is estimated from the preload set: a fresh worker
and a warm worker import the same libraries, so `start` and the start of a cold run are the
same, and a forked run costs a fork and a clean-up above the notebook's code.

The choice: on a machine whose cores are busy with the batch, what counts is the work done,
so `z` warm workers for `n` runs cost `z * start + n * warm` against `n * cold` for fresh
workers; warm is chosen only when it is cheaper. With `n` at most the number of workers
every warm worker would start for a single run, which never pays: such batches run cold.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from autograder.settings import env_name, settings

log = logging.getLogger(__name__)

CACHE_ENV = env_name("cache")
FILE_NAME = "startup-costs.json"
SAMPLES = 15  # the last ones kept per cost: the median follows a machine that got busier or faster
# Estimates until measured, seconds: Python, IPython and the engine in a sandbox, and each library.
BASE_START = 0.8
IMPORT_GUESS = {"numpy": 0.15, "IPython": 0.0, "matplotlib": 0.8, "scipy": 0.5, "pandas": 0.7, "sklearn": 1.0,
                "torch": 2.5, "keras": 2.5}
OTHER_IMPORT_GUESS = 0.5
FORK_GUESS = 0.1  # fork, the job's pipes, the clean-up after it
FORK_GUESS_PER_LIBRARY = {"torch": 0.15, "keras": 0.1, "matplotlib": 0.03}  # a larger process forks slower


@dataclass(frozen=True)
class Costs:
    """Seconds for workers of one preload set: a warm worker's start, a warm run, a cold run."""

    start: float
    warm: float
    cold: float
    measured: tuple[str, ...] = ()  # which of them come from measurements here

    def warm_pays(self, runs: int, workers: int) -> bool:
        """Whether warm workers grade `runs` runs of this preload set faster than fresh ones (module docstring)."""
        workers = max(1, workers)
        if runs <= workers:  # each warm worker would start for one run: a cold run and a fork more
            return False
        return workers * self.start + runs * self.warm < runs * self.cold

    def describe(self) -> str:
        how = f"measured: {', '.join(self.measured)}" if self.measured else "estimated"
        return f"start {self.start:.2f} s, warm run {self.warm:.2f} s, cold run {self.cold:.2f} s ({how})"


def cache_path() -> Path:
    return settings().cache_folder() / FILE_NAME


def preload_key(preload: tuple[str, ...], isolation: str) -> str:
    return f"{isolation}|{sys.executable}|{','.join(preload)}"


def estimate(preload: tuple[str, ...]) -> Costs:
    """Costs from the preload set alone, before anything was measured."""
    start = BASE_START + sum(IMPORT_GUESS.get(name, OTHER_IMPORT_GUESS) for name in preload)
    warm = FORK_GUESS + sum(FORK_GUESS_PER_LIBRARY.get(name, 0.0) for name in preload)
    return Costs(start=start, warm=warm, cold=start + warm - FORK_GUESS * 0.5)


class StartupCosts:
    """The measured costs of this machine: read once, added to during a batch, written at its end."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else cache_path()
        self._lock = threading.Lock()
        self._new: dict[str, dict[str, list[float]]] = {}
        self._data = self._read()

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}  # none yet, or unreadable: estimates, and a fresh file at the end
        if not isinstance(data, dict):
            return {}
        clean: dict = {}
        for key, costs in data.items():
            if isinstance(key, str) and isinstance(costs, dict):
                clean[key] = {what: [float(v) for v in values if isinstance(v, (int, float)) and 0 <= v < 1e5]
                              for what, values in costs.items() if what in ("start", "warm", "cold")
                              and isinstance(values, list)}
        return clean

    def samples(self, preload: tuple[str, ...], isolation: str, what: str) -> list[float]:
        key = preload_key(preload, isolation)
        with self._lock:
            return list(self._data.get(key, {}).get(what, [])) + list(self._new.get(key, {}).get(what, []))

    def costs(self, preload: tuple[str, ...], isolation: str) -> Costs:
        """Measured medians where there are samples; the rest from what was measured and the estimate."""
        guess = estimate(preload)
        medians = {what: statistics.median(s[-SAMPLES:]) for what in ("start", "warm", "cold")
                   if (s := self.samples(preload, isolation, what))}
        start = medians.get("start", medians.get("cold", guess.start))
        warm = medians.get("warm", guess.warm)
        # A cold run imports what a warm worker imports, then runs the same code.
        cold = medians.get("cold", max(start + warm - FORK_GUESS * 0.5, warm))
        return Costs(start, warm, cold, tuple(w for w in ("start", "warm", "cold") if w in medians))

    def record(self, preload: tuple[str, ...], isolation: str, what: str, seconds: float | None) -> None:
        """One sample of `what` (None: not measured, nothing recorded)."""
        if what not in ("start", "warm", "cold") or seconds is None or not 0 <= seconds < 1e5:
            return
        with self._lock:
            self._new.setdefault(preload_key(preload, isolation), {}).setdefault(what, []).append(round(float(seconds), 4))

    def save(self) -> None:
        """Merge this batch's samples into the file (re-read first: another batch may have written)."""
        with self._lock:
            new, self._new = self._new, {}
        if not new:
            return
        merged = self._read()
        for key, costs in new.items():
            for what, values in costs.items():
                merged.setdefault(key, {}).setdefault(what, [])
                merged[key][what] = (merged[key][what] + values)[-SAMPLES:]
        self._data = merged
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".startup-costs-")
            with os.fdopen(fd, "w") as f:
                json.dump(merged, f, indent=1, sort_keys=True)
            os.replace(tmp, self.path)  # whole or not at all, whatever runs beside this batch
        except OSError as exc:  # a read-only home costs the next batch its measurements, nothing else
            log.info("could not save start-up costs to %s: %s", self.path, exc)
