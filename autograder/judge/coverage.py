"""How many typical mistakes get a hint that names them: the corpus of mistakes, judged.

Every pen-and-paper exercise keeps a corpus of the mistakes students make in week 1 in
`exercises/<id>/mistakes.py`: a list `MISTAKES` of `Mistake`s. A mistake is the exercise's own
solution with a few edits of its code (`math.exp` for `np.exp`, `=` for `+=`, ...), run as a
notebook runs, cell after cell, a failing cell not stopping the next; then judged by the
exercise's checks exactly as the grader judges. `expect` names every check the mistake makes
fail, with words its hint must contain ("" where no specific hint is expected).

    python -m autograder.judge.coverage [--course course.yaml] [--details] [--corpus own|held-out|both]

prints, per exercise, how many failing checks of the corpus carry a hint, how many carry the
expected one, how many a wrong one, and lists every hint that is wrong or missing. It does so for
the exercise's own list and for its held-out list (`exercises/<id>/held_out.py`: mistakes written
before, and never used for, the hints: how far the hints, the derived ones above all, generalise). The corpus is trusted code
written by the course's authors: it runs in this process, not in the sandbox.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from autograder.judge.variant import using_variant
from autograder.sandbox.cells import run_trusted


@dataclass(frozen=True)
class Mistake:
    """One typical mistake: edits of the solution's code and the hints it should get.

    `edits` replace text in the code cells of the master ({old: new}; every old text must be
    found), `after` is code run after the notebook, `expect` is {check: words of its hint}.
    """

    name: str
    expect: dict[str, str]
    edits: dict[str, str] = field(default_factory=dict)
    after: str = ""


@dataclass
class Outcome:
    """What the checks made of one mistake."""

    mistake: Mistake
    failing: dict[str, tuple[str, str]]  # check -> (message, hint), for every check below full points
    problems: list[str]  # hints that are missing or wrong, checks that pass or fail unexpectedly

    @property
    def hinted(self) -> int:
        return sum(1 for _, hint in self.failing.values() if hint)

    @property
    def right(self) -> int:
        return sum(1 for name, (_, hint) in self.failing.items()
                   if hint and self.mistake.expect.get(name) and self.mistake.expect[name] in hint)


def _code_cells(master: Path, params: dict | None) -> list[str]:
    """The master's code as the solution notebook holds it: its given and solution cells,
    without the test cells, with the placeholders filled. Otter's calls stay: they run against
    the sandbox's stand-in for Otter, as in a graded notebook."""
    from autograder.build.variants import render

    nb = nbformat.read(str(master), as_version=4)
    if any(c.cell_type in ("markdown", "code") and "{{" in c.source for c in nb.cells):
        from autograder.build.variants import default_variant

        render(nb, params or default_variant(master.stem, master.parent), str(master))
    cells, in_tests = [], False
    for cell in nb.cells:
        if cell.cell_type == "raw":
            if "# BEGIN TESTS" in cell.source:
                in_tests = True
            elif "# END TESTS" in cell.source:
                in_tests = False
            continue
        if cell.cell_type == "code" and not in_tests:
            cells.append(cell.source)
    return cells


def run_mistake(master: Path, mistake: Mistake, params: dict | None = None) -> dict:
    """The namespace of the solution with the mistake's edits, run cell by cell by the
    sandbox's own cell runner (in this process: the corpus is trusted), output discarded."""
    cells = _code_cells(master, params)
    code = "\n\n# ---- cell ----\n".join(cells)
    for old, new in mistake.edits.items():
        if old not in code:
            raise ValueError(f"{master.stem}, mistake {mistake.name!r}: the text {old!r} is not in the solution")
    pieces = []
    for cell in cells:
        for old, new in mistake.edits.items():
            cell = cell.replace(old, new)
        pieces.append(cell)
    if mistake.after:
        pieces.append(mistake.after)
    # A cell that fails does not stop the next, as in a notebook: that is run_cell's rule.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        namespace, outcomes = run_trusted(pieces)
    namespace[RUN_KEY] = (pieces, outcomes)
    return namespace


# Where run_mistake leaves the cells it ran and their outcomes in the namespace, for the
# checks to say why an answer is missing (no notebook name starts with a NUL).
RUN_KEY = "\0cells"


def judge_in_process(checks, namespace: dict, seed: int = 0, params: dict | None = None) -> dict:
    """{check name: Verdict} for `namespace`, answered by the sandbox's own responder and wire
    format in this process (trusted code only), judged as the grader judges."""
    from autograder.probe import encode_requests, read_answers
    from autograder.sandbox.responder import answer

    rng = np.random.default_rng(seed)
    with using_variant(params):  # probes may depend on the student's numbers, as in the pipeline
        asked = {c.name: c.probes(rng) for c in checks}
    flat = {f"{name}/{key}": probe for name, probes in asked.items() for key, probe in probes.items()}
    document = json.loads(json.dumps(encode_requests(flat)))
    with tempfile.TemporaryDirectory() as folder:
        answer(namespace, document, folder)
        answers = read_answers(folder, flat)
    verdicts = {}
    for check in checks:
        mine = {key: answers[f"{check.name}/{key}"] for key in asked[check.name]}
        with using_variant(params):
            verdicts[check.name] = check.run(mine, asked[check.name], *namespace.get(RUN_KEY, ((), ())))
    return verdicts


def judge_mistake(exercise, mistake: Mistake, seed: int = 0, namespace: dict | None = None) -> Outcome:
    """The outcome of one mistake of `exercise` (a course's Exercise), judged on the draw `seed`;
    `namespace`: the mistake's run_mistake, when it has run already (another draw of the same)."""
    from autograder.exercises import load_checks

    checks = load_checks(exercise)
    namespace = run_mistake(Path(exercise.master), mistake) if namespace is None else namespace
    verdicts = judge_in_process(checks, namespace, seed)
    points = {c.name: c.points for c in checks}
    failing = {name: (v.message, v.hint) for name, v in verdicts.items() if v.points < points[name]}
    problems = []
    for name, (message, hint) in failing.items():
        if name not in mistake.expect:
            problems.append(f"{name} fails unexpectedly: {message} / hint: {hint or '-'}")
        elif mistake.expect[name] and mistake.expect[name] not in hint:
            problems.append(f"{name}: expected a hint with {mistake.expect[name]!r}, got {hint or 'none'!r}")
    for name in mistake.expect:
        if name not in failing:
            problems.append(f"{name} was expected to fail but passes")
    return Outcome(mistake, failing, problems)


CORPORA = {"own": "mistakes.py", "held-out": "held_out.py"}


def load_corpus(exercise, corpus: str = "own") -> list[Mistake]:
    """`MISTAKES` of exercises/<id>/mistakes.py (the exercise's own list, which its hints were
    written for) or of exercises/<id>/held_out.py (mistakes written before, and never used for,
    the hints: how far the hints generalise), or [] for an exercise without that corpus."""
    path = Path(exercise.folder) / CORPORA[corpus]
    if not path.is_file():
        return []
    spec = importlib.util.spec_from_file_location(f"autograder_{corpus.replace('-', '_')}_{exercise.id}", path)
    if spec is None or spec.loader is None:  # a path Python cannot load as a module
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.MISTAKES)


def _wrong(outcome: Outcome) -> list[str]:
    """The failing checks whose hint is there but does not name the mistake (a wrong hint)."""
    return [name for name, (_, hint) in outcome.failing.items()
            if hint and outcome.mistake.expect.get(name) and outcome.mistake.expect[name] not in hint]


def report(course, corpus: str, details: bool) -> tuple[int, int, list[str]]:
    """Prints the table of one corpus; (failing checks, hinted ones, problems)."""
    print(f"{corpus} mistakes")
    print(f"{'exercise':24} {'mistakes':>8} {'failing':>8} {'hinted':>7} {'expected':>9} {'wrong':>6} {'problems':>9}")
    totals = [0, 0, 0, 0, 0, 0]
    problems_all = []
    for exercise in course.exercises:
        mistakes = load_corpus(exercise, corpus)
        if not mistakes:
            continue
        outcomes = [judge_mistake(exercise, m) for m in mistakes]
        row = [len(outcomes), sum(len(o.failing) for o in outcomes), sum(o.hinted for o in outcomes),
               sum(o.right for o in outcomes), sum(len(_wrong(o)) for o in outcomes),
               sum(len(o.problems) for o in outcomes)]
        totals = [a + b for a, b in zip(totals, row)]
        print(f"{exercise.id:24} {row[0]:>8} {row[1]:>8} {row[2]:>7} {row[3]:>9} {row[4]:>6} {row[5]:>9}")
        for o in outcomes:
            if corpus == "own":
                problems_all += [f"{exercise.id} / {o.mistake.name}: {p}" for p in o.problems]
            else:  # held out: only a wrong hint, or a check that does not fail, is a problem
                problems_all += [f"{exercise.id} / {o.mistake.name}: {p}" for p in o.problems
                                 if "expected to fail" in p or any(p.startswith(f"{n}:") for n in _wrong(o))]
            if details:
                for name, (message, hint) in o.failing.items():
                    print(f"    {o.mistake.name} -> {name}: {hint or '(no hint)'}")
    share = totals[2] / totals[1] if totals[1] else 1.0
    print(f"{'all':24} {totals[0]:>8} {totals[1]:>8} {totals[2]:>7} {totals[3]:>9} {totals[4]:>6} {totals[5]:>9}"
          f"   ({share:.0%} of failing checks carry a hint, {totals[4]} wrong)")
    return totals[1], totals[2], problems_all


def main(argv=None) -> int:
    from autograder.course import load_course

    parser = argparse.ArgumentParser(prog="python -m autograder.judge.coverage", description=__doc__.split("\n")[0])
    parser.add_argument("--course", default=None, help="course.yaml (default: the bundled course)")
    parser.add_argument("--details", action="store_true", help="list every failing check and its hint")
    parser.add_argument("--corpus", choices=["own", "held-out", "both"], default="both",
                        help="the exercises' own mistakes, the held-out ones, or both (default)")
    args = parser.parse_args(argv)
    course = load_course(args.course)
    problems_all = []
    for corpus in (["own", "held-out"] if args.corpus == "both" else [args.corpus]):
        problems_all += report(course, corpus, args.details)[2]
        print()
    for line in problems_all:
        print("  problem:", line)
    return 1 if problems_all else 0


if __name__ == "__main__":
    sys.exit(main())
