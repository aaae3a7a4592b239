"""The Gradescope bundle installs and grades in a clean environment, as Gradescope runs it:
`setup.sh` (a fresh venv, every dependency from the package index under the bundle's
constraints.txt, nothing of this checkout's environment) and then `run_autograder` on the
solution version, which must get full marks. apt-get is a stand-in that records what it was
asked for (this machine has bubblewrap and libseccomp2 already; the test must not change the
system): the packages asked for are asserted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from autograder.build import build_course
from autograder.build.scaffold import new_exercise
from autograder.course import load_course

# A venv and ~140 packages: minutes (pip's cache makes reruns faster). Left out of the suite's
# default run; .ci/run runs it with `-m clean_install`.
pytestmark = [pytest.mark.slow, pytest.mark.clean_install]


def test_setup_sh_installs_pinned_and_run_autograder_gives_the_solution_full_marks(tmp_path):
    new_exercise(tmp_path / "course" / "course.yaml", "mean_of_values")
    [built] = build_course(load_course(tmp_path / "course" / "course.yaml"), tmp_path / "dist")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(built.autograder / "gradescope.zip") as zf:
        zf.extractall(root / "source")
        constraints = zf.read("constraints.txt").decode()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / "apt.log"}\n')
    (bin_dir / "apt-get").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOGRADER_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", AUTOGRADER_SOURCE=str(root / "source"),
               AUTOGRADER_VENV=str(root / "venv"),
               # PyPI, where this machine's pip also finds the CPU torch wheel (its find-links);
               # Gradescope uses PyTorch's CPU index, the script's default.
               TORCH_INDEX_URL=os.environ.get("TEST_TORCH_INDEX_URL", "https://pypi.org/simple"))
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                           timeout=1800)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    asked = (tmp_path / "apt.log").read_text()
    assert "install" in asked and "bubblewrap" in asked.split() and "libseccomp2" in asked.split()

    venv_python = root / "venv" / "bin" / "python"
    frozen = subprocess.run([str(venv_python), "-m", "pip", "list", "--format=json"], capture_output=True, text=True,
                            env=env, check=True)
    installed = {p["name"].lower(): p["version"] for p in json.loads(frozen.stdout)}
    pins = dict(line.split("==") for line in constraints.splitlines() if line and not line.startswith("#"))
    for name in ("torch", "numpy", "keras", "otter-grader", "pydantic", "nbformat", "ipython"):
        assert installed[name] == pins[name], name  # exactly what built the course

    (root / "submission").mkdir()
    shutil.copy(built.solution, root / "submission" / built.solution.name)
    (root / "submission_metadata.json").write_text(json.dumps(
        {"id": 1, "users": [{"email": "ann@uni.edu", "name": "Ann", "id": 7}], "previous_submissions": []}))
    env.update(GRADESCOPE_ROOT=str(root), AUTOGRADER_PYTHON=str(venv_python))
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                         timeout=600, cwd=root)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 1.0 and [t["score"] for t in results["tests"]] == [1.0], results
    assert sys.executable not in run.stdout + run.stderr  # graded by the venv's Python, not this one
