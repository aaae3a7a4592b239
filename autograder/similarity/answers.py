"""Answer by answer: how many of two students' answers are the same, and how rare each is.

The pooled code score (fingerprints.py) divides what two notebooks share by all that each
holds, so a copier who rewrote one long answer dilutes four answers copied verbatim. Here
each own-code cell (an answer, or a print or check a student added) is one unit, and a cell is
the set of its top-level statements (own_code.own_statements: a whole `def`, `for` or `with`
block is one statement), each written as a key that a disguise does not change: its lines
without comments and whitespace, the names the student chose written `V`, the rest (numbers,
strings, library names) as it is. A cell of one submission is found in another when the other
wrote every statement of it, in whatever cells: merging the answers into one cell, splitting
one over two, putting a print into an answer or a line into the next cell moves the cell
boundaries and leaves every statement where a copy of the source's cells finds it. Units stay
whole cells, not lines or statements: most statements of an answer come together (who wrote the
textbook form of an answer wrote all of its lines), so counting each would count one choice many
times, and honest students share many common lines (a unit per line raised hundreds of honest
pairs over the threshold).

The evidence of a pair is a log-likelihood ratio, copied against written apart (answer_evidence):
each cell found counts log(N / df) (df: the submissions that wrote all its statements; the chance
that an independent writer holds it), a cell found but for its numbers (the epochs changed) the
same with df counted with the numbers written 0, each own cell written differently on the side
that has more of them counts -DIFFER, each statement added to a cell that holds one of the
other's cells whole -STRAY. The answer score of a pair is 1 - exp(-evidence / SCALE): the same
combination of forms most of the class wrote is a likely accident and weighs little; rare answers
alike, and a notebook alike in nearly all of its cells, weigh much. The report's plain count
(cells_found, cells_same) is of the cells of one that the other also wrote, in whatever cells,
for a teacher to check by eye.

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
STRAY = 0.4  # nats against copying per statement added to a cell that holds one of the other's whole
# (chosen on the boundary copies of seeds 5001-5010 and the default ones of 7001-7015: 0.8 lost
# a copy with a line added to every answer below the threshold, for one honest pair less above it)
NAME = re.compile(r"[A-Za-z_]\w*")
NUMBER = re.compile(r"(?<![\w.])(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def line_key(line: str, names: set[str]) -> str:
    """A line as a unit sees it: the names the student chose as `V`, then no comment and no
    whitespace (names first: `for acc in` without its spaces would be one word)."""
    return normalise(NAME.sub(lambda m: "V" if m.group(0) in names else m.group(0), without_comment(line)))


def cells_found(units: list[set[Cell]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N x N: how many own cells of the row the column also wrote, every statement of each in
    whatever cells; N x N: how many of those are common in the class (written by more than
    SHARE_CAP of it); each submission's number of own cells): the plain count beside a score that
    a teacher can check, which a copy that merged or split cells does not hide."""
    n = len(units)
    _, owner, statements, sizes = _containment(units)
    _, held = _found(owner, statements, sizes)
    common = held.sum(axis=1) > max(2, round(SHARE_CAP * n))
    found = np.asarray(owner @ held.astype(float)).round().astype(int)
    found_common = np.asarray(owner @ (held & common[:, None]).astype(float)).round().astype(int)
    return found, found_common, np.asarray(owner.sum(axis=1)).ravel().astype(int)


def cells_same(i: int, j: int, found: np.ndarray, found_common: np.ndarray, cells_of: np.ndarray) -> tuple[int, int, int]:
    """(own cells of the one who wrote more that the other also wrote, that one's own cells, how
    many of those are common in the class); where both wrote as many, the side with more found."""
    sides = [(cells_of[a], found[a, b], found_common[a, b]) for a, b in ((i, j), (j, i))]
    cells, same, common = max(sides)
    return int(same), int(cells), int(common)


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


Cell = frozenset[str]  # an own cell as answer_evidence sees it: the keys of its top-level statements


def cell_units(cells: list[list[list[str]]], names: set[str]) -> set[Cell]:
    """One submission's own cells (own_code.own_statements), each the set of its statements' keys
    (a statement's lines as line_key writes them, joined)."""
    return {frozenset("\n".join(line_key(line, names) for line in statement) for statement in cell)
            for cell in cells}


def _containment(units: list[set[Cell]]) -> tuple[list[Cell], sparse.csr_matrix, sparse.csr_matrix, np.ndarray]:
    """(every distinct cell of the class, which submission holds which cell (N x U), which cell
    holds which statement (U x S), each cell's number of statements)."""
    cells = list(dict.fromkeys(c for keys in units for c in keys))
    index = {c: i for i, c in enumerate(cells)}
    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for i, c in enumerate(cells):
        for statement in c:
            rows.append(i)
            cols.append(vocabulary.setdefault(statement, len(vocabulary)))
    statements = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(max(len(cells), 1), max(len(vocabulary), 1)))
    own_rows = [row for row, keys in enumerate(units) for _ in keys]
    own_cols = [index[c] for keys in units for c in keys]
    owner = sparse.csr_matrix((np.ones(len(own_rows)), (own_rows, own_cols)), shape=(len(units), max(len(cells), 1)))
    sizes = np.asarray(statements.sum(axis=1)).ravel()
    return cells, owner, statements, sizes


def _found(owner: sparse.csr_matrix, statements: sparse.csr_matrix, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(U x N: how many of the cell's statements the submission wrote, anywhere in its notebook;
    U x N: whether it wrote all of them)."""
    written = ((owner @ statements) > 0).astype(float)  # N x S: the statements each submission wrote
    count = np.asarray((statements @ written.T).todense())
    return count, (count >= sizes[:, None]) & (sizes[:, None] > 0)


def answer_evidence(units: list[set[Cell]]) -> np.ndarray:
    """The N x N matrix of each pair's log-likelihood ratio, copied against written apart, from
    their own cells (the diagonal is meaningless).

    A cell of one is found in the other when the other wrote every statement of it, in whatever
    cells: a copier who merged the answers into one cell, split one over two, or put a print into
    an answer still holds every statement of the source's cells. A cell found counts log(N / df)
    (df: the submissions that hold all its statements; the chance that an independent writer
    holds the form the other wrote is df / N, a copier holds it for sure). A cell found but for its
    numbers (a copier who changed the epochs or a seed) counts the same with df counted over the
    statements with their numbers written 0 (more honest students share a form than a form and
    its numbers), and still counts as written differently (`1` and `1.0` are a habit two honest
    students differ in, as often as a setting a copier changed).

    Against it: each cell written differently on the side that has more of them counts -DIFFER. A
    cell of the one is not found in the other; a cell of the other is written differently unless
    it holds a cell of the one whole (the source's cell with a line added, or several merged),
    and then each statement of it the one did not write counts -STRAY (a line added to a copied
    cell is a smaller sign of writing apart than a cell written differently, and still one). A copier keeps nearly all of their source's cells, two independent writers
    differ on most: four textbook cells alike beside one rewritten weigh more than three cells
    alike, two of them unusual, beside three that differ; two honest notebooks that share the few
    forms most of the class wrote weigh little, however many of them there are.

    This is reckoned from either side (whose cells are counted as found: the one who merged
    cells has fewer, each rarer, than their source) and the larger is the evidence; where every
    cell of the two is the same cell, both sides give the plain count of cells alike."""
    n = len(units)
    cells, owner, statements, sizes = _containment(units)
    count, held = _found(owner, statements, sizes)
    weight = np.log(n / np.maximum(held.sum(axis=1), 1))
    # the same cells with their numbers written 0: found but for their numbers
    near_units = [{frozenset(without_numbers(k) for k in c) for c in keys} for keys in units]
    near_cells, near_owner, near_statements, near_sizes = _containment(near_units)
    _, near_held = _found(near_owner, near_statements, near_sizes)
    near_index = {c: i for i, c in enumerate(near_cells)}
    as_near = np.array([near_index[frozenset(without_numbers(k) for k in c)] for c in cells], dtype=int)
    near_held = near_held[as_near] if len(cells) else np.zeros_like(held)
    near_weight = np.log(n / np.maximum(near_held.sum(axis=1), 1))
    found = owner @ (held * weight[:, None])  # N x N: the weight of the row's cells found in the column
    found_near = owner @ ((near_held & ~held) * near_weight[:, None])
    cells_of = np.asarray(owner.sum(axis=1)).ravel()
    missing = cells_of[:, None] - owner @ held.astype(float)  # the row's cells not found in the column
    # which cell holds which whole (c <= d: all of c's statements are in d), then, per submission,
    # the cells that hold one of its cells whole
    overlap = (statements @ statements.T).tocoo()
    whole = overlap.data >= sizes[overlap.row]
    inside = sparse.csr_matrix((np.ones(int(whole.sum())), (overlap.row[whole], overlap.col[whole])), shape=overlap.shape)
    holds = ((owner @ inside) > 0).astype(float).toarray()  # N x U
    other = cells_of[None, :] - holds @ owner.T  # the column's cells written differently from the row
    stray = (holds * (sizes[None, :] - count.T)) @ owner.T  # their statements the row did not write
    one_way = found + found_near - DIFFER * np.maximum(missing, other) - STRAY * stray
    return np.maximum(one_way, one_way.T)


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
