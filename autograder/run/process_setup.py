"""What the first process of a sandbox does between fork and exec: its rlimits, its uid, its filter.

Under bubblewrap this runs in bwrap itself (bwrap loads the seccomp filter and the worker
drops to `nobody`); in rlimits mode it is all the sandbox there is: the limits, the private
view of a root grader (`fallback.enter_private_view`), the switch to the job's own uid, and the
seccomp filter, loaded last because it refuses mount and unshare.
"""

from __future__ import annotations

import os
import resource

from autograder.run import fallback, syscall_filter
from autograder.run.limits import Limits


def rlimits_preexec(limits: Limits, own_uid: bool, uid: int | None = None, view: dict | None = None,
                    seccomp: bool = False, tmpfs: list[tuple[str, str]] | None = None,
                    tmpfs_as_user: tuple[int, int] | None = None):
    """The preexec_fn of a sandbox's first process: rlimits; in rlimits mode for a root
    grader, the private view and the switch to the job's own `uid`; in rlimits mode, the
    seccomp filter (bubblewrap loads it itself).

    `own_uid`: the notebook runs under a uid of its own on the host, so RLIMIT_NPROC counts only sandboxes.
    `tmpfs`: (host folder, mount options) to mount as tmpfs in a mount namespace of its own first
    (bubblewrap binds them as the sandbox's writable folders: `fallback.mount_tmpfs`), in a user
    namespace of its own where `tmpfs_as_user` (uid, gid) says the grader is an ordinary user.
    """
    wanted = [
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024, limits.file_mb * 1024 * 1024),
        (resource.RLIMIT_CPU, limits.cpu_limit(), limits.cpu_limit() + 5),
        (resource.RLIMIT_NOFILE, limits.open_files, limits.open_files),
    ]
    if not limits.gpu:
        wanted.append((resource.RLIMIT_AS, limits.memory_mb * 1024 * 1024, limits.memory_mb * 1024 * 1024))
    if limits.processes and own_uid:
        wanted.append((resource.RLIMIT_NPROC, limits.processes, limits.processes))
    load_filter = None
    if seccomp:
        try:
            load_filter = syscall_filter.loader()  # built here: the child only loads it
        except syscall_filter.FilterUnavailable as exc:
            syscall_filter.warn_unavailable_once(exc)

    def apply():
        if tmpfs:
            fallback.mount_tmpfs(tmpfs, tmpfs_as_user)
        for which, soft, hard in wanted:
            _, cur_hard = resource.getrlimit(which)
            if cur_hard != resource.RLIM_INFINITY:
                hard = min(hard, cur_hard)
                soft = min(soft, hard)
            resource.setrlimit(which, (soft, hard))
        if view is not None:
            fallback.enter_private_view(view)
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            if os.getuid() == 0 or os.geteuid() == 0:
                raise OSError("could not give up root")
        if load_filter is not None:
            load_filter()  # last: it refuses mount and unshare

    return apply
