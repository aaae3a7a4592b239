"""The set-up a student notebook runs in its first cell, shipped inside the notebook itself.

`autograder build` zips this file with the exercise's public checks and data into the first
cell of every student notebook (autograder/build/setup_cell.py). The cell writes the zip to a
temporary file, puts it on `sys.path` and calls `start()`, which

* writes the public checks out as Otter test files (Otter on Colab reads no tests from the
  notebook's metadata, and Colab keeps no notebook file to read them from),
* writes the data files the notebook reads (`data/...`) into the working folder,
* installs otter-grader, pinned, when this Python has none: the only download,
* returns the grader: an `otter.Notebook` whose `export()` works wherever the notebook runs.

The zip and the checks folder are this Python's own: both are removed when it exits, so that a
kernel started a hundred times leaves nothing behind in the temporary folder.

This module runs in the student's Python (and in the grader's sandbox, where `otter` is a
stand-in): it needs the standard library only, and otter-grader once installed.
"""

from __future__ import annotations

import atexit
import glob
import importlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
import zipfile

MANIFEST = "manifest.json"  # {"exercise": id, "training": bool}
TESTS = "tests/"
DATA = "data/"

COLAB_HAND_IN = (
    "On Colab you hand in the notebook itself:\n"
    "  1. Run every cell once, top to bottom (Runtime → Run all), so that your answers are in it.\n"
    "  2. File → Download → Download .ipynb.\n"
    "  3. Hand in that .ipynb file as your course asks (upload it; keep its name as it is)."
)


def start(bundle: str, otter_version: str):
    """Unpack `bundle` (the zip the first cell wrote) and return the grader."""
    with zipfile.ZipFile(bundle) as archive:
        manifest = json.loads(archive.read(MANIFEST))
        exercise = manifest["exercise"]
        tests_dir = _write_tests(archive, exercise)
        atexit.register(_remove, tests_dir, bundle)
        _write_data(archive)
    otter = _otter(otter_version)
    grader = _grader_class(otter)(tests_dir, exercise)
    if manifest.get("training"):
        print(device_line())
    return grader


def grading() -> bool:
    """Whether the course's grader runs this notebook (its sandbox sets AUTOGRADER_GRADING)."""
    return os.environ.get("AUTOGRADER_GRADING") == "1"


def on_colab() -> bool:
    """Colab's kernel runs in google.colab's shell; Otter decides the same way."""
    if "google.colab" in sys.modules:
        return True
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return "google.colab" in str(get_ipython())


# --------------------------------------------------------------------------- files


def _write_tests(archive: zipfile.ZipFile, exercise: str) -> str:
    """The public checks as Otter test files, in a folder of their own: an absolute path, so
    that the checks are found from any working folder, and one folder per run, so that two
    notebooks never share one."""
    folder = tempfile.mkdtemp(prefix=f"{exercise}-checks-")
    for name in archive.namelist():
        if name.startswith(TESTS) and name.endswith(".py"):
            with open(os.path.join(folder, os.path.basename(name)), "wb") as f:
                f.write(archive.read(name))
    return folder


def _remove(folder: str, bundle: str) -> None:
    """At exit: the checks folder and the bundle this Python wrote (see start)."""
    shutil.rmtree(folder, ignore_errors=True)
    try:
        os.remove(bundle)
    except OSError:
        pass


def _write_data(archive: zipfile.ZipFile) -> None:
    """The data files into ./data, where the notebook reads them; a file already there with
    the same bytes is left alone."""
    for name in archive.namelist():
        if not name.startswith(DATA) or name.endswith("/") or ".." in name.split("/"):
            continue
        data = archive.read(name)
        target = os.path.join(os.getcwd(), *name.split("/"))
        try:
            with open(target, "rb") as f:
                if f.read() == data:
                    continue
        except OSError:
            pass
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
        except OSError as exc:
            print(f"Could not write {name} into {os.getcwd()} ({exc.strerror or exc}): the cells that "
                  "read it will fail. Run the notebook from a folder you can write to.")


# --------------------------------------------------------------------------- otter


def _otter(version: str):
    """otter, installed quietly from the package index when this Python lacks it."""
    try:
        import otter
    except ImportError:
        print(f"Installing otter-grader {version}, which runs the checks (once per runtime) ...", flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
             f"otter-grader=={version}"],
            capture_output=True, text=True,
        )
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()[-8:]
            raise RuntimeError(
                f"pip could not install otter-grader {version} (is this runtime online?):\n" + "\n".join(said)
            ) from None
        _see_user_site()
        importlib.invalidate_caches()
        import otter
    return otter


def _see_user_site() -> None:
    """pip falls back to the user's site-packages when the system's is read-only; Python only
    searches that folder if it existed at start-up."""
    import site

    try:
        user_site = site.getusersitepackages()
    except Exception:  # noqa: BLE001 - a Python without a user site: nothing to add
        return
    if isinstance(user_site, str) and os.path.isdir(user_site) and user_site not in sys.path:
        site.addsitedir(user_site)


def _grader_class(otter):
    class Grader(otter.Notebook):
        """otter.Notebook with the checks this notebook carries, and an export that works on
        Colab, in Jupyter and in VS Code, whatever the notebook's file is called."""

        def __init__(self, tests_dir: str, exercise: str):
            self.exercise = exercise
            # Otter looks for a notebook and for *.otter files in the working folder; none of
            # those is ours, so it starts in the checks' folder, which holds neither.
            here = os.getcwd()
            os.chdir(tests_dir)
            try:
                super().__init__(None, tests_dir=tests_dir)
            finally:
                os.chdir(here)

        def check(self, question, global_env=None):
            # Otter finds the caller's globals by counting frames; this override is one more.
            if global_env is None:
                frame = inspect.currentframe().f_back
                global_env = frame.f_globals if frame is not None else {}
            result = super().check(question, global_env)
            return ShortResult(result) if result is not None else None

        def export(self, nb_path=None, *args, **kwargs):
            if grading() or getattr(type(self), "_grading_mode", False):
                return None  # a grader runs the notebook (ours, or Otter's): nothing to hand in
            if on_colab():
                print(COLAB_HAND_IN)
                return None
            nb_path = nb_path or notebook_path(self.exercise)
            if nb_path is None:
                print(f"Could not find this notebook's file (exercise {self.exercise}) in {os.getcwd()}.\n"
                      "Save the notebook, then run grader.export(\"path/to/your notebook.ipynb\").")
                return None
            kwargs.setdefault("pdf", False)  # the zip holds the notebook; a PDF needs LaTeX, students rarely have it
            # Otter zips the notebook under the path it is given and checks the zip by that
            # name, so it exports from the notebook's folder: the zip lies beside the notebook,
            # where the link it shows points.
            folder, name = os.path.split(os.path.abspath(nb_path))
            here = os.getcwd()
            os.chdir(folder)
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    return super().export(name, *args, **kwargs)
            finally:
                os.chdir(here)
                _warn_again(caught)

    return Grader


# --------------------------------------------------------------------------- check results

MAX_LINE = 160  # characters of one shown line


class ShortResult:
    """What `grader.check("q1")` shows: Otter's own line when every test passes; otherwise the
    first failing test in a few lines (its code and the error it raised, or what it expected
    and got), not Otter's doctest report with the checking machinery's traceback and the
    follow-on errors of every later test. Everything else is Otter's result (`.grade`, ...)."""

    def __init__(self, result):
        self._result = result

    def __getattr__(self, name):
        if name.startswith("__") or name == "_result":  # copy and pickle look these up before _result exists
            raise AttributeError(name)
        return getattr(self._result, name)

    def __repr__(self):
        return repr(self._result) if self._result.passed_all else short_failure(self._result)

    def _repr_html_(self):
        if self._result.passed_all:
            return self._result._repr_html_()
        import html

        text = html.escape(short_failure(self._result))
        return f"<pre style='white-space: pre-wrap; color: #a4161a;'>{text}</pre>"


def _clip(line: str) -> str:
    line = line.rstrip()
    return line if len(line) <= MAX_LINE else line[:MAX_LINE - 3] + "..."


def short_failure(result) -> str:
    """'q1 is not right yet:' and at most five lines of its first failing test."""
    failed = [r for r in result.test_case_results if not r.passed]
    total = len(result.test_case_results)
    lines = [f"{result.name} is not right yet" + (f" ({len(failed)} of {total} tests fail; the first):"
                                                  if total > 1 else ":")]
    first = failed[0] if failed else None
    if first is not None and first.test_case.failure_message:
        lines.append("    " + _clip(str(first.test_case.failure_message)))
    lines += ["    " + _clip(line) for line in first_failed_example(first.message if first else "")]
    return "\n".join(lines[:7])


def first_failed_example(report: str) -> list[str]:
    """From a doctest report: the first failed example's code and, for an exception, its last
    line (`AssertionError: the message`); for a wrong value, what was expected and got."""
    lines = (report or "").splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "Failed example:"), None)
    if start is None:  # not a doctest report: its last line says the most
        tail = [line.strip() for line in lines if line.strip()]
        return tail[-1:]
    blocks: dict[str, list[str]] = {}
    header = None  # doctest's sections after the example: a header, indented lines
    for line in lines[start:]:
        if line.startswith((" ", "\t")):
            if header is not None:
                blocks[header].append(line.strip())
        elif line.strip().startswith("*" * 20) or line.strip() == "Trying:":
            break
        else:
            header = line.strip()
            blocks.setdefault(header, [])
    shown = [line for line in blocks.get("Failed example:", []) if line][:2]
    if "Exception raised:" in blocks:
        raised = [line for line in blocks["Exception raised:"] if line]
        shown.append(raised[-1] if raised else "an exception was raised")
    elif "Expected:" in blocks:
        got = [line for line in blocks.get("Got:", []) if line]
        shown.append("expected: " + (blocks["Expected:"][0] if blocks["Expected:"] else "nothing"))
        shown.append("got: " + (got[0] if got else "nothing"))
    elif "Expected nothing" in blocks:
        got = [line for line in blocks.get("Got:", []) if line]
        shown.append("expected no output, got: " + (got[0] if got else "something"))
    return shown


# The check of the zip runs the notebook in a new kernel, and Otter passes that process's
# stderr on as a warning: a kernel's start-up notices there read as an error to a student.
KERNEL_NOTICE = re.compile(r"^\[\w+\] WARNING \| Kernel is running over TCP without encryption.*$", re.MULTILINE)


def _warn_again(caught) -> None:
    for warning in caught:
        text = str(warning.message)
        if issubclass(warning.category, RuntimeWarning):
            text = KERNEL_NOTICE.sub("", text).strip()
            if not text:
                continue
        warnings.warn_explicit(text, warning.category, warning.filename, warning.lineno)


# --------------------------------------------------------------------------- where am I


def notebook_path(exercise: str) -> str | None:
    """The file of the notebook running now: VS Code and Jupyter Server say it; otherwise the
    most recently saved notebook of this exercise in the working folder."""
    named = []
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            named.append(shell.user_ns.get("__vsc_ipynb_file__"))  # VS Code
    except ImportError:
        pass
    named.append(os.environ.get("JPY_SESSION_NAME"))  # Jupyter Server: the notebook's path
    for path in named:
        if isinstance(path, str) and path.endswith(".ipynb"):
            for candidate in (path, os.path.basename(path)):
                if os.path.isfile(candidate):
                    return candidate
    mine = [p for p in glob.glob("*.ipynb") if _exercise_of(p) == exercise]
    return max(mine, key=os.path.getmtime) if mine else None


def _exercise_of(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)["metadata"]["autograder"]["exercise"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def device_line() -> str:
    """Which device Keras (torch backend) trains on: the GPU when the runtime has one."""
    try:
        import torch
    except ImportError:
        return "torch is not installed in this Python: the training cells need it (and keras)."
    if torch.cuda.is_available():
        return f"Training runs on the GPU: {torch.cuda.get_device_name(0)}."
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "Training runs on the GPU (Apple MPS)."
    return ("Training runs on the CPU: this runtime has no GPU (on Colab: Runtime → Change runtime type "
            "→ a GPU, then run the notebook again).")
