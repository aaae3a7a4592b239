"""grade --cluster with real processes: a `dask scheduler` and two `dask worker`s on 127.0.0.1.

1. A mixed batch (solutions, blanks, hostile and broken files) graded across the workers gets
   exactly the rows and scores of a local run of the same batch.
2. A worker killed part-way through a batch: its submissions are run by the other, every row
   is there once.
3. The scheduler killed part-way: the command stops with the rows done so far kept; with a
   scheduler back at the same address, the same command grades the rest, every row once.
4. A worker that declares a GPU torch cannot see refuses to grade, says why, and leaves.

The exercises need numpy only, so the workers' warm workers import little and the few sandbox
runs stay short. Needs bubblewrap: without it the workers refuse to grade, and the
tests fail (in CI they must).
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from autograder.exercises import EXERCISES_DIR
from support.submissions import HOSTILE, RIGHT, SETUP, notebook
from support.paths import REPO

pytestmark = pytest.mark.slow

NUMPY_ONLY = ["sigmoid_probability", "decision_line", "matrix_multiplication", "forward_pass"]
SLOW_CELL = "import time\ntime.sleep(1.5)"  # long enough for a kill to land while the batch runs
START = 180  # seconds for a process to come up (generous: CI has 2 cores)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaskProcesses:
    """A scheduler and named workers, each a process of its own, logging into `logs`."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        self.procs: dict[str, subprocess.Popen] = {}

    def _start(self, name: str, args: list[str]) -> None:
        log = open(self.logs / f"{name}.log", "ab")
        # Dask's scratch space (the scheduler's and the workers' folders) beside the logs, not in
        # /tmp/dask-scratch-space, where a killed process's folder stayed.
        env = {**os.environ, "DASK_TEMPORARY_DIRECTORY": str(self.logs / "scratch")}
        self.procs[name] = subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=REPO, env=env)

    def start_scheduler(self) -> None:
        port = self.address.rsplit(":", 1)[1]
        self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"])
        self._wait(lambda: self._connectable(), "the scheduler")

    def start_worker(self, name: str, *extra: str) -> None:
        self._start(name, ["worker", self.address, "--name", name, "--nthreads", "1", "--no-nanny",
                           "--no-dashboard", "--death-timeout", "60", *extra])

    def running(self, name: str) -> bool:
        return name in self.procs and self.procs[name].poll() is None

    def ensure(self, *workers: str) -> None:
        """The scheduler and these workers up, and every one of them registered."""
        if not self.running("scheduler"):
            self.start_scheduler()
        for name in workers:
            if not self.running(name):
                self.start_worker(name)
        from distributed import Client

        with Client(self.address, timeout=START) as client:
            self._wait(lambda: set(workers) <= {w["name"] for w in client.scheduler_info(n_workers=-1)["workers"].values()},
                       f"workers {workers}")

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def _connectable(self) -> bool:
        host, port = self.address[len("tcp://"):].rsplit(":", 1)
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return True
        except OSError:
            return False

    def _wait(self, ok, what: str) -> None:
        deadline = time.monotonic() + START
        while not ok():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not come up; logs: " + " | ".join(
                    f"{n}: {self.log(n)[-1500:]}" for n in self.procs))
            time.sleep(0.2)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=60)


@pytest.fixture(scope="module")
def dask_processes(tmp_path_factory):
    procs = DaskProcesses(tmp_path_factory.mktemp("dask-logs"))
    try:
        procs.start_scheduler()
        yield procs
    finally:
        procs.stop()


@pytest.fixture(scope="module")
def numpy_course(tmp_path_factory):
    """Four numpy-only exercises and short limits."""
    from autograder.course import DEFAULT_COURSE

    folder = tmp_path_factory.mktemp("numpy-course")
    data = yaml.safe_load(DEFAULT_COURSE.read_text())
    data["exercises"] = [e for e in data["exercises"] if e["id"] in NUMPY_ONLY]
    data["limits"] = {"cell_timeout": 3, "total_timeout": 30, "memory_mb": 2048, "output_kb": 64}
    (folder / "course.yaml").write_text(yaml.safe_dump(data))
    (folder / "exercises").symlink_to(EXERCISES_DIR)
    return folder / "course.yaml"


def grade_command(subs: Path, out: Path, course: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--course", str(course),
            "--quiet", *extra]


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=REPO, stdin=subprocess.DEVNULL)


def rows_of(out: Path) -> list[tuple]:
    with open(out / "grades.csv", newline="") as f:
        return sorted((r["submission"], r["student"], r["exercise"], r["status"], r["score"], r["max_score"], r["sha256"])
                      for r in csv.DictReader(f))


def gradebook_rows(out: Path) -> list[tuple]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return db.execute("select sha256, student from grades").fetchall()


def slow_batch(folder: Path, count: int) -> Path:
    """`count` right answers that each take a while, every one its own file (own sha256)."""
    folder.mkdir()
    for i in range(count):
        (folder / f"slow{i:02d}.ipynb").write_text(notebook(SETUP, *RIGHT, SLOW_CELL, f"submission = {i}"))
    return folder


def wait_for_results(out: Path, at_least: int, proc: subprocess.Popen) -> int:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        done = len(list((out / "results").glob("*.json"))) if (out / "results").is_dir() else 0
        if done >= at_least:
            return done
        time.sleep(0.05)
    raise AssertionError(f"the batch ended or stalled before {at_least} results: {proc.poll()}")


# --------------------------------------------------------------------------- 1. same grades


def test_a_mixed_batch_gets_the_rows_and_scores_of_a_local_run(dask_processes, numpy_course, built_course,
                                                               tmp_path):
    import torch

    # A worker whose GPU torch cannot see: it must refuse, and the batch goes to the other two.
    liar = not torch.cuda.is_available()
    if liar:
        dask_processes.start_worker("gpu-liar", "--resources", "GPU=1")
    dask_processes.ensure("w1", "w2")
    subs = tmp_path / "subs"
    for ex in NUMPY_ONLY:
        for who, version in (("solution", "solution"), ("blank", "student")):
            (subs / who).mkdir(parents=True, exist_ok=True)
            (subs / who / f"{ex}.ipynb").write_bytes((built_course / ex / version / f"{ex}.ipynb").read_bytes())
    hostile = subs / "hostile"
    hostile.mkdir()
    for name in ("patch_numpy", "os_exit", "infinite_loop", "read_solutions", "evil_pickle"):
        (hostile / f"{name}.ipynb").write_text(notebook(*HOSTILE[name][0]))
    (subs / "not_json.ipynb").write_text("{ this is not json")
    (subs / "empty.ipynb").write_text("")
    for broken in (REPO / "examples" / "broken").glob("*.ipynb"):
        (subs / f"broken_{broken.name}").write_bytes(broken.read_bytes())

    local = run(grade_command(subs, tmp_path / "local", numpy_course, "--workers", "2"))
    assert local.returncode == 0, local.stderr[-3000:]
    dask = run(grade_command(subs, tmp_path / "dask", numpy_course, "--cluster", dask_processes.address))
    assert dask.returncode == 0, dask.stderr[-3000:]

    rows = rows_of(tmp_path / "dask")
    assert rows == rows_of(tmp_path / "local")
    statuses = {r[0].split("/")[-1]: r[3] for r in rows}
    assert statuses["os_exit.ipynb"] == "crashed" and statuses["infinite_loop.ipynb"] == "timeout"
    assert statuses["not_json.ipynb"] == "invalid"
    assert sum(float(r[4]) for r in rows if r[1] == "solution") == sum(float(r[5]) for r in rows if r[1] == "solution") > 0
    assert not Path("/tmp/autograder-pwned").exists()
    ran = [json.loads(p.read_text()) for p in (tmp_path / "dask" / "results").glob("*.json")]
    placed = [r["run"] for r in ran if "run" in r]
    assert placed and all(p["worker"] in ("w1", "w2") and p["device"] == "cpu" for p in placed)
    assert all(p["isolation"] == "bubblewrap" and p["dispatch_seconds"] >= 0 for p in placed)
    if liar:
        deadline = time.monotonic() + START
        while dask_processes.running("gpu-liar") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not dask_processes.running("gpu-liar"), "a worker that cannot grade stayed in the cluster"
        assert "refuses to grade" in dask_processes.log("gpu-liar")
        assert "torch sees no CUDA device" in dask_processes.log("gpu-liar")


# --------------------------------------------------------------------------- 2. a worker dies


def test_a_worker_killed_mid_batch_loses_and_doubles_no_row(dask_processes, numpy_course, tmp_path):
    dask_processes.ensure("w1", "w2")
    subs = slow_batch(tmp_path / "subs", 8)
    out = tmp_path / "out"
    proc = subprocess.Popen(grade_command(subs, out, numpy_course, "--cluster", dask_processes.address),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
                            stdin=subprocess.DEVNULL)
    done_at_kill = wait_for_results(out, 1, proc)
    dask_processes.kill("w1")
    output, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, output[-3000:]
    assert "8 submission(s) graded" in output
    assert done_at_kill < 8  # the kill landed part-way
    rows = rows_of(out)
    assert len(rows) == 8 and len({r[0] for r in rows}) == 8
    assert all(r[3] == "graded" and float(r[4]) == float(r[5]) == 6.0 for r in rows), rows
    assert len(gradebook_rows(out)) == 8
    workers = {json.loads(p.read_text())["run"]["worker"] for p in (out / "results").glob("*.json")}
    assert "w2" in workers


# --------------------------------------------------------------------------- 3. the scheduler goes


def test_a_lost_scheduler_stops_the_batch_and_the_same_command_resumes(dask_processes, numpy_course, tmp_path):
    dask_processes.ensure("w2")
    subs = slow_batch(tmp_path / "subs", 6)
    out = tmp_path / "out"
    command = grade_command(subs, out, numpy_course, "--cluster", dask_processes.address)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO,
                            stdin=subprocess.DEVNULL)
    wait_for_results(out, 1, proc)
    dask_processes.kill("scheduler")
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode != 0
    assert "went away" in output and "same command grades the rest" in output, output[-3000:]
    assert "Traceback" not in output
    kept = len(gradebook_rows(out))
    assert 1 <= kept < 6

    dask_processes.ensure("w2")  # a scheduler back at the same address, and a worker
    again = run(command)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    rows = rows_of(out)
    assert len(rows) == 6 and len({r[0] for r in rows}) == 6
    assert all(r[3] == "graded" and float(r[4]) == 6.0 for r in rows), rows
    assert len(gradebook_rows(out)) == 6
