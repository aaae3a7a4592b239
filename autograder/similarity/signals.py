"""The signs of copying this course adds to the code: training recipes, answers, variant blocks.

Each submission gets a set of *signals*, things a copier carries over even when the code is
rewritten:
- in a timed training task, its training recipe: the `TRAINING` settings, the seeds the
  notebook sets, the numbers and strings of its `build_model()` (layer sizes, activations,
  optimizer, learning rate), compared part by part (recipe_match);
- from its result (the gradebook, never graded again): each check's outcome (a right answer,
  or a wrong one with its hint and message, and the wrong value's digest where the judge
  recorded one), and for a training task the trained model's parameter count, epochs and
  held-out metric (the grader trains with the course's seed, so an identical recipe gives
  an identical number);
- a personal-variant block: the same signed block in two students' notebooks is one notebook
  handed in twice (grading calls the second `tampered`; it is listed here beside its source);
  so is the same file, byte for byte.

What many share is no evidence: right answers, the textbook `epochs: 50`. A signal counts for
a pair only when at most a tenth of the exercise's submissions (at least two) hold it, with the
weight log(N / df); two recipes count with the weight of the parts they share (the chance
that all of them agree independently) times the cube of the share of their parts' weight that
is shared (RECIPE_SHARPNESS), so a few rare settings in common beside different layers weigh
little, the whole recipe much: a recipe is one joint choice, and honest students who draw from
the same few textbook settings agree on many of its parts. The signal score is
1 - exp(-shared weight / SCALE):
one rare shared signal is a hint (about 0.3), a whole rare recipe or several rare wrong
answers together approach 1. The same variant block or the same file is 1.
"""

from __future__ import annotations

import ast
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import AbstractSet

from autograder.record.result import CheckResult, Result

SCALE = 6.0
SHARE_CAP = 0.10  # a signal more than this share of the class holds is no evidence
RECIPE_SHARPNESS = 3  # partial recipes: 90% of the weight shared counts 73%, 70% counts 34% (benchmarks/similarity.py)
SEED_CALL = re.compile(r"\b(\w*seed\w*|default_rng|RandomState|PRNGKey|Generator)\s*\(\s*(?:seed\s*=\s*)?(-?\d+)")
MAX_SHOWN = 60  # characters of a shown value


@dataclass(frozen=True)
class Signal:
    key: str  # what must be equal
    text: str  # what the report says when two submissions share it
    parts: tuple[str, ...] = ()  # a conjunction: the keys of the signals it joins
    certain: bool = False  # shared at all means the same file (a signed variant block)
    graded: bool = False  # two submissions share it in part: as many of its parts as coincide
    part_texts: tuple[str, ...] = ()  # what the report says of each part


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def _literal(node):
    """A dict literal or `dict(...)` call of constants, else None."""
    try:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
            return {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
        value = ast.literal_eval(node)
        return value if isinstance(value, dict) else None
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None


def settings_of(cells: list[str], name: str) -> dict | None:
    """The last constant assignment `name = {...}` (or dict(...)) in the notebook's cells."""
    found = None
    for source in cells:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                value = _literal(node.value)
                if value is not None:
                    found = value
    return found


def model_constants(cells: list[str], build: str) -> list[str]:
    """The numbers and strings of the function `build` (the model's layers, sizes, activations,
    optimizer and learning rate), its docstring left out; nothing when it cannot be read."""
    found: list[str | None] = []
    for source in cells:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == build:
                body = node.body[1:] if node.body and isinstance(node.body[0], ast.Expr) and isinstance(
                    getattr(node.body[0], "value", None), ast.Constant) else node.body
                found = [_constant(c.value) for stmt in body for c in ast.walk(stmt) if isinstance(c, ast.Constant)]
    return sorted({c for c in found if c is not None})


def _constant(value) -> str | None:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float)):
        return repr(float(value))
    if isinstance(value, str):
        return repr(value[:MAX_SHOWN])
    return None


def training_signals(cells: list[str], own: str, tasks: list[tuple[str, str]],
                     given_seeds: AbstractSet[str] = frozenset()) -> list[Signal]:
    """The training recipe as one graded signal: its parts are every `TRAINING` setting, every
    seed the notebook sets and every number and string of the model's function (layer sizes,
    activations, optimizer, learning rate). Two recipes count by how much of them coincide
    (RecipeMatch): a rare `epochs` and seed shared with different layers is chance, the whole
    recipe is not. `tasks`: (build function, settings name); `given_seeds`: the seeds the
    handed-out code sets (in every notebook, so no sign of anything)."""
    parts = []
    for build, name in tasks:
        parts += [(f"constant:{build}:{c}", f"{build}: {c}") for c in model_constants(cells, build)]
        values = settings_of(cells, name)
        for k, v in sorted((values or {}).items(), key=lambda kv: str(kv[0])):
            parts.append((f"setting:{name}.{k}={v!r}", f"{name}[{k!r}] = {_short(v)}"))
    for seed in sorted({value for source in cells for _, value in SEED_CALL.findall(source)} - set(given_seeds)):
        parts.append((f"seed:{seed}", f"seed {seed}"))
    if not parts:
        return []
    keys = tuple(k for k, _ in parts)
    return [Signal("recipe:" + "\n".join(keys), "the same training recipe", keys, graded=True,
                   part_texts=tuple(t for _, t in parts))]


def _checks(result: Result | dict | None) -> list[CheckResult]:
    """The checks of a result; of a result document, those that read as checks (a part of one
    is enough: the similarity of two classes' leftovers is still worth a look)."""
    if isinstance(result, Result):
        return result.checks
    rows = result.get("checks") if isinstance(result, dict) else None
    checks = []
    for row in rows if isinstance(rows, list) else []:
        try:
            checks.append(CheckResult.model_validate(row))
        except ValueError:  # pydantic's ValidationError: not a check's result
            continue
    return checks


def result_signals(result: Result | dict | None) -> list[Signal]:
    signals = []
    for check in _checks(result):
        name = check.name
        details = check.details or {}
        points, top = _number(check.points), _number(check.max_points)
        if details.get("metric") and details.get("value") is not None:
            signals.append(Signal(
                f"trained:{name}:{details.get('params')}:{details.get('epochs_requested')}:{details.get('value')}",
                f"{name}: the same trained model (held-out {_short(details['metric'])} {_short(details['value'])}, "
                f"{_short(details.get('params'))} parameters, {_short(details.get('epochs_requested'))} epochs)"))
        elif points is not None and top is not None and points >= top:
            signals.append(Signal(f"right:{name}", f"{name}: both right"))
        else:
            said = check.hint or check.message
            value = details.get("answer")
            key = f"wrong:{name}:{points}:{said}:{value}"
            what = "the same wrong value" if value is not None else "the same wrong answer"
            signals.append(Signal(key, f"{name}: {what} ({_short(said)[1:-1] or 'no hint'})"))
    return signals


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def file_signals(sha256: str) -> list[Signal]:
    """Two students who hand in the same bytes handed in one file."""
    return [Signal(f"file:{sha256}", "the very same file, byte for byte", certain=True)] if sha256 else []


def variant_signals(metadata: dict) -> list[Signal]:
    block = (metadata.get("autograder") or {}).get("variant") if isinstance(metadata.get("autograder"), dict) else None
    if not isinstance(block, dict) or not isinstance(block.get("signature"), str):
        return []
    owner = block.get("student")
    return [Signal(f"variant:{block['signature']}",
                   f"the same signed personal variant block (made for {_short(owner)})", certain=True)]


class SignalWeights:
    """The weight of each signal among one exercise's submissions."""

    def __init__(self, signal_sets: list[list[Signal]]):
        self.n = max(len(signal_sets), 2)
        self.df: Counter[str] = Counter()
        for signals in signal_sets:
            self.df.update({key for s in signals for key in (s.key, *s.parts)})
        self.cap = max(2, round(SHARE_CAP * self.n))

    def weight(self, signal: Signal) -> float:
        df = self.df[signal.key]
        if signal.certain:  # one file handed in by two: however many others did the same
            return math.inf if df >= 2 else 0.0
        if df < 2 or df > self.cap:
            return 0.0
        if signal.parts:
            return sum(math.log(self.n / max(self.df[p], 1)) for p in signal.parts)
        return math.log(self.n / df)


def recipe_match(a: Signal, b: Signal, weights: SignalWeights) -> tuple[float, str]:
    """(weight, text) of two graded recipes: the weight of the parts they share times the share
    of their parts' weight that is shared (a weighted Jaccard index) to the power
    RECIPE_SHARPNESS, so that a rare epochs and seed shared beside different layers, optimizer
    and activation count for a small fraction, and the whole recipe for all of its parts."""
    common = set(a.parts) & set(b.parts)
    if not common:
        return 0.0, ""
    weight = {p: math.log(weights.n / max(weights.df[p], 1)) for p in set(a.parts) | set(b.parts)}
    shared_w, union_w = sum(weight[p] for p in common), sum(weight.values())
    if shared_w <= 0:
        return 0.0, ""
    texts = dict(zip(a.parts, a.part_texts))
    shown = [texts.get(p, p) for p in sorted(common, key=lambda p: -weight[p])][:12]
    what = "the whole training recipe" if set(a.parts) == set(b.parts) else \
        f"the same training recipe in {len(common)} of {len(set(a.parts) | set(b.parts))} parts"
    return shared_w * (shared_w / union_w) ** RECIPE_SHARPNESS, f"{what} ({', '.join(shown)})"


def shared(a: list[Signal], b: list[Signal], weights: SignalWeights) -> tuple[float, list[str]]:
    """(signal score, what the pair shares, strongest first)."""
    keys_b = {s.key for s in b}
    graded_b = [s for s in b if s.graded]
    found = []
    for s in {x.key: x for x in a}.values():
        if s.graded:
            for other in graded_b:
                w, text = recipe_match(s, other, weights)
                if w > 0:
                    found.append((w, text))
        elif s.key in keys_b:
            w = weights.weight(s)
            if w > 0:
                found.append((w, s.text))
    found.sort(key=lambda x: -x[0])
    total = sum(w for w, _ in found)
    score = 1.0 if math.isinf(total) else 1.0 - math.exp(-total / SCALE)
    return score, [text for _, text in found]
