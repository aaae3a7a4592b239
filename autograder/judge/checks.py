"""Checks: the hidden tests of an exercise, run in the grader's own process.

A check asks the sandbox for data (`probes`) and turns the answers into a Verdict (`judge`),
comparing them with the reference solutions in `solutions/`. Nothing the student's code did
can reach this process: it only ever sees the decoded answers.

Most checks are one of two shapes, each with known mistakes that name a hint:

    ValueCheck("p", var="p", expected=sol.P, mistakes={"z given instead of p": sol.Z})
    FunctionCheck("sigmoid", function="sigmoid", cases=..., reference=sol.sigmoid,
                  mistakes={"sign of the exponent flipped": lambda x: 1 / (1 + np.exp(x))})

A check with another shape subclasses Check and writes `probes` and `judge` itself, with the
helpers of `autograder.judge.compare` (how an answer is compared in its form, which known
mistake explains it), which this module also offers to a course's checks.py.

Where an answer builds on an earlier one (p = sigmoid(z), is_fake = p > 0.5), the check is
given an `Upstream`: it also asks for the student's own earlier answers and judges a wrong
answer against them, so that a rule applied correctly to a wrong input is never blamed, and a
course may give error-carried-forward credit for it (`carry_forward` in course.yaml).

One concept: the checks' own classes and how a verdict is made of their answers (the points, the
message, the hint). What each of them leans on lives elsewhere: comparing in a form and matching
listed mistakes in compare.py, the mistakes nobody listed in derived_hints.py, the cause of a
missing answer in missing.py; the Verdict, Check, Upstream, the two common check shapes and the
carry_forward setting stay here, together, because every course's checks.py uses them together.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from autograder.judge.compare import (  # a course's checks.py imports the helpers from here
    FORMS, _finite, _resolve, join_hints, matching_hints, raised_text, same, shape_message, tolerances)
from autograder.judge import derived_hints, error_hints
from autograder.judge.forms import FormError, as_array, describe
from autograder.judge.missing import missing_cause
from autograder.judge.options import checked_options, refuse, with_checked_options
from autograder.judge.variant import FromVariant
from autograder.probe.answers import Answer
from autograder.probe.requests import Call, Var


@dataclass
class Verdict:
    points: float
    message: str = ""  # what was expected of the answer, never the answer itself
    hint: str = ""  # the known mistake that explains the answer, when one does
    details: dict = field(default_factory=dict)  # structured data for the record (plain JSON values)
    # The data of the check's figure (plain JSON, autograder/figures/): a check that knows more than
    # its answers (a trained model's predictions) keeps it here; else the grader collects it.
    figure: dict | None = None


class Check:
    """Base class: a name, the points it is worth, a description a student can read."""

    name: str = ""
    points: float = 1.0
    description: str = ""
    carry_forward: bool = False  # error-carried-forward credit (checks that build on earlier answers)
    figure: str | None = None  # the kind of figure drawn from its verdict's data (autograder/figures/kinds.py)
    # The exercise's checks, this one included (set when checks.py loads, autograder/exercises.py):
    # a wrong answer that is another question's answer is said so (judge/derived_hints.py).
    exercise_checks: tuple = ()

    def probes(self, rng: np.random.Generator) -> dict[str, Any]:
        """The data this check needs, {local key: Var | Call}. `rng` is fresh for every grading."""
        raise NotImplementedError

    def judge(self, answers: Mapping[str, Answer], asked: Mapping[str, Any]) -> Verdict:
        """The verdict on `answers`, {local key: Answer}, to the probes `asked` returned."""
        raise NotImplementedError

    def run(self, answers: Mapping[str, Answer], asked: Mapping[str, Any],
            cells: Sequence[str] = (), outcomes: Sequence[tuple[str, str]] = ()) -> Verdict:
        """judge(), with a form error turned into a zero verdict with its message. `cells` (the
        submission's code cells) and `outcomes` ((status, one-line error) per cell) explain an
        answer that is missing because the cell defining it raised (judge/missing.py)."""
        try:
            verdict = self.judge(answers, asked)
        except FormError as exc:
            verdict = Verdict(0.0, str(exc))
        verdict.points = float(min(max(verdict.points, 0.0), self.points))
        if verdict.points < self.points and not verdict.hint and cells:
            verdict.hint = missing_cause(answers, cells, outcomes)
        return verdict


@with_checked_options  # checked where a checks.py writes it, like a check (judge/options.py)
@dataclass(kw_only=True)
class Upstream:
    """The student's own earlier answers that an answer is computed from.

    `rule` computes the right answer from them, as keyword arguments: `rule=lambda z: sigmoid(z)`
    reads the notebook's `z`. `probes` ({key: Var | Call}) asks for them otherwise (a function's
    result, a variable of another name); `forms` are their forms. `mistakes` are wrong
    rules, {hint: function of the same arguments}. `hint` is said when the answer is the rule
    applied correctly to earlier answers that are wrong; it names those answers.
    """

    rule: Callable[..., Any]
    hint: str
    # {key: Var | Call}, or a function returning it (probes that depend on the variant); by
    # default the notebook variables the rule's parameters name
    probes: dict[str, Any] | Callable[[], dict[str, Any]] | None = None
    forms: dict[str, str] = field(default_factory=dict)
    mistakes: dict[str, Callable[..., Any]] = field(default_factory=dict)
    fails: dict[str, str] = field(default_factory=dict)  # {probe key: hint when it raised and the answer is missing}
    # {probe key: (right value, hint)}: when the answer is missing and that earlier answer is wrong
    wrong: dict[str, tuple[Any, str]] = field(default_factory=dict)

    def __post_init__(self):
        if self.probes is None:
            self.probes = {name: Var(name) for name in inspect.signature(self.rule).parameters}

    def missing_hint(self, answers: Mapping[str, Answer]) -> str:
        """Why the answer may be missing: an earlier answer or function that fails, or is wrong."""
        hints = [hint for key, hint in self.fails.items()
                 if (a := answers.get(f"up:{key}")) is not None and a.error is not None]
        for key, (right, hint) in self.wrong.items():
            answer = answers.get(f"up:{key}")
            if answer is None:
                continue
            try:
                value = FORMS[self.forms.get(key, "number")](answer, key)
                if not same(value, _resolve(right), self.forms.get(key, "number"), 1e-9, 1e-9):
                    hints.append(hint)
            except (FormError, TypeError, ValueError, AttributeError):
                continue
        return join_hints(hints)

    def requests(self) -> dict[str, Any]:
        probes = self.probes
        return probes() if callable(probes) else dict(probes or {})

    def values(self, answers: Mapping[str, Answer]) -> dict | None:
        """The earlier answers, in their forms, or None when one is missing or unreadable."""
        values = {}
        for key in self.requests():
            if key in self.wrong:  # asked only to explain a missing answer
                continue
            answer = answers.get(f"up:{key}")
            if answer is None or answer.raised:
                return None
            try:
                values[key] = FORMS[self.forms.get(key, "number")](answer, key)
            except FormError:
                return None
        return values


def answer_digest(got) -> str | None:
    """A short digest of a wrong numeric answer (its shape and values to 6 significant digits),
    kept in the result so that `autograder similarity` can tell two students who got the same
    wrong number from two who got it wrong differently; None for an answer that is not numbers."""
    try:
        values = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return None
    if values.size > 100_000:
        return None
    text = f"{values.shape}:" + ",".join(f"{v:.6g}" for v in values.ravel())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@with_checked_options
@dataclass
class BuildsOn:
    """The student's own function a function check's answer is computed from (tanh_grad from
    tanh): called on the same inputs in the sandbox; `rule(own result, *args)` is the answer that
    follows from it; `hint` is said when a wrong answer follows from a wrong own function."""

    function: str
    rule: Callable[..., Any]
    hint: str


class ValueCheck(Check):
    """The value of one notebook variable, `var` (by default the check's name), against a
    reference value."""

    @checked_options
    def __init__(
        self,
        name: str,
        *,
        var: str | None = None,
        expected: Any,
        points: int | float = 1.0,
        form: str = "number",
        rtol: int | float = 1e-3,
        atol: int | float = 1e-6,
        description: str = "",
        mistakes: Mapping[str, Any] | None = None,
        upstream: Upstream | None = None,
        figure: str | None = None,
    ):
        self.name, self.var, self.expected, self.points = name, name if var is None else var, expected, points
        self.figure = figure
        self.form, self.rtol, self.atol = _known_form(self, form), rtol, atol
        self.description = description or f"the value of `{self.var}`"
        self.mistakes = dict(mistakes or {})
        self.upstream = upstream

    def probes(self, rng):
        probes = {"value": Var(self.var)}
        if self.upstream is not None:
            probes.update({f"up:{key}": probe for key, probe in self.upstream.requests().items()})
        return probes

    def _same(self, got, expected, rtol=None, atol=None) -> bool:
        try:
            return same(got, expected, self.form, self.rtol if rtol is None else rtol, self.atol if atol is None else atol)
        except (TypeError, ValueError):
            return False

    def _same_in_float32(self, value, got, expected) -> bool:
        """Whether a float32 answer equals `expected` within float32's precision (compare.tolerances)."""
        rtol, atol = tolerances(value, expected, self.rtol, self.atol)
        return (rtol, atol) != (self.rtol, self.atol) and self._same(got, expected, rtol, atol)

    def judge(self, answers, asked):
        what = f"`{self.var}`"
        try:
            got = FORMS[self.form](answers["value"], what)
        except FormError as exc:
            hint = self.upstream.missing_hint(answers) if self.upstream and answers["value"].error else ""
            return Verdict(0.0, str(exc), hint)
        expected = _resolve(self.expected)
        if self._same(got, expected) or self._same_in_float32(answers["value"].value, got, expected):
            return Verdict(self.points)
        message = f"{what} is not right: it should be {self.description}"
        if self.form == "array":
            message = shape_message(got, expected, what) or message
        digest = {"answer": answer_digest(got)}  # for the similarity report; shown to no one
        carried = self._from_upstream(got, expected, answers)
        if carried is not None:
            hint, follows = carried
            points = self.points if (follows and self.carry_forward) else 0.0
            if points:
                message = f"{what} follows from your earlier answers, which are not right; credit carried forward"
            return Verdict(points, message, hint or self._derived_hint(got, expected, answers),
                           ({"carried_forward": bool(points)} if follows else {}) | digest)
        return Verdict(0.0, message, self._hint(got) or self._derived_hint(got, expected, answers), digest)

    def _derived_hint(self, got, expected, answers) -> str:
        """A mistake nobody listed, found by transforming the reference (judge/derived_hints.py):
        on the reference value, on the rule applied to the student's own earlier answers, and
        the answers of the exercise's other questions; said only when one explanation fits."""
        if self.form not in ("number", "array"):
            return ""
        candidates = derived_hints.output_candidates(lambda: expected, np.shape(expected))
        upstream = self.upstream
        values = upstream.values(answers) if upstream is not None else None
        if upstream is not None and values:
            names = list(values)
            rule = upstream.rule

            def positional(*args):
                return rule(**dict(zip(names, args)))

            own = list(values.values())
            candidates += derived_hints.input_candidates(positional, own, names)
            candidates += derived_hints.output_candidates(lambda: positional(*own))
        if isinstance(self.expected, FromVariant):
            candidates += derived_hints.given_number_candidates(self.expected.on, self.expected.numbers)
        candidates += derived_hints.other_answers(
            (c.name, (lambda c: lambda: _resolve(c.expected))(c)) for c in self.exercise_checks
            if isinstance(c, ValueCheck) and c.name != self.name and c.form in ("number", "array"))
        fits, _ = derived_hints.fitting(got, candidates, self._same)
        return derived_hints.one_explanation([fits])

    def _from_upstream(self, got, expected, answers) -> tuple[str, bool] | None:
        """(hint, whether the answer follows correctly from the student's own earlier answers),
        or None when there are none, they cannot be read, or they are right and explain nothing.

        Wrong rules are judged on the student's own earlier answers, then the known mistakes
        of `mistakes`: an answer that does not follow from the earlier ones has its own."""
        up = self.upstream
        if up is None:
            return None
        values = up.values(answers)
        if values is None:
            return None
        try:
            own = up.rule(**values)
        except Exception:  # noqa: BLE001 - the rule cannot apply to these inputs (a wrong shape)
            own = None
        if own is not None and not self._same(own, expected) and self._same(got, own):
            return up.hint, True
        found = matching_hints(got, {h: (lambda f: lambda: f(**values))(f) for h, f in up.mistakes.items()}, self._same)
        found += self._hints(got)  # the answer does not follow from the earlier ones: its own mistake
        return join_hints(found), False

    def _hint(self, got) -> str:
        return join_hints(self._hints(got))

    def _hints(self, got) -> list[str]:
        found = matching_hints(got, {h: (lambda w: lambda: _resolve(w))(w) for h, w in self.mistakes.items()}, self._same)
        if not found and self.form == "array":
            expected = np.asarray(_resolve(self.expected), dtype=float)
            if expected.ndim == 2 and self._same(got, expected.T):
                found.append("the matrix is transposed")
            elif got.shape != expected.shape and got.size == expected.size \
                    and self._same(got.reshape(expected.shape), expected):
                found.append(f"the numbers are right, but not the shape: keep it an array of shape {tuple(expected.shape)}")
        return found


class FunctionCheck(Check):
    """A student function, `function` (by default the check's name), called in the sandbox on
    inputs drawn fresh for every grading.

    `cases(rng)` returns a list of argument tuples; each is passed to the student's function
    in the sandbox and to `reference` here. If `reference` raises one of `raises` for a case,
    the student's function must raise an exception of the same type name for that case.
    Points are shared equally among the cases, but the cases that expect an exception count
    only when every other case is right: raising is credit for a function that works, never
    for one that raises whatever it is given (or returns one value whatever it is given).
    `raised_hints` name the mistake behind an exception, {text in "Type: message": hint, or a
    function of that text returning the hint or ""};
    `no_raise_hint` is the hint for a case that should raise and did not.
    """

    @checked_options
    def __init__(
        self,
        name: str,
        *,
        function: str | None = None,
        cases: Callable[[np.random.Generator], list[tuple]],
        reference: Callable,
        points: int | float = 1.0,
        form: str = "array",
        rtol: int | float = 1e-5,
        atol: int | float = 1e-8,
        description: str = "",
        mistakes: Mapping[str, Callable] | None = None,
        raises: tuple[type[BaseException], ...] = (),
        raised_hints: Mapping[str, str | Callable[[str], str]] | None = None,
        no_raise_hint: str = "",
        nonfinite_hint: str = "",
        figure: str | None = None,
        builds_on: BuildsOn | None = None,
    ):
        function = name if function is None else function
        self.name, self.function, self.cases, self.reference = name, function, cases, reference
        self.figure = figure
        self.points, self.form, self.rtol, self.atol = points, _known_form(self, form), rtol, atol
        self.description = description or f"what `{function}` returns"
        self.mistakes = dict(mistakes or {})
        self.raises = raises
        self.raised_hints = dict(raised_hints or {})
        self.no_raise_hint = no_raise_hint  # said when a case that should raise returned a value
        self.nonfinite_hint = nonfinite_hint  # said first when a call returned inf or nan (numerical safety)
        self.builds_on = builds_on

    def probes(self, rng):
        cases = [tuple(args) for args in self.cases(rng)]
        probes = {str(i): Call(self.function, args) for i, args in enumerate(cases)}
        if self.builds_on is not None:  # the student's own earlier function, on the same inputs
            probes.update({f"up:{i}": Call(self.builds_on.function, args) for i, args in enumerate(cases)})
        return probes

    def _follows_from_own(self, args, got, own: Answer | None) -> bool:
        """Whether a wrong answer is the rule applied to the student's own earlier function, and
        that function is wrong on these inputs (its check says how)."""
        up = self.builds_on
        if up is None or own is None or own.error is not None:
            return False
        try:
            value = as_array(own, "")
            if not same(got, up.rule(value, *args), self.form, 1e-6, 1e-8):
                return False
            other = next(c for c in self.exercise_checks if getattr(c, "function", None) == up.function)
            return not same(value, other.reference(*args), "array", 1e-6, 1e-8)
        except Exception:  # noqa: BLE001 - no reference for it, or shapes that do not fit: not said
            return False

    def judge(self, answers, asked):
        failures: list[str] = []
        explained: dict[str, int] = {}  # hint -> how many wrong calls it explains
        passed = {"value": 0, "raise": 0}
        total_values = 0
        explained_values: dict[str, int] = {}  # hint -> how many wrong returned values it explains
        wrong_values = 0
        returned = []  # (args, value in its form, whether right, tolerances) of every call that returned a value
        asked = {key: call for key, call in asked.items() if not key.startswith("up:")}
        for key, call in asked.items():
            expects, ok, message, case_hints = self._judge_case(call.args, answers[key])
            if not ok and expects == "value" and answers[key].error is None and self.builds_on is not None:
                try:
                    if self._follows_from_own(call.args, FORMS[self.form](answers[key], ""), answers.get(f"up:{key}")):
                        case_hints = [self.builds_on.hint]
                except FormError:
                    pass
            total_values += expects == "value"
            passed[expects] += ok
            if expects == "value" and answers[key].error is None:
                try:
                    got = FORMS[self.form](answers[key], "")
                    returned.append((call.args, got, ok, answers[key].value))
                except FormError:
                    pass
            if not ok:
                failures.append(message)
                returned_value = expects == "value" and answers[key].error is None
                wrong_values += returned_value
                for hint in case_hints:
                    explained[hint] = explained.get(hint, 0) + 1
                    explained_values[hint] = explained_values.get(hint, 0) + returned_value
        counted = passed["value"] + (passed["raise"] if passed["value"] == total_values else 0)
        points = self.points * counted / max(len(asked), 1)
        if not failures:
            return Verdict(points)
        summary = f"{len(failures)} of {len(asked)} calls of `{self.function}` were wrong; first: {failures[0]}"
        if passed["raise"] and counted == passed["value"]:
            summary += "; raising an exception where one is expected counts once the other calls are right"
        hint = self._hint_of(explained, explained_values, wrong_values, returned, len(failures))
        # Only a value that came back can be infinite: a call that raised has its own message.
        if self.nonfinite_hint and not all(_finite(answers[key].value) for key in asked if answers[key].error is None):
            hint = "; ".join(h for h in (self.nonfinite_hint, hint) if h)
        return Verdict(points, summary, hint)

    def _hint_of(self, explained, explained_values, wrong_values, returned, failures) -> str:
        """The hint of the wrong calls, most certain first: a listed mistake that explains every
        wrong value; else one nobody listed that explains every wrong value and no right one
        (derived); else the one listed mistake that explains most wrong values, when no other
        explains any (a result that lies where a model cannot follow it: torch's log floor at
        -100 against clipping); else what the calls that raised say (an index past the end, a
        shape error). A listed mistake that fits some calls by chance next to another (argmin is
        argmax + 1 on some rows) is not said."""
        full = [hint for hint, count in explained_values.items() if count == wrong_values] if wrong_values else []
        if full:
            return join_hints(full)
        if wrong_values and failures == sum(1 for *_, ok, _v in returned if not ok):
            derived = self._derived_hint(returned)  # every wrong call returned a value: an unlisted mistake?
            if derived:
                return derived
        some = [hint for hint, count in explained_values.items() if count]
        if len(some) == 1 and 2 * explained_values[some[0]] > wrong_values:
            return some[0]
        raised = {hint: count for hint, count in explained.items() if not explained_values.get(hint)}
        most = max(raised.values(), default=0)
        return join_hints([hint for hint, count in raised.items() if count == most])

    def _derived_hint(self, returned) -> str:
        """A mistake nobody listed that explains every wrong call and agrees with every right one
        (judge/derived_hints.py), or ""."""
        if self.form not in ("number", "array"):
            return ""
        calls = []
        for args, got, ok, value in returned:
            try:
                rtol, atol = tolerances(value, self.reference(*args), self.rtol, self.atol)
            except Exception:  # noqa: BLE001 - a case the reference refuses has no derived mistake
                return ""

            def close(a, b, rtol=rtol, atol=atol):
                try:
                    return same(a, b, self.form, rtol, atol)
                except (TypeError, ValueError):
                    return False

            calls.append((args, got, ok, close))
        others = [(c.name, c.reference) for c in self.exercise_checks if isinstance(c, FunctionCheck) and c.name != self.name]
        return derived_hints.call_hint(self.reference, calls, self.function, others)

    def _call_text(self, args) -> str:
        return f"`{self.function}({', '.join(describe(a) if isinstance(a, np.ndarray) else repr(a) for a in args)})`"

    def _raised_hints(self, answer: Answer) -> list[str]:
        text = raised_text(answer)
        # a hint is a text, or a function of the error's text (which may find nothing: "")
        hints = [hint(text) if callable(hint) else hint for pattern, hint in self.raised_hints.items() if pattern in text]
        return [hint for hint in hints if hint]

    def _judge_case(self, args, answer: Answer) -> tuple[str, bool, str, list[str]]:
        """(what the case expects: "value" or "raise", whether it is right, message, hints)."""
        call = self._call_text(args)
        try:
            expected = self.reference(*args)
        except self.raises as exc:
            if answer.raised == type(exc).__name__:
                return "raise", True, "", []
            hints = [self.no_raise_hint] if not answer.raised and self.no_raise_hint else self._raised_hints(answer)
            return "raise", False, f"{call} should raise {type(exc).__name__}", hints
        if answer.raised:
            hints = self._raised_hints(answer) or [error_hints.raised_hint(raised_text(answer))]
            return "value", False, f"{call} raised {raised_text(answer)}", [h for h in hints if h]
        try:
            got = FORMS[self.form](answer, call)
        except FormError as exc:
            return "value", False, str(exc), []
        rtol, atol = tolerances(answer.value, expected, self.rtol, self.atol)
        if same(got, expected, self.form, rtol, atol):
            return "value", True, "", []
        message = f"{call} did not return {self.description}"
        if self.form == "array":
            message = shape_message(got, expected, call) or message
        return "value", False, message, self._hints(got, args, expected, rtol, atol)

    def _hints(self, got, args, expected, rtol=None, atol=None) -> list[str]:
        rtol, atol = (self.rtol if rtol is None else rtol), (self.atol if atol is None else atol)

        def close(a, b):
            return same(a, b, self.form, rtol, atol)

        found = matching_hints(got, self.mistakes, close, *args)
        if not found and self.form == "array":
            expected = np.asarray(expected, dtype=float)
            if expected.ndim == 2 and expected.shape != expected.T.shape and close(got, expected.T):
                return ["the result is transposed"]
        return found


def _known_form(check: Check, form: str) -> str:
    if form not in FORMS:
        refuse(f"{type(check).__name__} {check.name!r}", f"unknown form {form!r}; the forms are {', '.join(sorted(FORMS))}")
    return form


def drawn_as(check: Check, figure: str) -> Check:
    """`check`, drawing the figure `figure` (a check class without a `figure=` option)."""
    check.figure = figure
    return check


def with_carry_forward(checks, exercise) -> list:
    """Copies of `checks` with error-carried-forward credit for the checks that the exercise's
    course settings name: `carry_forward: [p, is_fake]`, or `carry_forward: true` for every check
    that builds on an earlier answer. Off by default; an unknown name is an error, not ignored."""
    setting = getattr(exercise, "carry_forward", False)
    with_upstream = {c.name for c in checks if getattr(c, "upstream", None) is not None}
    if setting is True:
        names = with_upstream
    elif not setting:
        names = set()
    elif isinstance(setting, (list, tuple)) and all(isinstance(n, str) for n in setting):
        names = set(setting)
        unknown = names - with_upstream
        if unknown:
            known = {c.name for c in checks}
            what = ", ".join(f"{n!r} ({'a check that builds on no earlier answer' if n in known else 'no check of this exercise'})"
                             for n in sorted(unknown))
            raise ValueError(f"carry_forward names {what}; the checks that build on an earlier answer: "
                             f"{', '.join(sorted(with_upstream)) or 'none'}")
    else:
        raise ValueError("carry_forward should be true, false or a list of check names")
    out = []
    for check in checks:
        if check.name in names:
            check = copy.copy(check)
            check.carry_forward = True
        out.append(check)
    return out
