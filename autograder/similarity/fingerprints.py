"""How alike two students' own code is, weighted by how rare what they share is in the class.

The fingerprints are copydetect's (a maintained implementation of winnowing, the method of
MOSS): the code is tokenised by pygments, variable names become `V`, function names `F`,
comments and whitespace go, and each run of K characters of what is left is hashed. Only the
names the student chose become `V` here (own_code.own_names); the names every notebook shares
(`np.exp`, `sigmoid`) and strings keep their identity, one character each. Renamed variables,
changed comments and re-indented code therefore give the same fingerprints, and since a
submission's fingerprints are a set (and its cells in a canonical order), reordered cells
change nothing.

What copydetect does not know is the class. In a short exercise every honest student writes
`p = sigmoid(z)`; sharing it says nothing. Each fingerprint is therefore weighted by its
rarity among the exercise's submissions, log(N / df) (df: how many submissions hold it), as
in information retrieval: one held by everyone weighs nothing, one held by two of thirty
weighs log 15. The code score of a pair is the weight of the rare fingerprints they share
(held by at most COMMON_SHARE of the class, or two) over the geometric mean of their own weights
(each plus a small prior, so two nearly blank notebooks do not reach 1 on one shared line):

    code(A, B) = shared_rare(A, B) / sqrt((W(A) + prior) * (W(B) + prior))

1 means all of both students' own code is the same, rare code; 0 means nothing in common
beyond what many in the class wrote. Common fingerprints count in W but never as shared: two
honest notebooks made of the same common answers are alike by accident, and without this
rule the ratio would call them as alike as a copy (their weights cancel). The same is computed once more with the names the student chose kept as they are (a copy
that was not renamed shares them; two honest students rarely chose the same ones), and the
two scores are blended (blended_scores). The pairwise sums are one sparse matrix product, so 200
submissions cost a fraction of a second.
"""

from __future__ import annotations

import copy
import io
import math
from collections import Counter

import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import get_document_fingerprints, get_token_coverage
from pygments import lexers, token
from scipy import sparse

PYTHON = lexers.get_lexer_by_name("python")

K = 12  # characters of filtered code per fingerprint: `V=V*V+V*V+V` is 11; answers here are short
WINDOW = 1  # keep every k-gram: the notebooks are small, and a window would drop short answers
NAMED_SHARE = 0.4  # of the code score from the fingerprints with the student's own names kept
PRIOR_FINGERPRINTS = 4  # the prior added to W: this many fingerprints held by no one else
COMMON_SHARE = 0.15  # a fingerprint more than this share of the class holds is shared by accident
MAX_PASSAGE_CHARS = 6_000  # of each side's own code shown in the report


VARIABLE_TOKENS = {token.Name, token.Name.Variable, token.Name.Attribute}
ONE_CHAR_TOKENS = (token.Name.Function, token.Name.Class)


class Alphabet(dict):
    """One character of Unicode's private use area per kept name, the same for a whole exercise:
    a kept name takes one character, as copydetect's `V` does, so its offsets stay right."""

    def char(self, name: str) -> str:
        if name not in self:
            self[name] = chr(0xE000 + len(self) % 6400)
        return self[name]


def _keep_names(code: str, filtered: str, own_names: set[str], alphabet: Alphabet) -> str | None:
    """copydetect's filtered code with every name the student did not choose, and every string,
    written as itself (one character each).

    copydetect turns every name into `V` and every string into `S`. A copier can rename only
    what they named themselves; `np.exp`, `sigmoid`, `p_vec`, `model.add` are the same in every
    notebook, and which of them a line uses tells two honest students apart, as the words of
    their messages do. None when the tokens do not line up with copydetect's output (another
    copydetect version): its filtered code is then kept."""
    out = list(filtered)
    at = 0
    for kind, text in PYTHON.get_tokens(code):
        if kind in VARIABLE_TOKENS:
            if at >= len(out) or out[at] != "V":
                return None
            if text not in own_names:
                out[at] = alphabet.char(text)
            at += 1
        elif kind in token.Literal.String:
            if at >= len(out) or out[at] not in "S\"":
                return None
            if out[at] == "S":
                out[at] = alphabet.char("S" + text)
            at += 1
        elif any(kind in parent for parent in ONE_CHAR_TOKENS) or kind in (token.Comment.Preproc, token.Comment.Hashbang):
            at += 1
        elif kind in token.Text or kind in token.Comment:
            continue
        else:
            at += len(text)
    return "".join(out) if at == len(out) else None


def fingerprint(code: str, own_names: set[str] | None = None, alphabet: Alphabet | None = None) -> CodeFingerprint:
    """copydetect's fingerprint of `code`; with `own_names`, only those names are anonymous."""
    fp = CodeFingerprint("own_code.py", K, WINDOW, fp=io.StringIO(code), language="python")
    if own_names is not None:
        filtered = _keep_names(code, fp.filtered_code, own_names, alphabet if alphabet is not None else Alphabet())
        if filtered is not None:
            fp.filtered_code = filtered
            fp.hashes, fp.hash_idx = get_document_fingerprints(filtered, K, WINDOW)
            fp.token_coverage = get_token_coverage(fp.hash_idx, K, len(filtered))
    return fp


def rarity(fingerprints: list[CodeFingerprint]) -> dict[int, float]:
    """{hash: log(N / df)} over one exercise's submissions."""
    n = len(fingerprints)
    counts = Counter(h for fp in fingerprints for h in fp.hashes)
    return {h: math.log(n / df) for h, df in counts.items()}


def code_scores(fingerprints: list[CodeFingerprint], weights: dict[int, float]) -> np.ndarray:
    """The N x N matrix of code scores (the diagonal is meaningless)."""
    n = len(fingerprints)
    if n < 2:
        return np.zeros((n, n))
    index = {h: i for i, h in enumerate(weights)}
    rows: list[int] = []
    cols: list[int] = []
    for row, fp in enumerate(fingerprints):
        rows.extend([row] * len(fp.hashes))
        cols.extend(index[h] for h in fp.hashes)
    held = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, len(index)))
    w = np.array([weights[h] for h in index], dtype=float)
    held_by_at_most = max(2, round(COMMON_SHARE * n))  # two, in a small class
    rare = np.where(w >= math.log(n / held_by_at_most) - 1e-9, w, 0.0)
    shared = (held.multiply(rare[None, :]) @ held.T).toarray()
    own = held @ w
    prior = PRIOR_FINGERPRINTS * math.log(n)
    return shared / np.sqrt(np.outer(own + prior, own + prior))


def blended_scores(anonymous: np.ndarray, named: np.ndarray) -> np.ndarray:
    """The code score from both fingerprintings: (1 - NAMED_SHARE) anonymous + NAMED_SHARE named.

    Anonymous names make a renamed copy match; but two honest students who chose the same
    common idiom for an answer then match as well, while the names each of them picked (`acc`,
    `total`, `grads`) differ. A copy that kept the names shares those too, weighted by their
    rarity like everything else. A renamed copy keeps most of its score through the anonymous
    part (benchmarks/similarity.py measures the blend over several seeds)."""
    return (1.0 - NAMED_SHARE) * anonymous + NAMED_SHARE * named


def _segments(code: str, slices) -> list[tuple[str, bool]]:
    """`code` cut into (text, matched) pieces along copydetect's slices, merged and bounded."""
    pieces, at = [], 0
    spans = sorted(zip(slices[0].tolist(), slices[1].tolist())) if len(slices) and len(slices[0]) else []
    for start, end in spans:
        start, end = max(start, at), min(end, len(code))
        if end <= start:
            continue
        if start > at:
            pieces.append((code[at:start], False))
        pieces.append((code[start:end], True))
        at = end
    if at < len(code):
        pieces.append((code[at:], False))
    shown, total = [], 0
    for text, matched in pieces:
        if total >= MAX_PASSAGE_CHARS:
            shown.append(("\n[... cut ...]", False))
            break
        shown.append((text[: MAX_PASSAGE_CHARS - total], matched))
        total += len(text)
    return shown


def passages(a: CodeFingerprint, b: CodeFingerprint, weights: dict[int, float]):
    """Both sides' own code as (text, matched) pieces, matched = the rarer shared fingerprints
    (those most of the class holds are not marked: they are no evidence)."""
    evidence = {h for h in a.hashes & b.hashes if weights.get(h, 0.0) > math.log(2)}
    left, right = copy.copy(a), copy.copy(b)
    left.hashes, right.hashes = a.hashes & evidence, b.hashes & evidence
    _, _, (slices_a, slices_b) = compare_files(left, right)
    return _segments(a.raw_code, slices_a), _segments(b.raw_code, slices_b)
