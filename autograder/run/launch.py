"""Launch: start one program of the engine in a sandbox, bubblewrap or rlimits.

    launched = launch(LaunchSpec("worker.py", HostFolders(base, engine, files_dir), limits, mode), args)

The one place a sandbox's command line is built, for a fresh worker (`fresh.py`, one notebook)
and a warm worker (`warm_worker.py`, a zygote that forks one worker per notebook) alike: the
bwrap options (`bubblewrap.py`) or, in rlimits mode, the job's folders, its sandbox uid and its
private view (`fallback.py`); the program and its arguments; the clean environment
(`environment.py`); the rlimits and the filter before exec (`process_setup.py`); and the
sandbox's control group (`cgroups.py`), which its first process joins before exec, so that all
it starts is bounded and killed together (`Launched.cgroup`, None where the host gives none:
the caller kills it with the sandbox and removes it). `LaunchSpec` says what to start, once;
`args` gets the `Placement` (where the program finds its folders, as seen from inside) and
returns the program's own arguments.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable

from autograder.run import fallback
from autograder.run.bubblewrap import ENGINE, FILES, NOBODY, WORKDIR, Fds, bwrap_args, writable_tmpfs
from autograder.run.cgroups import Cgroup
from autograder.run.environment import clean_env
from autograder.run.isolation import bwrap_variant, userns_tmpfs_works, warn_rlimits_once
from autograder.run.limits import Limits
from autograder.run.process_setup import rlimits_preexec
from autograder.run.states import BwrapVariant, Isolation


@dataclass(frozen=True)
class Placement:
    """Where a launched program finds things, as seen from inside its sandbox."""

    mode: Isolation
    workdir: str  # its working folder (writable, private)
    files: str | None  # the data files, read-only; None: none were given
    writable: tuple[str, ...]  # every folder it may write: what a warm worker empties after each job
    uid: int | None = None  # a root grader: the sandbox uid it runs as, its own (fallback.release)
    own_uid: bool = False  # it runs under a uid no user has (nobody, a sandbox uid): RLIMIT_NPROC applies


@dataclass(frozen=True)
class HostFolders:
    """A sandbox's folders on the host (folders.prepare_engine makes them)."""

    base: str  # the sandbox's own folder: everything of it lies under it
    engine: str  # the copy of autograder/sandbox/, bound read-only
    files: str | None = None  # the data files; None: none were given


@dataclass(frozen=True)
class LaunchSpec:
    """What `launch` starts: one program of the engine in a new sandbox, and how.

    `limits`: the notebook's (the environment's thread counts, the private view's size);
    `process_limits`: the rlimits and the control group of the sandbox's first process, if other
    (a zygote, which sets each job's own and moves it into a group of its own). `pass_fds`: the
    program's pipes, left open for the caller to close."""

    program: str  # a file of the engine: "worker.py", "zygote.py"
    folders: HostFolders
    limits: Limits
    mode: Isolation
    process_limits: Limits | None = None
    env: dict | None = None  # extra environment variables
    pass_fds: tuple[int, ...] = ()
    stdin: int = subprocess.PIPE


@dataclass
class Launched:
    proc: subprocess.Popen
    placement: Placement
    info_fd: int | None  # bubblewrap's --info-fd (read end): a JSON object naming the namespace's init
    cgroup: Cgroup | None = None  # the sandbox's control group; None: this host gives none (said once)


def child_pid_from_info(data: bytes | bytearray) -> int | None:
    """The host pid of the namespace's init, once bubblewrap's info JSON has arrived whole."""
    try:
        return int(json.loads(bytes(data))["child-pid"])
    except (ValueError, KeyError, TypeError):
        return None


def launch(spec: LaunchSpec, args: Callable[[Placement], list[str]]) -> Launched:
    """Start `spec.program` in a new sandbox whose host folder is `spec.folders.base`.
    Raises fallback.RefusedError where rlimits mode cannot run a notebook safely."""
    program, limits, mode, extra_env = spec.program, spec.limits, spec.mode, spec.env
    base, engine, files_dir = spec.folders.base, spec.folders.engine, spec.folders.files
    process_limits = spec.process_limits or limits
    fds = Fds()
    info_r = info_w = None
    uid = None
    if mode == Isolation.BUBBLEWRAP:
        found = bwrap_variant()
        if found is None:  # isolation_mode() said bubblewrap: it worked when it was asked
            raise RuntimeError("bubblewrap cannot start a sandbox here any more")
        bwrap, variant = found
        # A root grader: a uid of its own per sandbox, so that no count per uid (processes,
        # inotify instances, pipe buffers, ...) is shared with another sandbox.
        uid = fallback.UIDS.take() if variant == BwrapVariant.ROOT else None
        placement = Placement(mode, WORKDIR, FILES if files_dir else None, (WORKDIR, "/tmp", "/dev/shm"), uid,
                              own_uid=variant == BwrapVariant.ROOT)
        tmpfs_from, tmpfs = None, None
        as_user = None if variant == BwrapVariant.ROOT else (os.getuid(), os.getgid())
        if variant == BwrapVariant.ROOT or userns_tmpfs_works(bwrap):
            # Each writable tmpfs mounted before bwrap starts, with an inode limit (bwrap's --tmpfs
            # takes a size only), and bound in.
            tmpfs_from, tmpfs = {}, []
            for target, size_mb in writable_tmpfs(limits):
                host = os.path.join(base, "tmpfs" + target.replace("/", "-"))
                os.mkdir(host, 0o700)
                tmpfs_from[target] = host
                tmpfs.append((host, fallback.tmpfs_options("1777", size_mb, limits.disk_files)))
        info_r, info_w = os.pipe()
        command = bwrap_args(bwrap, variant, process_limits, fds, engine, files_dir, info_w,
                             uid=uid if uid is not None else NOBODY, tmpfs_from=tmpfs_from)
        command += ["--", sys.executable, "-B", f"{ENGINE}/{program}", *args(placement)]
        if uid is not None:  # bwrap keeps CAP_SETUID for this: the program becomes that uid first
            command += ["--drop-to", str(uid)]
        env = clean_env(limits, "/tmp", "/tmp", extra_env)
        cwd, preexec = "/", rlimits_preexec(process_limits, variant == BwrapVariant.ROOT, tmpfs=tmpfs,
                                            tmpfs_as_user=as_user if tmpfs else None)
    else:
        setup = warn_rlimits_once()
        workdir, tmp = os.path.join(base, "work"), os.path.join(base, "tmp")
        os.mkdir(workdir, 0o700)
        os.mkdir(tmp, 0o700)
        if setup.own_uid:  # a root grader: the job's own uid, which alone may enter its folders
            uid = fallback.UIDS.take()
            os.chmod(base, 0o711)
            for folder in (workdir, tmp):
                os.chown(folder, uid, uid)
        writable = (workdir, tmp) + (fallback.shared_folders() if setup.private_view else ())
        placement = Placement(mode, workdir, files_dir, writable, uid, own_uid=setup.own_uid)
        command = [sys.executable, "-B", os.path.join(engine, program), *args(placement)]
        env = clean_env(limits, tmp, tmp, extra_env)
        cwd = workdir
        preexec = rlimits_preexec(process_limits, setup.own_uid, uid=uid, view=setup.view_for(base, limits, uid),
                                  seccomp=True)
    group = None
    try:
        group = Cgroup.make("s", process_limits)
        passed = list(spec.pass_fds) + fds.fds + ([info_w] if info_w is not None else [])
        proc = subprocess.Popen(command, stdin=spec.stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                cwd=cwd, env=env, pass_fds=passed,
                                preexec_fn=_joining(group, preexec), start_new_session=True, close_fds=True)
    except BaseException:
        if info_r is not None:
            os.close(info_r)
        if uid is not None:
            fallback.release(uid)
        if group is not None:
            group.kill()
            group.remove()
        raise
    finally:
        if info_w is not None:
            os.close(info_w)
        fds.close()
    return Launched(proc, placement, info_r, group)


def _joining(group: Cgroup | None, preexec):
    """The preexec_fn: join the control group first (while still allowed to write it), then the rest."""
    if group is None:
        return preexec

    def join_then_setup():
        group.enter()
        preexec()

    return join_then_setup
