"""The fast path: a pool of warm workers (zygotes), each forking a fresh child per submission.

    with WarmPool(size=2, preload=["numpy", "IPython", "matplotlib", "torch", "keras"]) as pool:
        result = pool.run(cells, probes, limits)        # same RunResult as run_notebook

    with WarmPool.for_batch([preload_of_each_run, ...], workers=2) as pool:   # a batch: per preload set, warm or cold
        result = pool.run(cells, probes, limits, preload=("numpy", "IPython"))

A warm worker (`warm_worker.py`: a zygote) is started once per pool slot inside the same sandbox
a fresh worker gets (bubblewrap, or rlimits with a warning), imports the libraries of the
course, and then forks one child per submission. The child is a complete worker with its own
pipes, limits and session; it is supervised by the very code that supervises a fresh worker
(`supervise.supervise`), through `warm_worker.PooledJob`. After each job the zygote kills every
other process of its sandbox and empties every writable folder, and only then takes the next
job, so that no file, process, thread or module patch of one submission reaches the next one.

If a submission kills its zygote, hangs it, or leaves it unclean, that zygote is thrown away
and a new one starts for the next submission. Runs on a GPU go to `run_notebook` (a fresh
worker, with the GPU's devices in its sandbox).

Preload sets. A zygote preloads one set of libraries (`preload.py`: what an exercise
imports), and serves only runs that asked for that set. A pool made for a batch knows how many
runs of each preload set are to come (`plan`): for each one it chooses warm or fresh workers from
the start-up costs measured on this machine (`startup.py`), keeps a preload set's zygotes only while
runs that need it are still to start, and gives their slot (and memory) to the next preload set. A
pool without a plan (the Dask workers) keeps its zygotes until it is closed.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from functools import partial

from autograder.probe import Probe
from autograder.run.fresh import run_notebook
from autograder.run.isolation import isolation_mode
from autograder.run.limits import Limits
from autograder.run.preload import normalize
from autograder.run.protocols import Runner
from autograder.run.results import RunResult
from autograder.run.startup import StartupCosts
from autograder.run.states import Isolation, RunStatus
from autograder.run.warm_worker import WarmWorker, ZygoteError
from autograder.settings import WarmChoice, settings

log = logging.getLogger(__name__)

DEFAULT_PRELOAD = ("numpy", "IPython", "matplotlib", "torch", "keras")


def warm_setting(warm: bool | None = None) -> bool | None:
    """True (warm workers wherever they can run), False (fresh workers only) or None (chosen per
    preload set from the measured costs): `warm` if given, else AUTOGRADER_WARM (0/cold, 1/warm, auto)."""
    if warm is not None:
        return bool(warm)
    choice = settings().warm
    return None if choice is WarmChoice.AUTO else choice is WarmChoice.WARM


class _Spawner:
    """The one thread that starts every zygote of a pool. bubblewrap's --die-with-parent follows
    the thread that started it, so zygotes must not be started by the threads that come and go
    with jobs; this thread lives as long as the pool."""

    def __init__(self):
        self.requests: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None

    def spawn(self, preload: tuple[str, ...], limits: Limits) -> WarmWorker:
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._serve, name="autograder-zygotes", daemon=True)
            self.thread.start()
        reply: queue.Queue = queue.Queue(maxsize=1)
        self.requests.put((preload, limits, reply))
        outcome = reply.get()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _serve(self) -> None:
        while True:
            request = self.requests.get()
            if request is None:
                return
            preload, limits, reply = request
            try:
                reply.put(WarmWorker(preload, limits, wait=False))
            except BaseException as exc:  # noqa: BLE001 - handed to the thread that asked
                reply.put(exc)

    def stop(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            self.requests.put(None)


class WarmPool:
    """Warm workers, at most `size` at once, of one preload set each, started when a run asks.

    `plan`: {preload set: runs to come} of a batch (see `for_batch`), or None: every preload set is
    warm and its zygotes stay until `close`. `warm`: True every preload set warm, False every run in a
    fresh worker, None (with a plan) chosen per preload set from `costs` (startup.py).
    """

    def __init__(self, size: int = 1, preload: tuple[str, ...] | list[str] = DEFAULT_PRELOAD,
                 limits: Limits | None = None, plan: dict | None = None, warm: bool | None = None,
                 costs: StartupCosts | None = None):
        self.size, self.preload = max(1, int(size)), normalize(preload)
        self.limits = limits or Limits()
        self.plan = {normalize(k): int(n) for k, n in plan.items()} if plan is not None else None
        self.remaining = dict(self.plan) if self.plan is not None else None  # runs not started yet, per preload set
        self.force = warm
        self.costs = costs if costs is not None else StartupCosts()
        self.decided: dict[tuple[str, ...], bool] = {}
        self._cond = threading.Condition()
        self._idle: list[WarmWorker] = []
        self._starting: list[WarmWorker] = []  # spawned by warm_up, not yet warm
        self._live = 0  # zygotes idle, busy or starting
        self._spawner = _Spawner()
        self._isolation: Isolation | None = None
        self.closed = False

    @classmethod
    def for_batch(cls, preloads: list, workers: int, warm: bool | None = None, limits: Limits | None = None,
                  costs: StartupCosts | None = None) -> "WarmPool":
        """A pool for a batch whose runs ask for these preload sets, one entry per run."""
        plan = Counter(normalize(k) for k in preloads)
        return cls(min(max(1, workers), max(1, len(preloads))), limits=limits, plan=plan, warm=warm_setting(warm),
                   costs=costs)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- decisions

    @property
    def isolation(self) -> str:
        if self._isolation is None:
            self._isolation = isolation_mode()
        return self._isolation

    def warm_for(self, preload: tuple[str, ...]) -> bool:
        """Whether runs that need this preload set fork from warm workers (decided once per set)."""
        if self.force is not None:
            return self.force
        if self.plan is None:
            return True
        if preload not in self.decided:
            costs = self.costs.costs(preload, self.isolation)
            runs = self.plan.get(preload, 1)
            self.decided[preload] = costs.warm_pays(runs, self.size)
            log.info("%d run(s) needing %s on %d worker(s): %s workers (%s)", runs, ",".join(preload), self.size,
                     "warm" if self.decided[preload] else "fresh", costs.describe())
        return self.decided[preload]

    def rank(self, preload) -> tuple:
        """Sort key of a run in the batch: the runs of each preload set together, warm ones first, the larger first."""
        if preload is None:
            return (0, 0, ())
        preload = normalize(preload)
        return (1 if self.warm_for(preload) else 2, -(self.plan or {}).get(preload, 0), preload)

    def runner(self, preload=None) -> Runner:
        """`run` for runs that need `preload`: a Runner, as run_notebook is."""
        return partial(self.run, preload=preload)

    # -- zygotes

    def warm_up(self) -> None:
        """Start, in parallel, the zygotes of the first warm preload set to run (otherwise its first runs do)."""
        preloads = sorted(self.plan, key=self.rank) if self.plan is not None else [self.preload]
        first = next((k for k in preloads if self.warm_for(k)), None)
        if first is None or self.closed:
            return
        with self._cond:
            count = min(self.size - self._live, (self.remaining or {}).get(first, self.size))
            self._live += max(count, 0)
        started = []
        for _ in range(max(count, 0)):  # all spawned first, so they import their libraries in parallel
            try:
                zygote = self._spawner.spawn(first, self.limits)
            except Exception as exc:  # noqa: BLE001 - a slot that fails starts again on its next run
                log.warning("a warm worker did not start: %s", exc)
                continue
            started.append(zygote)
            with self._cond:  # close() kills what is still starting (a service stopped early)
                self._starting.append(zygote)
                closed = self.closed
            if closed:
                zygote.kill()
        for zygote in started:
            try:
                zygote.wait_warm()
                self.costs.record(zygote.preload, zygote.isolation, "start", zygote.start_seconds)
            except Exception as exc:  # noqa: BLE001 - killed by close(), or did not start: its slot is freed below
                log.warning("%s", exc)
        gone = []  # died while starting, or warm only after the pool closed
        with self._cond:
            self._live -= count - len(started)
            for zygote in started:
                self._starting.remove(zygote)
                if zygote.alive() and not self.closed:
                    self._idle.append(zygote)
                else:
                    self._live -= 1
                    gone.append(zygote)
            self._cond.notify_all()
        for zygote in gone:  # its processes, control group and folder
            zygote.kill()

    def _take(self, preload: tuple[str, ...]) -> WarmWorker | None:
        """An idle zygote of this preload set; else a new one, in a free slot or in that of an idle zygote of
        another preload set (killed); else wait for one. None if none would start."""
        victim = None
        with self._cond:
            while True:
                if self.closed:
                    return None
                for zygote in list(self._idle):
                    if not zygote.alive():
                        self._idle.remove(zygote)
                        self._live -= 1
                        zygote.kill()
                    elif zygote.preload == preload:
                        self._idle.remove(zygote)
                        return zygote
                if self._live < self.size:
                    self._live += 1
                    break
                others = [z for z in self._idle if z.preload != preload]
                if others:  # the one whose preload set has the fewest runs still to come
                    victim = min(others, key=lambda z: (self.remaining or {}).get(z.preload, 1))
                    self._idle.remove(victim)
                    break
                self._cond.wait()
        if victim is not None:
            victim.kill()
        try:
            zygote = self._spawner.spawn(preload, self.limits)
            zygote.wait_warm()
        except Exception as exc:  # noqa: BLE001 - this run goes to a fresh worker instead
            log.warning("a warm worker did not start (%s); running this submission in a fresh worker", exc)
            with self._cond:
                self._live -= 1
                self._cond.notify_all()
            return None
        self.costs.record(preload, zygote.isolation, "start", zygote.start_seconds)
        return zygote

    def _give(self, zygote: WarmWorker) -> None:
        """Back to the idle ones, or killed: broken, pool closed, or no run of its preload set to come."""
        with self._cond:
            keep = zygote.alive() and not self.closed and \
                (self.remaining is None or self.remaining.get(zygote.preload, 0) > 0)
            if keep:
                self._idle.append(zygote)
            else:
                self._live -= 1
            self._cond.notify_all()
        if not keep:
            zygote.kill()

    # -- runs

    def run(self, cells: list[str], probes: dict[str, Probe], limits: Limits | None = None,
            files: dict[str, bytes] | None = None, env: dict | None = None, preload=None) -> RunResult:
        """Run one notebook, as `run_notebook` does, forked from a warm worker of its preload set (`preload`,
        default the pool's) where that set runs warm."""
        limits = limits or self.limits
        preload = normalize(preload) if preload is not None else self.preload
        with self._cond:
            if self.remaining is not None and self.remaining.get(preload, 0) > 0:
                self.remaining[preload] -= 1
        if limits.gpu or self.closed:  # a GPU needs its devices bound into a sandbox of its own
            return run_notebook(cells, probes, limits, files, env)
        if not self.warm_for(preload):
            return self._fresh(preload, cells, probes, limits, files, env)
        zygote = self._take(preload)
        if zygote is None:
            return run_notebook(cells, probes, limits, files, env)
        try:
            result = zygote.run(cells, probes, limits, files, env)
        except ZygoteError as exc:
            log.warning("warm worker failed (%s); running this submission in a fresh worker", exc)
            zygote.kill()
            return run_notebook(cells, probes, limits, files, env)
        finally:
            self._give(zygote)
        result.warm = True
        if result.status == RunStatus.FINISHED:
            self.costs.record(preload, result.isolation, "warm", result.seconds)
        return result

    def _fresh(self, preload, cells, probes, limits, files, env) -> RunResult:
        result = run_notebook(cells, probes, limits, files, env)
        if result.status == RunStatus.FINISHED:
            self.costs.record(preload, result.isolation, "cold", result.seconds)
        return result

    def zygotes(self) -> list[tuple[str, ...]]:
        """The preloads of the idle zygotes (for tests and logs)."""
        with self._cond:
            return [z.preload for z in self._idle]

    def close(self) -> None:
        with self._cond:
            self.closed = True
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            starting = list(self._starting)  # warm_up frees their slots when their wait ends
            self._cond.notify_all()
        for zygote in idle + starting:
            zygote.kill()
        self._spawner.stop()
        self.costs.save()
