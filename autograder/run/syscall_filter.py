"""The system calls a notebook never needs, refused by a seccomp filter built with libseccomp.

Namespaces already separate most of what one sandbox could share with another. A few kernel
objects are not behind any namespace the sandbox has, or are reachable from inside it: the
kernel keyring (per uid, so shared by every sandbox that runs as `nobody`), System V message
queues, semaphores and shared memory and POSIX message queues (per IPC namespace, which a warm
worker's children share), and the calls that inspect or reshape other processes and the
kernel itself. The filter refuses them all with EPERM (clone3 with ENOSYS, so that the C
library falls back to clone, whose namespace flags can be checked), and kills a process that
makes a system call of another architecture (32-bit calls on a 64-bit kernel).

The filter is compiled by libseccomp (through `pyseccomp`, its ctypes binding) into a BPF
program. bubblewrap loads it with `--seccomp FD` just before it starts the worker; in rlimits
mode the grader loads it in the worker's process before exec. A notebook cannot remove it, and
every process it starts inherits it.
"""

from __future__ import annotations

import errno
import functools
import logging
import tempfile

log = logging.getLogger(__name__)

REFUSED = (
    # The kernel keyring: one notebook's key would be read by the next one of the same uid.
    "add_key", "keyctl", "request_key",
    # System V IPC and POSIX message queues: channels between jobs of one warm worker.
    "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop", "semctl",
    "shmget", "shmat", "shmdt", "shmctl",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    # Other processes: reading or steering them.
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    # Namespaces and mounts: a notebook never builds a sandbox of its own.
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount",
    "fspick", "move_mount", "open_tree", "mount_setattr", "name_to_handle_at", "open_by_handle_at",
    # The kernel's own machinery, large attack surfaces a notebook has no use for.
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "quotactl", "syslog", "lookup_dcookie", "vhangup", "iopl", "ioperm",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
)
# clone() flags that create namespaces (CLONE_NEWTIME shares its bit with CSIGNAL in clone()).
CLONE_NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)


class FilterUnavailable(RuntimeError):
    """libseccomp (or its binding) is missing: the sandbox runs without the filter."""


def _build():
    try:
        import pyseccomp as seccomp
    except (ImportError, RuntimeError, OSError) as exc:  # the binding, or libseccomp.so itself
        raise FilterUnavailable(f"libseccomp is not available ({exc})") from None
    refuse = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    rules.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.KILL_PROCESS)
    skipped = []
    for name in REFUSED:
        try:
            rules.add_rule(refuse, name)
        except (OSError, ValueError, TypeError):  # a call this kernel or libseccomp does not know
            skipped.append(name)
    for flag in CLONE_NAMESPACE_FLAGS:
        rules.add_rule(refuse, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    try:
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")  # its flags sit in memory: not checkable
    except (OSError, ValueError, TypeError):
        skipped.append("clone3")
    if skipped:
        log.debug("seccomp: calls unknown here, not filtered: %s", skipped)
    return rules


@functools.lru_cache(maxsize=None)
def program() -> bytes:
    """The compiled BPF program (what bubblewrap's --seccomp reads). Raises FilterUnavailable."""
    rules = _build()
    with tempfile.TemporaryFile() as f:
        rules.export_bpf(f)
        f.seek(0)
        return f.read()


def loader():
    """A function that loads the filter into the calling process (for a pre-exec hook)."""
    rules = _build()
    return rules.load


def available() -> bool:
    try:
        program()
        return True
    except FilterUnavailable:
        return False


_warned_unavailable = False


def warn_unavailable_once(exc: Exception) -> None:
    """Said once per process: without libseccomp the sandbox runs, but without this filter."""
    global _warned_unavailable
    if not _warned_unavailable:
        _warned_unavailable = True
        log.warning("%s: notebooks run WITHOUT the seccomp filter (keyring, System V IPC, ptrace, ... "
                    "stay reachable). Install libseccomp2 and pyseccomp.", exc)
