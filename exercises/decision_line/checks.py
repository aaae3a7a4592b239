"""Hidden checks of `decision_line`: where a logistic model's probability is 0.5.

Otter questions and the names they grade:
    q1_log_odds       log_odds_at_half          ln(p/(1-p)) at p = 0.5
    q2_line           intercept, slope          x2 = intercept + slope*x1 for b0 + b1*x1 + b2*x2 = 0
    q3_formula        line_formula              the same line written as a formula (a string)
    q4_general_line   decision_line(b0, b1, b2) called on the grader's own coefficients

Every student may have their own model (a variant): the expected values and the typical
mistakes are computed from the student's coefficients, `sol.for_student(key)`.

`decision_line` returns a pair (intercept, slope), which FunctionCheck's forms do not read
(a tuple is not an array to them), so it has a small check of its own: PairFunctionCheck.
`line_formula` is a string such as "x2 = -2 - 4*x1" or "1 + 2*x1 + 0.5*x2 = 0": FormulaCheck
parses it safely (autograder.judge.symbolic, nothing is evaluated) and accepts every form
that describes the same line.
"""

from __future__ import annotations

import numpy as np
import sympy

from autograder.exercises import load_solution
from autograder.judge import (Check, FormError, Upstream, ValueCheck, Verdict, as_text,
                              present)
from autograder.judge.checks import join_hints, matching_hints, raised_text
from autograder.judge.forms import describe
from autograder.judge.symbolic import FormulaError, equivalent, parse_formula, solve_linear_for
from autograder.probe import Call, Var

sol = load_solution(__file__)


def _number(value, what: str) -> float:
    if isinstance(value, (bool, np.bool_)):
        raise FormError(f"{what} should give numbers, got a bool")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.reshape(-1)[0])
    raise FormError(f"{what} should give two numbers, one of them is not a number")


def as_pair(answer, what: str) -> np.ndarray:
    """Two numbers given as a tuple or list (of floats, numpy scalars, tensors) or an array of 2."""
    value = present(answer, what)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return np.array([_number(v, what) for v in value])
    if isinstance(value, np.ndarray) and value.size == 2 and value.dtype.kind in "iuf":
        return value.reshape(-1).astype(float)
    raise FormError(f"{what} should return two numbers (intercept, slope), got {describe(value)}")


class PairFunctionCheck(Check):
    """A student function returning two numbers, called on inputs drawn fresh for every grading.

    Like FunctionCheck (points shared equally among the cases, a hint from the first mistake
    that explains a wrong pair), for functions that return a pair such as (intercept, slope).
    """

    def __init__(self, name, function, cases, reference, points=1.0, rtol=1e-6, atol=1e-9,
                 description="", mistakes=None):
        self.name, self.function, self.cases, self.reference = name, function, cases, reference
        self.points, self.rtol, self.atol = points, rtol, atol
        self.description = description or f"what `{function}` returns"
        self.mistakes = dict(mistakes or {})

    def probes(self, rng):
        return {str(i): Call(self.function, tuple(args)) for i, args in enumerate(self.cases(rng))}

    def _close(self, got, expected) -> bool:
        return bool(np.allclose(got, np.asarray(expected, dtype=float), rtol=self.rtol, atol=self.atol))

    def judge(self, answers, asked):
        failures, hints, passed = [], [], 0
        for key, call in asked.items():
            text = f"`{self.function}({', '.join(repr(a) for a in call.args)})`"
            answer = answers[key]
            if answer.raised:
                failures.append(f"{text} raised {raised_text(answer)}")
                continue
            try:
                got = as_pair(answer, text)
            except FormError as exc:
                failures.append(str(exc))
                continue
            if self._close(got, self.reference(*call.args)):
                passed += 1
                continue
            failures.append(f"{text} did not return {self.description}")
            hint = join_hints(matching_hints(got, self.mistakes, self._close, *call.args))
            if hint and hint not in hints:
                hints.append(hint)
        points = self.points * passed / max(len(asked), 1)
        if not failures:
            return Verdict(points)
        summary = f"{len(failures)} of {len(asked)} calls of `{self.function}` were wrong; first: {failures[0]}"
        return Verdict(points, summary, "; ".join(hints))


def _coefficients(rng):
    """Four models b0 + b1*x1 + b2*x2 with b1, b2 away from 0 and of either sign."""
    cases = []
    for _ in range(4):
        b0 = float(np.round(rng.uniform(-5, 5), 2))
        b1, b2 = (float(np.round(rng.choice([-1, 1]) * rng.uniform(0.5, 5), 2)) for _ in range(2))
        cases.append((b0, b1, b2))
    return cases


NAMES = ("x1", "x2")


def _exact(value) -> sympy.Rational:
    """A coefficient as an exact rational: 0.5 -> 1/2, as the formula parser reads decimals."""
    return sympy.Rational(repr(float(value)))


AT_HALF = ("the linear part b0 + b1*x1 + b2*x2 is the log-odds; on the line p = 0.5 they are ln(1) = 0, "
           "so set it to 0, not 0.5")
SIGNS = "the signs are flipped: moving b0 and b1*x1 to the other side changes their signs"
SWAPPED = "slope and intercept are swapped: the slope is the factor of x1"
WRONG_COEFFICIENT = "divided by the wrong coefficient: solving for x2 means dividing by b2"
NOT_DIVIDED = "not divided by b2: b2*x2 = -b0 - b1*x1 must still be divided by b2"
MULTIPLIED = "multiplied by b2: b2*x2 = -b0 - b1*x1 is solved for x2 by dividing by b2"
LINE_MISTAKES = {
    MULTIPLIED: sol.line_multiplied,
    SIGNS: sol.line_sign_flipped,
    SWAPPED: sol.line_swapped,
    WRONG_COEFFICIENT: sol.line_solved_for_x1,
    NOT_DIVIDED: sol.line_not_divided,
    AT_HALF: sol.line_at_half,
}


class FormulaCheck(Check):
    """The decision line written as a formula, a string in x1 and x2.

    Any equation or expression that fixes the same line passes: `x2 = -2 - 4*x1`,
    `-(1 + 2*x1)/0.5`, `1 + 2*x1 + 0.5*x2 = 0`, `x_2 = -2 - 4x_1`, ... (a bare expression means
    x2 = ...). `line(b0, b1, b2)` gives (intercept, slope); `coefficients` the student's
    (b0, b1, b2); `mistakes` name wrong lines by functions of the same shape as `line`.
    A wrong formula that is the line of the student's own `intercept` and `slope` (question 2)
    is told so, not blamed for a mistake of its own (credit carried forward where the course
    says so).
    """

    def __init__(self, name, var, line, coefficients, points=1.0, description="", mistakes=None):
        self.name, self.var, self.line, self.coefficients = name, var, line, coefficients
        self.points = points
        self.description = description or f"the formula `{var}`"
        self.mistakes = dict(mistakes or {})
        self.upstream = Upstream(probes={"intercept": Var("intercept"), "slope": Var("slope")},
                                 rule=lambda intercept, slope: (intercept, slope),
                                 hint="the formula is the line of your intercept and slope, which are not "
                                      "right (see question 2)")

    def probes(self, rng):
        return {"value": Var(self.var)} | {f"up:{k}": p for k, p in self.upstream.probes.items()}

    def _expression(self, line) -> sympy.Expr:
        """intercept + slope*x1, exactly, for `line` applied to the student's coefficients."""
        coefficients = self.coefficients() if callable(self.coefficients) else self.coefficients
        intercept, slope = line(*(_exact(c) for c in coefficients))
        return intercept + slope * sympy.Symbol("x1", real=True)

    def judge(self, answers, asked):
        what = f"`{self.var}`"
        text = as_text(answers["value"], what)
        try:
            got = solve_linear_for(parse_formula(text, NAMES), "x2", NAMES)
        except FormulaError as exc:
            return Verdict(0.0, f"{what} could not be read as the line: {exc}")
        right = self._expression(self.line)
        if equivalent(got, right):
            return Verdict(self.points)
        message = f"{what} is not right: it should be {self.description}"
        own = self.upstream.values(answers)
        if own is not None:
            own_line = _exact(own["intercept"]) + _exact(own["slope"]) * sympy.Symbol("x1", real=True)
            if not equivalent(own_line, right) and equivalent(got, own_line):
                points = self.points if self.carry_forward else 0.0
                if points:
                    message = f"{what} follows from your intercept and slope, which are not right; credit carried forward"
                same_mistake = self._hint(got)  # the line's own mistake, made in question 2
                hint = self.upstream.hint + (f": {same_mistake}" if same_mistake else "")
                return Verdict(points, message, hint, {"carried_forward": bool(points)})
        return Verdict(0.0, message, self._hint(got))

    def _hint(self, got) -> str:
        found = []
        for hint, wrong in self.mistakes.items():
            try:
                if equivalent(got, self._expression(wrong)):
                    found.append(hint)
            except (ArithmeticError, ValueError):  # a mistake's model may not apply to every model
                continue
        return join_hints(found)


def _intercept_from_log_odds():
    """The intercept judged against the student's own log-odds at p = 0.5 (question 1)."""
    def coefficients():
        b0, b1, b2 = sol.student_expected()["COEFFICIENTS"]
        return b0, b1, b2

    return Upstream(
        probes={"log_odds": Var("log_odds_at_half")},
        rule=lambda log_odds: (log_odds - coefficients()[0]) / coefficients()[2],
        hint="the intercept is right for your log-odds at p = 0.5 (question 1), but those are not right",
    )


CHECKS = [
    ValueCheck(
        "log_odds_at_half",
        expected=sol.for_student("LOG_ODDS_AT_HALF"),
        atol=1e-9,
        description="the log-odds ln(p/(1-p)) at p = 0.5",
        mistakes={
            "this is p itself; the log-odds are ln(p/(1-p))": 0.5,
            "this is the odds p/(1-p); the log-odds are their logarithm": 1.0,
        },
    ),
    ValueCheck(
        "intercept",
        expected=sol.for_student("INTERCEPT"),
        description="the intercept of the decision line x2 = intercept + slope*x1 of the given model",
        figure="decision_line",
        mistakes={
            "the sign is flipped: moving b0 to the other side of the equation changes its sign": sol.for_student("INTERCEPT_SIGN_FLIPPED"),
            "slope and intercept are swapped: the intercept is the term without x1": sol.for_student("SLOPE"),
            "divided by the wrong coefficient: to solve for x2, divide by b2, the coefficient of x2": sol.for_student("INTERCEPT_WRONG_COEFFICIENT"),
            "not divided by b2: the equation b2*x2 = ... still has to be divided by b2": sol.for_student("INTERCEPT_NOT_DIVIDED"),
            AT_HALF: sol.for_student("INTERCEPT_AT_HALF"),
            MULTIPLIED: sol.for_student("INTERCEPT_MULTIPLIED"),
        },
        upstream=_intercept_from_log_odds(),
    ),
    ValueCheck(
        "slope",
        expected=sol.for_student("SLOPE"),
        description="the slope of the decision line x2 = intercept + slope*x1 of the given model",
        figure="decision_line",
        mistakes={
            "the sign is flipped: moving b1*x1 to the other side of the equation changes its sign": sol.for_student("SLOPE_SIGN_FLIPPED"),
            "slope and intercept are swapped: the slope is the factor of x1": sol.for_student("INTERCEPT"),
            "divided by the wrong coefficient: to solve for x2, divide by b2, the coefficient of x2": sol.for_student("SLOPE_WRONG_COEFFICIENT"),
            "not divided by b2: the equation b2*x2 = ... still has to be divided by b2": sol.for_student("SLOPE_NOT_DIVIDED"),
            MULTIPLIED: sol.for_student("SLOPE_MULTIPLIED"),
        },
    ),
    FormulaCheck(
        "line_formula",
        var="line_formula",
        line=sol.decision_line,
        coefficients=sol.for_student("COEFFICIENTS"),
        description="a formula in x1 and x2 (such as x2 = ... or ... = 0) for the decision line of the given model",
        mistakes=LINE_MISTAKES,
    ),
    PairFunctionCheck(
        "decision_line",
        function="decision_line",
        cases=_coefficients,
        reference=sol.decision_line,
        points=2.0,
        description="the pair (intercept, slope) of the line x2 = intercept + slope*x1 where p = 0.5",
        mistakes=LINE_MISTAKES,
    ),
]


# Otter question -> the checks that grade it: the build gives each question the sum of their points
# and one hidden Otter test per check (autograder/build/hidden_tests.py).
QUESTIONS = {
    "q1_log_odds": ["log_odds_at_half"],
    "q2_line": ["intercept", "slope"],
    "q3_formula": ["line_formula"],
    "q4_general_line": ["decision_line"],
}


def notebook_variant(given: dict) -> dict:
    """The notebook's own numbers, read from its given variables, for Otter's hidden tests (the
    grader reads them from the notebook's signed variant block instead)."""
    return {"b0": given["b0"], "b1": given["b1"], "b2": given["b2"]}
