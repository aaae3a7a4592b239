"""One definition of an acceptable answer form (autograder/judge/forms.py), held by the hidden
checks and the notebooks' public tests alike.

For every check of the six pen-and-paper exercises, the reference answer is handed in in every
honest form that forms.py lists (numpy ints, whole floats, Fraction, Decimal, 0/1, tensors,
nested lists, ...): the hidden check gives full points and the public test of its question
passes. Every form that forms.py refuses fails the public test too, so a form the public test
passes never fails the hidden check on its form alone.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.exercises import checks_module, load_checks
from autograder.judge import FunctionCheck, ValueCheck
from autograder.judge.in_process import judge_in_process
from autograder.judge.forms import REFUSED_FORMS, converters
from support import run_otter_test
from support.courses import PEN_AND_PAPER


def form_of(check) -> str:
    if isinstance(check, (ValueCheck, FunctionCheck)):
        return "bool" if check.form == "bool" else check.form
    return "text" if hasattr(check, "var") else "array"  # a formula; a pair (intercept, slope)


def _canonical(form: str, value):
    """The reference answer in its plainest form, the starting point of every other form."""
    if form == "number":
        return float(np.ravel(np.asarray(value, dtype=float))[0])
    if form == "bool":
        return bool(np.ravel(value)[0]) if isinstance(value, np.ndarray) else bool(value)
    if form == "shape":
        return tuple(int(n) for n in value)
    if form == "array":
        return np.asarray(value, dtype=float)
    return str(value)


def subjects(exercise_id: str) -> list[tuple]:
    """(question, check, name in the notebook, answer form, whether it is a function)."""
    question_of = {check: q for q, checks in checks_module(exercise_id).QUESTIONS.items() for check in checks}
    out = []
    for check in load_checks(exercise_id):
        function = getattr(check, "function", None)
        out.append((question_of[check.name], check, function or check.var, form_of(check), function is not None))
    return out


def _in_form(namespace: dict, name: str, form: str, is_function: bool, convert) -> dict:
    """The solution's namespace with the answer `name` in the form `convert` makes."""
    reference = namespace[name]
    if is_function:
        def answer(*args, **kwargs):
            return convert(_canonical(form, reference(*args, **kwargs)))
        return namespace | {name: answer}
    return namespace | {name: convert(_canonical(form, reference))}


def _hidden_points(check, namespace: dict, seed: int = 0) -> float:
    return judge_in_process([check], namespace, seed)[check.name].points


def _public_passes(masters, exercise_id: str, question: str, namespace: dict) -> bool:
    _, _, tests = masters.built(exercise_id)
    return all(run_otter_test(tests[question], namespace, hidden=False))


@pytest.mark.parametrize("exercise_id", PEN_AND_PAPER)
def test_every_honest_form_gets_full_marks_and_passes_the_public_test(masters, exercise_id):
    solution = masters.namespace(exercise_id, "solution")
    failures = []
    for question, check, name, form, is_function in subjects(exercise_id):
        for written, convert in converters(form).items():
            namespace = _in_form(solution, name, form, is_function, convert)
            points = _hidden_points(check, namespace)
            if points != check.points:
                failures.append(f"{check.name} as {written}: hidden check gives {points}/{check.points}")
            if not _public_passes(masters, exercise_id, question, namespace):
                failures.append(f"{check.name} as {written}: the public test of {question} fails")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("exercise_id", PEN_AND_PAPER)
def test_a_form_the_hidden_check_refuses_fails_the_public_test_too(masters, exercise_id):
    solution = masters.namespace(exercise_id, "solution")
    failures = []
    for question, check, name, form, is_function in subjects(exercise_id):
        for refused in REFUSED_FORMS[form]:
            namespace = _in_form(solution, name, form, is_function, lambda _value, refused=refused: refused)
            verdict = judge_in_process([check], namespace)[check.name]
            if verdict.points == check.points:
                failures.append(f"{check.name} = {refused!r}: the hidden check accepts it")
            if _public_passes(masters, exercise_id, question, namespace):
                failures.append(f"{check.name} = {refused!r}: the public test of {question} passes, the hidden check "
                                f"refuses it ({verdict.message})")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("exercise_id", PEN_AND_PAPER)
def test_property_every_check_gives_full_points_to_the_reference_in_any_accepted_form(masters, exercise_id):
    """Hypothesis draws the check, the form and the grader's own inputs (the seed)."""
    solution = masters.namespace(exercise_id, "solution")
    cases = [(check, name, form, is_function, written, convert)
             for _, check, name, form, is_function in subjects(exercise_id)
             for written, convert in converters(form).items()]

    @settings(max_examples=25, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(case=st.sampled_from(cases), seed=st.integers(0, 2**32 - 1))
    def property_holds(case, seed):
        check, name, form, is_function, written, convert = case
        namespace = _in_form(solution, name, form, is_function, convert)
        assert _hidden_points(check, namespace, seed) == check.points, (check.name, written)

    property_holds()


def test_a_result_computed_in_float32_is_judged_within_float32s_precision():
    """torch.Tensor(x) and keras' float32 keep about 7 digits: 1 - tanh(x)^2 near |x| = 6 keeps only
    2 of them. Such a result is right, whether it comes back as a float32 array or, through
    .tolist(), as Python floats that float32 holds exactly; a double-precision answer that is off
    by as much is still wrong, and so is every mistake."""
    x = np.array([6.0, -5.7, 0.3, 2.9])
    check = FunctionCheck("tanh_grad", function="tanh_grad", cases=lambda rng: [(x,)],
                          reference=lambda v: 1 - np.tanh(v) ** 2, rtol=1e-5, atol=1e-8)

    def in_float32(v):
        return 1 - np.tanh(v.astype(np.float32)) ** 2

    def points(function):
        return judge_in_process([check], {"tanh_grad": function})["tanh_grad"].points

    assert not np.allclose(in_float32(x), 1 - np.tanh(x) ** 2, rtol=1e-5, atol=1e-8)  # the check's own tolerance fails it
    assert points(in_float32) == 1
    assert points(lambda v: in_float32(v).tolist()) == 1
    assert points(lambda v: 1 - np.tanh(v) ** 2 + 3e-7) == 0  # float64 and off by float32's error: wrong
    assert points(lambda v: 1 - np.tanh(v.astype(np.float32))) == 0  # a mistake in float32: wrong


def test_float32_precision_widens_no_exact_count():
    """Parameter counts are exact (rtol=0): a count one off is wrong whatever its dtype."""
    from autograder.judge.compare import tolerances

    assert tolerances(np.float32(419161.0), 419160, 0.0, 0.5) == (0.0, 0.5)
    assert tolerances(419161, 419160, 1e-6, 1e-8) == (1e-6, 1e-8)  # an int is no float32 result
    assert tolerances([2.0, 3.0], [2.0, 3.0], 1e-6, 1e-8) == (1e-6, 1e-8)  # whole floats: no evidence
    rtol, atol = tolerances(np.float32(0.1), 0.1, 1e-6, 1e-8)
    assert 1e-6 < rtol < 1e-5 and 1e-6 < atol < 1e-5
    check = ValueCheck("trainable_params", var="n", expected=419160, rtol=0.0, atol=0.5)
    verdict = judge_in_process([check], {"n": np.float32(419161.0)})["trainable_params"]
    assert verdict.points == 0
