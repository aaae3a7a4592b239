"""Checks: the hidden tests of an exercise, run in the grader's own process.

A check asks the sandbox for data (`probes`) and turns the answers into a Verdict (`judge`),
comparing them with the reference solutions in `solutions/`. Nothing the student's code did
can reach this process: it only ever sees the decoded answers.

Most checks are one of two shapes, each with known mistakes that name a hint:

    ValueCheck("p", var="p", expected=sol.P, mistakes={"z given instead of p": sol.Z})
    FunctionCheck("sigmoid", function="sigmoid", cases=..., reference=sol.sigmoid,
                  mistakes={"sign of the exponent flipped": lambda x: 1 / (1 + np.exp(x))})

A check with another shape subclasses Check and writes `probes` and `judge` itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from autograder.judge.forms import FormError, as_array, as_bool, as_number, as_shape, as_text, describe
from autograder.probe.answers import Answer
from autograder.probe.requests import Call, Var


@dataclass
class Verdict:
    points: float
    message: str = ""  # what was expected of the answer, never the answer itself
    hint: str = ""  # the known mistake that explains the answer, when one does
    details: dict = field(default_factory=dict)  # structured data for the record (plain JSON values)


class Check:
    """Base class: a name, the points it is worth, a description a student can read."""

    name: str = ""
    points: float = 1.0
    description: str = ""

    def probes(self, rng: np.random.Generator) -> dict[str, Any]:
        """The data this check needs, {local key: Var | Call}. `rng` is fresh for every grading."""
        raise NotImplementedError

    def judge(self, answers: Mapping[str, Answer], asked: Mapping[str, Any]) -> Verdict:
        """The verdict on `answers`, {local key: Answer}, to the probes `asked` returned."""
        raise NotImplementedError

    def run(self, answers: Mapping[str, Answer], asked: Mapping[str, Any]) -> Verdict:
        """judge(), with a form error turned into a zero verdict with its message."""
        try:
            verdict = self.judge(answers, asked)
        except FormError as exc:
            return Verdict(0.0, str(exc))
        verdict.points = float(min(max(verdict.points, 0.0), self.points))
        return verdict


# --------------------------------------------------------------------------- comparing

FORMS = {
    "number": as_number,
    "array": as_array,
    "bool": as_bool,
    "shape": as_shape,
    "text": as_text,
    "exact": lambda answer, what: _exact(answer, what),
}


def _exact(answer: Answer, what: str):
    if answer.error is not None:
        raise FormError(f"{what}: {answer.error}")
    if answer.value is Ellipsis:
        raise FormError(f"{what}: not answered yet (still `...`)")
    return answer.value


def same(got, expected, form: str, rtol: float, atol: float) -> bool:
    """Whether `got` (already in `form`) equals `expected` within the tolerances."""
    if form == "number":
        return bool(np.isclose(got, float(expected), rtol=rtol, atol=atol))
    if form == "array":
        expected = np.asarray(expected, dtype=float)
        return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))
    if form == "shape":
        return tuple(got) == tuple(expected)
    if form == "text":
        return got.strip().lower() == str(expected).strip().lower()
    return got == expected


def shape_message(got: np.ndarray, expected, what: str) -> str | None:
    """For arrays the shape is checked first: a wrong shape says so, and says if it is transposed."""
    expected = np.asarray(expected)
    if got.shape == expected.shape:
        return None
    return f"{what} should have shape {tuple(expected.shape)}, got {tuple(got.shape)}"


def _resolve(value):
    return value() if callable(value) else value


class ValueCheck(Check):
    """The value of one notebook variable against a reference value."""

    def __init__(
        self,
        name: str,
        var: str,
        expected,
        points: float = 1.0,
        form: str = "number",
        rtol: float = 1e-3,
        atol: float = 1e-6,
        description: str = "",
        mistakes: Mapping[str, Any] | None = None,
    ):
        self.name, self.var, self.expected, self.points = name, var, expected, points
        self.form, self.rtol, self.atol = form, rtol, atol
        self.description = description or f"the value of `{var}`"
        self.mistakes = dict(mistakes or {})

    def probes(self, rng):
        return {"value": Var(self.var)}

    def judge(self, answers, asked):
        what = f"`{self.var}`"
        got = FORMS[self.form](answers["value"], what)
        expected = _resolve(self.expected)
        if same(got, expected, self.form, self.rtol, self.atol):
            return Verdict(self.points)
        message = f"{what} is not right: it should be {self.description}"
        if self.form == "array":
            message = shape_message(got, expected, what) or message
        return Verdict(0.0, message, self._hint(got))

    def _hint(self, got) -> str:
        for hint, wrong in self.mistakes.items():
            try:
                if same(got, _resolve(wrong), self.form, self.rtol, self.atol):
                    return hint
            except (ValueError, TypeError):
                continue
        if self.form == "array":
            expected = np.asarray(_resolve(self.expected), dtype=float)
            if expected.ndim == 2 and same(got, expected.T, "array", self.rtol, self.atol):
                return "the matrix is transposed"
        return ""


class FunctionCheck(Check):
    """A student function called in the sandbox on inputs drawn fresh for every grading.

    `cases(rng)` returns a list of argument tuples; each is passed to the student's function
    in the sandbox and to `reference` here. If `reference` raises one of `raises` for a case,
    the student's function must raise an exception of the same type name for that case.
    Points are shared equally among the cases.
    """

    def __init__(
        self,
        name: str,
        function: str,
        cases: Callable[[np.random.Generator], list[tuple]],
        reference: Callable,
        points: float = 1.0,
        form: str = "array",
        rtol: float = 1e-5,
        atol: float = 1e-8,
        description: str = "",
        mistakes: Mapping[str, Callable] | None = None,
        raises: tuple[type[BaseException], ...] = (),
    ):
        self.name, self.function, self.cases, self.reference = name, function, cases, reference
        self.points, self.form, self.rtol, self.atol = points, form, rtol, atol
        self.description = description or f"what `{function}` returns"
        self.mistakes = dict(mistakes or {})
        self.raises = raises

    def probes(self, rng):
        return {str(i): Call(self.function, tuple(args)) for i, args in enumerate(self.cases(rng))}

    def judge(self, answers, asked):
        failures: list[str] = []
        hints: list[str] = []
        passed = 0
        for key, call in asked.items():
            ok, message, hint = self._judge_case(call.args, answers[key])
            passed += ok
            if not ok:
                failures.append(message)
                if hint and hint not in hints:
                    hints.append(hint)
        points = self.points * passed / max(len(asked), 1)
        if not failures:
            return Verdict(points)
        summary = f"{len(failures)} of {len(asked)} calls of `{self.function}` were wrong; first: {failures[0]}"
        return Verdict(points, summary, "; ".join(hints))

    def _call_text(self, args) -> str:
        return f"`{self.function}({', '.join(describe(a) if isinstance(a, np.ndarray) else repr(a) for a in args)})`"

    def _judge_case(self, args, answer: Answer) -> tuple[bool, str, str]:
        call = self._call_text(args)
        try:
            expected = self.reference(*args)
        except self.raises as exc:
            if answer.raised == type(exc).__name__:
                return True, "", ""
            return False, f"{call} should raise {type(exc).__name__}", ""
        if answer.raised:
            return False, f"{call} raised {answer.raised}: {answer.error}", ""
        try:
            got = FORMS[self.form](answer, call)
        except FormError as exc:
            return False, str(exc), ""
        if same(got, expected, self.form, self.rtol, self.atol):
            return True, "", ""
        message = f"{call} did not return {self.description}"
        if self.form == "array":
            message = shape_message(got, expected, call) or message
        return False, message, self._hint(got, args, expected)

    def _hint(self, got, args, expected) -> str:
        for hint, wrong in self.mistakes.items():
            try:
                if same(got, wrong(*args), self.form, self.rtol, self.atol):
                    return hint
            except Exception:  # a mistake's model may not apply to every input
                continue
        if self.form == "array":
            expected = np.asarray(expected, dtype=float)
            if expected.ndim == 2 and expected.shape != expected.T.shape and same(got, expected.T, "array", self.rtol, self.atol):
                return "the result is transposed"
        return ""
