"""What `--cluster` names, and the Dask client for it.

    tcp://HOST:PORT   a running scheduler (`dask scheduler`), its workers started by hand
    local:N           N worker processes on this machine, started and stopped with the batch
    slurm             workers as SLURM jobs through dask-jobqueue, from `cluster:` in course.yaml

course.yaml (autograder/course/model.py `Cluster`, validated when it is read):

    cluster:
      startup_timeout: 300      # seconds to wait for the first worker
      jobs: 2                   # slurm: how many jobs to submit
      slurm:                    # slurm: keyword arguments of dask_jobqueue.SLURMCluster
        queue: gpu
        cores: 4
        processes: 4
        memory: 16GB
        walltime: "01:00:00"
        job_extra_directives: ["--gres=gpu:1"]
        worker_extra_args: ["--resources", "GPU=1"]
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from dataclasses import dataclass
from typing import Iterator

from autograder.course import Course

CONNECT_TIMEOUT = 30.0  # seconds to reach a scheduler


class ClusterError(RuntimeError):
    """--cluster names nothing usable, or the cluster could not be reached or started."""


# The loggers Dask and tornado print to the grader's terminal through handlers of their own.
DASK_LOGGERS = ("distributed", "distributed.client", "tornado", "tornado.application")


class OneLineRecords(logging.Filter):
    """Drops the traceback from a record: when a scheduler goes away, the client's background
    tasks log the stream's exceptions in full, dozens of lines a teacher cannot act on, above the
    batch's own message that says what happened and how to resume."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


@contextlib.contextmanager
def one_line_dask_logs() -> Iterator[None]:
    """Dask's log messages, one line each, for as long as the block runs."""
    one_line = OneLineRecords()
    handlers = {h for name in DASK_LOGGERS for h in logging.getLogger(name).handlers}
    if logging.lastResort is not None:  # asyncio's "exception never retrieved", with no handler of its own
        handlers.add(logging.lastResort)
    for handler in handlers:
        handler.addFilter(one_line)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(one_line)


@dataclass(frozen=True)
class ClusterAddress:
    scheme: str  # how the cluster is reached: "scheduler" (tcp://), "local" (local:N) or "slurm"
    address: str = ""  # the scheduler's, for "scheduler"
    workers: int = 0  # for "local"

    def __str__(self) -> str:
        return {"scheduler": self.address, "local": f"local:{self.workers}", "slurm": "slurm"}[self.scheme]


def parse_cluster(text: str) -> ClusterAddress:
    """The cluster `--cluster TEXT` names; ClusterError with the accepted forms otherwise."""
    text = (text or "").strip()
    forms = "tcp://HOST:PORT (a running Dask scheduler), local:N (N worker processes here) or slurm"
    if text.startswith(("tcp://", "tls://", "ws://", "wss://", "inproc://")):
        if not text.split("://", 1)[1]:
            raise ClusterError(f"--cluster {text!r} names no host; expected {forms}")
        return ClusterAddress("scheduler", address=text)
    if text.startswith("local:"):
        count = text.split(":", 1)[1]
        if not count.isdigit() or not 1 <= int(count) <= 256:
            raise ClusterError(f"--cluster {text!r}: local:N needs a number of workers from 1 to 256")
        return ClusterAddress("local", workers=int(count))
    if text == "slurm":
        return ClusterAddress("slurm")
    raise ClusterError(f"--cluster {text!r} is not a cluster address; expected {forms}")


def cluster_workers(client) -> dict[str, dict]:
    """{address: what the scheduler knows of the worker}, every worker (Dask lists 5 by default)."""
    try:
        info = client.scheduler_info(n_workers=-1)
    except TypeError:  # a Dask from before n_workers lists them all anyway
        info = client.scheduler_info()
    return info.get("workers", {})


def slurm_cluster(course: Course):
    """A dask_jobqueue SLURMCluster from `cluster.slurm` of course.yaml (no job submitted yet)."""
    slurm = course.cluster.slurm
    if not slurm:
        raise ClusterError(f"--cluster slurm: {course.path} has no `cluster: slurm:` settings "
                           "(the keyword arguments of dask_jobqueue.SLURMCluster: queue, cores, memory, ...)")
    from dask_jobqueue import SLURMCluster

    try:
        return SLURMCluster(**slurm)
    except (TypeError, ValueError) as exc:
        raise ClusterError(f"{course.path}: cluster.slurm: {exc}") from None


@contextlib.contextmanager
def _local_cluster(workers: int, gpu: bool):
    import dask
    from distributed import LocalCluster

    # Dask's scratch space (its locks and each worker's folder) in a temporary folder of this
    # batch, removed with it: by default it stays in /tmp/dask-scratch-space after every batch.
    with tempfile.TemporaryDirectory(prefix="autograder-dask-") as scratch, \
            dask.config.set({"temporary-directory": scratch}):
        # One thread per worker process: each thread is one warm sandbox. The sandbox limits every
        # notebook's memory itself, so Dask's own memory limit (which would kill a worker holding
        # warm torch imports) is off.
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          memory_limit=0, resources={"GPU": 1} if gpu else None, silence_logs=logging.ERROR,
                          local_directory=scratch) as cluster:
            yield cluster


@contextlib.contextmanager
def connect(where: ClusterAddress, course: Course, local_gpu: bool = False) -> Iterator[tuple]:
    """(Dask client, expected number of worker threads) for `where`, closed at the end.

    `local_gpu`: local workers declare the GPU resource (this machine trains on CUDA)."""
    from distributed import Client

    startup = course.cluster.startup_timeout
    with contextlib.ExitStack() as stack:
        stack.enter_context(one_line_dask_logs())
        expected = 0
        try:
            if where.scheme == "scheduler":
                client = stack.enter_context(Client(where.address, timeout=CONNECT_TIMEOUT))
            elif where.scheme == "local":
                cluster = stack.enter_context(_local_cluster(where.workers, local_gpu))
                client = stack.enter_context(Client(cluster))
                expected = where.workers
            else:
                cluster = stack.enter_context(slurm_cluster(course))
                jobs = course.cluster.jobs
                cluster.scale(jobs=jobs)
                client = stack.enter_context(Client(cluster))
                job = getattr(cluster, "_dummy_job", None)
                expected = jobs * max(1, getattr(job, "worker_processes", 1)) * \
                    max(1, getattr(job, "worker_process_threads", 1))
        except ClusterError:
            raise
        except (OSError, TimeoutError, ValueError, ImportError) as exc:
            raise ClusterError(f"cannot reach or start the Dask cluster {where}: {exc}") from None
        try:
            client.wait_for_workers(1, timeout=startup)
        except TimeoutError:
            raise ClusterError(f"the Dask cluster {where} has no worker after {startup:g} s: start some "
                               f"(dask worker {client.scheduler.address})") from None
        threads = sum(w.get("nthreads", 1) for w in cluster_workers(client).values())
        yield client, max(expected, threads)
