"""Run: execute a notebook's code cells in an isolated process and answer the grader's probes there.

The modules in the order a run goes through them:

    limits.py          Limits: what a notebook may use
    device.py          which device class this machine trains on
    protocols.py       Runner (what the pipeline calls) and WorkerHandle (what the supervisor drives)
    job.py             RunJob: one notebook's run (cells, probes, limits, isolation, where its replies go), made once
    fresh.py           run_notebook: one notebook in a fresh worker (the entry point)
    warm.py            WarmPool: warm workers per preload set, warm or fresh by the measured costs (the fast path)
    preload.py         a warm worker's preload set: the libraries an exercise imports
    startup.py         warm or fresh: start-up costs measured on this machine
    warm_worker.py     one warm worker (zygote) and PooledJob, the child it forks per notebook
    isolation.py       which isolation this machine gives: bubblewrap, else rlimits (checked once)
    launch.py          launch: the one command line of a sandbox, fresh or warm
    cgroups.py         the sandbox's control group: memory, tasks and CPU of the whole submission
    cgroup_host.py     this host's control groups: cgroup v2 or v1, the grader's own folder in it
    bubblewrap.py      bwrap's options: namespaces, read-only binds, tmpfs, masks
    fallback.py        rlimits mode made safe: sandbox uids, a private view of the file system
    process_setup.py   before exec: rlimits, the job's uid, the seccomp filter
    syscall_filter.py  the seccomp filter: system calls a notebook never needs
    environment.py     the Python installation a sandbox sees, and its clean environment
    folders.py         the sandbox's host folders: the engine copied in, the data files
    supervise.py       the loop that watches a worker: pipes, interrupts, kills, the RunResult
    events.py          event framing: the worker's event stream, its reply files, its caps
    output.py          the worker's stdout and stderr, capped
    state.py           the run state: which events are genuine, which limit is due, where it ended
    processes.py       the host's processes of a sandbox, through psutil: found and killed
    messages.py        the status and the message of a run that did not simply finish
    results.py         RunResult and CellRun
    states.py          the run's states as enums: isolation, run and cell status, what is due, why stopped, where
    training.py        the trainer's sandbox: a second run, no cells, that trains the models a notebook declared

What runs inside the sandbox is `autograder/sandbox/` (worker, zygote, responder, wire,
trainer), copied in as a folder: it imports nothing of this package. A timed training task's
model is trained in a sandbox of its own, by a run with no cells (training.py).
"""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.run.fresh import run_notebook
    from autograder.run.isolation import isolation_mode
    from autograder.run.limits import Limits
    from autograder.run.protocols import Runner, WorkerHandle
    from autograder.run.results import CellRun, RunResult
    from autograder.run.states import CellStatus, Isolation, RunStatus

# The names are loaded on first use (PEP 562), not with the package: a module that needs only the
# run's states (record/result.py, and so the feedback pages' drawing process) does not pay for
# the sandbox's machinery (isolation checks, launch, supervision), a quarter of a second to import.
_HOMES = {
    "run_notebook": "fresh", "isolation_mode": "isolation", "Limits": "limits", "Runner": "protocols",
    "WorkerHandle": "protocols", "CellRun": "results", "RunResult": "results", "CellStatus": "states",
    "Isolation": "states", "RunStatus": "states",
}


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = ["CellRun", "CellStatus", "Isolation", "Limits", "RunResult", "RunStatus", "Runner", "WorkerHandle",
           "isolation_mode", "run_notebook"]
