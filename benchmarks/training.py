"""Benchmark the timed training tasks: train each reference solution, then grade it.

For every training task of course.yaml (train_banknote, train_sin's two, train_digits) it
prints the device, the training time, the time until the held-out metric first reached the
full-marks threshold, the held-out metric of the trained model, and the ratio of the whole
grading time to the training time alone:

    python benchmarks/training.py                      # all tasks, grading in the sandbox
    python benchmarks/training.py train_sin --in-process --json out.json
    python benchmarks/training.py train_banknote --batch 6 [--workers 2]

1. Training, in this process: `autograder/sandbox/trainer.py` trains the reference solution
   (solutions/<id>.py) as it does in the sandbox (one torch thread by default, as the sandbox
   gives it), under the budget of this machine's device class, with an extra callback that evaluates the held-out metric after every epoch; the
   time spent evaluating is left out of the times reported.
2. Grading: the solution notebook (Otter assign's filled version of the master) is run in the
   sandbox (`autograder.run.run_notebook`, the exercise's data/ and AUTOGRADER_GRADING=1),
   its Train probes answered there (the model declared as data), the declared models trained in
   the trainer's sandbox (a second run with no cells, autograder/run/training.py), and judged
   by the exercise's checks, as the pipeline does. The ratio is that wall time over the
   training seconds the trainer's sandbox measured. With
   `--in-process` (or where the sandbox cannot train) the probes are answered in this
   process instead, which leaves out the sandbox's start and the notebook's own cells.

With `--batch N` it grades instead, per exercise, N copies of the solution notebook as a batch
does: on warm workers (`WarmPool`, `--workers` of them, preloading what the exercise needs),
each copy with its own probes, its notebook's run and its trainer's run both forked from
them, judged here. It prints the warm workers' start-up (paid once
per worker), and per submission its grading time (run in the sandbox and judging) over the
training seconds in it: median, min and max of that ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402

from autograder.exercises import data_files, load_checks, master_notebook  # noqa: E402
from autograder.judge import training  # noqa: E402
from autograder.probe import answer_in_process  # noqa: E402
from autograder.run import Limits, RunResult  # noqa: E402
from autograder.run.training import train_declared  # noqa: E402
from autograder.sandbox import trainer  # noqa: E402

EXERCISES = ("train_banknote", "train_sin", "train_digits")


def reference_namespace(exercise: str) -> dict:
    import importlib

    module = importlib.import_module(f"solutions.{exercise}")
    return {name: getattr(module, name) for name in dir(module) if not name.startswith("_")}


def threshold_timer(check: training.TrainCheck):
    """A Keras callback: the held-out metric after each epoch, and when it first reached full marks."""
    import keras

    x, y = check._heldout()  # noqa: SLF001 - the benchmark is trusted code, like the judge

    class Timer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.reached_s = None
            self.reached_epoch = None
            self.evaluating = 0.0
            self.values = []

        def on_train_begin(self, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            started = time.perf_counter()
            out = np.asarray(self.model.predict(x.astype(np.float32), batch_size=1024, verbose=0), dtype=np.float64)
            value = training.metric_value(check.metric, out.reshape(len(x), -1), y, check.classes, False)
            self.values.append(value)
            if self.reached_s is None and training.tier_points(check.metric, value, check.tiers) == check.points:
                self.reached_s = started - self.start - self.evaluating
                self.reached_epoch = epoch + 1
            self.evaluating += time.perf_counter() - started

    return Timer()


def train_reference(exercise: str, check: training.TrainCheck) -> dict:
    """Train the reference in this process, in the exercise's folder, with the threshold timer."""
    timer = threshold_timer(check)
    request = {"kind": "train", "name": check.build, "settings": check.settings, "x": check.x, "y": check.y}
    cwd = os.getcwd()
    os.chdir(REPO / "exercises" / exercise)
    try:
        declared = trainer.declare(reference_namespace(exercise), request)
        result = trainer.fit(request | declared | {"kind": "fit", "budget_s": check.budget_for(), "seed": check.seed},
                             callbacks=[timer])
    finally:
        os.chdir(cwd)
    result["seconds"] -= timer.evaluating
    return {"result": result, "reached_s": timer.reached_s, "reached_epoch": timer.reached_epoch,
            "final": timer.values[-1] if timer.values else float("nan")}


def solution_cells(exercise: str) -> list[str]:
    import nbformat

    from autograder.build.assign import run_otter_assign

    with tempfile.TemporaryDirectory() as tmp:
        out = run_otter_assign(master_notebook(exercise), Path(tmp))
        nb = nbformat.read(str(out / "autograder" / f"{exercise}.ipynb"), as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def grade_in_sandbox(exercise: str) -> tuple[float, dict, str]:
    """(wall seconds, {check name: Verdict}, how) for the solution notebook, graded as the pipeline does."""
    from autograder.course import load_course
    from autograder.pipeline import run_limits
    from autograder.run import run_notebook

    checks = load_checks(exercise)
    cells = solution_cells(exercise)
    started = time.perf_counter()
    asked = {c.name: c.probes(np.random.default_rng(0)) for c in checks}
    flat = {f"{n}/{k}": p for n, probes in asked.items() for k, p in probes.items()}
    limits = run_limits(load_course(), exercise)
    limits.gpu = training.device_class() == "gpu"
    files = data_files(REPO / "exercises" / exercise)
    run = run_notebook(cells, flat, limits, files=files)
    train_declared(checks, asked, run, run_notebook, limits, files)
    verdicts = {c.name: c.run({k: run.answers[f"{c.name}/{k}"] for k in asked[c.name]}, asked[c.name]) for c in checks}
    return time.perf_counter() - started, verdicts, f"sandbox ({run.isolation}), run {run.status}"


def grade_in_process(exercise: str) -> tuple[float, dict, str]:
    """The same probes answered by the responder in this process: no sandbox, no notebook cells."""
    checks = load_checks(exercise)
    started = time.perf_counter()
    asked = {c.name: c.probes(np.random.default_rng(0)) for c in checks}
    flat = {f"{n}/{k}": p for n, probes in asked.items() for k, p in probes.items()}

    def answered(namespace: dict, probes: dict) -> dict:
        return answer_in_process(namespace, probes, REPO / "exercises" / exercise)

    def trainer_here(cells, probes, limits=None, files=None, env=None) -> RunResult:  # the trainer's half, here
        return RunResult("finished", "", [], answered({}, probes), "", 0.0, 0.0, "in-process")

    run = RunResult("finished", "", [], answered(reference_namespace(exercise), flat), "", 0.0, 0.0, "in-process")
    train_declared(checks, asked, run, trainer_here, Limits(), data_files(REPO / "exercises" / exercise))
    verdicts = {c.name: c.run({k: run.answers[f"{c.name}/{k}"] for k in asked[c.name]}, asked[c.name]) for c in checks}
    return time.perf_counter() - started, verdicts, "in process (no sandbox)"


def grade_batch_warm(exercise: str, n: int, workers: int) -> dict:
    """N copies of the solution notebook on warm workers: start-up once, then per submission the ratio."""
    import statistics
    from concurrent.futures import ThreadPoolExecutor

    from autograder.course import load_course
    from autograder.pipeline import run_limits
    from autograder.run.preload import exercise_preload
    from autograder.run.warm import WarmPool

    course = load_course()
    checks = load_checks(exercise)
    cells = solution_cells(exercise)
    limits = run_limits(course, exercise)
    files = data_files(REPO / "exercises" / exercise)
    preload = exercise_preload(course.exercise(exercise))

    def one(i: int) -> dict:
        started = time.perf_counter()
        asked = {c.name: c.probes(np.random.default_rng(i)) for c in checks}
        flat = {f"{name}/{k}": p for name, probes in asked.items() for k, p in probes.items()}
        run = pool.run(cells, flat, limits, files, preload=preload)
        train_declared(checks, asked, run, pool.runner(preload), limits, files)
        verdicts = {c.name: c.run({k: run.answers[f"{c.name}/{k}"] for k in asked[c.name]}, asked[c.name])
                    for c in checks}
        seconds = time.perf_counter() - started
        trained = sum(v.details.get("seconds", 0.0) for v in verdicts.values())
        return {"seconds": seconds, "training": trained, "warm": run.warm and run.trainer.get("warm", False),
                "status": run.status,
                "run": run.seconds, "cells": run.code_seconds, "probes": run.probe_seconds,
                "points": sum(v.points for v in verdicts.values()), "max": sum(c.points for c in checks)}

    started = time.perf_counter()
    import keras  # noqa: F401 - the judge's own import, once per grading process, reported on its own

    judge_import = time.perf_counter() - started
    with WarmPool.for_batch([preload] * (2 * n), workers, warm=True) as pool:  # the notebook's run and the trainer's
        started = time.perf_counter()
        pool.warm_up()
        startup = time.perf_counter() - started
        with ThreadPoolExecutor(max_workers=workers) as threads:
            rows = list(threads.map(one, range(n)))
    ratios = [r["seconds"] / r["training"] for r in rows if r["training"] > 0]
    return {"exercise": exercise, "n": n, "workers": workers, "startup_s": startup, "judge_import_s": judge_import,
            "run_s": statistics.median(r["run"] for r in rows), "cells_s": statistics.median(r["cells"] for r in rows),
            "grading_s": statistics.median(r["seconds"] for r in rows),
            "training_s": statistics.median(r["training"] for r in rows),
            "ratio_median": statistics.median(ratios) if ratios else float("nan"),
            "ratio_min": min(ratios, default=float("nan")), "ratio_max": max(ratios, default=float("nan")),
            "warm": sum(r["warm"] for r in rows), "statuses": sorted({r["status"] for r in rows}),
            "full_marks": sum(r["points"] == r["max"] for r in rows)}


def batch_main(args) -> int:
    import torch

    device = "gpu" if training.device_class() == "gpu" else "cpu"
    print(f"{args.batch} copies of each solution, {args.workers} warm workers, device class {device}, "
          f"torch {torch.__version__}, {os.cpu_count()} CPUs")
    header = ["exercise", "judge_import_s", "startup_s", "grading_s", "run_s", "cells_s", "training_s", "ratio_median", "ratio_min", "ratio_max", "warm",
              "full_marks", "statuses"]
    rows = []
    for exercise in args.exercises:
        r = grade_batch_warm(exercise, args.batch, args.workers)
        rows.append({k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()})
        rows[-1]["warm"] = f"{r['warm']}/{r['n']}"
        rows[-1]["full_marks"] = f"{r['full_marks']}/{r['n']}"
    widths = {h: max(len(h), *(len(str(r[h])) for r in rows)) for h in header}
    print("  ".join(h.ljust(widths[h]) for h in header))
    for r in rows:
        print("  ".join(str(r[h]).ljust(widths[h]) for h in header))
    print("\njudge_import_s: Keras imported by the grader for judging (once per grading process); startup_s: the "
          "warm workers' start (once per worker, in parallel); grading_s: median per submission (its run in the "
          "sandbox and the judging); run_s: its run alone; cells_s: the notebook's own cells in it; ratio: a "
          "submission's grading_s over the training seconds in it.")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("exercises", nargs="*", default=list(EXERCISES))
    parser.add_argument("--in-process", action="store_true", help="grade without the sandbox")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for the training in this process (the sandbox gives one)")
    parser.add_argument("--batch", type=int, default=0,
                        help="grade N copies of each solution on warm workers; print the per-submission ratio")
    parser.add_argument("--workers", type=int, default=2, help="with --batch: warm workers (default 2)")
    args = parser.parse_args(argv)
    if args.batch:
        return batch_main(args)
    import torch

    torch.set_num_threads(max(1, args.threads))

    rows = []
    for exercise in args.exercises:
        checks = {c.name: c for c in load_checks(exercise)}
        trained = {name: train_reference(exercise, check) for name, check in checks.items()}
        how = "in process (no sandbox)"
        if args.in_process:
            seconds, verdicts, how = grade_in_process(exercise)
        else:
            seconds, verdicts, how = grade_in_sandbox(exercise)
            if any(v.details.get("status") != "graded" for v in verdicts.values()):
                problem = next(v.message for v in verdicts.values() if v.details.get("status") != "graded")
                print(f"{exercise}: the sandbox could not train ({problem}); grading in process instead", file=sys.stderr)
                seconds, verdicts, how = grade_in_process(exercise)
        training_seconds = sum(v.details.get("seconds", float("nan")) for v in verdicts.values())
        for name, check in checks.items():
            t, v = trained[name], verdicts[name]
            r = t["result"]
            rows.append({
                "task": f"{exercise}/{name}",
                "device": f"{r['device']} ({r['device_name']})",
                "budget_s": r["budget_s"],
                "train_s": round(r["seconds"], 2),
                "epochs": f"{r['epochs_done']}/{r['epochs_requested']}",
                "threshold": f"{check.metric} {'>=' if training.METRICS[check.metric] == 'at_least' else '<='} {check.tiers[0].threshold:g}",
                "reached_s": None if t["reached_s"] is None else round(t["reached_s"], 2),
                "reached_epoch": t["reached_epoch"],
                "heldout": round(v.details.get("value", float("nan")), 4),
                "points": f"{v.points:g}/{check.points:g}",
                "grading_s": round(seconds, 2),
                "ratio": round(seconds / training_seconds, 2) if training_seconds > 0 else None,
                "graded": how,
            })

    header = ["task", "device", "budget_s", "train_s", "epochs", "threshold", "reached_s", "reached_epoch",
              "heldout", "points", "grading_s", "ratio", "graded"]
    widths = {h: max(len(h), *(len(str(r[h])) for r in rows)) for h in header}
    print("  ".join(h.ljust(widths[h]) for h in header))
    for r in rows:
        print("  ".join(str(r[h]).ljust(widths[h]) for h in header))
    print("\nreached_s: seconds of training until the held-out metric first gave full marks (evaluation excluded);"
          "\ngrading_s: the exercise's whole grading (all its tasks); ratio: grading_s over the training seconds in it.")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
