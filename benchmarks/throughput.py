"""Grading throughput of `autograder grade` against an `otter run` loop, measured in one run.

    python benchmarks/throughput.py [--per-exercise N] [--workers W] [--otter-sample K]

It builds the six pen-and-paper exercises, writes N submissions per exercise (correct, blank,
partly wrong, and a few hostile ones, in turn), grades them all with
`autograder grade --workers W`, then grades K of the same files per exercise with
`otter run` (Otter's own grading, one process per notebook, as teachers run it today), and
prints:

  submissions per minute for both, and their ratio;
  the engine's overhead per submission above the notebook's own code time
  (result `seconds` minus the cells' `code_seconds`), median and p95;
  peak memory (RSS) of the whole process tree of each command.

With `--cluster ADDRESS` (e.g. local:2) it also grades the same files with
`autograder grade --cluster ADDRESS` and prints, beside the local warm pool: both
throughputs at steady state (from the first result to the last, so that neither the warm
pool's nor the cluster's start-up counts), their ratio, and the dispatch overhead per
submission (the time Dask adds to a run: sending the task and its result, scheduling), measured
on a second, smaller batch graded with one submission in flight, so that no waiting for a free
worker counts.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.build import build_course  # noqa: E402
from autograder.course import load_course  # noqa: E402

EXERCISES = ["sigmoid_probability", "decision_line", "matrix_multiplication", "forward_pass", "backprop",
             "keras_params"]
HOSTILE_CELLS = {
    "patch": "import numpy as np\nnp.isclose = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True",
    "exit": "import sys\nsys.exit(0)",
    "thread": "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=False).start()",
    "child": "import subprocess\nsubprocess.Popen(['sleep', '60'])",
    "litter": "open('/tmp/left-behind', 'w').write('x')",
}


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, bytes."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return total


def timed(cmd: list[str], **kw) -> tuple[float, int, subprocess.CompletedProcess]:
    """(wall seconds, peak RSS of the process tree, result) of one command."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)
    peak = [0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    sampler.join()
    return time.perf_counter() - started, peak[0], subprocess.CompletedProcess(cmd, proc.returncode, out, b"")


def make_submissions(dist: Path, folder: Path, per_exercise: int) -> list[Path]:
    kinds = ["correct", "blank", "mistaken", "hostile"]
    names = list(HOSTILE_CELLS)
    made = []
    for ex in EXERCISES:
        for i in range(per_exercise):
            kind = kinds[i % len(kinds)]
            if kind == "correct":
                nb = nbformat.read(str(dist / ex / "solution" / f"{ex}.ipynb"), as_version=4)
            elif kind == "blank":
                nb = nbformat.read(str(dist / ex / "student" / f"{ex}.ipynb"), as_version=4)
            elif kind == "mistaken":
                nb = nbformat.read(str(ROOT / "examples" / "mistaken" / f"{ex}.ipynb"), as_version=4)
            else:
                nb = nbformat.read(str(dist / ex / "solution" / f"{ex}.ipynb"), as_version=4)
                nb.cells.append(nbformat.v4.new_code_cell(HOSTILE_CELLS[names[(i // len(kinds)) % len(names)]]))
            # A unique cell id per file, so each submission has its own sha256.
            nb.cells.append(nbformat.v4.new_markdown_cell(f"submission {i} of {ex}"))
            target = folder / f"student{i:03d}" / f"{ex}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(target))
            made.append(target)
    return made


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-exercise", type=int, default=8, help="submissions per exercise (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="autograder grade --workers (default 2)")
    parser.add_argument("--otter-sample", type=int, default=2, help="otter run: notebooks per exercise (default 2)")
    parser.add_argument("--cluster", default=None,
                        help="also grade through Dask: autograder grade --cluster CLUSTER (e.g. local:2)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        course = load_course()
        build_course(course, tmp / "dist", only=EXERCISES)
        subs = make_submissions(tmp / "dist", tmp / "subs", args.per_exercise)
        n = len(subs)
        print(f"{n} submissions ({args.per_exercise} per exercise), {args.workers} workers, "
              f"{os.cpu_count()} CPUs")

        ours_s, ours_rss, res = timed([sys.executable, "-m", "autograder", "grade", str(tmp / "subs"),
                                       "--out", str(tmp / "results"), "--workers", str(args.workers),
                                       "--quiet"], cwd=ROOT)
        if res.returncode != 0:
            print(res.stdout.decode()[-3000:])
            raise SystemExit("autograder grade failed")
        results = [json.loads(p.read_text()) for p in (tmp / "results" / "results").glob("*.json")]
        overhead = [r["seconds"] - r.get("run", {}).get("code_seconds", 0.0) for r in results]
        statuses: dict[str, int] = {}
        for r in results:
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1

        sample: list[Path] = []
        for ex in EXERCISES:
            sample += [s for s in subs if s.name == f"{ex}.ipynb"][: args.otter_sample]
        cluster = grade_on_cluster(args.cluster, tmp, n, args.workers) if args.cluster else None
        ours_steady = steady_rate(tmp / "results" / "results")
        otter_s, otter_rss = 0.0, 0
        for sub in sample:
            ex = sub.stem
            zipped = tmp / "dist" / ex / "autograder" / "otter_autograder.zip"
            out = tmp / "otter" / sub.parent.name
            out.mkdir(parents=True, exist_ok=True)
            seconds, rss, _ = timed(["otter", "run", "-a", str(zipped), "-o", str(out), str(sub)])
            otter_s += seconds
            otter_rss = max(otter_rss, rss)

    ours_rate = n / ours_s * 60
    otter_rate = len(sample) / otter_s * 60
    print(f"autograder grade : {n} in {ours_s:.1f} s = {ours_rate:.1f} submissions/min; statuses {statuses}")
    print(f"otter run loop   : {len(sample)} in {otter_s:.1f} s = {otter_rate:.1f} submissions/min "
          f"({otter_s / len(sample):.2f} s each)")
    print(f"throughput ratio : {ours_rate / otter_rate:.1f}x")
    print(f"overhead per submission above its own code: median {statistics.median(overhead):.3f} s, "
          f"p95 {percentile(overhead, 0.95):.3f} s")
    print(f"peak memory      : autograder {ours_rss / 2**20:.0f} MiB, otter run {otter_rss / 2**20:.0f} MiB")
    if cluster:
        print(f"--cluster {args.cluster}: {n} in {cluster['seconds']:.1f} s end to end (cluster start-up included); "
              f"statuses {cluster['statuses']}")
        print(f"steady throughput: local warm pool ({args.workers} workers) {ours_steady:.1f} submissions/min, "
              f"Dask {cluster['steady']:.1f} submissions/min, Dask / local = {cluster['steady'] / ours_steady:.2f}")
        print(f"dispatch overhead per submission (Dask, one in flight): median {1000 * statistics.median(cluster['dispatch']):.1f} ms, "
              f"p95 {1000 * percentile(cluster['dispatch'], 0.95):.1f} ms")
        print(f"same rows and scores as the local run: {cluster['same_rows']}")


def steady_rate(results: Path) -> float:
    """Submissions per minute between the first result file written and the last one."""
    times = sorted(p.stat().st_mtime for p in results.glob("*.json"))
    return (len(times) - 1) / max(times[-1] - times[0], 1e-9) * 60


def grade_on_cluster(cluster: str, tmp: Path, n: int, workers: int) -> dict:
    """`autograder grade --cluster` on the same submissions: timings, dispatch, and the rows compared."""
    seconds, _, res = timed([sys.executable, "-m", "autograder", "grade", str(tmp / "subs"), "--out",
                             str(tmp / "results-cluster"), "--cluster", cluster, "--quiet"], cwd=ROOT)
    if res.returncode != 0:
        print(res.stdout.decode()[-3000:])
        raise SystemExit("autograder grade --cluster failed")
    results = [json.loads(p.read_text()) for p in (tmp / "results-cluster" / "results").glob("*.json")]
    # Dispatch alone: one submission in flight, on a copy of the first 12 files.
    one = tmp / "subs-dispatch"
    for sub in sorted((tmp / "subs").rglob("*.ipynb"))[:12]:
        target = one / sub.relative_to(tmp / "subs")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(sub.read_bytes())
    _, _, res = timed([sys.executable, "-m", "autograder", "grade", str(one), "--out", str(tmp / "results-dispatch"),
                       "--cluster", cluster, "--workers", "1", "--quiet"], cwd=ROOT)
    if res.returncode != 0:
        print(res.stdout.decode()[-3000:])
        raise SystemExit("autograder grade --cluster --workers 1 failed")
    alone = [json.loads(p.read_text()) for p in (tmp / "results-dispatch" / "results").glob("*.json")]
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    rows = {}
    for name in ("results", "results-cluster"):
        with open(tmp / name / "grades.csv", newline="") as f:
            rows[name] = sorted((r["submission"], r["status"], r["score"], r["max_score"]) for r in csv.DictReader(f))
    return {"seconds": seconds, "statuses": statuses, "steady": steady_rate(tmp / "results-cluster" / "results"),
            "dispatch": [r["run"]["dispatch_seconds"] for r in alone if "dispatch_seconds" in r.get("run", {})],
            "same_rows": rows["results"] == rows["results-cluster"] and len(rows["results"]) == n}


if __name__ == "__main__":
    main()
