"""Hints derived from the reference: the mistakes nobody listed, found by trying them.

An exercise lists its typical mistakes (`mistakes=` of a check); a class makes more. When a
wrong answer matches none of the listed ones, the judge tries generic transformations of the
reference, computed on the student's own inputs (the arguments of the call, or the student's
own earlier answers where an answer builds on them): the sign flipped, the result or one input
transposed, the other axis, the whole array at once instead of row by row, one input left out
(a bias, a term), two inputs swapped, a common factor (2, n, ln 2, ln 10), off by one, another
activation or its derivative, the answer of another question of the exercise, and for a value
computed from the student's own numbers, one given number used where another belongs, two
swapped or one left out; a result that lost its input's shape, and one wrong part of a pair.

A derived hint is said only when exactly one explanation fits, in every wrong call: a hint that
could be wrong is worse than none. Each candidate is a `Candidate(hint, value)`, `value` a
function computing the wrong answer that mistake would give (it may raise: a mistake that does
not apply to these inputs), so the candidates are cheap to list and computed only when needed.

One concept: a wrong answer explained by a mistake nobody listed. Every function here lists the
candidate mistakes of one kind (on the result, on the inputs, on the given numbers, another
activation) or picks the one explanation among them; a hint read from a raised error's text is
another concept, judge/error_hints.py.
"""

from __future__ import annotations

import inspect
import types
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np


@dataclass(frozen=True)
class Candidate:
    hint: str
    value: Callable[[], Any]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# Activations (and derivatives) a week-1 answer may give instead of the one asked for:
# {name in words: function of an array}. Leaky ReLU with the slopes of torch (0.01) and
# Keras (0.3, older 0.2) and the common 0.1.
ACTIVATIONS: dict[str, Callable] = {
    "the identity (no activation)": lambda x: x,
    "the sigmoid": _sigmoid,
    "tanh": np.tanh,
    "ReLU": lambda x: np.maximum(x, 0),
    **{f"leaky ReLU (slope {a} below 0)": (lambda a: lambda x: np.where(x > 0, x, a * x))(a) for a in (0.01, 0.1, 0.2, 0.3)},
    "the absolute value": np.abs,
    "the sigmoid's derivative": lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
    "tanh's derivative": lambda x: 1 - np.tanh(x) ** 2,
    "ReLU's derivative (the step)": lambda x: (x > 0).astype(float),
    "ReLU's derivative with 1 at x = 0": lambda x: (x >= 0).astype(float),
}


def _array(value) -> np.ndarray | None:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return array


def _names(function: Callable, count: int) -> list[str]:
    """The names of a function's first `count` parameters (`a`, `b`, ... where unknown)."""
    try:
        names = [p.name for p in inspect.signature(function).parameters.values()][:count]
    except (TypeError, ValueError):
        names = []
    return names + [f"argument {i + 1}" for i in range(len(names), count)]


def output_candidates(expected: Callable[[], Any], sizes: Iterable[int] = ()) -> list[Candidate]:
    """Mistakes visible on the result alone: its sign, its orientation and shape, a factor."""
    def of(transform):
        return lambda: transform(np.asarray(expected(), dtype=float))

    out = [
        Candidate("the sign is flipped", of(lambda e: -e)),
        Candidate("the result is transposed", of(lambda e: e.T if e.ndim == 2 and e.shape[0] != e.shape[1] else None)),
        Candidate("the result is twice what it should be (a factor 2 too many)", of(lambda e: 2 * e)),
        Candidate("the result is half what it should be (a factor 2 is missing)", of(lambda e: e / 2)),
        Candidate("a base-2 logarithm was used where the natural logarithm, np.log, belongs", of(lambda e: e / math.log(2))),
        Candidate("a base-10 logarithm, np.log10, was used where the natural logarithm, np.log, belongs",
                  of(lambda e: e / math.log(10))),
        Candidate("off by one: the result is one more than it should be",
                  of(lambda e: e + 1 if np.all(e == np.round(e)) else None)),
        Candidate("off by one: the result is one less than it should be",
                  of(lambda e: e - 1 if np.all(e == np.round(e)) else None)),
    ]
    # One text whatever n is: calls of other sizes are explained by the same mistake.
    for n in sorted({int(n) for n in sizes if int(n) > 2}):
        out.append(Candidate("the values were added up where their mean is asked (the result is n times too large, "
                             "n the number of values)", of(lambda e, n=n: e * n)))
        out.append(Candidate("the mean was taken where the values are to be added up (the result is n times too "
                             "small, n the number of values)", of(lambda e, n=n: e / n)))
    return out


def input_candidates(reference: Callable, args: Sequence, names: Sequence[str] | None = None) -> list[Candidate]:
    """Mistakes made on the inputs: the reference computed on altered inputs (an input
    transposed, left out, two swapped, every input turned, the rows run together)."""
    names = list(names) if names is not None else _names(reference, len(args))
    arrays = [isinstance(a, np.ndarray) for a in args]
    out = []

    def call(*new):
        return lambda: reference(*new)

    matrices = [i for i, a in enumerate(args) if arrays[i] and a.ndim == 2]
    for i in matrices:
        new = list(args)
        new[i] = args[i].T
        out.append(Candidate(f"`{names[i]}` is used transposed: mind which axis holds the examples and which the features",
                             call(*new)))
    if matrices:
        turned = [a.T if arrays[i] and a.ndim == 2 else a for i, a in enumerate(args)]
        out.append(Candidate("the computation ran along the other axis: the rows are the examples, the columns "
                             "the classes or features; use axis=-1 (or axis=1) for each row",
                             lambda: _turned_back(reference(*turned))))
    for i, arg in enumerate(args):
        if arrays[i] and arg.ndim >= 1 and arg.size > 1:
            new = list(args)
            new[i] = arg.reshape(-1)
            shape = arg.shape
            if arg.ndim == 2:
                out.append(Candidate(f"`{names[i]}` was taken as one flat array, so the rows got mixed: work along the last "
                                     "axis, one result per row (axis=-1)",
                                     (lambda new, shape: lambda: _reshaped(reference(*new), shape))(new, shape)))
        if arrays[i] or isinstance(arg, (int, float, np.number)) and not isinstance(arg, bool):
            negated = list(args)
            negated[i] = -np.asarray(arg, dtype=float) if arrays[i] else -float(arg)
            out.append(Candidate(_negated_words(reference, args, names[i]), call(*negated)))
            new = list(args)
            new[i] = np.zeros_like(arg, dtype=float) if arrays[i] else 0.0
            out.append(Candidate(f"`{names[i]}` was left out of the computation", call(*new)))
    for i in range(len(args)):
        for j in range(i + 1, len(args)):
            if arrays[i] == arrays[j] and np.shape(args[i]) == np.shape(args[j]):
                new = list(args)
                new[i], new[j] = args[j], args[i]
                out.append(Candidate(f"`{names[i]}` and `{names[j]}` are swapped", call(*new)))
    return out


def _negated_words(reference: Callable, args: Sequence, name: str) -> str:
    """What a flipped input means: for an index (argmax), the least where the largest is meant."""
    try:
        value = np.asarray(reference(*args))
    except Exception:  # noqa: BLE001
        value = np.asarray(0.5)
    if value.dtype.kind in "iu":
        return "the least was taken where the largest is meant (np.argmin for np.argmax, or min for max)"
    return f"`{name}` is used with its sign flipped"


def _turned_back(value):
    array = np.asarray(value, dtype=float)
    return array.T if array.ndim == 2 else array


def _reshaped(value, shape):
    array = np.asarray(value, dtype=float)
    if array.size == int(np.prod(shape)):
        return array.reshape(shape)
    return array.reshape(-1)[0] if array.size == 1 else array


def activation_candidates(reference: Callable, args: Sequence, function: str) -> list[Candidate]:
    """For a function of one array (an activation): another activation or derivative in its place."""
    if len(args) != 1 or not isinstance(args[0], np.ndarray):
        return []
    x = args[0]
    expected = _array(reference(x))
    own = [name for name, f in ACTIVATIONS.items() if expected is not None and _close(f(x), expected)]
    asked = f"; `{function}` should be {own[0]}" if len(own) == 1 else ""
    return [Candidate(f"this is {name}{asked}", (lambda f: lambda: f(x))(f))
            for name, f in ACTIVATIONS.items() if name not in own]


_PROBE = np.linspace(-3.0, 3.0, 13)
_ORDINALS = ["first", "second", "third", "fourth"]


def _activations_used(reference: Callable) -> dict[str, str]:
    """{global name: activation in words} of the module-level functions of one argument, in the
    reference's own module, that compute an activation of the catalogue (`sigmoid`, `relu`)."""
    names = {}
    module = getattr(reference, "__module__", None)
    for name, value in list(getattr(reference, "__globals__", {}).items()):
        if not isinstance(value, types.FunctionType) or value is reference or value.__module__ != module:
            continue
        try:
            if len(inspect.signature(value).parameters) != 1:
                continue
            with np.errstate(all="ignore"):
                out = value(_PROBE.copy())
        except Exception:  # noqa: BLE001 - a function that is no activation
            continue
        own = [words for words, f in ACTIVATIONS.items() if _close(out, f(_PROBE))]
        if own:
            names[name] = own[0]
    return names


def _rebuilt(reference: Callable, name: str, replace: Callable[[Callable], Callable]) -> Callable:
    """`reference` with its module's function `name` replaced by `replace(original)`, also inside
    the module's other functions it calls (each rebuilt on one copy of the module's globals;
    the module itself is not touched, so parallel gradings do not see it)."""
    original = reference.__globals__
    namespace = dict(original)
    for key, value in original.items():
        if isinstance(value, types.FunctionType) and value.__module__ == reference.__module__:
            namespace[key] = types.FunctionType(value.__code__, namespace, value.__name__, value.__defaults__, value.__closure__)
    namespace[name] = replace(original[name])
    return types.FunctionType(reference.__code__, namespace, reference.__name__, reference.__defaults__, reference.__closure__)


def swapped_activation_candidates(reference: Callable, args: Sequence) -> list[Candidate]:
    """For a computation that uses an activation (a network, a gradient): another activation in
    its place, everywhere, or at one of its uses (one layer of several)."""
    if not isinstance(reference, types.FunctionType):
        return []
    out = []
    for name, words in _activations_used(reference).items():
        calls = [0]

        def counting(original, calls=calls):
            def counted(x):
                calls[0] += 1
                return original(x)
            return counted

        try:
            with np.errstate(all="ignore"):
                _rebuilt(reference, name, counting)(*args)
        except Exception:  # noqa: BLE001
            continue
        uses = calls[0]
        for other, f in ACTIVATIONS.items():
            if other == words:
                continue
            out.append(Candidate(f"{other} was used where {words} belongs",
                                 (lambda f, name: lambda: _rebuilt(reference, name, lambda _o: f)(*args))(f, name)))
            if 1 < uses <= len(_ORDINALS):
                for k in range(uses):
                    def at_k(original, k=k, f=f):
                        seen = [0]

                        def one(x):
                            seen[0] += 1
                            return f(x) if seen[0] == k + 1 else original(x)
                        return one
                    out.append(Candidate(f"{other} was used where {words} belongs, at the {_ORDINALS[k]} of its {uses} uses "
                                         "(in a network: the layers in order)",
                                         (lambda at_k, name: lambda: _rebuilt(reference, name, at_k)(*args))(at_k, name)))
    return out


def given_number_candidates(value_on: Callable[[dict], Any], own_numbers: Callable[[], dict | None]) -> list[Candidate]:
    """Mistakes made on the numbers the notebook gives the student (their own, signed in): one
    used where another of the same kind belongs (x2 for x1), two swapped, one left out (taken as
    0); the expected value computed again on the numbers so changed (`value_on(numbers)`, cheap:
    the solution's expected(params)). A swap is listed only where it gives another value than
    using either number for the other: else the answer cannot tell them apart, and the one used
    where the other belongs is the plainer words. `own_numbers()`: the student's numbers
    (Solution.student_numbers)."""
    try:
        numbers = dict(own_numbers() or {})
    except Exception:  # noqa: BLE001 - a solution without DEFAULT_VARIANT: no numbers to change
        return []
    given = {name: value for name, value in numbers.items()
             if isinstance(value, (int, float)) and not isinstance(value, bool) and name != "seed"}

    def on(changes: dict):
        try:
            with np.errstate(all="ignore"):
                return value_on(dict(numbers, **changes))
        except Exception:  # noqa: BLE001 - numbers the solution cannot use: no such mistake
            return None

    out = []
    names = list(given)
    for i, a in enumerate(names):
        if given[a]:
            out.append(Candidate(f"`{a}` (the notebook gives {a} = {given[a]:g}) was left out of the computation",
                                 (lambda v: lambda: v)(on({a: type(given[a])(0)}))))
        for b in names[i + 1:]:
            if type(given[a]) is not type(given[b]) or given[a] == given[b]:
                continue
            instead = {(a, b): on({a: given[b]}), (b, a): on({b: given[a]})}
            for (meant, used), value in instead.items():
                out.append(Candidate(f"`{used}` was used where `{meant}` belongs: the notebook gives {meant} = "
                                     f"{given[meant]:g} and {used} = {given[used]:g}", (lambda v: lambda: v)(value)))
            swapped = on({a: given[b], b: given[a]})
            if not any(_close(swapped, value) for value in instead.values()):
                out.append(Candidate(f"`{a}` and `{b}` are swapped: the notebook gives {a} = {given[a]:g} and "
                                     f"{b} = {given[b]:g}", (lambda v: lambda: v)(swapped)))
    return out


def other_answers(others: Iterable[tuple[str, Callable[[], Any]]]) -> list[Candidate]:
    """The answer of another question of the exercise given in this one's place."""
    return [Candidate(f"{OTHER_ANSWER}`{name}`, another question", value) for name, value in others]


OTHER_ANSWER = "this is the answer to "


REDUCED = ("the result lost its input's shape: a reduction of the whole array (np.max, np.sum, np.mean, max) was "
           "used where the function works entry by entry and returns its input's shape (np.maximum, np.exp, ...)")


def reduced_hint(reference: Callable, calls: Sequence[tuple]) -> str:
    """REDUCED when every wrong call of an entry-by-entry function (its result has the shape of its
    array argument) returned fewer axes than its input: np.max(x, 0) for np.maximum(x, 0)."""
    wrong = [(args, got) for args, got, ok, _ in calls if not ok]
    if not wrong:
        return ""
    for args, got in wrong:
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        try:
            expected = _array(reference(*args))
        except Exception:  # noqa: BLE001 - a case the reference refuses: no hint
            return ""
        answer = _array(got)
        if (len(arrays) != 1 or expected is None or answer is None or expected.ndim == 0
                or expected.shape != arrays[0].shape or answer.ndim >= expected.ndim):
            return ""
    return REDUCED


def call_hint(reference: Callable, calls: Sequence[tuple], function: str = "",
              others: Iterable[tuple[str, Callable]] = (), post: Callable[[Any], Any] | None = None) -> str:
    """The one unlisted mistake that explains every wrong call of a student function and agrees
    with every right one, or "". `calls` are (args, the answer in its form, whether right,
    comparison of the answer with a value); `others` are the exercise's other functions
    (name, reference) of the same arguments; `post` turns a value into the answer's form."""
    identity = post is None
    if identity and (reduced := reduced_hint(reference, calls)):
        return reduced
    post = post or (lambda value: value)
    wrong: list[set[str]] = []
    right: list[set[str]] = []
    for args, got, ok, close in calls:
        try:
            expected = post(reference(*args))
        except Exception:  # noqa: BLE001 - a case the reference refuses has no derived mistake
            return ""
        sizes = [n for a in args if isinstance(a, np.ndarray) for n in a.shape]
        candidates = input_candidates(reference, args)
        candidates += activation_candidates(reference, args, function)
        candidates += swapped_activation_candidates(reference, args)
        candidates += other_answers((name, (lambda f: lambda: f(*args))(f)) for name, f in others)
        if not identity:  # the reference's own form turned into the answer's
            candidates = [Candidate(c.hint, (lambda c: lambda: post(c.value()))(c)) for c in candidates]
        candidates = output_candidates((lambda e: lambda: e)(expected), sizes) + candidates
        fits, misfits = fitting(got, candidates, close)
        (right if ok else wrong).append(misfits if ok else fits)
    return one_explanation(wrong, right)


def part_hint(reference: Callable, calls: Sequence[tuple], parts: Sequence[tuple[str, Callable[[Any], Any]]],
              function: str = "", post: Callable[[Any], Any] | None = None) -> str:
    """For a function that returns several values (a gradient's (dw, db), a layer's (W, b)): when
    one part is wrong in every wrong call and every other part is right, the one unlisted mistake
    that explains that part (call_hint), said of it. `parts` are (what the part is, in words;
    the part of a value in the answer's form), `post` turns a value into the answer's form."""
    post = post or (lambda value: value)
    wrong_parts: set[str] = set()
    judged = []  # (args, the answer, the parts it got wrong, comparison), the reference computed once a call
    for args, got, ok, close in calls:
        try:
            expected = post(reference(*args))
            bad = {name for name, take in parts if not close(take(got), take(expected))}
        except Exception:  # noqa: BLE001 - a case the reference refuses, an answer without its parts
            return ""
        if not ok:
            wrong_parts |= bad
        judged.append((args, got, bad, close))
    if len(wrong_parts) != 1:
        return ""
    [(name, take)] = [(n, t) for n, t in parts if n in wrong_parts]
    hint = call_hint(reference, [(args, take(got), name not in bad, close) for args, got, bad, close in judged],
                     function, post=lambda value: take(post(value)))
    return f"{name}: {hint}" if hint else ""


def _close(a, b, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    a, b = _array(a), _array(b)
    return a is not None and b is not None and a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def fitting(got, candidates: Iterable[Candidate], same: Callable[[Any, Any], bool]) -> tuple[set[str], set[str]]:
    """(hints of the candidates whose wrong value equals `got`, hints of those that apply to these
    inputs and give another value)."""
    fits: set[str] = set()
    misfits: set[str] = set()
    for candidate in candidates:
        try:
            with np.errstate(all="ignore"):
                value = candidate.value()
            if value is None:
                continue
            (fits if same(got, value) else misfits).add(candidate.hint)
        except Exception:  # noqa: BLE001 - a mistake that cannot apply to these inputs
            continue
    return fits, misfits - fits


# What a hint of output_candidates says of the result itself (its sign, orientation, a factor, one
# more or less), true of the answer whatever caused it; the other hints name a cause.
RESULT_FACTS = ("the sign is flipped", "the result is transposed", "the result is twice", "the result is half",
                "off by one: the result")


def one_explanation(wrong: Sequence[set[str]], right: Sequence[set[str]] = ()) -> str:
    """The hint that fits every wrong answer and no right one (`right`: the misfits of the
    answers that were right), when exactly one does; else "": never a hint that could be wrong.

    Where several fit, they gave the same values on every call, so the answers cannot tell them
    apart: then a fact about the result, when exactly one fits, is said (the sign flipped: for tanh,
    an odd function, tanh(-x) and -tanh(x) are one answer, and either way its sign is flipped)."""
    if not wrong:
        return ""
    common = set.intersection(*wrong)
    for misfits in right:
        common -= misfits
    if len(common) > 1:  # "this is tanh" and "the answer to `tanh`" fit alike: the same fact, said once
        common = {hint for hint in common if not hint.startswith(OTHER_ANSWER)} or common
    if len(common) > 1:
        facts = {hint for hint in common if hint.startswith(RESULT_FACTS)}
        common = facts if len(facts) == 1 else common
    return common.pop() if len(common) == 1 else ""
