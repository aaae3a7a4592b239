"""Runs ON a Dask worker: its sandbox check, its warm pool, and the task of one submission.

The grader registers `SandboxPlugin` on every worker of the cluster (workers that join later
get it from the scheduler). Before the worker grades anything, the plugin checks that this
machine starts a bubblewrap sandbox (and, on a worker that declares a GPU, that torch sees a
CUDA device), then starts a WarmPool with one warm worker per Dask thread, as `autograder
grade` does on one machine. A worker that cannot isolate notebooks refuses to grade without
isolation: it says why in its log and in an event the grader reads (topic
"autograder-sandbox"), and leaves the cluster, so the scheduler gives its submissions to
the others.

`run_task` is the function the grader submits: it runs one task (see plain.py) in the pool and
returns the run result as plain data, with the worker's name and the device the run used.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import socket
import threading
import time

from distributed import WorkerPlugin, get_worker

from autograder.cluster.plain import limits_from_task, run_to_plain
from autograder.run import isolation_mode
from autograder.run.warm import DEFAULT_PRELOAD, WarmPool
from autograder.run.states import Isolation
from autograder.settings import EnvironmentVariableError, SandboxChoice, settings

log = logging.getLogger(__name__)

PLUGIN_NAME = "autograder-sandbox"
EVENT_TOPIC = "autograder-sandbox"
GPU_RESOURCE = "GPU"  # what a GPU worker declares: dask worker ... --resources GPU=1
PLUGIN_WAIT = 120.0  # seconds a task waits for the plugin to reach a worker that just joined
READY_WAIT = 600.0  # seconds a task waits for the worker's warm pool to start


class SandboxRefused(RuntimeError):
    """This worker cannot isolate a notebook, so it grades nothing."""


def sandbox_refusal(gpu_declared: bool) -> str | None:
    """Why this machine must not grade (None: it may).

    bubblewrap is required. The weaker rlimits-only isolation is accepted only when the
    worker's operator asked for it by name (AUTOGRADER_SANDBOX=rlimits), never as a silent
    fallback.
    """
    try:
        mode = isolation_mode()
        asked = settings().sandbox
    except (RuntimeError, EnvironmentVariableError) as exc:
        return str(exc)
    if mode != Isolation.BUBBLEWRAP and asked is not SandboxChoice.RLIMITS:
        return ("bubblewrap cannot start a sandbox on this machine: install the Debian package `bubblewrap` "
                "(and allow unprivileged user namespaces, or run the worker as root). This worker refuses to "
                "grade without isolation; AUTOGRADER_SANDBOX=rlimits in its environment accepts the weaker "
                "rlimits-only isolation explicitly")
    if gpu_declared:
        try:
            import torch

            cuda = bool(torch.cuda.is_available())
        except Exception as exc:  # noqa: BLE001 - a broken torch is a reason to refuse, not to crash
            return f"the worker declares a {GPU_RESOURCE} resource, but torch does not import ({exc})"
        if not cuda:
            return (f"the worker declares a {GPU_RESOURCE} resource, but torch sees no CUDA device: "
                    f"start it without --resources {GPU_RESOURCE}=1, or fix its CUDA setup")
    return None


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} threads)"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} threads)"


def gpu_name() -> str:
    import torch

    return str(torch.cuda.get_device_name(0))


class SandboxPlugin(WorkerPlugin):
    """Gives a Dask worker a checked sandbox and a warm pool, or makes it leave (see above)."""

    name = PLUGIN_NAME

    def __init__(self, preload: tuple[str, ...] | list[str] = DEFAULT_PRELOAD, keep: bool = False):
        self.preload = tuple(preload)
        # keep: a worker that has this plugin already keeps it, and its warm pool (Dask's name).
        self.idempotent = bool(keep)

    async def setup(self, worker) -> None:
        self.worker = worker
        self.pool: WarmPool | None = None
        self.refusal: str | None = None
        self.devices: dict[str, str] = {}
        self.ready = threading.Event()
        self._closing = threading.Event()
        # The warm workers' sandboxes die with the thread that started them (bubblewrap's
        # --die-with-parent), so a thread of this plugin starts them and lives as long as they do.
        threading.Thread(target=self._own_pool, name="autograder-sandbox", daemon=True).start()
        while not self.ready.is_set():  # the worker's event loop goes on meanwhile (heartbeats)
            await asyncio.sleep(0.1)
        if self.refusal is not None:
            log.error("autograder: worker %s refuses to grade: %s", worker.address, self.refusal)
            worker.log_event(EVENT_TOPIC, {"worker": str(worker.name), "address": worker.address,
                                           "refused": self.refusal})
            worker.loop.add_callback(worker.close_gracefully, reason="autograder: no sandbox")
        else:
            worker.log_event(EVENT_TOPIC, {"worker": str(worker.name), "address": worker.address, "ready": True,
                                           "isolation": isolation_mode().value, "devices": self.devices})

    def _own_pool(self) -> None:
        gpu = self.worker.state.total_resources.get(GPU_RESOURCE, 0) > 0
        try:
            self.refusal = sandbox_refusal(gpu)
            if self.refusal is None:
                self.devices = {"cpu": cpu_name(), **({"gpu": gpu_name()} if gpu else {})}
                pool = WarmPool(self.worker.state.nthreads, self.preload)
                pool.warm_up()
                self.pool = pool
        except Exception as exc:  # noqa: BLE001 - whatever stops the sandbox, the worker must not grade
            self.refusal = f"its sandbox did not start ({type(exc).__name__}: {exc})"
        finally:
            self.ready.set()
        self._closing.wait()
        if self.pool is not None:
            self.pool.close()

    def teardown(self, worker) -> None:
        self._closing.set()


def _plugin(worker) -> tuple[SandboxPlugin, WarmPool]:
    """This worker's plugin and its warm pool, once it has checked the sandbox; SandboxRefused if
    it refused."""
    deadline = time.monotonic() + PLUGIN_WAIT
    while PLUGIN_NAME not in worker.plugins:  # a worker that just joined gets it a moment later
        if time.monotonic() > deadline:
            raise SandboxRefused(f"worker {worker.name}: the grader's sandbox plugin never arrived")
        time.sleep(0.1)
    plugin = worker.plugins[PLUGIN_NAME]
    if not plugin.ready.wait(READY_WAIT):
        raise SandboxRefused(f"worker {worker.name}: its warm workers did not start within {READY_WAIT:g} s")
    if plugin.refusal is not None or plugin.pool is None:
        raise SandboxRefused(f"worker {worker.name} refuses to grade: {plugin.refusal}")
    return plugin, plugin.pool


def run_task(task: dict) -> dict:
    """Run one submission's task in this worker's sandbox: {"run": plain RunResult, "placement": ...}."""
    started = time.perf_counter()
    worker = get_worker()
    plugin, pool = _plugin(worker)
    limits = limits_from_task(task)
    device = "gpu" if limits.gpu else "cpu"
    if device not in plugin.devices:
        raise SandboxRefused(f"worker {worker.name} has no GPU, but the task asks for one")
    run = pool.run(task["cells"], task["probes"], limits, task["files"] or None, task["env"] or None)
    placement = {
        "worker": str(worker.name),
        "host": socket.gethostname(),
        "device": device,
        "device_name": plugin.devices[device],
        "worker_seconds": round(time.perf_counter() - started, 4),
    }
    return {"run": run_to_plain(run), "placement": placement}
