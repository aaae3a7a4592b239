"""Timed training checked on the device torch sees: every reference solution full marks, every blank zero.

    python benchmarks/gpu_check.py                      # the GPU where torch sees one, else the CPU
    AUTOGRADER_DEVICE=cpu python benchmarks/gpu_check.py    # the CPU (what .ci/run runs)
    python benchmarks/gpu_check.py train_banknote --json out.json

One prepared script for the day a GPU machine is available (issue 31): it needs nothing but
this repository installed (`.ci/run`'s steps) and bubblewrap. For each training exercise of
course.yaml it makes the solution notebook and the blank student notebook with Otter assign,
as the build does, and grades both with the pipeline (`grade_submission`): the notebook in the
sandbox (forked from a warm worker), the declared models trained in the trainer's sandbox (on
a GPU machine a fresh bubblewrap sandbox with the GPU's devices bound in, one submission at a
time; on the CPU a warm worker too, two submissions at once as a batch grades them), judged in
this process on the held-out data. Per task it prints the device the trainer
used, the training time and epochs the trainer measured, the held-out metric, the grading
time over the training time, and the budget course.yaml sets for this device class.

It exits 1 if a solution misses full marks, a blank gets a point, a run does not finish, or a
GPU machine's trainer did not train on CUDA; 2 if the sandbox is not bubblewrap on a GPU
machine (the GPU must be bound into the real sandbox). What it prints is what the README's
GPU table and course.yaml's `budget_s: {gpu: ...}` are set from.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("KERAS_BACKEND", "torch")

from autograder.course import load_course  # noqa: E402
from autograder.handout import Handout  # noqa: E402
from autograder.intake import Submission  # noqa: E402
from autograder.intake.notebook import read_notebook  # noqa: E402
from autograder.pipeline import grade_submission, run_limits  # noqa: E402
from autograder.record import Result, Status  # noqa: E402
from autograder.run import isolation_mode  # noqa: E402
from autograder.run.device import device_class  # noqa: E402
from autograder.run.preload import exercise_preload  # noqa: E402
from autograder.run.training import runs_per_submission  # noqa: E402
from autograder.run.warm import WarmPool  # noqa: E402

EXERCISES = ("train_banknote", "train_sin", "train_digits")


def notebooks(exercise: str, folder: Path) -> dict[str, Path]:
    """{"solution": ..., "blank": ...}: Otter assign's filled and student notebooks of the master."""
    from autograder.build.assign import run_otter_assign
    from autograder.build.variants import default_variant, has_placeholders, render_file
    from autograder.exercises import master_notebook

    out = run_otter_assign(master_notebook(exercise), folder)
    found = {"solution": out / "autograder" / f"{exercise}.ipynb", "blank": out / "student" / f"{exercise}.ipynb"}
    for path in found.values():
        if has_placeholders(path):
            render_file(path, default_variant(exercise))
    return found


def submission(exercise: str, who: str, path: Path) -> Submission:
    data = path.read_bytes()
    cells, metadata = read_notebook(data)
    return Submission(str(path), hashlib.sha256(data).hexdigest(), who, exercise, cells, metadata=metadata)


def check_rows(result: Result, who: str, device: str, budgets: dict) -> list[dict]:
    rows = []
    trained = sum((c.details or {}).get("seconds") or 0.0 for c in result.checks)
    for check in result.checks:
        d = check.details or {}  # the training check's own data (autograder/judge/training.py)
        rows.append({
            "task": f"{result.exercise}/{check.name}", "notebook": who,
            "device": f"{d.get('device', '-')} ({d.get('device_name', '-')})" if d.get("device") else "-",
            "train_s": None if d.get("seconds") is None else round(d["seconds"], 2),
            "epochs": f"{d['epochs_done']}/{d['epochs_requested']}" if "epochs_done" in d else "-",
            "heldout": None if d.get("value") is None else round(d["value"], 4),
            "points": f"{check.points:g}/{check.max_points:g}",
            "grading_over_training": round(result.seconds / trained, 2) if trained > 0 else None,
            f"budget_{device}_s": budgets[check.name],
            "status": result.status.value,
        })
    return rows


def failures(result: Result, who: str, device: str) -> list[str]:
    name = f"{result.exercise} ({who})"
    found = []
    if result.status != Status.GRADED:
        found.append(f"{name}: status {result.status} ({result.message[:300]})")
    if who == "solution" and result.score != result.max_score:
        found += [f"{name}: {c.name} {c.points:g}/{c.max_points:g}: {c.message[:300]}"
                  for c in result.checks if c.points != c.max_points]
    if who == "blank" and result.score != 0:
        found.append(f"{name}: a blank notebook got {result.score:g} points")
    for check in result.checks:
        d = check.details or {}
        if who == "solution" and device == "gpu" and d.get("device") != "cuda":
            found.append(f"{name}: {check.name} trained on {d.get('device')!r}, not CUDA: the GPU is not in the sandbox")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("exercises", nargs="*", default=list(EXERCISES))
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument("--workers", type=int, default=0,
                        help="submissions graded at once (default: 2 on the CPU, one torch thread each; 1 on a GPU, "
                             "so that each training has the card to itself)")
    args = parser.parse_args(argv)

    import torch

    device, isolation = device_class(), isolation_mode()
    seen = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device"
    print(f"device class {device} (torch {torch.__version__} sees: {seen}); sandbox: {isolation}")
    if device == "gpu" and isolation != "bubblewrap":
        print("a GPU check must run in the bubblewrap sandbox with the GPU bound in; install bubblewrap", file=sys.stderr)
        return 2
    course = load_course()
    rows, problems = [], []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for e in args.exercises:
            (Path(tmp) / e).mkdir()
        subs = [submission(e, who, path) for e in args.exercises
                for who, path in notebooks(e, Path(tmp) / e).items()]
        preloads = [exercise_preload(course.exercise(s.exercise)) for s in subs
                 for _ in range(runs_per_submission(course.exercise(s.exercise)))]
        # On a GPU machine every training run is a fresh sandbox with the GPU bound in (the pool
        # sends runs with limits.gpu there); on the CPU, warm workers, as a batch grades.
        workers = args.workers or (2 if device == "cpu" else 1)
        # The pool forks each notebook's run from a warm worker; a trainer's run with the GPU goes
        # to a fresh sandbox with the GPU's devices bound in (WarmPool.run), on the CPU warm too.
        with WarmPool.for_batch(preloads, workers=workers, warm=True) as pool:

            def grade(sub: Submission) -> dict:
                assert run_limits(course, sub.exercise).gpu == (device == "gpu")
                runner = pool.runner(exercise_preload(course.exercise(sub.exercise)))
                return grade_submission(sub, course, seed=0, handout=Handout(), runner=runner)

            with ThreadPoolExecutor(max_workers=workers) as threads:
                results = list(threads.map(grade, subs))
        for sub, result in zip(subs, results):
            exercise = course.exercise(sub.exercise)
            budgets = {name: getattr(task.budget_s, device) for name, task in exercise.training.tasks.items()}
            rows += check_rows(result, sub.student, device, budgets)
            problems += failures(result, sub.student, device)
    header = list(rows[0]) if rows else []
    widths = {h: max(len(h), *(len(str(r[h])) for r in rows)) for h in header}
    print("  ".join(h.ljust(widths[h]) for h in header))
    for r in rows:
        print("  ".join(str(r[h]).ljust(widths[h]) for h in header))
    print(f"\ntrain_s and epochs: measured by the trainer's sandbox; grading_over_training: the submission's whole "
          f"grading (its run, the trainer's run, judging) over its training seconds; {time.perf_counter() - started:.0f} s "
          "in all")
    if args.json:
        args.json.write_text(json.dumps({"device": device, "cuda": seen, "isolation": isolation, "rows": rows}, indent=2))
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    print("FAILED" if problems else "OK: every solution full marks, every blank zero")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
