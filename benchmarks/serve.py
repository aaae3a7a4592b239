"""`autograder serve` on loopback: how long a student waits from upload to feedback.

    python benchmarks/serve.py [--single 20] [--students 50] [--spread 60] [--workers 2]

Starts the stand-in LMS and the tool on 127.0.0.1 (nothing else is reached), places
sigmoid_probability (pen-and-paper, numpy) and launches students through LTI. Then:

1. one hand-in at a time (`--single` of them, after one unmeasured hand-in that starts the
   warm workers): the time from the upload's first byte to the feedback page with its score,
   median and p95;
2. `--students` students each handing in once, at moments spread evenly over `--spread`
   seconds (bounded: one upload per student, local only): the same times, median, p95 and max;
3. the same files graded by `autograder grade --workers W` as a batch, and one file alone
   (a batch of one), for the grading time per submission side by side.

Every hand-in is the solution version (full marks), made distinct per student so each is
graded, not found in the gradebook. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from autograder.course import load_course  # noqa: E402
from autograder.serve.demo import place_exercises, start_pair  # noqa: E402
from support.serve import client, csrf_of, launch  # noqa: E402  (a browser-like client: cookies, auto-posted forms)

EXERCISE = "sigmoid_probability"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def distinct(notebook: bytes, n: int) -> bytes:
    nb = json.loads(notebook)
    nb["metadata"]["benchmark_copy"] = n
    return json.dumps(nb).encode()


def hand_in(http: requests.Session, page_url: str, csrf: str, body: bytes, name: str) -> tuple[float, float]:
    """(seconds from upload to feedback, the score shown)."""
    started = time.perf_counter()
    handed = http.post(page_url + "/upload", data={"csrf": csrf}, files={"notebook": (name, body)}, timeout=60)
    assert "/attempt/" in handed.url, handed.text[:300]
    page = handed
    while 'id="feedback"' not in page.text:
        time.sleep(0.01)
        page = http.get(handed.url, timeout=60)
    seconds = time.perf_counter() - started
    return seconds, float(re.search(r'id="score">([^<]+)<', page.text).group(1))


def grade_cli(files: list[Path], out: Path, workers: int) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "grade", *map(str, files), "--out", str(out), "--quiet",
                    "--workers", str(workers), "--course", str(ROOT / "course.yaml")], check=True,
                   capture_output=True, cwd=out.parent)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--single", type=int, default=20)
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--spread", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    base = load_course()
    course = base.model_copy(update={"exercises": (base.exercise(EXERCISE),),
                                     "handed_out": str(tmp / "handed_out.json")})
    pair = start_pair(course, tmp / "data", args.workers, uploads_per_hour=10_000)
    rows = []
    try:
        link = place_exercises(pair, course)[EXERCISE]
        pair.tool.service.notebooks.built(EXERCISE)
        solution = (tmp / "data" / "dist" / EXERCISE / "solution" / f"{EXERCISE}.ipynb").read_bytes()

        http = client()
        page = launch(http, pair.lms.start_url("single", "learner", link))
        csrf, top = csrf_of(page.text), pair.tool.service.max_points(EXERCISE)
        first, _ = hand_in(http, page.url, csrf, distinct(solution, -1), "warm-up.ipynb")
        single = []
        for n in range(args.single):
            seconds, score = hand_in(http, page.url, csrf, distinct(solution, n), f"single{n}.ipynb")
            assert score == top, score
            single.append(seconds)
        rows.append(("one hand-in at a time", len(single), single))

        students = []
        for n in range(args.students):
            session = client()
            p = launch(session, pair.lms.start_url(f"student{n:02d}", "learner", link))
            students.append((session, p.url, csrf_of(p.text)))
        crowd, failures = [], []
        started = time.perf_counter()

        def one(n: int) -> None:
            time.sleep(max(0.0, started + n * args.spread / args.students - time.perf_counter()))
            session, url, token = students[n]
            try:
                seconds, score = hand_in(session, url, token, distinct(solution, 1000 + n), f"s{n}.ipynb")
                assert score == top, score
                crowd.append(seconds)
            except Exception as exc:  # noqa: BLE001 - counted and printed
                failures.append(repr(exc))
        threads = [threading.Thread(target=one, args=(n,)) for n in range(args.students)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        crowd_wall = time.perf_counter() - started
        rows.append((f"{args.students} students over {args.spread:g} s", len(crowd), crowd))
        with pair.tool.service.gradebook() as book:
            graded = [r for r in book.results() if r.student.startswith("student")]
        serve_grading = statistics.median(r.seconds for r in graded)
    finally:
        pair.stop()

    files = []
    for n in range(args.students):
        f = tmp / "batch" / f"student{n:02d}" / f"{EXERCISE}.ipynb"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(distinct(solution, 1000 + n))
        files.append(f)
    batch_seconds = grade_cli([tmp / "batch"], tmp / "out-batch", args.workers)
    one_seconds = grade_cli([files[0]], tmp / "out-one", args.workers)

    print(f"\nautograder serve on loopback, {EXERCISE}, {args.workers} warm workers; first hand-in (workers "
          f"starting): {first:.2f} s; failures: {len(failures)} {failures[:3]}")
    print("\n| hand-ins | n | median s | p95 s | max s |\n|---|---|---|---|---|")
    for name, n, values in rows:
        print(f"| {name} | {n} | {statistics.median(values):.3f} | {percentile(values, 0.95):.3f} | {max(values):.3f} |")
    print(f"\n{args.students} students: last feedback {crowd_wall:.1f} s after the first upload.")
    print("\n| grading per submission | seconds |\n|---|---|")
    print(f"| serve: grading time in the result (median) | {serve_grading:.3f} |")
    print(f"| serve: upload to feedback, one at a time (median) | {statistics.median(single):.3f} |")
    print(f"| `autograder grade` of the {args.students} files, --workers {args.workers}: total / {args.students} | "
          f"{batch_seconds / args.students:.3f} |")
    print(f"| `autograder grade` of one file (a batch of one, command start included) | {one_seconds:.3f} |")


if __name__ == "__main__":
    main()
