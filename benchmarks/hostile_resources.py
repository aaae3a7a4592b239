"""Hostile resources: what one submission can take from the machine and from its neighbour.

    python benchmarks/hostile_resources.py [--modes warm,fresh] [--attacks all] [--memory-mb 1024]
                                           [--without] [--throughput N] [--repeat R] [--workers W]

For each attack of tests/support/resource_attacks.py (forked children, memfd files, tmpfs files, empty
files, a fork bomb, 16 spinners in sessions of their own), warm and fresh: the honest notebook
(one second of CPU in a 6 s cell) graded alone, then the attack and the honest one graded side by
side (`--workers 2`). It prints the host's available memory before the pair and its lowest
during it, the attack's status, score and what its control group counted (peak memory, CPU
seconds, tasks), and the honest notebook's score and cell time alone and beside the attack.

`--without` grades the same again with AUTOGRADER_CGROUPS=off (limits per process only, as
before the control groups), in a process of its own; memory attacks there can hold several GB.

`--throughput N`: N honest submissions (the solution of sigmoid_probability) graded by
`autograder grade --workers W` with control groups and without (AUTOGRADER_CGROUPS=off), in
turn, R times each, warm and fresh: the median wall times side by side and their ratio.
"""

from __future__ import annotations

import argparse
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
import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from support.resource_attacks import ATTACKS, FORK_BOMB, HOLD, HONEST_CPU, SPINNERS  # noqa: E402
from throughput import grade_once, machine_name  # noqa: E402

from autograder.batch import grade_batch  # noqa: E402
from autograder.build import build_course  # noqa: E402
from autograder.course import DEFAULT_COURSE, load_course  # noqa: E402
from autograder.record import Result  # noqa: E402
from autograder.exercises import EXERCISES_DIR  # noqa: E402
from autograder.run import cgroup_host  # noqa: E402

EXERCISE = "sigmoid_probability"
SETUP = "import numpy as np\nw1, w2, b = 0.3, 0.1, 1.0\nx1, x2 = 1.0, 2.2"
ANSWERS = ["z = w1 * x1 + w2 * x2 + b", "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))", "p = sigmoid(z)",
           "is_fake = p > 0.5", "X = np.array([[x1, x2]])\nW = np.array([[w1], [w2]])\np_vec = sigmoid(X @ W + b)"]
# Each attack's cells, put before the answers; the fork bomb keeps what it made through a cell of its own.
ALL_ATTACKS = {**{name: [cell] for name, cell in ATTACKS.items()}, "fork_bomb": [FORK_BOMB, HOLD], "spinners": [SPINNERS]}


def fmt(value, spec: str) -> str:
    """A measured value in `spec`, or '-' where there was none."""
    return "-" if value is None else format(value, spec)


def notebook(*cells: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["autograder"] = {"exercise": EXERCISE}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


HONEST = notebook(SETUP, *ANSWERS[:2], HONEST_CPU, *ANSWERS[2:])  # its fourth cell: one second of CPU


def write_course(folder: Path, memory_mb: int) -> Path:
    data = yaml.safe_load(DEFAULT_COURSE.read_text())
    data["limits"] = {"cell_timeout": 6, "total_timeout": 60, "memory_mb": memory_mb, "output_kb": 64,
                      "processes": 256}
    data["exercises"] = [e for e in data["exercises"] if e["id"] == EXERCISE]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "course.yaml").write_text(yaml.safe_dump(data))
    (folder / "exercises").symlink_to(EXERCISES_DIR)
    return folder / "course.yaml"


def lowest_available(stop: threading.Event, low: list) -> None:
    while not stop.is_set():
        low[0] = min(low[0], psutil.virtual_memory().available)
        time.sleep(0.02)


def grade(course, folder: Path, named: dict[str, str], warm: bool) -> tuple[dict, int, int]:
    """{name: result}, the host's available memory before and its lowest during, bytes."""
    folder.mkdir(parents=True)
    paths = []
    for name, text in named.items():
        (folder / f"{name}.ipynb").write_text(text)
        paths.append(str(folder / f"{name}.ipynb"))
    before = psutil.virtual_memory().available
    low, stop = [before], threading.Event()
    watcher = threading.Thread(target=lowest_available, args=(stop, low), daemon=True)
    watcher.start()
    try:
        rows = grade_batch(paths, course, folder / "out", workers=len(paths), warm=warm, progress=False)
    finally:
        stop.set()
        watcher.join()
    return {r.student: r for r in rows}, before, low[0]


def honest_cell(result: Result) -> str:
    cells = result.run.cells if result.run else []
    seconds = f"{cells[3].seconds:.2f} s" if len(cells) > 3 else "-"
    return f"{result.score:g}/{result.max_score:g} {result.status}, cell {seconds}"


def attacks_table(args) -> None:
    found, why = cgroup_host.backend()
    print(f"control groups: {cgroup_host.boundary_name()}" + (f" ({why})" if why else "")
          + f"; memory_mb {args.memory_mb}; {machine_name()}")
    header = ("mode", "attack", "host avail before MiB", "lowest during MiB", "attack", "peak MiB", "CPU s",
              "tasks", "honest alone", "honest beside")
    lines = [header]
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        tmp = Path(tmp)
        course = load_course(write_course(tmp / "course", args.memory_mb))
        for mode in args.modes.split(","):
            warm = mode == "warm"
            for name in (ALL_ATTACKS if args.attacks == "all" else args.attacks.split(",")):
                alone, _, _ = grade(course, tmp / f"{mode}-{name}-alone", {"honest": HONEST}, warm)
                beside, before, low = grade(course, tmp / f"{mode}-{name}-pair",
                                            {"attack": notebook(SETUP, *ALL_ATTACKS[name], *ANSWERS), "honest": HONEST},
                                            warm)
                attack = beside["attack"]
                used = attack.run.resources if attack.run else {}
                lines.append((mode, name, f"{before / 2**20:.0f}", f"{low / 2**20:.0f}",
                              f"{attack.score:g} {attack.status}", fmt(used.get("memory_peak_mb"), ".0f"),
                              fmt(used.get("cpu_seconds"), ".1f"), fmt(used.get("tasks_peak"), "d"),
                              honest_cell(alone["honest"]), honest_cell(beside["honest"])))
                print("  done:", mode, name, file=sys.stderr)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in lines[1:]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |")


def throughput(args) -> None:
    """An honest batch with control groups and without, in turn: median wall time of each."""
    with tempfile.TemporaryDirectory(prefix="bench-cgroups-") as tmp:
        tmp = Path(tmp)
        build_course(load_course(), tmp / "dist", only=[EXERCISE])
        solution = nbformat.read(str(tmp / "dist" / EXERCISE / "solution" / f"{EXERCISE}.ipynb"), as_version=4)
        subs = tmp / "subs"
        for i in range(args.throughput):
            solution.cells.append(nbformat.v4.new_markdown_cell(f"submission {i}"))  # a sha256 of its own
            (subs / f"student{i:03d}").mkdir(parents=True)
            nbformat.write(solution, str(subs / f"student{i:03d}" / f"{EXERCISE}.ipynb"))
            solution.cells.pop()
        cache = {"AUTOGRADER_CACHE": str(tmp / "cache")}
        print(f"\nhonest batch of {args.throughput}, --workers {args.workers}, median of {args.repeat} runs, in turn:")
        for warm in ("1", "0"):
            times: dict[str, list[float]] = {"with": [], "without": []}
            boundary = {}
            for _ in range(args.repeat):
                for label, extra in (("with", {}), ("without", {"AUTOGRADER_CGROUPS": "off"})):
                    out = tmp / f"out-{label}-{warm}"
                    run = grade_once(subs, out, args.workers, {**cache, "AUTOGRADER_WARM": warm, **extra})
                    times[label].append(run["seconds"])
                    first = json.loads(next((out / "results").glob("*.json")).read_text())
                    boundary[label] = first["run"].get("boundary", "?")
                    assert run["statuses"] == {"graded": args.throughput}, run["statuses"]
            med = {k: statistics.median(v) for k, v in times.items()}
            print(f"  {'warm' if warm == '1' else 'fresh'}: with control groups ({boundary['with']}) "
                  f"{med['with']:.2f} s, without ({boundary['without']}) {med['without']:.2f} s, "
                  f"ratio {med['with'] / med['without']:.2f} (runs: with {[round(t, 2) for t in times['with']]}, "
                  f"without {[round(t, 2) for t in times['without']]})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", default="warm,fresh")
    parser.add_argument("--attacks", default="all", help=f"comma separated, of {', '.join(ALL_ATTACKS)}")
    parser.add_argument("--memory-mb", type=int, default=1024)
    parser.add_argument("--without", action="store_true", help="also without control groups (AUTOGRADER_CGROUPS=off)")
    parser.add_argument("--throughput", type=int, default=0, help="honest submissions per throughput batch (0: none)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-attacks", action="store_true", help="only the throughput comparison")
    args = parser.parse_args()
    if not args.no_attacks:
        attacks_table(args)
        if args.without:
            print("\nwithout control groups (AUTOGRADER_CGROUPS=off):", flush=True)
            argv = [a for a in sys.argv[1:] if a != "--without"]
            argv = [a for i, a in enumerate(argv) if a != "--throughput" and (i == 0 or argv[i - 1] != "--throughput")]
            subprocess.run([sys.executable, __file__, *argv], env={**os.environ, "AUTOGRADER_CGROUPS": "off"},
                           check=False)
    if args.throughput:
        throughput(args)


if __name__ == "__main__":
    main()
