"""Which isolation this machine gives a notebook: bubblewrap where it works, else rlimits.

Checked once per grading process. bubblewrap is tried as root first (the worker drops to
`nobody` itself, so the student's process is unprivileged on the host too), then in a user
namespace; `bubblewrap.py` builds its command. Without it (or with AUTOGRADER_SANDBOX=rlimits)
the same worker runs with rlimits, in its own session and a private temporary folder, and a
warning says once that isolation is weaker; a root grader runs it under a sandbox uid of its
own with, where the kernel allows, a private view of the file system (`fallback.py`), never as
root, and refuses to run notebooks where neither can be had. `launch.py` starts a sandbox of
the mode chosen here.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.run import fallback
from autograder.run.bubblewrap import Fds, bwrap_args
from autograder.run.environment import clean_env, python_dirs
from autograder.run.limits import Limits
from autograder.run.process_setup import rlimits_preexec
from autograder.run.states import BwrapVariant, Isolation
from autograder.settings import SandboxChoice, settings

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent

_warned_rlimits = False


def bwrap_path() -> str | None:
    found = shutil.which("bwrap")
    if found:
        return found
    return "/usr/bin/bwrap" if os.access("/usr/bin/bwrap", os.X_OK) else None


@dataclass
class RlimitsSetup:
    """How rlimits mode isolates a job on this machine (see fallback.py)."""

    own_uid: bool  # a root grader: each job runs under a sandbox uid of its own
    private_view: bool  # ... and with a mount namespace of its own

    def view_for(self, base: str, limits: Limits, uid: int | None = None) -> dict | None:
        """The private view of a job whose folders are in `base`: those folders (its working and
        temporary folder, the uid's own) are tmpfs there too, with a size and an inode limit."""
        if not self.private_view:
            return None
        plan = fallback.view_plan(view_keep(base), view_hidden(), limits.disk_mb, limits.disk_files)
        if uid is not None:
            options = fallback.tmpfs_options("0700", limits.disk_mb, limits.disk_files) + f",uid={uid},gid={uid}"
            plan["own"] = [(os.path.join(base, name), options) for name in ("work", "tmp")]
        return plan


def view_keep(base: str | None) -> list[str]:
    """What a job's private view shows: the Python installation, the job's own folder."""
    keep = python_dirs() + [os.path.dirname(os.path.realpath(sys.executable))]
    return keep + ([base] if base else [])


def view_hidden() -> list[str]:
    """Covered in a job's private view: the project (solutions, exercises, the engine), the secret file."""
    hidden = [str(PROJECT_ROOT)]
    secret_file = settings().secret_file
    if secret_file is not None:
        hidden.append(str(secret_file))
    return hidden


DROP_CHECK = (
    "import os, sys\n"
    "if '--drop' in sys.argv:\n"
    "    os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
    "assert os.getuid() != 0 and os.geteuid() != 0\n"
    "import numpy, IPython\n"
)
# Whether a sandbox starts is checked once per grading process; finding numpy and IPython (not
# importing them: that would cost every batch another notebook's start-up) shows the Python
# installation is bound in, and the first notebook's own run imports them.
BWRAP_CHECK = DROP_CHECK.replace(
    "import numpy, IPython\n",
    "from importlib.util import find_spec\nassert find_spec('numpy') and find_spec('IPython')\n")


def try_bwrap(bwrap: str, variant: BwrapVariant) -> bool:
    fds = Fds()
    try:
        args = bwrap_args(bwrap, variant, Limits(), fds, None, None, None)
        args += ["--", sys.executable, "-c", BWRAP_CHECK] + (["--drop"] if variant == BwrapVariant.ROOT else [])
        result = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                                env=clean_env(Limits(), "/tmp", "/tmp"), pass_fds=fds.fds,
                                preexec_fn=rlimits_preexec(Limits(), False))
        if result.returncode != 0:
            log.info("bubblewrap (%s) does not work here: %s", variant,
                     result.stderr.decode(errors="replace")[-500:])
        return result.returncode == 0
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("bubblewrap (%s) does not work here: %s", variant, exc)
        return False
    finally:
        fds.close()


@functools.lru_cache(maxsize=None)
def bwrap_variant() -> tuple[str, BwrapVariant] | None:
    """(bwrap path, ROOT or USERNS) when bubblewrap works here; checked once per process."""
    bwrap = bwrap_path()
    if bwrap is None:
        return None
    variants = list(BwrapVariant) if os.geteuid() == 0 else [BwrapVariant.USERNS]
    for variant in variants:
        if try_bwrap(bwrap, variant):
            return bwrap, variant
    log.warning("bubblewrap is installed at %s but cannot start a sandbox here", bwrap)
    return None


@functools.lru_cache(maxsize=None)
def userns_tmpfs_works(bwrap: str) -> bool:
    """Whether an ordinary user's sandbox can get tmpfs folders with an inode limit here: mounted in
    a user namespace of the launcher's own, with bubblewrap's nested inside (checked once)."""
    folder = tempfile.mkdtemp(prefix="autograder-tmpfs-check-")
    fds = Fds()
    try:
        inside = os.path.join(folder, "t")
        os.mkdir(inside, 0o700)
        args = bwrap_args(bwrap, BwrapVariant.USERNS, Limits(), fds, None, None, None, tmpfs_from={"/tmp": inside})
        args += ["--", sys.executable, "-c", "import os; os.statvfs('/tmp').f_files == 4096 or exit(3)"]
        tmpfs = [(inside, fallback.tmpfs_options("1777", 1, 4096))]
        result = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=60, pass_fds=fds.fds,
                                env=clean_env(Limits(), "/tmp", "/tmp"),
                                preexec_fn=rlimits_preexec(Limits(), False, tmpfs=tmpfs,
                                                           tmpfs_as_user=(os.getuid(), os.getgid())))
        if result.returncode != 0:
            log.warning("tmpfs folders with an inode limit do not work here (%s); a sandbox's tmpfs has a "
                        "size only", result.stderr.decode(errors="replace")[-300:].strip())
        return result.returncode == 0
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("tmpfs folders with an inode limit do not work here (%s); a sandbox's tmpfs has a size only", exc)
        return False
    finally:
        fds.close()
        shutil.rmtree(folder, ignore_errors=True)


@functools.lru_cache(maxsize=None)
def rlimits_setup() -> RlimitsSetup:
    """Checked once per process. A root grader never runs a notebook as root: with a private view
    where the kernel allows one, else under a sandbox uid, which must be able to run this Python."""
    if os.geteuid() != 0:
        return RlimitsSetup(own_uid=False, private_view=False)
    if fallback.private_view_works((tuple(view_keep(None)), tuple(view_hidden()))):
        return RlimitsSetup(own_uid=True, private_view=True)
    uid = fallback.UIDS.take()
    try:
        result = subprocess.run([sys.executable, "-c", DROP_CHECK], stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=60, cwd="/", env=clean_env(Limits(), "/tmp", "/tmp"),
                                preexec_fn=rlimits_preexec(Limits(), True, uid=uid))
        runnable = result.returncode == 0
    except (OSError, subprocess.SubprocessError):
        runnable = False
    finally:
        fallback.kill_uid(uid)
        fallback.UIDS.give_back(uid)
    if not runnable:
        raise fallback.RefusedError(
            f"rlimits mode refuses to run notebooks: this grader runs as root, the kernel allows no mount "
            f"namespace here, and a uid other than root cannot run {sys.executable}. Install bubblewrap, grade "
            "as an ordinary user, or use a Python installation every user can read (e.g. under /usr or /opt).")
    return RlimitsSetup(own_uid=True, private_view=False)


def isolation_mode() -> Isolation:
    """BUBBLEWRAP or RLIMITS, from AUTOGRADER_SANDBOX (auto, bubblewrap, rlimits) and this machine."""
    wanted = settings().sandbox
    if wanted is SandboxChoice.RLIMITS:
        return Isolation.RLIMITS
    if bwrap_variant() is not None:
        return Isolation.BUBBLEWRAP
    if wanted is SandboxChoice.BUBBLEWRAP:
        raise RuntimeError("AUTOGRADER_SANDBOX=bubblewrap, but bubblewrap does not work on this machine")
    return Isolation.RLIMITS


def warn_rlimits_once() -> RlimitsSetup:
    """The rlimits setup of this machine (raises fallback.RefusedError), with a warning said once."""
    global _warned_rlimits
    setup = rlimits_setup()
    if not _warned_rlimits:
        _warned_rlimits = True
        if not setup.own_uid:
            fallback.not_dumpable()  # the notebook runs as this user: keep it out of this process's /proc
        log.warning(
            "notebooks run WITHOUT bubblewrap: rlimits, the seccomp filter and %s isolate them; they "
            "reach the network%s. Install bubblewrap (Debian package `bubblewrap`) for real isolation.",
            "a uid of their own and a private view of the file system" if setup.private_view else
            "a uid of their own" if setup.own_uid else "a private temporary folder",
            "" if setup.private_view else " and can read every file their uid can read",
        )
    return setup
