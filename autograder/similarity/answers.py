"""Answer by answer: how many of two students' answers are the same, and how rare each is.

The pooled code score (fingerprints.py) divides what two notebooks share by all that each
holds, so a copier who rewrote one long answer dilutes four answers copied verbatim. Here
each own-code cell (an answer, or a print or check a student added) is one unit, written as
a key that a disguise does not change: its lines without comments and whitespace, the names
the student chose written `V`, the rest (numbers, strings, library names) as it is. Two
submissions share a unit when they hold the same key. The evidence of a pair is a
log-likelihood ratio, copied against written apart (answer_evidence): each unit they share
counts log(N / df) (df: the submissions that hold it; the chance that an independent writer
holds it), a cell alike but for its numbers (the epochs changed) the same with df counted
over the cells alike but for their numbers, each own cell of the one who wrote more that the
other does not share counts -DIFFER. The answer score of a pair is 1 - exp(-evidence / SCALE): the same combination of
forms most of the class wrote is a likely accident and weighs little; rare answers alike, and
a notebook alike in nearly all of its cells, weigh much.

Comments add to it, line by line (comment_evidence): a copier who did not rewrite the comments
keeps each one on its line, while two honest students who comment the same common line say the
same thing only now and then. A line's comment shared counts its rarity in the class (the
comment on that line), times the share of the lines either of the two commented on that they
commented alike: a copy agrees on all of them, two heavy commenters on a few in many.

Line coverage (line_coverage) is how much of the longer own code of the two is the same line
for line (names, comments and spacing aside). compare.py scales the pooled code score by it:
two honest notebooks that share the only two unusual answers either holds score high on the
pooled overlap, but each holds many lines the other does not (prints, checks, other forms),
while a copy holds nearly all of its source's lines.
"""

from __future__ import annotations

import io
import math
import re
import tokenize
from collections import Counter

import numpy as np
from scipy import sparse

from autograder.similarity.own_code import without_comment, normalise

SCALE = 8.0  # shared weight for a score of 1 - 1/e: about three answers held by two students of 32
SHARE_CAP = 0.15  # a unit held by more than this share of the class is common (the report's count says so)
DIFFER = 1.3  # nats against copying per own cell the two did not write alike
NAME = re.compile(r"[A-Za-z_]\w*")
NUMBER = re.compile(r"(?<![\w.])(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def line_key(line: str, names: set[str]) -> str:
    """A line as a unit sees it: the names the student chose as `V`, then no comment and no
    whitespace (names first: `for acc in` without its spaces would be one word)."""
    return normalise(NAME.sub(lambda m: "V" if m.group(0) in names else m.group(0), without_comment(line)))


def unit_keys(cells: list[tuple[list[str], list[str]]], names: set[str]) -> set[str]:
    """The keys of one submission's own cells (own_code.own_cells), its own names as `V`."""
    return {"\n".join(line_key(line, names) for line in kept) for kept, _ in cells}


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


def _held(units: list[set[str]]) -> tuple[sparse.csr_matrix, np.ndarray, dict[str, int]]:
    """Which submission holds which unit held by two or more, and each one's weight log(N / df)."""
    n = len(units)
    df = Counter(k for keys in units for k in keys)
    index = {k: i for i, k in enumerate(k for k, c in df.items() if c >= 2)}
    rows, cols = [], []
    for row, keys in enumerate(units):
        for k in keys:
            if k in index:
                rows.append(row)
                cols.append(index[k])
    held = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, max(len(index), 1)))
    weight = np.zeros(max(len(index), 1))
    for k, i in index.items():
        weight[i] = math.log(n / df[k])
    return held, weight, index


def without_numbers(key: str) -> str:
    """A unit's key with every number written 0: the same code with other settings."""
    return NUMBER.sub("0", key)


def answer_evidence(units: list[set[str]]) -> np.ndarray:
    """The N x N matrix of each pair's log-likelihood ratio, copied against written apart, from
    their own cells (the diagonal is meaningless).

    A cell both wrote alike counts log(N / df): the chance that an independent writer holds the
    form the other wrote is df / N, a copier holds it for sure. A cell alike but for its numbers
    (a copier who changed the epochs or a seed) counts the same with df counted over the cells
    alike but for their numbers (more honest students share a form than a form and its numbers),
    and still counts as written differently (`1` and `1.0` are a habit two honest students differ
    in, as often as a setting a copier changed).
    Every cell of the one who wrote more that the other does not hold alike counts -DIFFER: a
    copier keeps nearly all of their source's cells, two independent writers differ on most. So
    four textbook cells alike beside one rewritten weigh more than three cells alike, two of them
    unusual, beside three that differ; and two honest notebooks that share the few forms most of
    the class wrote weigh little, however many of them there are."""
    exact, w_exact, index = _held(units)
    near_units = [{without_numbers(k) for k in keys} for keys in units]
    near, w_near, near_index = _held(near_units)
    # what the cells alike exactly weigh as cells alike but for their numbers (not counted twice)
    w_exact_as_near = np.zeros_like(w_exact)
    for k, i in index.items():
        w_exact_as_near[i] = w_near[near_index[without_numbers(k)]]
    shared = (exact.multiply(w_exact[None, :]) @ exact.T).toarray()
    alike = (exact @ exact.T).toarray()
    shared_near = (near.multiply(w_near[None, :]) @ near.T).toarray() - (exact.multiply(w_exact_as_near[None, :]) @ exact.T).toarray()
    sizes = np.array([len(k) for k in units], dtype=float)
    return (shared + np.maximum(shared_near, 0.0)
            - DIFFER * (np.maximum.outer(sizes, sizes) - alike))


def answer_scores(evidence: np.ndarray) -> np.ndarray:
    """Evidence (answer_evidence, plus comment_evidence) -> a score from 0 to 1 (none below 0)."""
    return 1.0 - np.exp(-np.maximum(evidence, 0.0) / SCALE)


def comment_of(line: str) -> str:
    """A line's comment, lower case and single-spaced ("" when it has none or does not tokenize)."""
    if "#" not in line:
        return ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line.strip()).readline):
            if tok.type == tokenize.COMMENT:
                return " ".join(tok.string.lstrip("#").lower().split())
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return ""
    return ""


def commented_lines(cells: list[tuple[list[str], list[str]]], names: set[str]) -> dict[str, str]:
    """{line key: its comment or ""} of one submission's own lines."""
    out: dict[str, str] = {}
    for kept, _ in cells:
        for line in kept:
            key, text = line_key(line, names), comment_of(line)
            if text or key not in out:
                out[key] = text
    return out


def comment_evidence(lines: list[dict[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """(weight, count): per pair, the rarity of the comments they put on the same lines alike,
    times the share of the lines either commented that both commented alike; and how many."""
    n = len(lines)
    units = [{f"{k}#{t}" for k, t in m.items() if t} for m in lines]
    df = Counter(u for us in units for u in us)
    cap = max(2, round(SHARE_CAP * n))
    weight = {u: math.log(n / c) for u, c in df.items() if 2 <= c <= cap}
    holders: dict[str, list[int]] = {}
    for i, us in enumerate(units):
        for u in us:
            if u in weight:
                holders.setdefault(u, []).append(i)
    pairs = {(a, b) for who in holders.values() for a in who for b in who if a < b}
    evidence, count = np.zeros((n, n)), np.zeros((n, n), dtype=int)
    for a, b in pairs:
        ma, mb = lines[a], lines[b]
        either = [k for k in ma if k in mb and (ma[k] or mb[k])]
        alike = [k for k in either if ma[k] and ma[k] == mb[k]]
        if alike:
            w = sum(weight.get(f"{k}#{ma[k]}", 0.0) for k in alike) * len(alike) / len(either)
            evidence[a, b] = evidence[b, a] = w
            count[a, b] = count[b, a] = len(alike)
    return evidence, count


def line_coverage(lines: list[set[str]]) -> np.ndarray:
    """The N x N matrix of the lines two submissions share over the own lines of the one with more."""
    n = len(lines)
    held, _, _ = _held(lines)  # a line only one submission holds is shared with no one
    shared = (held @ held.T).toarray()
    sizes = np.array([len(k) for k in lines], dtype=float)
    most = np.maximum.outer(sizes, sizes)
    return np.divide(shared, most, out=np.zeros((n, n)), where=most > 0)
