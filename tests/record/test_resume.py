"""Issue 22: the gradebook is the source of truth, and the files beside it are made from it.

A batch killed (SIGKILL) between storing a row and writing its files, a batch that runs out of
disk (a real tmpfs of 512 KiB, filled; and an ENOSPC injected at the write layer), and a batch
whose output folder is read-only: each ends with one clear line and a non-zero exit, keeps the
rows it stored, and the same command run again completes it: one row, one result JSON and one
feedback file per submission, grades.csv with every row, and no temporary file.

The submissions name no exercise of the course (status unknown_exercise) or cannot be read, so
that no sandbox starts: what is tested is the bookkeeping around the pipeline.
"""

from __future__ import annotations

import csv
import errno
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from autograder.cli import main
from support.environment import missing_here
from support.cli import the_error
from support.paths import REPO

ROOT = REPO
COUNT = 12


def submissions(folder: Path, count: int = COUNT) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        nb = nbformat.v4.new_notebook()
        nb.metadata["autograder"] = {"exercise": "not_in_this_course"}
        nb.cells = [nbformat.v4.new_code_cell(f"x = {i}")]
        (folder / f"student{i:02d}.ipynb").write_text(nbformat.writes(nb))
    (folder / "broken.ipynb").write_text("{ not a notebook")  # unreadable: keyed by its path
    return folder


def rows_of(out: Path) -> dict[str, dict]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return {student: {"graded_at": at, "status": status}
                for student, at, status in db.execute("SELECT student, graded_at, status FROM grades")}


def assert_complete(out: Path, count: int = COUNT + 1) -> None:
    """One row, one result, one feedback file and page per submission; grades.csv whole; no .part."""
    assert len(rows_of(out)) == count
    assert len(list((out / "results").glob("*.json"))) == count
    assert len(list((out / "feedback").glob("*.md"))) == count
    assert len(list((out / "feedback").glob("*.html"))) == count
    with open(out / "grades.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == count
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]


def grade(subs: Path, out: Path, course: Path):
    return CliRunner().invoke(main, ["grade", str(subs), "--out", str(out), "--quiet", "--course", str(course)])


# --------------------------------------------------------------------------- kill -9 between row and files

# The CLI in a child process whose Nth write of a result (or feedback) file writes half its
# temporary file and then SIGKILLs the process: the row is stored, its file is not.
KILLER = """
import os, signal, sys
import importlib
module = importlib.import_module({module!r})
target = {target!r}
original = getattr(module, target)
calls = [0]
def dying(result, folder, *args):
    calls[0] += 1
    if calls[0] == {nth}:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "half-written.json.part").write_text('{{"student": ')
        os.kill(os.getpid(), signal.SIGKILL)
    return original(result, folder, *args)
setattr(module, target, dying)
from autograder.cli import main
main(sys.argv[1:], prog_name="autograder")
"""


@pytest.mark.parametrize("module, target", [("autograder.batch", "write_result_json"),
                                            ("autograder.export.feedback", "write_feedback")])  # on its own thread
def test_a_batch_killed_between_row_and_files_is_completed_by_the_same_command(fast_course, tmp_path, module, target):
    subs, out = submissions(tmp_path / "subs"), tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    killed = subprocess.run([sys.executable, "-c", KILLER.format(module=module, target=target, nth=5), "grade", str(subs),
                             "--out", str(out), "--quiet", "--workers", "1", "--course", str(fast_course)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert killed.returncode == -9, killed.stderr
    before = rows_of(out)
    assert list(out.rglob("*.part"))
    if target == "write_result_json":
        assert len(before) == 5  # the fifth row was stored, then the process died
        assert len(list((out / "results").glob("*.json"))) < 5
    else:  # feedback is written on a thread of its own: later rows may be stored before the fifth page
        assert len(before) >= 5 and len(list((out / "feedback").glob("*.md"))) < min(5, len(before))
    done = grade(subs, out, fast_course)
    assert done.exit_code == 0, done.output
    assert_complete(out)
    after = rows_of(out)
    assert {s: after[s] for s in before} == before  # the rows stored were trusted, not graded again


def test_a_result_file_that_differs_from_its_row_is_written_again(fast_course, tmp_path):
    subs, out = submissions(tmp_path / "subs", 2), tmp_path / "out"
    assert grade(subs, out, fast_course).exit_code == 0
    victim = sorted((out / "results").glob("*.json"))[0]
    victim.write_text("{}")  # a disk that lost it, a hand that edited it
    (sorted((out / "feedback").glob("*.md"))[0]).unlink()
    (sorted((out / "feedback").glob("*.html"))[-1]).unlink()
    assert grade(subs, out, fast_course).exit_code == 0
    assert_complete(out, 3)
    assert '"student"' in victim.read_text()


# --------------------------------------------------------------------------- a full disk


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of 512 KiB mounted for the test (root only)."""
    if os.geteuid() != 0:
        missing_here("mounting a small tmpfs needs root", "run the tests as root (CI does)")
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        missing_here(f"a tmpfs cannot be mounted here ({made.stderr.decode().strip()})",
                     "run the tests as root with CAP_SYS_ADMIN (CI does)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(mount: Path, leave: int) -> Path:
    """A ballast file that leaves `leave` bytes free on `mount`."""
    info = os.statvfs(mount)
    ballast = mount / "ballast"
    with open(ballast, "wb") as f:
        f.write(b"\0" * (info.f_bavail * info.f_frsize - leave))
    return ballast


@pytest.mark.parametrize("leave_kib", [96, 160])
def test_a_full_disk_stops_the_batch_with_one_line_and_the_same_command_completes_it(
        fast_course, tmp_path, small_disk, leave_kib):
    subs, out = submissions(tmp_path / "subs"), small_disk / "out"
    ballast = fill(small_disk, leave_kib * 1024)
    done = grade(subs, out, fast_course)
    assert done.exit_code == 1
    line = the_error(done.output)
    assert line.startswith(f"Error: cannot write into {out}") and "no space left on the device" in line, line
    assert "the same command completes the batch" in line
    before = rows_of(out)
    assert 0 < len(before) < COUNT + 1, line  # some rows fitted, and are kept
    assert f"the {len(before)} row(s) stored are kept" in line
    assert not list(out.rglob("*.part"))
    ballast.unlink()
    done = grade(subs, out, fast_course)
    assert done.exit_code == 0, done.output
    assert_complete(out)
    after = rows_of(out)
    assert {s: after[s] for s in before} == before


class FullAfter:
    """Every write of a result or feedback file after the first `n` fails with ENOSPC."""

    def __init__(self, n: int):
        self.n, self.calls = n, 0

    def __call__(self, original):
        def write(path, text):
            self.calls += 1
            if self.calls > self.n:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path.with_name(path.name + ".part")))
            return original(path, text)
        return write


@pytest.mark.parametrize("n", [0, 3, 8])
def test_an_enospc_at_the_write_layer_keeps_the_rows_and_a_rerun_completes(fast_course, tmp_path, monkeypatch, n):
    # Every module that writes results binds write_atomically by name when it is first
    # imported: all are imported here, before the patch, and each is patched (one imported
    # first under the patch would keep the failing writer after monkeypatch.undo()).
    from autograder.export import derived, feedback, files

    subs, out = submissions(tmp_path / "subs"), tmp_path / "out"
    full = FullAfter(n)
    for module in (files, feedback, derived):
        monkeypatch.setattr(module, "write_atomically", full(module.write_atomically))
    done = grade(subs, out, fast_course)
    assert done.exit_code == 1
    line = the_error(done.output)
    assert "no space left on the device" in line and (f"cannot write into {out / 'results'}" in line
                                                      or f"cannot write into {out / 'feedback'}" in line), line
    assert "result or feedback file(s) missing" in line and "grades.csv not up to date" in line
    kept = rows_of(out)
    # Each row is stored before its three files, the first that failed too; its feedback is written
    # on a thread of its own, so the rows after it may be stored before that write fails (at most
    # one a write: each row's result JSON is written before the next row).
    assert n // 3 + 1 <= len(kept) <= n + 1
    monkeypatch.undo()
    done = grade(subs, out, fast_course)
    assert done.exit_code == 0, done.output
    assert_complete(out)


# --------------------------------------------------------------------------- an unwritable folder


def test_a_read_only_output_folder_stops_grade_before_anything_is_graded(fast_course, tmp_path, small_disk):
    subs = submissions(tmp_path / "subs", 2)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    done = grade(subs, small_disk / "out", fast_course)
    assert done.exit_code == 1
    line = the_error(done.output)
    assert line.startswith(f"Error: cannot write into {small_disk / 'out'}: Read-only file system"), line
    assert "nothing graded yet" in line


def test_a_file_where_the_results_folder_should_be_is_named(fast_course, tmp_path):
    subs, out = submissions(tmp_path / "subs", 2), tmp_path / "out"
    out.mkdir()
    (out / "results").write_text("not a folder")
    done = grade(subs, out, fast_course)
    assert done.exit_code == 1
    assert the_error(done.output).startswith(f"Error: cannot write into {out / 'results'}: ")
    (out / "results").unlink()
    assert grade(subs, out, fast_course).exit_code == 0
    assert_complete(out, 3)


def test_export_to_a_full_disk_is_one_line(fast_course, tmp_path, small_disk):
    subs, out = submissions(tmp_path / "subs", 2), tmp_path / "out"
    assert grade(subs, out, fast_course).exit_code == 0
    fill(small_disk, 0)
    for fmt in ("csv", "feedback"):
        done = CliRunner().invoke(main, ["export", "--to", fmt, "--results", str(out), "--course", str(fast_course),
                                         "--out", str(small_disk / f"{fmt}-export")])
        assert done.exit_code == 1
        assert the_error(done.output).startswith(f"Error: cannot write {small_disk / f'{fmt}-export'}"), done.output
