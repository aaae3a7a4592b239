"""The similarity report on a synthetic class: does it find the planted copies, and how fast.

    python benchmarks/similarity.py [--honest 32] [--large 70] [--seeds 2026,7,99] [--fresh 20] [--first 5001]
                                    [--boundaries]

The seeds are the test's (tests/test_similarity.py: 2026, 7, 99) and FRESH more (FIRST, FIRST + 1,
...). Which fresh seeds a weight was chosen on: 5001-5020 were looked at pair by pair while
DIFFER and COMMON_SHARE were chosen (answers.py, fingerprints.py); 5021-5040 and 6001-6040 were
only measured (6001-6040 showed the training copy with its epochs changed falling, which led to
the cells alike but for their numbers), 7001-7040 too, before that match was made to count as
a cell written differently still; 8001-8040 were first run on those weights. When the cells
became sets of statements found in whatever cells (answers.py), STRAY was chosen on the copies
that move cell boundaries of 5001-5010 (`--boundaries`) and the default copies of 7001-7015;
the default copies of 8001-8040 and 9001-9040 and the boundary copies of 9001-9020 were then
measured before and after the change, nothing chosen on them. Run another range (`--first
10001`) to measure on seeds no one has seen.

`--boundaries` plants the copies that move the cell boundaries and keep the code instead
(answers merged into one cell, a line added to every answer, an answer split over two cells,
prints merged into the answers, a line moved into the next cell, prints and answers merged
with the names and comments changed; similarity_class.BOUNDARY_DISGUISES); the honest students
are the same, and the summary says per disguise in how many seeds its copy is above every
honest pair.

For each seed, a synthetic class (tests/support/similarity_class.py) of HONEST independently written
notebooks per exercise (sigmoid_probability, five short answers; gradient_descent, four longer
ones with functions and loops; train_banknote, a timed training task) with planted copies (renamed, reordered, re-commented, one answer
changed, all at once, and in the training task the same recipe in the copier's own code).
Printed per exercise: recall at the report's threshold (planted pairs scoring at least it),
whether every planted pair is among the report's listed pairs, the weakest planted score and
the highest honest score, and how many honest pairs reach the threshold.

Then, per exercise over all the seeds: in how many seeds the weakest planted copy scores above
every honest pair (separated k/n), the recall at the threshold over all planted pairs, the
weakest planted score and the highest honest score.

Then the time to process a class of LARGE honest notebooks per exercise (over 200 submissions
in all, three exercises) from the files on disk, as `autograder similarity PATH` does: reading them (intake),
comparing, and writing the CSV, JSON and HTML; wall-clock and CPU seconds (the comparison is
one process, so the CPU time is what it costs on a machine of its own; the wall time depends
on what else runs).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from support.similarity_class import make_class, write_class  # noqa: E402

from autograder.course import load_course  # noqa: E402
from autograder.export.report import write_similarity_page  # noqa: E402
from autograder.export.similarity import plain, write_csv, write_json  # noqa: E402
from autograder.similarity import THRESHOLD, TOP, compare_class  # noqa: E402
from autograder.similarity.sources import from_paths  # noqa: E402


def detection(course, honest: int, seed: int, tally: dict, disguises: str = "default") -> None:
    klass = make_class(honest=honest, seed=seed, disguises=disguises)
    with tempfile.TemporaryDirectory() as tmp:
        write_class(klass, Path(tmp))
        reports = compare_class(from_paths([tmp], course), course, 10**6, THRESHOLD, passages=False)  # every pair
    for r in reports:
        planted = {frozenset((a, b)) for e, a, b, _ in klass.planted if e == r.exercise}
        listed = {frozenset((p.a.student, p.b.student)): p.score for p in r.pairs}
        in_report = {frozenset((p.a.student, p.b.student)) for p in r.pairs[: max(TOP, r.flagged)]}
        scores = [listed[p] for p in planted]
        honest_scores = [s for k, s in listed.items() if k not in planted]
        recall = sum(1 for s in scores if s >= THRESHOLD) / len(planted)
        honest_flagged = sum(1 for s in honest_scores if s >= THRESHOLD)
        separated = min(scores, default=0) > max(honest_scores, default=0)
        t = tally.setdefault(r.exercise, {"separated": 0, "listed": 0, "seeds": 0, "found": 0, "planted": 0,
                                          "weakest": 1.0, "honest": 0.0, "flagged_honest": 0, "honest_pairs": 0})
        t["flagged_honest"] += honest_flagged
        t["honest_pairs"] += len(honest_scores)
        t["separated"] += separated
        t["listed"] += planted <= in_report
        t["seeds"] += 1
        t["found"] += sum(1 for s in scores if s >= THRESHOLD)
        t["planted"] += len(planted)
        t["weakest"] = min(t["weakest"], min(scores, default=0))
        for e, a, b, label in klass.planted:  # per disguise: in how many seeds its copy is above every honest pair
            if e == r.exercise:
                above = t.setdefault("by disguise", {}).setdefault(label, [0, 0])
                above[0] += listed[frozenset((a, b))] > max(honest_scores, default=0)
                above[1] += 1
        t["honest"] = max(t["honest"], max(honest_scores, default=0))
        print(f"seed {seed:5d}  {r.exercise:20s} {len(klass.honest[r.exercise]):4d} honest {len(planted):2d} planted  "
              f"recall@{THRESHOLD:g} {recall:5.0%}  all listed {planted <= in_report!s:5s}  "
              f"weakest planted {min(scores, default=0):.3f}  highest honest {max(honest_scores, default=0):.3f}  "
              f"honest pairs >= {THRESHOLD:g}: {honest_flagged}  {'separated' if separated else 'NOT separated'}")


def speed(course, honest: int) -> None:
    klass = make_class(honest=honest, seed=11)
    with tempfile.TemporaryDirectory() as tmp:
        write_class(klass, Path(tmp) / "class")
        wall, cpu = time.perf_counter(), time.process_time()
        subs = from_paths([str(Path(tmp) / "class")], course)
        reports = compare_class(subs, course, TOP, THRESHOLD)
        data = plain(reports, THRESHOLD)
        write_csv(data, Path(tmp) / "out" / "similarity.csv")
        write_json(data, Path(tmp) / "out" / "similarity.json")
        write_similarity_page(data, Path(tmp) / "out" / "similarity.html", course)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"class of {len(subs)} submissions ({', '.join(f'{r.exercise} {r.submissions}' for r in reports)}): "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU, read + compared + written (target: under 60 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--honest", type=int, default=32)
    parser.add_argument("--large", type=int, default=70)
    parser.add_argument("--seeds", default="2026,7,99", help="the test's seeds")
    parser.add_argument("--fresh", type=int, default=20, help="this many fresh seeds: FIRST, FIRST + 1, ...")
    parser.add_argument("--first", type=int, default=5001, help="the first fresh seed (5001 and up were looked at "
                        "while the weights were chosen; 6001 and up were not)")
    parser.add_argument("--boundaries", action="store_true", help="plant the copies that move the cell boundaries "
                        "(similarity_class.BOUNDARY_DISGUISES) instead of the default ones")
    args = parser.parse_args()
    course = load_course(None)
    groups = {"the test's seeds": [int(s) for s in args.seeds.split(",") if s],
              "fresh seeds": list(range(args.first, args.first + args.fresh))}
    for group, seeds in groups.items():
        tally: dict = {}
        for seed in seeds:
            detection(course, args.honest, seed, tally, "boundaries" if args.boundaries else "default")
        summary(group, seeds, tally)
    if args.large:
        speed(course, args.large)


def summary(group: str, seeds: list[int], tally: dict) -> None:
    print(f"over {len(seeds)} {group} (separated: the weakest planted copy above every honest pair):")
    for exercise, t in tally.items():
        print(f"  {exercise:20s} separated in {t['separated']}/{t['seeds']} seeds, every planted pair listed in "
              f"{t['listed']}/{t['seeds']}, recall@{THRESHOLD:g} {t['found']}/{t['planted']} = {t['found'] / t['planted']:.0%}, "
              f"weakest planted {t['weakest']:.3f}, highest honest {t['honest']:.3f}, "
              f"honest pairs >= {THRESHOLD:g}: {t['flagged_honest']} of {t['honest_pairs']}")
        print("    above every honest pair, per disguise: "
              + ", ".join(f"{label} {k}/{n}" for label, (k, n) in t.get("by disguise", {}).items()))


if __name__ == "__main__":
    main()
