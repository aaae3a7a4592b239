"""The trusted side of one run: a fresh worker for one notebook.

    run_notebook(cells, probes, limits, files, env) -> RunResult

The worker (`worker.py`, with read-only copies of `responder.py`, `wire.py` and, where it
exists, `trainer.py`) executes the code cells in an IPython shell and answers the probes.
This module starts it in the sandbox that `isolation.py` builds (bubblewrap, or rlimits with
a warning), hands it the cells and the probe request on its standard input, and lets
`supervise.py` watch it: time limits, capped output, the replies read back as data only, every
process of the run killed at the end. The warm path (`warm.py`) runs the same worker forked
from a warm process instead of started fresh.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from autograder.probe import Probe, encode_requests, read_answers
from autograder.run import fallback
from autograder.run.isolation import (ENGINE, FILES, WORKDIR, Fds, bwrap_args, bwrap_variant, clean_env,
                                      isolation_mode, prepare_engine, rlimits_preexec, warn_rlimits_once,
                                      worker_args)
from autograder.run.limits import Limits
from autograder.run.supervise import FreshProcess, RunResult, supervise


def run_notebook(cells: list[str], probes: dict[str, Probe], limits: Limits | None = None,
                 files: dict[str, bytes] | None = None, env: dict | None = None) -> RunResult:
    """Execute `cells` in a sandbox, then answer `probes` there; see the module docstring."""
    limits = limits or Limits()
    cells = [str(c) for c in cells]
    keys = list(probes)
    request = encode_requests(probes)
    isolation = isolation_mode()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="autograder-run-") as base:
        os.chmod(base, 0o700)
        engine, files_dir = prepare_engine(base, files)
        out_dir = os.path.join(base, "out")
        os.mkdir(out_dir, 0o700)
        result = _run(cells, probes, request, limits, env, isolation, base, engine, files_dir, out_dir, started)
        result.answers = read_answers(out_dir, keys)
    result.seconds = time.monotonic() - started
    return result


def _run(cells, probes, request, limits, extra_env, isolation, base, engine, files_dir, out_dir, started):
    ev_r, ev_w = os.pipe()
    ctl_r, ctl_w = os.pipe()
    info_r = info_w = None
    fds = Fds()
    job = {"cells": cells, "request": request}
    uid = None
    if isolation == "bubblewrap":
        bwrap, variant = bwrap_variant()
        info_r, info_w = os.pipe()
        args = bwrap_args(bwrap, variant, limits, fds, engine, files_dir, info_w)
        args += ["--"] + worker_args(sys.executable, f"{ENGINE}/worker.py", ev_w, ctl_r, variant == "root")
        env = clean_env(limits, "/tmp", "/tmp", extra_env)
        job.update(workdir=WORKDIR, files=FILES if files_dir else None)
        cwd = "/"
        preexec = rlimits_preexec(limits, variant == "root")
    else:
        try:
            setup = warn_rlimits_once()
        except fallback.RefusedError:
            for fd in (ev_r, ev_w, ctl_r, ctl_w):
                os.close(fd)
            raise
        workdir, tmp = os.path.join(base, "work"), os.path.join(base, "tmp")
        os.mkdir(workdir, 0o700)
        os.mkdir(tmp, 0o700)
        if setup.own_uid:  # a root grader: the job's own uid, which alone may enter its folders
            uid = fallback.UIDS.take()
            os.chmod(base, 0o711)
            for folder in (workdir, tmp):
                os.chown(folder, uid, uid)
        args = worker_args(sys.executable, os.path.join(engine, "worker.py"), ev_w, ctl_r, False)
        env = clean_env(limits, tmp, tmp, extra_env)
        job.update(workdir=workdir, files=files_dir)
        cwd = workdir
        preexec = rlimits_preexec(limits, setup.own_uid, uid=uid, view=setup.view_for(base, limits), seccomp=True)
    pass_fds = [ev_w, ctl_r] + fds.fds + ([info_w] if info_w is not None else [])
    try:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                cwd=cwd, env=env, pass_fds=pass_fds, preexec_fn=preexec,
                                start_new_session=True, close_fds=True)
    except Exception:
        for fd in (ev_r, ev_w, ctl_r, ctl_w, info_r, info_w):
            if fd is not None:
                os.close(fd)
        fds.close()
        _release_uid(uid)
        raise
    for fd in (ev_w, ctl_r, info_w):
        if fd is not None:
            os.close(fd)
    fds.close()
    try:
        handle = FreshProcess(proc, isolation, info_r, uid)
        return supervise(handle, ev_r, ctl_w, job, cells, probes, limits, isolation, out_dir, started)
    finally:
        _release_uid(uid)
        for fd in (ev_r, ctl_w, info_r):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


def _release_uid(uid: int | None) -> None:
    """Every process of the job's uid killed, whatever its session; what it left in shared folders removed."""
    if uid is None:
        return
    try:
        fallback.kill_uid(uid)
        fallback.remove_files_of(uid)
    finally:
        fallback.UIDS.give_back(uid)
