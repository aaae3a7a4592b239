"""The one notebook executor (autograder/sandbox/cells.py) run in this process, on trusted cells:
the sandbox's refusals hold, a failing cell does not stop the next, and the process is left as
it was found. The sandboxed run of the same shell is tested in test_sandbox.py."""

from __future__ import annotations

import builtins
import os
import sys

from autograder.sandbox.cells import run_trusted

CELLS = [
    "import otter\ngrader = otter.Notebook('x.ipynb')\nx = 2",
    "grader.check('q1')\n!touch shell_ran.txt\n%pip install nothing",
    "%%bash\ntouch bash_ran.txt",
    "1 / 0",
    "import os\nwith open('data/a.txt') as f:\n    text = f.read()\nhere = sorted(os.listdir('.'))",
    "raise KeyboardInterrupt",
    "y = x + 1\ngraded = os.environ.get('AUTOGRADER_GRADING')",
]


def test_trusted_cells_run_as_the_sandbox_runs_them(capsys):
    import otter

    before = os.getcwd(), list(sys.path), sys.modules["__main__"], dict(os.environ)
    namespace, outcomes = run_trusted(CELLS, files={"data/a.txt": b"hello"})
    assert [status for status, _ in outcomes] == ["ok", "ok", "ok", "error", "ok", "interrupted", "ok"]
    assert outcomes[3][1] == "ZeroDivisionError: division by zero"
    assert namespace["y"] == 3 and namespace["text"] == "hello" and namespace["graded"] == "1"
    assert namespace["here"] == ["data"]  # neither `!touch` nor `%%bash` ran
    printed = capsys.readouterr().out
    assert "shell command not run in the grader's sandbox: !touch shell_ran.txt" in printed
    assert "magic not run in the grader's sandbox: %pip install nothing" in printed
    assert "magic not run in the grader's sandbox: %%bash" in printed
    # the process is as it was: the real otter, no current IPython shell, nothing left set
    assert (os.getcwd(), list(sys.path), sys.modules["__main__"], dict(os.environ)) == before
    assert sys.modules["otter"] is otter and not hasattr(builtins, "__IPYTHON__")
    from IPython import get_ipython

    assert get_ipython() is None


def test_each_run_starts_from_a_fresh_namespace():
    first, _ = run_trusted(["a = 1"])
    second, outcomes = run_trusted(["b = a"])
    assert first["a"] == 1 and "a" not in second and outcomes == [("error", "NameError: name 'a' is not defined")]
