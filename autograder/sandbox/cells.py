"""How a notebook's code cells run: the one executor, in the sandbox and (trusted code) in tests.

A notebook's cells run in an IPython shell, as in Jupyter: magics and `!` lines are parsed,
the last expression of a cell is displayed, and a failing cell does not stop the next. What
the grader's shell refuses to do is decided here, once:

* `otter` is a stand-in (`install_fake_otter`): `grader.check(...)`, `grader.export()` and
  Otter's other calls do nothing, since the public checks are not what grades;
* magics and shell commands that would start another program (`%pip`, `!ls`, `%%bash`, ...)
  only print a note; `%matplotlib` always means `inline`; no GUI event loop is started.

`run_cell` runs one cell and says how it ended. The sandbox's worker (`worker.py`) runs every
code cell of a submission through it, between the events it sends the supervisor. A trusted
notebook (a reference solution, a master, a mistake of the corpus) runs through exactly the
same shell and `run_cell` in the grader's own process with `run_trusted`, so that tests and
`autograder.corpus` see what the sandbox would see, without starting one. Only the
caller decides which code cells to pass: the grader passes all of them (intake's
`read_notebook`), so nothing in a notebook is skipped here.

Like the rest of this folder it runs inside the sandbox, where it is imported by its bare
name, and needs the standard library and IPython only.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import os
import sys
import tempfile
import types

NOTE = "[autograder]"
# Magics that would start another program: they are replaced by a note.
BLOCKED_LINE_MAGICS = ("pip", "conda", "mamba", "micromamba", "uv", "system", "sx", "sc", "killbgscripts")
BLOCKED_CELL_MAGICS = ("bash", "sh", "script", "perl", "ruby", "python", "python2", "python3", "pypy",
                       "system", "sx")
# What the sandbox's environment (autograder/run/environment.clean_env) sets that a notebook may
# read: a notebook skips its own exploring when graded, and plots without a display.
GRADED_ENV = {"AUTOGRADER_GRADING": "1", "MPLBACKEND": "Agg"}


def short_error(exc: BaseException) -> str:
    try:
        text = f"{type(exc).__name__}: {exc}"
    except Exception:  # noqa: BLE001 - a student exception whose __str__ fails
        text = type(exc).__name__
    return text.strip()[:300]


# --------------------------------------------------------------------------- fake otter


class _OtterNotebook:
    """Stands in for otter.Notebook: the public checks are not run in the grader's sandbox."""

    def __init__(self, *args, **kwargs):
        pass

    def check(self, *args, **kwargs):
        return None

    def check_all(self, *args, **kwargs):
        return None

    def export(self, *args, **kwargs):
        return None

    def to_pdf(self, *args, **kwargs):
        return None

    def run_plugin(self, *args, **kwargs):
        return None

    def add_plugin_files(self, *args, **kwargs):
        return None


def install_fake_otter() -> None:
    otter = types.ModuleType("otter")
    otter.__path__ = []  # a package, so `import otter.x` fails cleanly with ModuleNotFoundError
    vars(otter).update(__version__="0+autograder", Notebook=_OtterNotebook)
    sys.modules["otter"] = otter


# --------------------------------------------------------------------------- the shell


def make_shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class SandboxShell(InteractiveShell):
        """An IPython shell that runs no other program and opens no window."""

        def enable_gui(self, gui=None):
            return None

        def enable_matplotlib(self, gui=None):
            # Only the inline backend makes sense without a front end; `%matplotlib qt`,
            # `widget` or `notebook` would need a display or a kernel.
            if gui not in (None, "inline"):
                print(f"{NOTE} `%matplotlib {gui}` runs as `%matplotlib inline` here.")
            return super().enable_matplotlib("inline")

        def system_piped(self, cmd):
            print(f"{NOTE} shell command not run in the grader's sandbox: !{cmd}")
            self.user_ns["_exit_code"] = 0

        system_raw = system_piped
        system = system_piped

        def getoutput(self, cmd, split=True, depth=0):
            print(f"{NOTE} shell command not run in the grader's sandbox: !{cmd}")
            from IPython.utils.text import SList

            return SList() if split else ""

    def blocked(kind, cell_magic):
        def line_magic(line=""):
            print(f"{NOTE} magic not run in the grader's sandbox: %{kind} {line}".rstrip())

        def cell_magic_(line="", cell=None):
            print(f"{NOTE} magic not run in the grader's sandbox: %%{kind} {line}".rstrip())

        return cell_magic_ if cell_magic else line_magic

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "NoColor"
    config.InteractiveShell.xmode = "Context"
    shell = SandboxShell.instance(config=config)
    for name in BLOCKED_LINE_MAGICS:
        shell.register_magic_function(blocked(name, False), "line", name)
    for name in BLOCKED_CELL_MAGICS:
        shell.register_magic_function(blocked(name, True), "cell", name)
    # IPython aliases (`%ls`, `%cat`, ...) go through shell.system, which only prints a note.
    return shell


_prepared_shell = None


def prepare_shell():
    """The fake Otter and the shell, made once. A warm worker (zygote.py) calls this before it
    forks: each forked child then starts with its own copy of a shell no notebook has touched,
    instead of spending most of its start-up building one."""
    global _prepared_shell
    if _prepared_shell is None:
        install_fake_otter()
        _prepared_shell = make_shell()
    return _prepared_shell


# --------------------------------------------------------------------------- one cell


def run_cell(shell, source: str) -> tuple[str, str]:
    """Run one cell in `shell`, as Jupyter runs it: (status, error), where status is "ok",
    "error" (the cell raised; IPython has printed its traceback) or "interrupted". An
    interrupt that escapes IPython itself propagates: the caller decides what stopped."""
    result = shell.run_cell(source, store_history=True)
    exc = result.error_before_exec or result.error_in_exec
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", "KeyboardInterrupt"
    if exc is not None:
        return "error", short_error(exc)
    return "ok", ""


# --------------------------------------------------------------------------- trusted, in this process


def run_trusted(sources: list[str], files: dict[str, bytes] | None = None) -> tuple[dict, list[tuple[str, str]]]:
    """(namespace, [(status, error) per cell]) of trusted cells run in THIS process, through the
    shell and `run_cell` the sandbox's worker uses, in a fresh shell and a fresh working folder
    holding `files` ({"data/x.npy": bytes}, as the run stage places an exercise's data files),
    with the sandbox's `GRADED_ENV`.

    Never for student code: nothing here isolates anything. What the run changes in this
    process is put back afterwards (working folder, sys.path, environment, `otter` and
    `__main__` in sys.modules, builtins, IPython's current shell); the modules the cells
    imported stay imported. The folder is removed when the cells have run, so a function of the
    namespace that reads a relative path later reads it from the caller's working folder."""
    with tempfile.TemporaryDirectory(prefix="autograder-trusted-") as root:
        workdir = os.path.join(root, "work")
        os.mkdir(workdir)
        for name, data in (files or {}).items():
            target = os.path.join(workdir, *name.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
        tmp = os.path.join(root, "tmp")
        os.mkdir(tmp)
        with _this_process_kept(root), _no_current_shell():
            os.environ.update(GRADED_ENV, IPYTHONDIR=os.path.join(root, ".ipython"), TMPDIR=tmp)
            tempfile.tempdir = tmp  # the sandbox's TMPDIR is its own too (tempfile caches the first)
            os.chdir(workdir)
            sys.path.insert(0, "")  # the notebook's own folder first, as in the worker
            install_fake_otter()
            shell = make_shell()
            try:
                outcomes = [run_cell(shell, source) for source in sources]
            finally:
                atexit.unregister(shell.atexit_operations)  # nor does it keep the namespace alive
            return shell.user_ns, outcomes


@contextlib.contextmanager
def _this_process_kept(root: str):
    """Put back what running a notebook changes in the process that runs it; modules imported
    from the run's folder `root` (the set-up cell's helper) leave with it."""
    cwd, path, environ, tmp = os.getcwd(), list(sys.path), dict(os.environ), tempfile.tempdir
    hooks = sys.displayhook, sys.excepthook
    main = sys.modules.get("__main__")
    otter = {name: module for name, module in sys.modules.items() if name == "otter" or name.startswith("otter.")}
    for name in otter:
        del sys.modules[name]
    saved_builtins = dict(builtins.__dict__)
    try:
        yield
    finally:
        os.chdir(cwd)
        tempfile.tempdir = tmp
        sys.path[:] = path
        # By prefix, the run's folder as given and as resolved: resolving every module's path
        # instead took seconds per run once torch and Keras were loaded (thousands of modules).
        inside = (os.path.join(root, ""), os.path.join(os.path.realpath(root), ""))
        for name, module in list(sys.modules.items()):
            where = getattr(module, "__file__", None)
            if isinstance(where, str) and os.path.abspath(where).startswith(inside):
                del sys.modules[name]
        for name in [n for n in os.environ if n not in environ]:
            del os.environ[name]
        os.environ.update({n: v for n, v in environ.items() if os.environ.get(n) != v})
        sys.displayhook, sys.excepthook = hooks
        if main is not None:
            sys.modules["__main__"] = main
        for name in [n for n in sys.modules if n == "otter" or n.startswith("otter.")]:
            del sys.modules[name]
        sys.modules.update(otter)
        for name in [n for n in builtins.__dict__ if n not in saved_builtins]:
            del builtins.__dict__[name]  # IPython's __IPYTHON__ and display
        builtins.__dict__.update(saved_builtins)


@contextlib.contextmanager
def _no_current_shell():
    """IPython's current shell (`get_ipython()`) is ours while the cells run, and whichever
    was current before (usually none) afterwards."""
    from IPython.core.interactiveshell import InteractiveShell

    # IPython keeps its current shell in a private class attribute per class of its MRO, and offers
    # no public way to put one back: this restores it as IPython's own clear_instance() undoes it.
    before = InteractiveShell._instance if InteractiveShell.initialized() else None  # noqa: SLF001
    InteractiveShell.clear_instance()
    try:
        yield
    finally:
        InteractiveShell.clear_instance()
        if before is not None:
            for klass in type(before)._walk_mro():  # noqa: SLF001
                klass._instance = before  # noqa: SLF001
