"""One exercise's submissions -> the pairs most alike, each with its score and its evidence.

    score = 1 - (1 - code) * (1 - signals),   code = 1 - (1 - pooled * coverage) * (1 - answers)

`pooled` is the class-weighted overlap of the two students' own code (fingerprints.py: with their
names anonymous, and with the names they chose kept, blended), scaled by `coverage`, the share
of the longer own code of the two that is the same line for line (answers.line_coverage: a copy
holds nearly all of its source's lines; two honest notebooks that happen to share their only
unusual answers do not hold each other's other lines). `answers` is, answer by answer, how
unlikely their own cells alike are for two independent writers in this class (the rarer the
forms they share, the more; each cell they wrote differently, less; a cell counts as alike when
the other wrote all of its statements, in whatever cells), with the comments they put alike on
the same lines (answers.py: a copier who rewrote one long answer still shares the others, which
the pooled overlap dilutes; one who merged or split cells still holds every statement);
`signals` the course's signs of copying they share (signals.py); either alone can raise the score, and both together raise it more. A pair is listed when it
scores at least THRESHOLD, and the TOP highest pairs of each exercise are listed whatever their
score, so that the teacher sees what the most alike honest work looks like beside a flagged
pair. Two submissions of one student are never a pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from autograder.record.result import Result
from autograder.similarity import answers
from autograder.similarity import fingerprints as fps
from autograder.similarity import signals as sig
from autograder.similarity.own_code import Handout, bounded, handout_of, own_cells, own_code, own_names, own_statements

THRESHOLD = 0.55  # a pair at or above it is worth a look (benchmarks/similarity.py measures it)
TOP = 10  # pairs listed per exercise even below the threshold
MAX_LISTED = 200  # pairs listed per exercise at most (a whole class sharing one source)


@dataclass
class Submitted:
    """One submission as the comparison sees it."""

    submission: str
    student: str
    exercise: str
    cells: list[str] = field(default_factory=list)  # its code cells; empty when only its result is left
    metadata: dict = field(default_factory=dict)
    result: Result | dict | None = None  # a result document too (a class's leftovers)
    sha256: str = ""  # of the file handed in


@dataclass
class Pair:
    a: Submitted
    b: Submitted
    score: float
    code: float
    signals: float
    shared: list[str]  # the course signals the two share, strongest first
    left: list[tuple[str, bool]]  # a's own code, (text, matched) pieces
    right: list[tuple[str, bool]]
    cells_same: int = 0  # own cells of a and b the same (names, comments and spacing aside)
    cells: int = 0  # own cells of whichever of a and b has more
    cells_common: int = 0  # of the same ones, how many are common in the class (no evidence)


@dataclass
class ExerciseSimilarity:
    exercise: str
    title: str
    submissions: int
    without_code: int  # submissions compared on their results only (their file was gone)
    pairs: list[Pair]
    flagged: int  # pairs at or above the threshold
    note: str = ""


def handout_for(exercise) -> tuple[Handout, str]:
    """The exercise's handed-out code, or an empty one and why (a missing or broken master)."""
    try:
        return handout_of(exercise.master), ""
    except Exception as exc:  # noqa: BLE001 - the report still compares, with the handout in the weights
        return Handout(), (f"the master notebook {exercise.master} could not be read ({type(exc).__name__}), so the "
                           "handed-out code is not removed; code everyone has weighs nothing all the same")


def compare_exercise(exercise, subs: list[Submitted], top: int = TOP, threshold: float = THRESHOLD,
                     passages: bool = True) -> ExerciseSimilarity:
    """The listed pairs of one exercise; `passages=False` leaves their code out (a benchmark that
    ranks every pair needs only the scores)."""
    handout, note = handout_for(exercise)
    own = [own_code(s.cells, handout) for s in subs]
    alphabet = fps.Alphabet()
    names = [own_names(bounded(s.cells), handout) for s in subs]
    prints = [fps.fingerprint(code, mine, alphabet) for code, mine in zip(own, names)]
    weights = fps.rarity(prints)
    named = [fps.fingerprint(code, set(), alphabet) for code in own]  # the student's names kept as they are
    code = fps.blended_scores(fps.code_scores(prints, weights), fps.code_scores(named, fps.rarity(named)))
    cells = [own_cells(bounded(s.cells), handout) for s in subs]
    lines = [answers.commented_lines(c, mine) for c, mine in zip(cells, names)]
    comments, commented_alike = answers.comment_evidence(lines)
    statements = [answers.cell_units(own_statements(bounded(s.cells), handout), mine) for s, mine in zip(subs, names)]
    answer = answers.answer_scores(answers.answer_evidence(statements) + comments)
    found_in, found_common, cells_of = answers.cells_found(statements)  # the plain count beside the score
    code = code * answers.line_coverage([set(m) for m in lines])
    code = 1.0 - (1.0 - code) * (1.0 - answer)  # either view alone can raise it
    tasks = [(t.build, t.settings) for t in exercise.training.tasks.values()] if exercise.training else []
    given_seeds = {seed for line in handout.lines for _, seed in sig.SEED_CALL.findall(line)}
    signal_sets = []
    for s, mine in zip(subs, own):
        found = sig.result_signals(s.result) + sig.variant_signals(s.metadata) + sig.file_signals(s.sha256)
        if exercise.training:
            found += sig.training_signals(bounded(s.cells), mine, tasks, given_seeds)
        signal_sets.append(found)
    signal_weights = sig.SignalWeights(signal_sets)

    candidates = []
    for i in range(len(subs)):
        for j in range(i + 1, len(subs)):
            if subs[i].student == subs[j].student:
                continue
            signal_score, shared = sig.shared(signal_sets[i], signal_sets[j], signal_weights)
            if commented_alike[i, j]:
                shared = [*shared, f"the same comment on {commented_alike[i, j]} of their lines"]
            c = float(np.clip(code[i, j], 0.0, 1.0)) if math.isfinite(code[i, j]) else 0.0
            score = 1.0 - (1.0 - c) * (1.0 - signal_score)
            candidates.append((score, c, signal_score, shared, i, j))
    candidates.sort(key=lambda x: (-x[0], subs[x[4]].student, subs[x[5]].student))
    flagged = sum(1 for x in candidates if x[0] >= threshold)
    pairs = []
    for score, c, signal_score, shared, i, j in candidates[: min(max(top, flagged), MAX_LISTED)]:
        left, right = fps.passages(prints[i], prints[j], weights) if passages else ([], [])
        pairs.append(Pair(subs[i], subs[j], round(score, 4), round(c, 4), round(signal_score, 4), shared, left, right,
                          *answers.cells_same(i, j, found_in, found_common, cells_of)))
    return ExerciseSimilarity(exercise.id, exercise.title, len(subs), sum(1 for s in subs if not s.cells),
                              pairs, flagged, note)


def compare_class(subs: list[Submitted], course, top: int = TOP, threshold: float = THRESHOLD,
                  passages: bool = True) -> list[ExerciseSimilarity]:
    """Every exercise of `course` with at least two submissions, in the course's order."""
    out = []
    for exercise in course.exercises:
        mine = [s for s in subs if s.exercise == exercise.id]
        if len({s.student for s in mine}) >= 2:
            out.append(compare_exercise(exercise, mine, top, threshold, passages))
    return out
