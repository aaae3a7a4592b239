"""What a sandbox is given of this machine's Python: its installation folders and a clean environment.

Both isolation modes need the same: the folders of the Python installation the worker runs
(read-only binds under bubblewrap, the folders shown again in rlimits mode's private view), and
an environment with nothing of the grader's (no secret, no token): paths, locale, thread counts.
"""

from __future__ import annotations

import os
import site
import sys
from importlib.util import find_spec
from pathlib import Path

from autograder.run.limits import Limits


def python_dirs() -> list[str]:
    """The Python installation the worker needs, read-only: prefixes and site-packages."""
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    candidates += site.getsitepackages()
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    if user_site and user_site in sys.path:
        candidates.append(user_site)
    for module in ("numpy", "IPython", "traitlets"):
        spec = find_spec(module)
        if spec is not None and spec.origin:
            candidates.append(str(Path(spec.origin).resolve().parent.parent))
    dirs: list[str] = []
    for path in candidates:
        if not path or not os.path.isdir(path):
            continue
        real = os.path.realpath(path)
        if real == "/" or real.startswith("/usr/") or real == "/usr":
            continue  # /usr is bound anyway
        for p in {path, real}:
            if p not in dirs:
                dirs.append(p)
    # Drop a folder inside another one already listed.
    return [d for d in dirs if not any(d != o and d.startswith(o.rstrip("/") + "/") for o in dirs)]


def user_site_env() -> str | None:
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    return user_site if user_site and user_site in sys.path and os.path.isdir(user_site) else None


def clean_env(limits: Limits, home: str, tmp: str, extra: dict | None = None) -> dict:
    threads = str(max(int(limits.threads), 1))
    env = {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": tmp,
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "KERAS_BACKEND": "torch",
        # Notebooks may skip their own exploring (long training runs) when graded.
        "AUTOGRADER_GRADING": "1",
        "IPYTHONDIR": os.path.join(home, ".ipython"),
        "MALLOC_ARENA_MAX": "2",  # fewer 64 MiB malloc arenas: threads stay under RLIMIT_AS
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "NUMEXPR_NUM_THREADS": threads,
        "VECLIB_MAXIMUM_THREADS": threads,
    }
    if not limits.gpu:
        env["CUDA_VISIBLE_DEVICES"] = ""
    user_site = user_site_env()
    if user_site:
        env["PYTHONPATH"] = user_site
    for key, value in (extra or {}).items():
        env[str(key)] = str(value)
    return env
