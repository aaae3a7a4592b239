"""Answer by answer: how many of two students' answers are the same, and how rare each is.

The pooled code score (fingerprints.py) divides what two notebooks share by all that each
holds, so a copier who rewrote one long answer dilutes four answers copied verbatim. Here
each own-code cell (an answer, or a print or check a student added) is one unit, written as
a key that a disguise does not change: its lines without comments and whitespace, the names
the student chose written `V`, the rest (numbers, strings, library names) as it is. Two
submissions share a unit when they hold the same key; a unit counts log(N / df) (df: the
submissions that hold it), nothing when more than SHARE_CAP of the class holds it. The answer
score of a pair is 1 - exp(-shared weight / SCALE): four rare answers the same is strong
evidence whatever else either notebook holds; the textbook one-liners everyone writes are none.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

SCALE = 8.0  # shared weight for a score of 1 - 1/e: about three answers held by two students of 32
SHARE_CAP = 0.15  # a unit held by more than this share of the class is no evidence
NAME = re.compile(r"[A-Za-z_]\w*")


def unit_keys(cells: list[tuple[list[str], list[str]]], names: set[str]) -> set[str]:
    """The keys of one submission's own cells (own_code.own_cells), its own names as `V`."""
    return {"\n".join(NAME.sub(lambda m: "V" if m.group(0) in names else m.group(0), k) for k in keys)
            for _, keys in cells}


def common_units(units: list[set[str]]) -> set[str]:
    """The units more than SHARE_CAP of the class holds: the textbook forms, no evidence."""
    df = Counter(k for keys in units for k in keys)
    cap = max(2, round(SHARE_CAP * len(units)))
    return {k for k, c in df.items() if c > cap}


def cells_same(a: set[str], b: set[str], common: set[str]) -> tuple[int, int, int]:
    """(own cells of the two that are the same, own cells of the one with more, how many of the
    same ones are common in the class): the plain count beside a score that a teacher can check."""
    same = a & b
    return len(same), max(len(a), len(b)), len(same & common)


def answer_scores(units: list[set[str]]) -> np.ndarray:
    """The N x N matrix of answer scores (the diagonal is meaningless)."""
    n = len(units)
    df = Counter(k for keys in units for k in keys)
    cap = max(2, round(SHARE_CAP * n))
    weight = {k: math.log(n / c) for k, c in df.items() if 2 <= c <= cap}
    holders: dict[str, list[int]] = {}
    for i, keys in enumerate(units):
        for k in keys:
            if k in weight:
                holders.setdefault(k, []).append(i)
    shared = np.zeros((n, n))
    for k, who in holders.items():
        idx = np.array(who)
        shared[np.ix_(idx, idx)] += weight[k]
    return 1.0 - np.exp(-shared / SCALE)
