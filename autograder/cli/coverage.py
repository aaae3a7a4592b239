"""`autograder coverage`: how many typical mistakes of the course's corpus get their hint.

Prints, per exercise, how many failing checks of the corpus (autograder/corpus.py) carry a hint,
how many carry the expected one, how many a wrong one, and lists every hint that is wrong or
missing; for the exercise's own list (`exercises/<id>/mistakes.py`) and for its held-out list
(`exercises/<id>/held_out.py`: mistakes written before, and never used for, the hints: how far the
hints, the derived ones above all, generalise). Exits 1 when there is a problem.
"""

from __future__ import annotations

import sys
import warnings
from typing import TYPE_CHECKING

import click

from autograder.cli.course import COURSE_HELP, course_or_fail

if TYPE_CHECKING:
    from autograder.corpus import Outcome

CORPUS_CHOICES = {"own": ["own"], "held-out": ["held-out"], "both": ["own", "held-out"]}


@click.command("coverage")
@click.option("--course", "course_path", type=click.Path(), default=None, help=COURSE_HELP)
@click.option("--details", is_flag=True, help="list every failing check of the corpus and its hint")
@click.option("--corpus", type=click.Choice(list(CORPUS_CHOICES)), default="both", show_default=True,
              help="the exercises' own mistakes, the held-out ones, or both")
def coverage_command(course_path, details, corpus):
    """Judge each exercise's mistakes corpus (exercises/<id>/mistakes.py) and count the hints given."""
    sys.exit(coverage(course_or_fail(course_path), corpus, details))


def coverage(course, corpus: str = "both", details: bool = False) -> int:
    """Prints the table of each corpus and every problem; 1 if there is a problem, else 0."""
    problems_all = []
    for name in CORPUS_CHOICES[corpus]:
        problems_all += report(course, name, details)[2]
        print()
    for line in problems_all:
        print("  problem:", line)
    return 1 if problems_all else 0


def _wrong(outcome: Outcome) -> list[str]:
    """The failing checks whose hint is there but does not name the mistake (a wrong hint)."""
    return [name for name, (_, hint) in outcome.failing.items()
            if hint and outcome.mistake.expect.get(name) and outcome.mistake.expect[name] not in hint]


def report(course, corpus: str, details: bool) -> tuple[int, int, list[str]]:
    """Prints the table of one corpus; (failing checks, hinted ones, problems)."""
    from autograder.corpus import CORPORA, judge_mistake, load_corpus  # numpy, nbformat: only when asked

    print(f"{corpus} mistakes")
    print(f"{'exercise':24} {'mistakes':>8} {'failing':>8} {'hinted':>7} {'expected':>9} {'wrong':>6} {'problems':>9}")
    totals = [0, 0, 0, 0, 0, 0]
    problems_all = []
    for exercise in course.exercises:
        mistakes = load_corpus(exercise, corpus)
        if not mistakes:
            continue
        with warnings.catch_warnings():  # numpy's warnings from the mistakes' own code: expected, not news
            warnings.simplefilter("ignore")
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
    if not totals[0]:  # nothing was counted: no share to give (it is not 100% of anything)
        print(f"  no exercise of this course has a list of {corpus} mistakes (exercises/<id>/{CORPORA[corpus]})")
        return 0, 0, problems_all
    share = f"{totals[2] / totals[1]:.0%} of failing checks carry a hint" if totals[1] else "no mistake fails a check"
    print(f"{'all':24} {totals[0]:>8} {totals[1]:>8} {totals[2]:>7} {totals[3]:>9} {totals[4]:>6} {totals[5]:>9}"
          f"   ({share}, {totals[4]} wrong)")
    return totals[1], totals[2], problems_all
