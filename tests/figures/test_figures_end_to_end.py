"""Figures through `autograder grade`: notebooks run in the sandbox, the figure data kept in each
result, one HTML page per submission in OUT/feedback/ beside the Markdown (drawn by the drawing
process, export/pages.py), and the same grades with figures off (AUTOGRADER_FIGURES=0) as on,
hostile answers included."""

from __future__ import annotations

import base64
import csv
import json
import os
import subprocess
import sys
import re
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from autograder.cli import main

pytestmark = pytest.mark.slow  # two batches of sandboxes

SETUP = "import numpy as np\nw1, w2, b = 0.3, 0.1, 1.0\nx1, x2 = 1.0, 2.2"
REST = ["z = w1 * x1 + w2 * x2 + b", "p = sigmoid(z)", "is_fake = p > 0.5",
        "X = np.array([[x1, x2]])\nW = np.array([[w1], [w2]])\np_vec = sigmoid(X @ W + b)"]
NOTEBOOKS = {
    "flipped": [SETUP, "def sigmoid(z):\n    return 1 / (1 + np.exp(z))", *REST],
    "math_exp": [SETUP, "import math\ndef sigmoid(z):\n    return 1 / (1 + math.exp(-z))", *REST],
    # hostile answers: markup and math in strings, NaN, a value the size of the wire's limits
    "hostile": [SETUP, "def sigmoid(z):\n    return np.full(np.shape(z), np.nan)", *REST,
                "p = '$\\\\frac{1}{0}$ <script>alert(1)</script>'\nz = 1e308 * 10"],
    "right": [SETUP, "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))", *REST],
}


def notebook(cells: list[str]) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["autograder"] = {"exercise": "sigmoid_probability"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


# A batch in a process of its own, as `autograder grade` runs (the pages' drawing process is a fork,
# made only where no other thread runs: this test process has some). No figure is drawn in the
# grading process, so that every image comes from the drawing process, which inherits the patch
# and draws as usual.
ONLY_THE_DRAWER_DRAWS = """
import os, sys
from autograder import figures
from autograder.cli import main
grader, drawn_here = os.getpid(), figures.figures_of
figures.figures_of = lambda *a, **k: [] if os.getpid() == grader else drawn_here(*a, **k)
main(sys.argv[1:])
"""


def grade(subs: Path, out: Path, figures: str) -> dict[str, dict]:
    args = ["grade", str(subs), "--out", str(out), "--workers", "2", "--quiet"]
    if figures == "1":
        done = subprocess.run([sys.executable, "-c", ONLY_THE_DRAWER_DRAWS, *args], capture_output=True, text=True,
                              env={**os.environ, "AUTOGRADER_FIGURES": "1"}, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    else:
        result = CliRunner().invoke(main, args, catch_exceptions=False, env={"AUTOGRADER_FIGURES": figures})
        assert result.exit_code == 0, result.output
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    return {student: json.loads(next((out / "results").glob(f"{student}__*.json")).read_text()) | {"row": row}
            for student, row in rows.items()}


@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    for name, cells in NOTEBOOKS.items():
        (subs / f"{name}.ipynb").write_text(notebook(cells))
    out = tmp_path_factory.mktemp("out")
    on = grade(subs, out / "on", "1")
    return on, grade(subs, out / "off", "0"), out


def test_the_same_grades_with_figures_on_and_off(batches):
    on, off, _ = batches
    assert set(on) == set(NOTEBOOKS)
    for student in NOTEBOOKS:
        assert on[student]["row"]["status"] == off[student]["row"]["status"] == "graded", student
        assert [(c["name"], c["points"]) for c in on[student]["checks"]] == \
               [(c["name"], c["points"]) for c in off[student]["checks"]], student
    assert float(on["right"]["row"]["score"]) == float(on["right"]["row"]["max_score"])
    assert not any("figure" in c for r in off.values() for c in r["checks"])


def test_the_figure_data_comes_from_the_sandboxs_answers(batches):
    on, _, _ = batches
    checks = {c["name"]: c for c in on["flipped"]["checks"]}
    p = checks["p"]["figure"]
    assert p["kind"] == "sigmoid_probability" and p["upstream"]["z"] == pytest.approx(1.52)
    assert p["value"]["got"] == pytest.approx(0.179462, 1e-5) and p["value"]["expected"] == pytest.approx(0.820538, 1e-5)
    curve = checks["sigmoid"]["figure"]
    assert curve["kind"] == "function_curve" and len(curve["x"]) == len(curve["got"]) >= 5
    assert all(g == pytest.approx(1 / (1 + 2.718281828459045 ** x), rel=1e-4, abs=1e-6) for x, g in zip(curve["x"], curve["got"]))
    raised = {c["name"]: c for c in on["math_exp"]["checks"]}["sigmoid"]["figure"]
    assert raised["raised"].startswith("TypeError")
    hostile = {c["name"]: c for c in on["hostile"]["checks"]}
    assert hostile["sigmoid"]["figure"]["got"] == [None] * len(hostile["sigmoid"]["figure"]["x"])
    assert hostile["p"]["figure"]["value"]["got"].startswith("$\\frac{1}{0}$")


def test_one_page_per_submission_beside_the_markdown(batches):
    on, off, out = batches
    for folder, images in ((out / "on" / "feedback", {"flipped": 2, "math_exp": 1, "hostile": 0, "right": 0}),
                           (out / "off" / "feedback", dict.fromkeys(NOTEBOOKS, 0))):
        pages = sorted(folder.glob("*.html"))
        assert [p.with_suffix(".md").name for p in pages] == sorted(p.name for p in folder.glob("*.md"))
        assert len(pages) == len(NOTEBOOKS)
        for page in pages:
            student = page.name.split("__")[0]
            text = page.read_text()
            found = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
            assert len(found) == images[student], (folder, student)
            assert all(base64.b64decode(b).startswith(b"\x89PNG") for b in found)
            assert "<script>" not in text
    hostile = next((out / "on" / "feedback").glob("hostile__*.html")).read_text()
    assert "Figure left out" not in hostile and "<script>" not in hostile  # a string p draws nothing, and fails nothing
