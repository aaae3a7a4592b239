"""Hand-written submissions of sigmoid_probability (numpy only: a sandbox run takes about a second)
for the tests that grade end to end: the notebook's given cell, the right answers cell by cell,
the hostile notebooks with the status and score each must get, and a batch graded in one call."""

from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.batch import grade_batch
from autograder.course import load_course
from autograder.exercises import REPO_ROOT

EXERCISE = "sigmoid_probability"
SETUP = "import numpy as np\nw1, w2, b = 0.3, 0.1, 1.0\nx1, x2 = 1.0, 2.2"  # the notebook's given cell
Z = "z = w1 * x1 + w2 * x2 + b"
SIGMOID = "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))"
P = "p = sigmoid(z)"
REST = ["is_fake = p > 0.5", "X = np.array([[x1, x2]])\nW = np.array([[w1], [w2]])\np_vec = sigmoid(X @ W + b)"]
RIGHT = [Z, SIGMOID, P, *REST]  # every answer right, one cell each
FULL = 6.0


def notebook(*cells: str, exercise: str = EXERCISE) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["autograder"] = {"exercise": exercise}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


def grade(fast_course, folder: Path, named: dict[str, str], warm: bool) -> dict[str, dict]:
    """Grade the notebooks `named` (in this order, one worker) as one batch; {name: result}."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in named.items():
        (folder / f"{name}.ipynb").write_text(text)
        paths.append(str(folder / f"{name}.ipynb"))
    results = grade_batch(paths, load_course(fast_course), folder / "out", workers=1, warm=warm, progress=False)
    return {r["student"]: r for r in results}


def outcome(results: dict, name: str) -> tuple[str, float]:
    return results[name]["status"], float(results[name]["score"])


HOSTILE = {
    # name: (cells, expected status, expected score, what else to check)
    "patch_numpy": ([SETUP, *RIGHT,
                     "p = 0.5\nnp.isclose = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True\n"
                     "np.testing.assert_allclose = lambda *a, **k: None"], "graded", FULL - 1),
    "patch_builtins": ([SETUP, *RIGHT[:2], "import builtins\nbuiltins.float = lambda *a: 0.8205\n"
                        "builtins.abs = lambda *a: 0.0\np = 'not a number'", *RIGHT[3:]], "graded", FULL - 2),
    "os_exit": ([SETUP, *RIGHT, "import os\nos._exit(0)"], "crashed", 0.0),
    "sys_exit": ([SETUP, *RIGHT[:3], "import sys\nsys.exit()", *RIGHT[3:]], "graded", FULL),
    "infinite_loop": ([SETUP, *RIGHT, "while True:\n    pass"], "timeout", FULL),
    "uninterruptible": ([SETUP, "import time\nwhile True:\n    try:\n        time.sleep(10)\n    except BaseException:\n"
                         "        pass", *RIGHT], "timeout", 0.0),
    # Address space runs out at once, whatever the machine's speed (touching 2 GB may take longer
    # than the cell's limit on a slow one): the cell fails with MemoryError and the run goes on.
    "memory_bomb": ([SETUP, "hog = []\nwhile True:\n    hog.append(np.empty(10**8))", "del hog", *RIGHT],
                    "graded", FULL),
    # A flood of output never costs the answers: the output is cut, the cell stopped, the probes answered.
    "huge_print": ([SETUP, *RIGHT, "while True:\n    print('x' * 10**6)"], "timeout", FULL),
    "huge_print_raw": ([SETUP, *RIGHT, "import os\nwhile True:\n    os.write(1, b'x' * 10**6)\n    os.write(2, b'y' * 10**6)",
                        "after = 1"], "timeout", FULL),
    "network": ([SETUP, *RIGHT, "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
                 "    p = 0.8205\nexcept OSError:\n    p = 'offline'"], "graded", FULL - 1),
    "read_solutions": ([SETUP, *RIGHT[:2], f"ns = {{}}\nexec(open('{REPO_ROOT}/solutions/{EXERCISE}.py').read(), ns)\n"
                        "p = ns['P']", *RIGHT[3:]], "graded", FULL - 2),
    "read_checks": ([SETUP, *RIGHT, f"p = None\np = open('{REPO_ROOT}/exercises/{EXERCISE}/checks.py').read()"], "graded", FULL - 1),
    "evil_pickle": ([SETUP, *RIGHT[:2], "import os\nclass Evil(float):\n    def __reduce__(self):\n"
                     "        return (os.system, ('touch /tmp/autograder-pwned',))\np = Evil(0.8205)", *RIGHT[3:]],
                    "graded", FULL - 1),
}
