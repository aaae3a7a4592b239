"""`autograder grade --cluster`: one batch of `grade_batch` whose runs go to Dask workers.

The batch connects (address.py), gives every worker its sandbox plugin (worker.py), decides
the device class of training tasks for the whole batch, and runs `grade_batch` with a
ClusterRunner. The gradebook, results and exports are written here, as without --cluster.

Device class: when a worker of the cluster declares the `GPU` resource, training tasks are
graded as on a GPU machine (the GPU budgets of course.yaml, the GPU bound into the sandbox) and
go only to GPU workers; otherwise every task goes to any worker and training runs on the CPU
under the CPU budgets. AUTOGRADER_DEVICE=cpu|gpu, set by the grader, decides instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Iterator

from autograder.cluster.address import ClusterError, cluster_workers, connect, parse_cluster
from autograder.cluster.runner import ClusterRunner, refusal_messages
from autograder.cluster.worker import GPU_RESOURCE, PLUGIN_NAME, SandboxPlugin
from autograder.course import Course
from autograder.run.device import DEVICE_ENV, device_class
from autograder.batch import grade_batch
from autograder.pipeline import BatchStopped
from autograder.record import Gradebook, Result
from autograder.run.preload import exercise_preload, normalize
from autograder.settings import settings

log = logging.getLogger(__name__)

IN_FLIGHT = 2  # submissions in flight per worker thread: one running, the next one already there


@contextlib.contextmanager
def device_class_for_batch(device: str):
    """AUTOGRADER_DEVICE=`device` while the batch runs, unless the grader set it already."""
    if settings().device is not None:
        yield
        return
    os.environ[DEVICE_ENV] = device
    try:
        yield
    finally:
        os.environ.pop(DEVICE_ENV, None)


def course_preload(course: Course) -> tuple[str, ...]:
    """What a Dask worker's warm workers import: every library some exercise of the course needs
    (one preload set of warm workers per Dask worker, since any submission may come to any worker)."""
    return normalize(name for exercise in course.exercises for name in exercise_preload(exercise))


@contextlib.contextmanager
def cluster_runner(cluster: str, course: Course) -> Iterator[tuple[ClusterRunner, int, bool]]:
    """(runner, expected worker threads, whether a GPU worker is there) on the Dask cluster
    `cluster` (see address.py), every worker given its sandbox plugin, for as long as the block
    runs: one batch (`grade_on_cluster`) or a whole service (`autograder serve --cluster`).
    ClusterError when the cluster cannot be used at all."""
    where = parse_cluster(cluster)
    local_gpu = where.scheme == "local" and course.trains and device_class() == "gpu"
    with connect(where, course, local_gpu) as (client, threads):
        preload = course_preload(course)
        # A running scheduler keeps the plugin, and its workers their warm pools, for the next batch.
        client.register_plugin(SandboxPlugin(preload, keep=where.scheme == "scheduler"), name=PLUGIN_NAME)
        refused = refusal_messages(client)
        workers_now = cluster_workers(client)
        for address, line in refused.items():
            if address in workers_now:
                log.warning("%s", line)
        able = [w for a, w in workers_now.items() if a not in refused]
        if not able:
            raise ClusterError(f"no Dask worker of {where} can grade: " + "; ".join(refused.values()))
        gpu = any(w.get("resources", {}).get(GPU_RESOURCE, 0) > 0 for w in able)
        yield ClusterRunner(client, str(where)), threads, gpu


def grade_on_cluster(cluster: str, paths: list[str], course: Course, out: Path, workers: int | None = None,
                     **batch) -> list[Result]:
    """Grade `paths` into `out` with the runs on the Dask cluster `cluster` (see address.py).
    `workers`: submissions in flight at once (default: twice the cluster's worker threads, so
    that each worker has its next submission at hand while this process judges). Other
    keywords go to `grade_batch`. ClusterError when the cluster cannot be used at all;
    BatchStopped when it went away during the batch (what was graded is kept).
    """
    with cluster_runner(cluster, course) as (runner, threads, gpu):
        with device_class_for_batch("gpu" if gpu else "cpu"):
            try:
                return grade_batch(paths, course, out, workers=workers or IN_FLIGHT * threads, runner=runner, **batch)
            except BatchStopped as exc:
                # The client's own attempts to reach the lost scheduler end in logged tracebacks
                # that say nothing the message below does not.
                for name in ("distributed.client", "distributed.comm", "distributed.core"):
                    logging.getLogger(name).setLevel(logging.CRITICAL)
                with Gradebook(out / "gradebook.sqlite") as book:
                    kept = len(book.results())
                raise BatchStopped(f"{exc}: the batch stopped; {kept} row(s) are kept in "
                                   f"{out / 'gradebook.sqlite'}, and the same command grades the rest") from None
