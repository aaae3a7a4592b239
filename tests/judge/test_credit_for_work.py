"""Points are earned by work: raising an exception, or one answer for every input, earns nothing
from the cases that expect an exception (issue 10); error-carried-forward credit only where
the course asks for it (issue 12).
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.course import load_course
from autograder.exercises import load_checks
from autograder.judge import FunctionCheck, with_carry_forward
from autograder.judge.checks import raised_text
from autograder.probe.answers import Answer
from support import judge_namespace

COURSE = load_course()


def _raising_checks():
    """Every FunctionCheck of the course that has cases expecting an exception."""
    found = []
    for exercise in COURSE.exercises:
        for check in load_checks(exercise.id):
            if isinstance(check, FunctionCheck) and check.raises:
                found.append((exercise.id, check))
    return found


RAISING = _raising_checks()


def test_the_rule_is_tested_on_every_check_that_expects_an_exception():
    assert {(e, c.name) for e, c in RAISING} >= {("matrix_multiplication", "product_shape"),
                                                  ("matrix_multiplication", "matmul")}


def _judge(check, answer_of, seed=0):
    """The check's verdict for a function whose reply to each call is `answer_of(args, reference)`."""
    asked = check.probes(np.random.default_rng(seed))
    answers = {}
    for key, call in asked.items():
        try:
            expected = check.reference(*call.args)
        except check.raises as exc:
            expected = exc
        answers[key] = answer_of(call.args, expected)
    return check.run(answers, asked), asked


def _raises(name="ValueError"):
    return Answer("k", error=f"{name}: no", raised=name)


@pytest.mark.parametrize("exercise_id,check", RAISING, ids=[f"{e}-{c.name}" for e, c in RAISING])
@pytest.mark.parametrize("seed", range(3))
def test_raising_whatever_the_input_earns_nothing(exercise_id, check, seed):
    verdict, _ = _judge(check, lambda args, expected: _raises(), seed)
    assert verdict.points == 0, verdict


@pytest.mark.parametrize("exercise_id,check", RAISING, ids=[f"{e}-{c.name}" for e, c in RAISING])
@pytest.mark.parametrize("seed", range(3))
def test_one_answer_whatever_the_input_earns_nothing_from_the_exception_cases(exercise_id, check, seed):
    asked = check.probes(np.random.default_rng(seed))
    first = next(check.reference(*c.args) for c in asked.values() if not _expects_raise(check, c.args))
    verdict, asked = _judge(check, lambda args, expected: Answer("k", value=first), seed)
    right = sum(1 for c in asked.values() if not _expects_raise(check, c.args)
                and np.array_equal(np.asarray(check.reference(*c.args), dtype=float), np.asarray(first, dtype=float)))
    assert verdict.points == pytest.approx(check.points * right / len(asked))  # the lucky value cases only


@pytest.mark.parametrize("exercise_id,check", RAISING, ids=[f"{e}-{c.name}" for e, c in RAISING])
def test_exception_cases_count_once_every_other_case_is_right(exercise_id, check):
    def honest(args, expected):
        return _raises(type(expected).__name__) if isinstance(expected, Exception) else Answer("k", value=expected)

    verdict, _ = _judge(check, honest)
    assert verdict.points == check.points and not verdict.message

    def never_raises(args, expected):  # right where a value is due, a value where an exception is due
        return Answer("k", value=(1, 1)) if isinstance(expected, Exception) else Answer("k", value=expected)

    verdict, asked = _judge(check, never_raises)
    values = sum(1 for c in asked.values() if not _expects_raise(check, c.args))
    assert verdict.points == pytest.approx(check.points * values / len(asked))
    assert "should raise ValueError" in verdict.message and "raise ValueError" in verdict.hint


def _expects_raise(check, args) -> bool:
    try:
        check.reference(*args)
    except check.raises:
        return True
    return False


def test_the_exception_type_is_said_once():
    assert raised_text(Answer("k", error="TypeError: only 0-dimensional arrays", raised="TypeError")) == \
        "TypeError: only 0-dimensional arrays"
    verdicts = judge_namespace("sigmoid_probability", {"sigmoid": lambda z: __import__("math").exp(-z)})
    message = verdicts["sigmoid"].message
    assert "raised TypeError: " in message and "TypeError: TypeError" not in message
    assert "np.exp" in verdicts["sigmoid"].hint


def _called_functions(exercise_id: str) -> set[str]:
    """Every student function the checks of an exercise call, their own probes and upstream ones."""
    from autograder.probe import Call

    names = set()
    for check in load_checks(exercise_id):
        for probe in check.probes(np.random.default_rng(0)).values():
            if isinstance(probe, Call):
                names.add(probe.function)
    return names


@pytest.mark.parametrize("exercise_id", [e.id for e in COURSE.exercises
                                         if not e.id.startswith("train_") and _called_functions(e.id)])
def test_every_check_says_the_exception_type_once(exercise_id):
    """Custom checks (activations' collapse, gradient_descent's pairs, ...) word a raised error
    as the shared checks do: `raised TypeError: boom`, never `TypeError: TypeError: boom`."""
    def boom(*args, **kwargs):
        raise TypeError("boom")

    verdicts = judge_namespace(exercise_id, {name: boom for name in _called_functions(exercise_id)})
    raised = {name: v.message for name, v in verdicts.items() if "boom" in v.message}
    assert raised, verdicts  # the search is not blind: some check reports the error
    for name, message in raised.items():
        assert "TypeError: TypeError" not in message and "raised TypeError: boom" in message, (name, message)


# --------------------------------------------------------------------------- carried forward


def _sigmoid_answers(**changes) -> dict:
    from solutions import sigmoid_probability as sol

    base = {"z": sol.Z, "sigmoid": sol.sigmoid, "p": sol.P, "is_fake": bool(sol.IS_FAKE), "X": sol.X, "W": sol.W,
            "p_vec": sol.P_VEC}
    return base | changes


def test_a_rule_applied_right_to_a_wrong_input_is_not_blamed_and_gets_no_credit_by_default():
    from solutions import sigmoid_probability as sol

    z = sol.Z_WITHOUT_BIAS  # the bias forgotten ...
    p = float(sol.sigmoid(z))  # ... and p = sigmoid(z) done right
    wrong_p = 0.3  # a p on the other side of 0.5, with is_fake = p > 0.5 done right
    verdicts = judge_namespace("sigmoid_probability", _sigmoid_answers(z=z, p=p))
    assert verdicts["p"].points == 0 and "right for your z" in verdicts["p"].hint
    verdicts = judge_namespace("sigmoid_probability", _sigmoid_answers(p=wrong_p, is_fake=wrong_p > 0.5))
    assert verdicts["is_fake"].points == 0
    assert "right for your p" in verdicts["is_fake"].hint and "counts as fake when" not in verdicts["is_fake"].hint
    verdicts = judge_namespace("sigmoid_probability", _sigmoid_answers(p=0.7, is_fake=not 0.7 > 0.5))
    assert "counts as fake when p > 0.5" in verdicts["is_fake"].hint  # the rule itself reversed


def test_carried_forward_credit_where_the_course_asks_for_it(monkeypatch):
    from solutions import sigmoid_probability as sol
    from support import judging

    exercise = COURSE.exercise("sigmoid_probability")
    ecf = with_carry_forward(load_checks("sigmoid_probability"), exercise.model_copy(update={"carry_forward": ["p"]}))
    monkeypatch.setattr(judging, "load_checks", lambda _id: tuple(ecf))
    z = sol.Z_WITHOUT_BIAS
    verdicts = judging.judge_namespace("sigmoid_probability", _sigmoid_answers(z=z, p=float(sol.sigmoid(z))))
    assert verdicts["z"].points == 0 and verdicts["p"].points == 1
    assert "credit carried forward" in verdicts["p"].message and verdicts["p"].details["carried_forward"] is True
    verdicts = judging.judge_namespace("sigmoid_probability", _sigmoid_answers(z=z, p=0.9))
    assert verdicts["p"].points == 0  # a p that does not follow from the student's z earns nothing


def test_carry_forward_settings_are_checked():
    exercise = COURSE.exercise("backprop")
    checks = load_checks("backprop")
    every = with_carry_forward(checks, exercise.model_copy(update={"carry_forward": True}))
    assert {c.name for c in every if c.carry_forward} == {"f", "df_dx", "df_dy", "df_dz"}
    assert not any(c.carry_forward for c in with_carry_forward(checks, exercise))  # off by default
    assert not any(c.carry_forward for c in checks)  # the course's checks themselves are not changed
    with pytest.raises(ValueError, match="'q' \\(a check that builds on no earlier answer\\)"):
        with_carry_forward(checks, exercise.model_copy(update={"carry_forward": ["q"]}))
    with pytest.raises(ValueError, match="true, false or a list"):
        with_carry_forward(checks, exercise.model_copy(update={"carry_forward": "yes"}))


# carry_forward reaching the checks of every exercise of the course, through load_checks: in
# tests/judge/test_unlisted_mistakes.py (the framework applies it; no checks.py has to).
