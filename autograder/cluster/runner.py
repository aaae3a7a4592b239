"""The pipeline's runner on a Dask cluster: `runner(cells, probes, limits, files, env) -> RunResult`.

`grade_batch` calls it from its threads exactly as it calls `run_notebook` or a warm pool's
`run`; each call sends one task (plain.py) to a worker (worker.py) and waits for its result.

Where a task goes: every task may run on any worker; a run that needs the GPU (a training task
graded on a cluster with GPU workers: `limits.gpu`) asks for the `GPU` resource, so it goes
only to a worker that declares one. The grader's budgets follow the same choice (batch.py).

Faults:
- a worker that dies mid-run: the scheduler gives its tasks to another worker, and this call
  simply gets the result from there (one call per submission, so no row is lost or doubled);
  a submission whose task killed several workers in a row ends as a grader fault;
- a worker that refuses to grade (no sandbox): the task is sent again, to the others;
- the scheduler gone, or no worker able to grade: `BatchStopped`, and every later call
  raises it at once, so the batch stops with what it has recorded.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import CancelledError

from distributed import Client
from distributed.scheduler import KilledWorker

from autograder.cluster.address import cluster_workers
from autograder.cluster.plain import PlacedRunResult, make_task, run_from_plain
from autograder.cluster.worker import EVENT_TOPIC, GPU_RESOURCE, SandboxRefused, run_task
from autograder.pipeline import BatchStopped
from autograder.probe import Probe
from autograder.run import Limits

log = logging.getLogger(__name__)

POLL = 2.0  # seconds between looks at the cluster while a task runs
NO_WORKER_WAIT = 300.0  # seconds without any worker that can take a task before the batch stops
MAX_REFUSALS = 8  # times a task is sent again after a worker refused it


class ClusterRunner:
    """Runs submissions on the Dask cluster of `client` (see the module docstring)."""

    def __init__(self, client: Client, description: str, no_worker_wait: float = NO_WORKER_WAIT):
        self.client = client
        self.description = description
        self.no_worker_wait = no_worker_wait
        self.stopped: str | None = None
        self._lock = threading.Lock()
        self._without_workers_since: dict[bool, float] = {}

    def __call__(self, cells: list[str], probes: dict[str, Probe], limits: Limits | None = None,
                 files: dict[str, bytes] | None = None, env: dict | None = None) -> PlacedRunResult:
        limits = limits or Limits()
        task = make_task(cells, probes, limits, files, env)
        resources = {GPU_RESOURCE: 1} if limits.gpu else None
        for _ in range(MAX_REFUSALS):
            self._check_stopped()
            started = time.perf_counter()
            future = self.client.submit(run_task, task, key=f"autograder-run-{uuid.uuid4().hex}", pure=False,
                                        resources=resources)
            try:
                done = self._wait(future, limits.gpu)
            except SandboxRefused as exc:
                log.warning("%s; sending the submission to another worker", exc)
                time.sleep(1.0)  # the refusing worker is leaving the cluster
                continue
            except CancelledError as exc:  # distributed's FutureCancelledError: the scheduler is gone
                self._stop(f"the Dask scheduler at {self.description} went away ({getattr(exc, 'reason', exc)})")
            except KilledWorker as exc:
                raise RuntimeError(f"this submission's run ended {exc.allowed_failures + 1} Dask workers in a row "
                                   "(each one died while running it)") from None
            finally:
                future.release()
            wall = time.perf_counter() - started
            placement = dict(done["placement"])
            # What Dask adds to the run: sending the task and its result, scheduling, and
            # waiting for a free worker when more submissions are in flight than workers.
            placement["dispatch_seconds"] = round(max(wall - placement.get("worker_seconds", 0.0), 0.0), 4)
            return run_from_plain(done["run"], placement)
        raise RuntimeError(f"workers refused this submission {MAX_REFUSALS} times (no sandbox)")

    # -- waiting, and noticing a cluster that cannot go on

    def _wait(self, future, gpu: bool) -> dict:
        # Woken by the future itself: Future.result(timeout=...) polls, which costs tens of ms a task.
        done = threading.Event()
        future.add_done_callback(lambda _: done.set())
        while not done.wait(POLL):
            self._check_cluster(gpu)
        return future.result()

    def _check_stopped(self) -> None:
        if self.stopped:
            raise BatchStopped(self.stopped)

    def _stop(self, reason: str):
        with self._lock:
            self.stopped = self.stopped or reason
        raise BatchStopped(self.stopped)

    def _check_cluster(self, gpu: bool) -> None:
        """BatchStopped when the scheduler is gone or no worker has been able to run this task for long."""
        self._check_stopped()
        if self.client.status not in ("running", "connecting"):
            self._stop(f"the Dask client for {self.description} closed ({self.client.status})")
        workers = cluster_workers(self.client)
        able = [w for w in workers.values() if not gpu or w.get("resources", {}).get(GPU_RESOURCE, 0) > 0]
        now = time.monotonic()
        with self._lock:
            if able:
                self._without_workers_since.pop(gpu, None)
                return
            since = self._without_workers_since.setdefault(gpu, now)
        refusals = refusal_messages(self.client)
        what = f"worker with a {GPU_RESOURCE} resource" if gpu else "worker"
        if refusals and not workers:
            self._stop(f"no Dask worker of {self.description} can grade: " + "; ".join(refusals.values()))
        if now - since > self.no_worker_wait:
            self._stop(f"{self.description} has had no {what} for {self.no_worker_wait:g} s"
                       + (f" (refused: {'; '.join(refusals.values())})" if refusals else ""))


def refusal_messages(client: Client) -> dict[str, str]:
    """{worker address: what it said} for every worker that refused to grade."""
    try:
        events = client.get_events(EVENT_TOPIC)
    except Exception:  # noqa: BLE001 - only for the message
        return {}
    said = {}
    for _, msg in events:
        if isinstance(msg, dict) and msg.get("refused"):
            said[str(msg.get("address"))] = f"worker {msg.get('worker')}: {msg['refused']}"
    return said
