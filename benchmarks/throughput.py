"""Grading throughput of `autograder grade` against `otter run`, measured in one run.

    python benchmarks/throughput.py --sizes 1,4,8,60 [--exercises sigmoid_probability] [--workers W]
    python benchmarks/throughput.py [--per-exercise N] [--workers W] [--otter-sample K] [--cluster local:2]

With `--sizes`: for each batch size N, N submissions of `--exercises` (default
sigmoid_probability, which needs numpy only; `all` for the six pen-and-paper exercises, round
robin), correct, blank, partly wrong and hostile in turn. Each size is graded by
`autograder grade --workers W` three ways, each `--repeat` times (the median is printed):
fresh workers (AUTOGRADER_WARM=0), warm workers (AUTOGRADER_WARM=1) and the default, which
chooses per preload set from the start-up costs measured on this machine (the benchmark
keeps them in a cache of its own, so the choice uses what the first two measured). Then
`otter run` grades the same N files with W processes in parallel (as many as we have
workers), and a few of them one after the other (the sequential loop, extrapolated to N).
It prints, per size: the three times, the mode the default chose and whether it is within
10% of the faster mode; Otter's parallel and sequential times and our ratio to each; the
engine's overhead per submission above the notebook's own code time (result `seconds` minus
the cells' `code_seconds`, median); peak memory (RSS summed over the whole process tree) of
our default run and of Otter's parallel run, as PSS (shared pages divided among the processes
sharing them: the memory the tree holds) and as RSS summed (every forked child counted with
all the pages it shares with its warm worker).

Without `--sizes`: the six pen-and-paper exercises, N submissions each, graded once (default
mode), against K files per exercise with `otter run`, sequential and W in parallel.

`--figures-only N`: only that comparison, on N submissions (`--varied`: each mistaken one with the
next mistake of the exercise's corpus, so that the figures to draw differ). In both modes, the last batch is
also graded with figures (the default: their data kept, the HTML feedback pages drawn) and
without (AUTOGRADER_FIGURES=0), in pairs whose order alternates, `--repeat` pairs
(`--figures-repeat`): the medians of the wall time, the steady throughput and the grading
process's CPU time, the with/without ratio of each pair (their spread is the machine's noise),
and the number of figures drawn.

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
import os
import platform
import resource
import shutil
import signal
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
from autograder.record import Result  # noqa: E402

EXERCISES = ["sigmoid_probability", "decision_line", "matrix_multiplication", "forward_pass", "backprop",
             "keras_params"]
HOSTILE_CELLS = {
    "patch": "import numpy as np\nnp.isclose = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True",
    "exit": "import sys\nsys.exit(0)",
    "thread": "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=False).start()",
    "child": "import subprocess\nsubprocess.Popen(['sleep', '60'])",
    "litter": "open('/tmp/left-behind', 'w').write('x')",
}


def tree_memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process and all its descendants, bytes. RSS counts a page once per process
    that maps it, so a tree of forked children (whose pages are shared with their warm worker)
    is counted many times over; PSS divides each shared page among the processes sharing it,
    so its sum is the memory the tree really holds."""
    rss = pss = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            continue
    return rss, pss


def timed(cmd: list[str], **kw) -> tuple[float, tuple[int, int], subprocess.CompletedProcess]:
    """(wall seconds, peak (RSS, PSS) of the process tree, result) of one command."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)
    peak = [(0, 0)]
    stop = threading.Event()
    sampler = threading.Thread(target=tree_peak, args=({proc.pid}, peak, stop), daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    stop.set()
    sampler.join()
    return time.perf_counter() - started, peak[0], subprocess.CompletedProcess(cmd, proc.returncode, out, b"")


def make_submissions(dist: Path, folder: Path, count: int, exercises: list[str], varied: bool = False) -> list[Path]:
    """`count` submissions, the exercises round robin; each exercise's correct, blank, mistaken, hostile in turn.
    A mistaken one is examples/mistaken/<id>.ipynb, or with `varied` the solution with each mistake of
    the exercise's corpus (exercises/<id>/mistakes.py) in turn: as many different figures to draw."""
    from autograder.corpus import load_corpus

    kinds = ["correct", "blank", "mistaken", "hostile"]
    names = list(HOSTILE_CELLS)
    course = load_course()
    corpus = {ex: load_corpus(course.exercise(ex), "own") for ex in exercises} if varied else {}
    made = []
    for j in range(count):
        ex, i = exercises[j % len(exercises)], j // len(exercises)
        kind = kinds[i % len(kinds)]
        if kind == "correct":
            nb = nbformat.read(str(dist / ex / "solution" / f"{ex}.ipynb"), as_version=4)
        elif kind == "blank":
            nb = nbformat.read(str(dist / ex / "student" / f"{ex}.ipynb"), as_version=4)
        elif kind == "mistaken" and corpus.get(ex):
            nb = nbformat.read(str(dist / ex / "solution" / f"{ex}.ipynb"), as_version=4)
            mistake = corpus[ex][(i // len(kinds)) % len(corpus[ex])]
            for cell in nb.cells:
                for old, new in mistake.edits.items():
                    cell.source = cell.source.replace(old, new) if cell.cell_type == "code" else cell.source
            if mistake.after:
                nb.cells.append(nbformat.v4.new_code_cell(mistake.after))
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


def tree_peak(proc_pids, peak: list, stop: threading.Event) -> None:
    """Sample the summed (RSS, PSS) of the trees of the live pids in `proc_pids` until `stop`;
    peak[0] holds the highest of each."""
    while not stop.is_set():
        now = [tree_memory(pid) for pid in list(proc_pids)]
        rss, pss = sum(m[0] for m in now), sum(m[1] for m in now)
        peak[0] = (max(peak[0][0], rss), max(peak[0][1], pss))
        time.sleep(0.1)


def otter_parallel(files: list[Path], dist: Path, out: Path, processes: int,
                   timeout: float = 300.0) -> tuple[float, tuple[int, int], int]:
    """(wall seconds, peak (RSS, PSS) of all Otter trees at once, hung runs) for `otter run` on every
    file, `processes` at a time. A run still going after `timeout` seconds (Otter sometimes waits
    forever on a kernel that died) is killed and run again; the time lost to it is left out: the
    wall is then the span of the runs that finished, laid out on `processes` slots in order."""
    from concurrent.futures import ThreadPoolExecutor

    live: set[int] = set()
    peak, stop = [(0, 0)], threading.Event()
    sampler = threading.Thread(target=tree_peak, args=(live, peak, stop), daemon=True)
    durations: list[float] = []
    hung = [0]

    def one(i_sub):
        i, sub = i_sub
        zipped = dist / sub.stem / "autograder" / "otter_autograder.zip"
        for attempt in range(2):
            target = out / f"{i:04d}-{attempt}"
            target.mkdir(parents=True, exist_ok=True)
            began = time.perf_counter()
            proc = subprocess.Popen(["otter", "run", "-a", str(zipped), "-o", str(target), str(sub)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            live.add(proc.pid)
            try:
                proc.wait(timeout=timeout)
                durations.append(time.perf_counter() - began)
                return
            except subprocess.TimeoutExpired:
                hung[0] += 1
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            finally:
                live.discard(proc.pid)

    started = time.perf_counter()
    sampler.start()
    with ThreadPoolExecutor(max_workers=processes) as pool:
        list(pool.map(one, enumerate(files)))
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    if hung[0]:
        slots = [0.0] * processes
        for d in durations:
            slots[slots.index(min(slots))] += d
        seconds = max(slots)
    return seconds, peak[0], hung[0]


def otter_sequential(files: list[Path], dist: Path, out: Path) -> float:
    """Mean seconds of one `otter run`, one after the other (hung runs handled as otter_parallel does)."""
    seconds, _, _ = otter_parallel(files, dist, out / "sequential", 1)
    return seconds / max(len(files), 1)


def grade_once(subs_dir: Path, out: Path, workers: int, env: dict) -> dict:
    """One `autograder grade` process: wall, peak tree RSS, statuses, overheads, which runs were warm."""
    shutil.rmtree(out, ignore_errors=True)
    seconds, rss, res = timed([sys.executable, "-m", "autograder", "grade", str(subs_dir), "--out", str(out),
                               "--workers", str(workers), "--quiet"], cwd=ROOT, env={**os.environ, **env})
    if res.returncode != 0:
        print(res.stdout.decode()[-3000:])
        raise SystemExit("autograder grade failed")
    results = [Result.parse(p.read_bytes(), str(p)) for p in (out / "results").glob("*.json")]
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status.value] = statuses.get(r.status.value, 0) + 1
    runs = [(r, r.run) for r in results if r.run is not None]
    return {"seconds": seconds, "rss": rss, "statuses": statuses,
            "overhead": [r.seconds - run.code_seconds for r, run in runs],
            "warm": sum(1 for _, run in runs if run.warm), "runs": len(runs)}


def figures_compare(subs_dir: Path, out: Path, workers: int, repeat: int, env: dict) -> None:
    """Print the grading time of one batch with figures and without: `repeat` pairs of runs, the
    order alternating within each pair (so that neither side always runs first on a machine
    whose load drifts). Per side: the median wall time, the steady throughput (first result file
    to last) and the CPU seconds of the grading process (the grader's own work: judging, recording,
    drawing; the sandboxes' code runs in processes it does not reap). The pairs' ratios say how
    large the machine's noise is: their median is the comparison, their spread the noise."""
    sides = ("with figures", "without figures")
    runs: dict[str, list[dict]] = {k: [] for k in sides}
    drawn = 0
    for i in range(repeat):
        for label in (sides if i % 2 == 0 else sides[::-1]):
            flag = "1" if label == "with figures" else "0"
            target = out / label.replace(" ", "-")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            run = grade_once(subs_dir, target, workers, {**env, "AUTOGRADER_FIGURES": flag})
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            run["cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            run["steady"] = steady_rate(target / "results")
            runs[label].append(run)
            if flag == "1":
                drawn = sum(p.read_text().count("<img ") for p in (target / "feedback").glob("*.html"))

    def median(label: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[label])

    ratios = sorted(a["seconds"] / b["seconds"] for a, b in zip(*runs.values()))
    on, off = median(sides[0], "seconds"), median(sides[1], "seconds")
    rate_on, rate_off = median(sides[0], "steady"), median(sides[1], "steady")
    cpu_on, cpu_off = median(sides[0], "cpu"), median(sides[1], "cpu")
    pages = len(list((out / "with-figures" / "feedback").glob("*.html")))
    print(f"figures: grading {pages} submissions with figures {on:.2f} s, without {off:.2f} s "
          f"(medians of {repeat} runs each, in alternating pairs); with/without per pair: median "
          f"{statistics.median(ratios):.3f}, range {ratios[0]:.3f}-{ratios[-1]:.3f}; steady throughput (first result "
          f"to last) {rate_on:.1f} and {rate_off:.1f} submissions/min (with/without {rate_on / rate_off:.2f}); "
          f"grader process CPU {cpu_on:.2f} s and {cpu_off:.2f} s (+{cpu_on - cpu_off:.2f} s); "
          f"{drawn} figures in {pages} HTML pages")
    walls = {label: ", ".join(f"{r['seconds']:.2f}" for r in done) for label, done in runs.items()}
    print(f"  runs with figures: {walls[sides[0]]} s; without: {walls[sides[1]]} s")


def figures_only(args) -> None:
    exercises = EXERCISES if args.exercises == "all" else args.exercises.split(",")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        build_course(load_course(), tmp / "dist", only=exercises)
        make_submissions(tmp / "dist", tmp / "subs", args.figures_only, exercises, varied=args.varied)
        print(f"machine: {machine_name()}; {args.workers} workers; exercises: {','.join(exercises)}")
        figures_compare(tmp / "subs", tmp / "figures", args.workers, args.figures_repeat or args.repeat,
                        {"AUTOGRADER_CACHE": str(tmp / "cache")})


def sizes_mode(args) -> None:
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    exercises = EXERCISES if args.exercises == "all" else args.exercises.split(",")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        build_course(load_course(), tmp / "dist", only=exercises)
        env_cache = {"AUTOGRADER_CACHE": str(tmp / "cache")}
        print(f"machine: {machine_name()}; {args.workers} workers; exercises: {','.join(exercises)}; "
              f"median of {args.repeat} runs of each mode")
        rows = []
        for n in sizes:
            subs_dir = tmp / f"subs{n}"
            subs = make_submissions(tmp / "dist", subs_dir, n, exercises)
            runs: dict[str, list[dict]] = {"cold": [], "warm": [], "auto": []}
            for _ in range(args.repeat):  # the modes in turn, so that the machine's load drifts over all three
                for mode, env in (("cold", {"AUTOGRADER_WARM": "0"}), ("warm", {"AUTOGRADER_WARM": "1"}), ("auto", {})):
                    runs[mode].append(grade_once(subs_dir, tmp / f"out{n}-{mode}", args.workers, {**env_cache, **env}))
            modes = {mode: sorted(done, key=lambda r: r["seconds"])[len(done) // 2] for mode, done in runs.items()}
            otter_files = subs[: args.otter_max] if args.otter_max else subs
            par_s, par_rss, hung = otter_parallel(otter_files, tmp / "dist", tmp / f"otter{n}", args.workers)
            par_s *= len(subs) / len(otter_files)
            seq_each = otter_sequential(subs[: args.otter_seq], tmp / "dist", tmp / f"otter{n}")
            auto = modes["auto"]
            best = min(modes["cold"]["seconds"], modes["warm"]["seconds"])
            chosen = "warm" if auto["warm"] == auto["runs"] else "cold" if auto["warm"] == 0 else \
                f"warm {auto['warm']}/{auto['runs']}"
            rows.append({
                "n": n, "cold": modes["cold"]["seconds"], "warm": modes["warm"]["seconds"], "auto": auto["seconds"],
                "chosen": chosen, "faster": "cold" if modes["cold"]["seconds"] <= modes["warm"]["seconds"] else "warm", "vs_best": auto["seconds"] / best, "otter_par": par_s, "otter_seq": seq_each * n,
                "overhead": statistics.median(auto["overhead"]) if auto["overhead"] else float("nan"),
                "rss": auto["rss"], "otter_rss": par_rss, "statuses": auto["statuses"],
                "otter_n": len(otter_files), "hung": hung})
        header = ("batch", "cold s", "warm s", "faster", "default s", "chose", "default/faster", f"otter x{args.workers} s",
                  "otter seq s", f"vs otter x{args.workers}", "vs otter seq", "overhead/sub s",
                  "peak PSS MiB", f"otter x{args.workers} PSS MiB", "peak RSS MiB", f"otter x{args.workers} RSS MiB")
        lines = [header]
        for r in rows:
            lines.append((str(r["n"]), f"{r['cold']:.2f}", f"{r['warm']:.2f}", r["faster"], f"{r['auto']:.2f}", r["chosen"],
                          f"{r['vs_best']:.2f}", f"{r['otter_par']:.1f}", f"{r['otter_seq']:.1f}",
                          f"{r['otter_par'] / r['auto']:.1f}x", f"{r['otter_seq'] / r['auto']:.1f}x",
                          f"{r['overhead']:.3f}", f"{r['rss'][1] / 2**20:.0f}", f"{r['otter_rss'][1] / 2**20:.0f}",
                          f"{r['rss'][0] / 2**20:.0f}", f"{r['otter_rss'][0] / 2**20:.0f}"))
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for line in lines[1:]:
            print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |")
        for r in rows:
            extrapolated = f" (otter x{args.workers} on {r['otter_n']} of them, scaled)" if r["otter_n"] != r["n"] else ""
            hung = f"; otter hung {r['hung']} time(s), killed after 300 s and rerun, time lost left out" \
                if r["hung"] else ""
            print(f"batch {r['n']}: statuses {r['statuses']}; otter seq from {min(args.otter_seq, r['n'])} file(s)"
                  f"{extrapolated}{hung}")
        figures_compare(tmp / f"subs{sizes[-1]}", tmp / "figures", args.workers, args.figures_repeat or args.repeat,
                        env_cache)


def machine_name() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        mem = 0.0
    return f"{model}, {os.cpu_count()} CPUs, {mem:.0f} GiB, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=None, help="batch sizes, e.g. 1,4,8,60: both modes and the chosen one")
    parser.add_argument("--exercises", default="sigmoid_probability",
                        help="with --sizes: exercises of the submissions, comma separated, or all (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="with --sizes: runs of each mode (default 3)")
    parser.add_argument("--otter-max", type=int, default=0,
                        help="with --sizes: otter run on at most this many files per size, scaled (default: all)")
    parser.add_argument("--otter-seq", type=int, default=3,
                        help="with --sizes: files run one after the other for the sequential figure (default 3)")
    parser.add_argument("--per-exercise", type=int, default=8, help="submissions per exercise (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="autograder grade --workers (default 2)")
    parser.add_argument("--otter-sample", type=int, default=2, help="otter run: notebooks per exercise (default 2)")
    parser.add_argument("--figures-repeat", type=int, default=0,
                        help="runs each with and without figures (default: --repeat with --sizes, else 3)")
    parser.add_argument("--varied", action="store_true",
                        help="with --figures-only: each mistaken submission makes the next mistake of the "
                             "exercise's corpus (exercises/<id>/mistakes.py), so that its figures differ")
    parser.add_argument("--figures-only", type=int, default=0, metavar="N",
                        help="only grade N submissions of --exercises with and without figures")
    parser.add_argument("--cluster", default=None,
                        help="also grade through Dask: autograder grade --cluster CLUSTER (e.g. local:2)")
    args = parser.parse_args()
    if args.figures_only:
        figures_only(args)
        return
    if args.sizes:
        sizes_mode(args)
        return

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        course = load_course()
        build_course(course, tmp / "dist", only=EXERCISES)
        subs = make_submissions(tmp / "dist", tmp / "subs", args.per_exercise * len(EXERCISES), EXERCISES)
        n = len(subs)
        print(f"{n} submissions ({args.per_exercise} per exercise), {args.workers} workers, {machine_name()}")
        ours = grade_once(tmp / "subs", tmp / "results", args.workers, {})
        ours_s, ours_rss, overhead, statuses = ours["seconds"], ours["rss"], ours["overhead"], ours["statuses"]

        sample: list[Path] = []
        for ex in EXERCISES:
            sample += [s for s in subs if s.name == f"{ex}.ipynb"][: args.otter_sample]
        cluster = grade_on_cluster(args.cluster, tmp, n, args.workers) if args.cluster else None
        ours_steady = steady_rate(tmp / "results" / "results")
        otter_each = otter_sequential(sample, tmp / "dist", tmp / "otter")
        par_s, par_rss, _ = otter_parallel(sample, tmp / "dist", tmp / "otter-par", args.workers)
        figures_compare(tmp / "subs", tmp / "figures", args.workers, args.figures_repeat or 3, {})

    ours_rate = n / ours_s * 60
    otter_rate = 60 / otter_each
    par_rate = len(sample) / par_s * 60
    print(f"autograder grade : {n} in {ours_s:.1f} s = {ours_rate:.1f} submissions/min ({ours['warm']} of "
          f"{ours['runs']} runs warm); statuses {statuses}")
    print(f"otter run loop   : {len(sample)} one after the other, {otter_each:.2f} s each = {otter_rate:.1f} submissions/min")
    print(f"otter run x{args.workers}    : {len(sample)} in {par_s:.1f} s = {par_rate:.1f} submissions/min")
    print(f"throughput ratio : {ours_rate / par_rate:.1f}x parallel otter ({args.workers} processes), "
          f"{ours_rate / otter_rate:.1f}x sequential otter")
    print(f"overhead per submission above its own code: median {statistics.median(overhead):.3f} s, "
          f"p95 {percentile(overhead, 0.95):.3f} s")
    print(f"peak memory (PSS): autograder {ours_rss[1] / 2**20:.0f} MiB, otter run x{args.workers} {par_rss[1] / 2**20:.0f} MiB; "
          f"(RSS summed) {ours_rss[0] / 2**20:.0f} MiB and {par_rss[0] / 2**20:.0f} MiB")
    if cluster:
        print(f"--cluster {args.cluster}: {n} in {cluster['seconds']:.1f} s end to end (cluster start-up included); "
              f"statuses {cluster['statuses']}")
        print(f"steady throughput: local warm pool ({args.workers} workers) {ours_steady:.1f} submissions/min, "
              f"Dask {cluster['steady']:.1f} submissions/min, Dask / local = {cluster['steady'] / ours_steady:.2f}")
        print(f"dispatch overhead per submission (Dask): median {1000 * statistics.median(cluster['dispatch']):.1f} ms, "
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
    results = [Result.parse(p.read_bytes(), str(p)) for p in (tmp / "results-cluster" / "results").glob("*.json")]
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
    alone = [Result.parse(p.read_bytes(), str(p)) for p in (tmp / "results-dispatch" / "results").glob("*.json")]
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status.value] = statuses.get(r.status.value, 0) + 1
    rows = {}
    for name in ("results", "results-cluster"):
        with open(tmp / name / "grades.csv", newline="") as f:
            rows[name] = sorted((r["submission"], r["status"], r["score"], r["max_score"]) for r in csv.DictReader(f))
    return {"seconds": seconds, "statuses": statuses, "steady": steady_rate(tmp / "results-cluster" / "results"),
            "dispatch": [r.run.dispatch_seconds for r in alone if r.run and r.run.dispatch_seconds is not None],
            "same_rows": rows["results"] == rows["results-cluster"] and len(rows["results"]) == n}


if __name__ == "__main__":
    main()
