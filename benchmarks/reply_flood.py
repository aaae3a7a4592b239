"""The grader's peak memory while grading notebooks that flood it with forged replies.

    python benchmarks/reply_flood.py [--mb-per-reply 8] [--replies 12]

Grades, in this process (the grader), one correct sigmoid_probability notebook and notebooks whose
last cell finds the worker's event channel and writes forged replies to it: big lines (over the
per-line cap), lines just under it made of as many tiny JSON objects as fit (the costliest to
parse), and a student function, called by a probe, that floods while the probes are answered.
Prints each one's status, score and message, and this process's peak RSS (ru_maxrss) before and
after. The target: under 300 MB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETUP = "import numpy as np\nw1, w2, b = 0.3, 0.1, 1.0\nx1, x2 = 1.0, 2.2"
RIGHT = [
    "z = w1 * x1 + w2 * x2 + b",
    "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))",
    "p = sigmoid(z)",
    "is_fake = p > 0.5",
    "X = np.array([[x1, x2]])\nW = np.array([[w1], [w2]])\np_vec = sigmoid(X @ W + b)",
]
CHANNEL = ("import gc, json, os\n"
           "channel = next(o for o in gc.get_objects() if type(o).__name__ == 'Channel' and hasattr(o, 'fd'))\n")


def flood_cell(line_bytes: int, count: int, tiny: bool) -> str:
    body = ("'[' + '{},' * (N // 3) + '{}]'" if tiny else "'\"' + 'x' * N + '\"'").replace("N", str(line_bytes))
    return CHANNEL + (
        f"value = {body}\n"
        "line = ('{\"e\": \"reply\", \"key\": \"p/p\", \"reply\": {\"ok\": true, \"value\": ' + value + '}}\\n').encode()\n"
        f"for n in range({count}):\n"
        "    os.write(channel.fd, line)\n"
    )


def notebook(*cells: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["autograder"] = {"exercise": "sigmoid_probability"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb-per-reply", type=float, default=8.0)
    parser.add_argument("--replies", type=int, default=12)
    args = parser.parse_args()

    from autograder.course import load_course
    from autograder.batch import grade_batch
    from autograder.run.events import MAX_EVENT_LINE

    big = int(args.mb_per_reply * (1 << 20))
    floods = {
        "honest": [SETUP, *RIGHT],
        "big_replies": [SETUP, *RIGHT, flood_cell(big, args.replies, tiny=False)],
        "tiny_objects": [SETUP, *RIGHT, flood_cell(MAX_EVENT_LINE - 4096, args.replies, tiny=True)],
        "flood_in_a_probe": [SETUP, *RIGHT[:1], "def sigmoid(z):\n" + "\n".join(
            "    " + line for line in flood_cell(MAX_EVENT_LINE - 4096, args.replies, tiny=True).splitlines())
            + "\n    return 1 / (1 + np.exp(-z))", *RIGHT[2:]],
    }
    course = load_course()
    baseline = peak_mb()
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, cells in floods.items():
            path = Path(folder) / f"{name}.ipynb"
            path.write_text(notebook(*cells))
            paths.append(str(path))
        started = time.perf_counter()
        results = grade_batch(paths, course, Path(folder) / "out", workers=1, warm=False, progress=False)
        seconds = time.perf_counter() - started
    for result in sorted(results, key=lambda r: r.student):
        print(f"{result.student:>18}: {result.status.value:<8} {result.score:>4} / {result.max_score}  "
              f"{result.message[:150]}")
    peak = peak_mb()
    print(f"grader peak RSS: {peak:.0f} MB (before grading: {baseline:.0f} MB); {seconds:.1f} s for "
          f"{len(results)} notebooks; target under 300 MB: {'met' if peak < 300 else 'NOT MET'}")
    return 0 if peak < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
