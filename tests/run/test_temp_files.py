"""Nothing a run leaves in the temporary folder: a batch on warm and fresh workers, a student's
notebook in a real kernel (its set-up cell writes a zip and a checks folder), the demo's LMS and
tool started and stopped. Each runs with its own TMPDIR, which must be empty afterwards.

And what a grader killed outright leaves (SIGKILL: no clean-up runs): its warm workers' folders,
which the next warm worker's start removes, and only those whose owner is gone."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.run.folders import ABANDONED_AFTER_S, OWNER_LOCK, owned_folder, remove_abandoned, remove_tree
from support.colab import Kernels, check_results, copy_alone, errors, execute
from support.serve import SECRET, course_in

EXERCISE = "sigmoid_probability"


@pytest.fixture
def own_tmp(tmp_path, monkeypatch) -> Path:
    """TMPDIR for this process (tempfile caches it) and the processes it starts: a new empty folder."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_batch_a_kernel_and_the_demo_leave_nothing_behind(built_course, own_tmp, tmp_path, monkeypatch):
    from autograder.build.variants import SECRET_ENV, SECRET_FILE_ENV
    from autograder.serve.demo import place_exercises, start_pair

    solution = built_course / EXERCISE / "solution" / f"{EXERCISE}.ipynb"
    for mode, env, copies in (("warm", {"AUTOGRADER_WARM": "1"}, 2), ("cold", {"AUTOGRADER_WARM": "0"}, 1)):
        subs = tmp_path / f"subs-{mode}"
        for i in range(copies):
            (subs / f"s{i}").mkdir(parents=True)
            shutil.copy(solution, subs / f"s{i}" / solution.name)
        result = CliRunner().invoke(main, ["grade", str(subs), "--out", str(tmp_path / f"out-{mode}"), "--workers", "2",
                                           "--quiet"], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert left_in(own_tmp) == [], f"a {mode} batch left these"

    kernels = Kernels(tmp_path / "kernels")
    notebook = copy_alone(solution, tmp_path / "jupyter")
    [nb] = execute(kernels, [(kernels.spec("jupyter", colab=False), nbformat.read(str(notebook), as_version=4),
                              notebook.parent)])
    assert errors(nb) == [] and all(check_results(nb).values())  # its set-up cell wrote and used its checks
    assert left_in(own_tmp) == [], "a student's kernel left these"

    monkeypatch.setenv(SECRET_ENV, SECRET)
    monkeypatch.delenv(SECRET_FILE_ENV, raising=False)
    course = course_in(tmp_path)
    pair = start_pair(course, tmp_path / "data", workers=1)
    try:
        assert place_exercises(pair, course)
        assert pair.key_file.is_file() and pair.key_file.is_relative_to(own_tmp)
    finally:
        pair.stop()
    assert left_in(own_tmp) == [], "the demo's pair left these"


def _aged(folder: str) -> str:
    """The folder's lock file made older than a folder being made can be."""
    old = time.time() - ABANDONED_AFTER_S - 5
    os.utime(os.path.join(folder, OWNER_LOCK), (old, old))
    return folder


def test_the_folders_of_a_killed_owner_are_removed_and_no_other(own_tmp):
    killed = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom autograder.run.folders import owned_folder\n"
                               "print(owned_folder('autograder-zygote-')[0], flush=True)\ntime.sleep(600)"],
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    abandoned = killed.stdout.readline().strip()
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert Path(abandoned).parent == own_tmp and Path(abandoned, OWNER_LOCK).is_file()
    young = tempfile.mkdtemp(prefix="autograder-zygote-")  # as if killed between mkdtemp and its lock
    Path(young, OWNER_LOCK).touch()
    unlocked = tempfile.mkdtemp(prefix="autograder-zygote-")  # made by an older grader: no lock file
    mine, lock = owned_folder("autograder-zygote-")
    other, other_lock = owned_folder("autograder-other-")
    _aged(other)
    try:
        _aged(abandoned), _aged(mine)
        assert remove_abandoned("autograder-zygote-") == [abandoned]
        assert not Path(abandoned).exists()
        assert all(Path(p).is_dir() for p in (young, unlocked, mine, other))  # its owner holds `mine`
    finally:
        for folder, fd in ((mine, lock), (other, other_lock)):
            remove_tree(folder)
            os.close(fd)
