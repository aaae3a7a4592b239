"""A student's Python without otter-grader: the first cell installs it from the package index,
and the notebook runs top to bottom in a plain Jupyter kernel (numpy, torch and keras there).

The environment is a fresh venv that sees this Python's packages through a folder of links to
them, all but otter-grader's: `--system-site-packages` would show otter too. pip installs
otter-grader alone (its dependencies are there), pinned to the version that built the course,
into the venv (pip itself is one of the linked packages: the venv is made without ensurepip's
own copy, which took as long to install as the rest of the test).
"""

from __future__ import annotations

import os
import site
import subprocess
import venv
from pathlib import Path

import nbformat
import pytest

from support.colab import Kernels, check_results, copy_alone, errors, execute, otter_version, setup_output

pytestmark = pytest.mark.slow
EXERCISE = "keras_params"  # imports keras on torch: the student's whole stack
SECOND = "sigmoid_probability"  # numpy only: a second notebook in the same Python finds otter
HIDDEN = ("otter", "otter_grader-")


def python_without_otter(folder: Path) -> Path:
    """A venv whose Python sees every package of this one (pip among them) except otter-grader."""
    links = folder / "packages"
    links.mkdir(parents=True)
    for packages in dict.fromkeys(site.getsitepackages()):
        for entry in Path(packages).iterdir():
            if entry.name.startswith(HIDDEN) or entry.suffix == ".pth" or (links / entry.name).exists():
                continue
            (links / entry.name).symlink_to(entry)
    env = folder / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env)
    python = env / "bin" / "python"
    own = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    (Path(own) / "course_packages.pth").write_text(f"{links}\n")
    return python


def test_first_cell_installs_otter_then_the_notebook_runs_alone(built_course, tmp_path):
    python = python_without_otter(tmp_path / "env")
    probe = subprocess.run([str(python), "-c", "import numpy, torch, keras, ipykernel; import otter"],
                           capture_output=True, text=True, env={**os.environ, "KERAS_BACKEND": "torch"})
    assert "No module named 'otter'" in probe.stderr  # the rest is there, otter is not

    dist = built_course  # the session's build
    kernels = Kernels(tmp_path / "kernels")
    kernel = kernels.spec("student-python", colab=False, python=str(python))
    runs = []
    for exercise, version in ((EXERCISE, "student"), (SECOND, "solution")):  # the first installs otter
        path = copy_alone(dist / exercise / version / f"{exercise}.ipynb", tmp_path / version)
        [nb] = execute(kernels, [(kernel, nbformat.read(str(path), as_version=4), path.parent)])
        runs.append((nb, path))
    (blank, blank_path), (solution, solution_path) = runs

    assert f"Installing otter-grader {otter_version()}" in setup_output(blank)
    assert "Installing otter-grader" not in setup_output(solution)
    installed = subprocess.run([str(python), "-m", "pip", "show", "otter-grader"], capture_output=True, text=True)
    assert f"Version: {otter_version()}" in installed.stdout
    assert "course_packages" not in installed.stdout and str(tmp_path / "env" / "venv") in installed.stdout

    for nb in (blank, solution):
        assert errors(nb) == []
    assert check_results(blank) and not any(check_results(blank).values())
    assert check_results(solution) and all(check_results(solution).values())
    for path in (blank_path, solution_path):  # grader.export() wrote the hand-in zip beside it
        assert len(list(path.parent.glob(f"{path.stem}_*.zip"))) == 1
