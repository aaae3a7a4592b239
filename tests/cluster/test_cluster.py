"""grade --cluster, without starting Dask processes: what --cluster accepts, what crosses to a
worker (plain data, no secret, nothing of the checks or solutions), where a task goes, when a
worker refuses, and that grading without --cluster never imports Dask.

The real processes (a scheduler, two workers, a killed worker, a lost scheduler) are in
test_cluster_workers.py."""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from dataclasses import replace

import numpy as np
import pytest

from autograder.cluster.address import ClusterError, one_line_dask_logs, parse_cluster, slurm_cluster
from autograder.cluster.plain import PlainDataError, from_plain, make_task, run_from_plain, run_to_plain, to_plain
from autograder.probe import Answer, Call, Train, Var
from autograder.sandbox.wire import Opaque
from autograder.run import CellRun, Limits, RunResult
from support.courses import PEN_AND_PAPER
from support.paths import REPO



# --------------------------------------------------------------------------- --cluster


def test_dask_s_own_log_of_a_lost_connection_is_one_line_while_the_client_is_open():
    """A scheduler that goes away makes the client's background tasks log their exceptions; the
    grader's terminal gets the message, not the traceback (the batch says itself what to do)."""
    import io
    import logging
    import distributed  # noqa: F401  (sets up Dask's handlers)

    logger = logging.getLogger("distributed.batched")
    seen = io.StringIO()
    handler = logging.StreamHandler(seen)  # Dask's own stream handler, here writing to a string
    logging.getLogger("distributed").addHandler(handler)
    try:
        def log_lost_stream():
            try:
                raise ConnectionError("Stream is closed")
            except ConnectionError:
                logger.exception("Error in batched write")

        with one_line_dask_logs():
            log_lost_stream()
        inside = seen.getvalue()
        seen.truncate(0)
        seen.seek(0)
        log_lost_stream()
        after = seen.getvalue()
    finally:
        logging.getLogger("distributed").removeHandler(handler)
    assert "Error in batched write" in inside and "Traceback" not in inside, inside
    assert "Traceback" in after  # the filter is gone with the block


@pytest.mark.parametrize("text,scheme,detail", [
    ("tcp://10.0.0.5:8786", "scheduler", "tcp://10.0.0.5:8786"),
    ("tls://head.cluster:8786", "scheduler", "tls://head.cluster:8786"),
    ("local:3", "local", 3),
    ("slurm", "slurm", None),
])
def test_cluster_addresses(text, scheme, detail):
    where = parse_cluster(text)
    assert where.scheme == scheme
    assert (where.address if scheme == "scheduler" else where.workers if scheme == "local" else None) == detail
    assert str(where) == text


@pytest.mark.parametrize("text", ["", "local:", "local:0", "local:two", "10.0.0.5:8786", "tcp://", "kubernetes"])
def test_cluster_address_errors_say_what_is_accepted(text):
    with pytest.raises(ClusterError) as err:
        parse_cluster(text)
    assert "local:N" in str(err.value) or "number of workers" in str(err.value)


def test_slurm_settings_come_from_course_yaml():
    from autograder.course import load_course

    course = load_course()
    cluster = slurm_cluster(course)
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    slurm = course.cluster.slurm
    assert f"#SBATCH -p {slurm['queue']}" in script
    assert "--gres=gpu:1" in script and "--resources GPU=1" in script
    assert f"--nworkers {slurm['processes']}" in script


def test_slurm_without_settings_is_a_clear_error(tmp_path):
    from autograder.course import Course

    course = Course(name="c", path=tmp_path / "course.yaml")
    with pytest.raises(ClusterError, match="no `cluster: slurm:` settings"):
        slurm_cluster(course)


# --------------------------------------------------------------------------- plain data

ODD_VALUES = {
    "float": 0.8205, "int": 3, "none": None, "bool": True, "str": "x", "missing": Ellipsis,
    "complex": 1 + 2j, "opaque": Opaque("Evil"), "array": np.arange(6.0).reshape(2, 3),
    "scalar": np.float32(1.5), "tuple": (1, (2.0, "a")), "list": [1, [2, 3]],
    "dict": {1: "one", "w": np.ones(2), (1, 2): [None]},
    "model": {"config": "{}", "weights": [np.zeros((2, 3), np.float32), np.ones(3, np.float32)]},
}


def _only_plain(node) -> bool:
    if isinstance(node, dict):
        return all(isinstance(k, str) for k in node) and all(_only_plain(v) for v in node.values())
    if isinstance(node, list):
        return all(_only_plain(v) for v in node)
    return node is None or type(node) in (bool, int, float, str) or isinstance(node, np.ndarray)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return type(a) is type(b) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, Opaque):
        return isinstance(b, Opaque) and a.type_name == b.type_name
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return type(b) is dict and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def test_a_run_result_crosses_as_plain_data_and_comes_back_the_same():
    run = RunResult(
        status="timeout", message="cell 2 ran past its limit", output="hello\n", seconds=1.5, code_seconds=0.5,
        isolation="bubblewrap", cells=[CellRun(0, "ok", 0.1), CellRun(1, "timeout", 3.0, "past 3 s")],
        answers={f"c/{k}": Answer(f"c/{k}", value=v, origin="ndarray") for k, v in ODD_VALUES.items()}
        | {"c/gone": Answer("c/gone", error="NameError: name 'p' is not defined", raised="NameError")},
        output_dropped=7, timed_out_probes=["c/float"], probe_durations={"c/float": 0.25},
    )
    plain = run_to_plain(run)
    assert _only_plain(plain)
    back = run_from_plain(pickle.loads(pickle.dumps(plain)), {"worker": "w1", "device": "cpu"})
    assert back.placement == {"worker": "w1", "device": "cpu"}
    for name in ("status", "message", "output", "seconds", "code_seconds", "isolation", "output_dropped",
                 "timed_out_probes", "probe_durations", "cells"):
        assert getattr(back, name) == getattr(run, name), name
    for key, answer in run.answers.items():
        got = back.answers[key]
        assert (got.key, got.origin, got.error, got.raised) == (answer.key, answer.origin, answer.error, answer.raised)
        assert _same(answer.value, got.value), key


@pytest.mark.parametrize("value", [object(), {1, 2}, np.array(["a"], dtype=object), lambda: 0])
def test_anything_else_refuses_to_cross(value):
    with pytest.raises(PlainDataError):
        to_plain(value)


def test_plain_data_from_a_worker_builds_nothing_but_data():
    with pytest.raises(PlainDataError):
        from_plain({"~": "import", "v": "os.system"})
    with pytest.raises(PlainDataError):
        from_plain(np.array([object()], dtype=object))


# --------------------------------------------------------------------------- what a task carries

# What the pickle of a task may name: the probe classes and numpy's array machinery. A check,
# a solution function, a course object or a secret would bring its own module here.
TASK_MODULES = {"autograder.probe.requests", "builtins", "copyreg", "_codecs", "numpy", "numpy.core.multiarray",
                "numpy._core.multiarray", "numpy.core.numeric", "numpy._core.numeric", "numpy.dtypes"}


def _pickled_modules(data: bytes) -> set[str]:
    """The modules whose names the pickle `data` asks for when it is loaded."""
    import io

    seen = set()

    class Recording(pickle.Unpickler):
        def find_class(self, module, name):
            seen.add(module)
            return super().find_class(module, name)

    Recording(io.BytesIO(data)).load()
    return seen


def test_the_task_of_every_exercise_carries_no_check_no_solution_and_no_secret(built_course, fast_course, tmp_path,
                                                                                monkeypatch):
    """grade_batch with a runner that keeps each task and runs nothing: every pen-and-paper
    solution notebook, so every check's probes."""
    from autograder.course import load_course
    from autograder.batch import grade_batch

    secret = "course-secret-" + "7f3a9c1e" * 4
    monkeypatch.setenv("AUTOGRADER_SECRET", secret)
    tasks, lock = [], threading.Lock()

    def keep_task(cells, probes, limits=None, files=None, env=None):
        task = make_task(cells, probes, limits or Limits(), files, env)
        with lock:
            tasks.append(pickle.dumps(task))
        return RunResult("crashed", "not run", [], {k: Answer(k, error="not run") for k in probes}, "", 0.0, 0.0, "none")

    subs = tmp_path / "subs"
    subs.mkdir()
    for ex in PEN_AND_PAPER:
        (subs / f"{ex}.ipynb").write_bytes((built_course / ex / "solution" / f"{ex}.ipynb").read_bytes())
    results = grade_batch([str(subs)], load_course(fast_course), tmp_path / "out", workers=2, progress=False,
                          runner=keep_task)
    assert len(tasks) == len(PEN_AND_PAPER) == len(results)
    assert {r["status"] for r in results} == {"crashed"}
    forbidden = [secret.encode()]
    for ex in PEN_AND_PAPER:  # a few distinctive lines of each hidden check and solution
        for source in (REPO / "solutions" / f"{ex}.py", REPO / "exercises" / ex / "checks.py"):
            lines = [ln.strip() for ln in source.read_text().splitlines() if len(ln.strip()) > 40]
            forbidden += [ln.encode() for ln in lines[:5]]
    for data in tasks:
        assert set(pickle.loads(data)) == {"cells", "probes", "limits", "files", "env"}
        assert _pickled_modules(data) <= TASK_MODULES, _pickled_modules(data) - TASK_MODULES
        assert not [f for f in forbidden if f in data]


def test_training_tasks_carry_their_data_files():
    from autograder.course import load_course
    from autograder.exercises import data_files

    exercise = load_course().exercise("train_banknote")
    task = make_task(["x = 1"], {"m": Train("build_model", "TRAINING", "data/banknote_x.npy", "data/banknote_y.npy")},
                     Limits(gpu=True), data_files(exercise.folder), None)
    assert set(task["files"]) == {"data/banknote_x.npy", "data/banknote_y.npy"}
    assert task["limits"]["gpu"] is True


# --------------------------------------------------------------------------- where a task goes


class _Future:
    def __init__(self, result):
        self._result = result

    def add_done_callback(self, fn):
        fn(self)

    def result(self):
        return self._result

    def release(self):
        pass


class _Client:
    """Takes tasks as a Dask client does, and answers each with an empty run."""

    status = "running"

    def __init__(self):
        self.submitted = []
        self.tasks = []

    def submit(self, fn, task, key, pure, resources):
        self.submitted.append(resources)
        self.tasks.append(task)
        run = RunResult("finished", "", [], {k: Answer(k, value=1.0) for k in task["probes"]}, "", 0.2, 0.1, "bubblewrap")
        return _Future({"run": run_to_plain(run), "placement": {"worker": "w1", "device": "cpu", "worker_seconds": 0.2}})


def test_a_gpu_run_asks_for_the_gpu_resource_and_others_ask_for_nothing():
    from autograder.cluster.runner import ClusterRunner

    client = _Client()
    runner = ClusterRunner(client, "tcp://head:8786")
    train = {"m/model": Train("build_model", "TRAINING", "data/x.npy", "data/y.npy")}
    runner(["x = 1"], train, Limits(gpu=True))
    result = runner(["x = 1"], {"p": Var("p"), "f": Call("f", (np.ones(2),))}, Limits())
    assert client.submitted == [{"GPU": 1}, None]
    assert result.answers["p"].value == 1.0 and result.status == "finished"
    assert result.placement["worker"] == "w1" and result.placement["dispatch_seconds"] >= 0


def test_the_trainer_job_goes_to_a_gpu_worker_with_data_only():
    """A training task on a cluster: the notebook's run (to any worker), then the trainer's run as
    a task of its own (run/training.py), sent to a GPU worker, with no cells and plain Fit
    requests only."""
    from autograder.cluster.runner import ClusterRunner
    from autograder.probe import Fit
    from autograder.run.training import train_declared

    fit = Fit("build_model", '{"class_name": "Sequential"}', (("batch_size", 8), ("epochs", 2)), "data/x.npy",
              "data/y.npy", 30.0, 1)

    class Check:
        name = "model"

        def fit_request(self, declared, files):
            assert declared.value == 1.0 and files == {"data/x.npy": b"x"}
            return fit

    client = _Client()
    runner = ClusterRunner(client, "tcp://head:8786")
    asked = {"model": {"model": Train("build_model", "TRAINING", "data/x.npy", "data/y.npy")}}
    run = runner(["x = 1"], {"model/model": asked["model"]["model"]}, Limits())  # as the pipeline: no GPU
    train_declared([Check()], asked, run, runner, Limits(gpu=True), {"data/x.npy": b"x"})
    assert client.submitted == [None, {"GPU": 1}]
    trainer_task = client.tasks[1]
    assert trainer_task["cells"] == [] and trainer_task["probes"] == {"model/model": fit}
    assert pickle.loads(pickle.dumps(trainer_task))["probes"]["model/model"] == fit
    assert run.trainer["worker"] == "w1" and run.answers["model/model"].error is not None  # the fake sent 1.0


def test_the_batch_device_class_follows_the_cluster_unless_the_grader_set_it(monkeypatch):
    from autograder.cluster.batch import device_class_for_batch
    from autograder.run.device import DEVICE_ENV, device_class

    monkeypatch.delenv(DEVICE_ENV, raising=False)
    with device_class_for_batch("gpu"):
        assert device_class() == "gpu"  # the GPU budgets, and the GPU bound into the sandbox
    with device_class_for_batch("cpu"):
        assert device_class() == "cpu"
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    with device_class_for_batch("gpu"):
        assert device_class() == "cpu"


def test_a_run_limits_dict_from_another_version_is_refused_clearly():
    from autograder.cluster.plain import limits_from_task

    task = make_task([], {}, Limits(), None, None)
    task["limits"]["sandbox_flavour"] = "new"
    with pytest.raises(PlainDataError, match="grader's version"):
        limits_from_task(task)
    assert limits_from_task(make_task([], {}, replace(Limits(), memory_mb=512), None, None)).memory_mb == 512


# --------------------------------------------------------------------------- a worker that cannot isolate


def test_a_machine_without_bubblewrap_refuses_unless_rlimits_is_asked_for(monkeypatch):
    from autograder.cluster import worker

    monkeypatch.delenv("AUTOGRADER_SANDBOX", raising=False)
    monkeypatch.setattr(worker, "isolation_mode", lambda: "rlimits")
    reason = worker.sandbox_refusal(gpu_declared=False)
    assert "bubblewrap" in reason and "refuses to grade without isolation" in reason
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "rlimits")
    assert worker.sandbox_refusal(gpu_declared=False) is None

    def broken():
        raise RuntimeError("AUTOGRADER_SANDBOX=bubblewrap, but bubblewrap does not work on this machine")

    monkeypatch.setattr(worker, "isolation_mode", broken)
    assert "does not work" in worker.sandbox_refusal(gpu_declared=False)


def test_a_worker_that_declares_a_gpu_it_does_not_have_refuses(monkeypatch):
    import torch

    from autograder.cluster import worker

    monkeypatch.setattr(worker, "isolation_mode", lambda: "bubblewrap")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert "torch sees no CUDA device" in worker.sandbox_refusal(gpu_declared=True)
    assert worker.sandbox_refusal(gpu_declared=False) is None


def test_a_cluster_whose_every_worker_refuses_stops_with_their_reason(fast_course, tmp_path, monkeypatch):
    """In-process Dask workers (threads of this test), whose sandbox check says no."""
    from distributed import LocalCluster

    from autograder.cluster import worker
    from autograder.cluster.batch import grade_on_cluster
    from autograder.course import load_course

    monkeypatch.setattr(worker, "sandbox_refusal", lambda gpu_declared: "no bubblewrap here (test)")
    (tmp_path / "a.ipynb").write_text('{"cells": []}')
    with LocalCluster(n_workers=2, processes=False, dashboard_address=None, threads_per_worker=1) as cluster:
        with pytest.raises(ClusterError) as err:
            grade_on_cluster(cluster.scheduler_address, [str(tmp_path)], load_course(fast_course), tmp_path / "out",
                             progress=False)
    assert "no Dask worker" in str(err.value) and "no bubblewrap here (test)" in str(err.value)


# --------------------------------------------------------------------------- without --cluster


def test_grading_without_cluster_imports_no_dask(tmp_path):
    (tmp_path / "broken.ipynb").write_text("{ not json")
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from autograder.cli import main\n"
        f"r = CliRunner().invoke(main, ['grade', {str(tmp_path)!r}, '--out', {str(tmp_path / 'out')!r}, '--quiet'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'dask_jobqueue')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert "invalid" in (tmp_path / "out" / "grades.csv").read_text()


def test_dask_workers_preload_what_the_course_s_exercises_need():
    from autograder.cluster.batch import course_preload
    from autograder.course import Course, load_course

    course = load_course()
    assert {"numpy", "IPython", "torch", "keras"} <= set(course_preload(course))  # training tasks need Keras
    numpy_only = [e for e in course.exercises if e.id in ("sigmoid_probability", "forward_pass")]
    assert course_preload(Course(name="c", path=course.path, exercises=tuple(numpy_only))) == ("numpy", "IPython")
