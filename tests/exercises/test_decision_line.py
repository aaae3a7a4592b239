"""decision_line: the slides' numbers, the line as a formula, the master filled with a student's own
numbers, and its hidden checks.

The contract every written exercise keeps (questions and points, the student version, Otter's tests
and the checks on the solution and the blank notebooks) is in test_exercise_contract.py.
"""

import time

import numpy as np
import pytest
import torch

from autograder.exercises import load_checks, master_notebook, max_score
from solutions import decision_line as sol
from support import assert_otter_tests_pass, judge_namespace, notebook_namespace, run_otter_test, total

ID = "decision_line"


# --------------------------------------------------------------------------- the slides


def test_reference_values():
    assert sol.LOG_ODDS_AT_HALF == 0
    assert (sol.INTERCEPT, sol.SLOPE) == (-2.0, -4.0)  # x2 = -2 - 4*x1
    assert sol.decision_line(1.0, 2.0, 0.5) == (-2.0, -4.0)
    assert sol.DEFAULT_VARIANT == {"b0": 1.0, "b1": 2.0, "b2": 0.5}
    assert sol.expected()["INTERCEPT"] == sol.INTERCEPT and sol.expected()["SLOPE"] == sol.SLOPE


def test_drawn_variants_are_sensible():
    rng = np.random.default_rng(0)
    drawn = [sol.draw_variant(rng) for _ in range(300)]
    for params in drawn:
        b0, b1, b2 = params["b0"], params["b1"], params["b2"]
        assert all(isinstance(v, float) and (2 * v).is_integer() for v in params.values())  # steps of 0.5
        assert b0 != 0 and b1 != 0 and abs(b2) >= 0.5 and b2 != 1  # no degenerate line
        intercept, slope = sol.expected(params)["INTERCEPT"], sol.expected(params)["SLOPE"]
        assert (4 * intercept).is_integer() and (4 * slope).is_integer()  # nice numbers by hand
        assert intercept != slope
    assert len({tuple(v.values()) for v in drawn}) > 100
    assert any(v["b2"] < 0 for v in drawn) and any(v["b2"] > 0 for v in drawn)


@pytest.mark.parametrize("x1", [-3.0, -0.5, 0.0, 1.0, 2.5])
def test_the_line_is_where_p_is_one_half(x1):
    x2 = sol.INTERCEPT + sol.SLOPE * x1
    assert sol.log_odds(x1, x2) == pytest.approx(0.0, abs=1e-12)
    assert sol.probability(x1, x2) == pytest.approx(0.5)
    # above the line (b2 > 0) the model says class 1, below it class 0
    assert sol.probability(x1, x2 + 0.1) > 0.5 > sol.probability(x1, x2 - 0.1)


def test_general_line_on_other_models():
    rng = np.random.default_rng(7)
    for _ in range(20):
        b0, b1 = rng.uniform(-5, 5, size=2)
        b2 = rng.choice([-1, 1]) * rng.uniform(0.1, 5)
        c, m = sol.decision_line(b0, b1, b2)
        for x1 in (-1.0, 0.0, 2.0):
            assert b0 + b1 * x1 + b2 * (c + m * x1) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError):
        sol.decision_line(1.0, 2.0, 0.0)


# --------------------------------------------------------------------------- the checks


def _plain_answers() -> dict:
    """A correct namespace in plain Python data."""
    return {
        "log_odds_at_half": 0.0, "intercept": -2.0, "slope": -4.0, "line_formula": "x2 = -2 - 4*x1",
        "decision_line": lambda b0, b1, b2: (-b0 / b2, -b1 / b2),
    }


def test_checks_give_full_marks_to_plain_python_answers():
    for seed in range(5):
        assert total(judge_namespace(ID, _plain_answers(), seed=seed)) == max_score(ID)


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda v: v, id="float"),
        pytest.param(lambda v: int(v), id="int"),
        pytest.param(lambda v: [v], id="list"),
        pytest.param(lambda v: torch.tensor([v]), id="tensor of 1"),
        pytest.param(np.float64, id="numpy scalar"),
        pytest.param(torch.tensor, id="0-d tensor"),
    ],
)
def test_honest_number_forms(form):
    namespace = _plain_answers() | {"log_odds_at_half": form(0.0), "intercept": form(-2.0), "slope": form(-4.0)}
    assert total(judge_namespace(ID, namespace)) == max_score(ID)


@pytest.mark.parametrize(
    "function",
    [
        pytest.param(lambda b0, b1, b2: (-b0 / b2, -b1 / b2), id="tuple"),
        pytest.param(lambda b0, b1, b2: [-b0 / b2, -b1 / b2], id="list"),
        pytest.param(lambda b0, b1, b2: -np.array([b0, b1]) / b2, id="array"),
        pytest.param(lambda b0, b1, b2: -torch.tensor([b0, b1], dtype=torch.float64) / b2, id="tensor"),
        pytest.param(lambda b0, b1, b2: np.array([[-b0 / b2], [-b1 / b2]]), id="column"),
        pytest.param(lambda b0, b1, b2: (np.float64(-b0 / b2), np.float64(-b1 / b2)), id="numpy scalars"),
    ],
)
def test_honest_pair_forms(function):
    verdict = judge_namespace(ID, _plain_answers() | {"decision_line": function})["decision_line"]
    assert verdict.points == 2, verdict


def test_coefficients_are_fresh_and_of_both_signs():
    [check] = [c for c in load_checks(ID) if c.name == "decision_line"]
    a = [call.args for call in check.probes(np.random.default_rng(1)).values()]
    b = [call.args for call in check.probes(np.random.default_rng(2)).values()]
    assert a != b and len(a) == 4
    assert all(isinstance(x, float) for args in a for x in args)
    many = [call.args for seed in range(20) for call in check.probes(np.random.default_rng(seed)).values()]
    assert all(b2 != 0 for _, _, b2 in many)
    assert any(b2 < 0 for _, _, b2 in many) and any(b2 > 0 for _, _, b2 in many)


@pytest.mark.parametrize(
    "mistake,check,hint",
    [
        ({"log_odds_at_half": 0.5}, "log_odds_at_half", "p itself"),
        ({"log_odds_at_half": 1.0}, "log_odds_at_half", "odds p/(1-p)"),
        ({"intercept": 2.0}, "intercept", "sign is flipped"),
        ({"intercept": -4.0}, "intercept", "swapped"),
        ({"intercept": -0.5}, "intercept", "wrong coefficient"),
        ({"intercept": -1.0}, "intercept", "not divided by b2"),
        ({"slope": 4.0}, "slope", "sign is flipped"),
        ({"slope": -2.0}, "slope", "swapped"),
        ({"slope": -0.25}, "slope", "wrong coefficient"),
        ({"decision_line": lambda b0, b1, b2: (b0 / b2, b1 / b2)}, "decision_line", "signs are flipped"),
        ({"decision_line": lambda b0, b1, b2: (-b1 / b2, -b0 / b2)}, "decision_line", "swapped"),
        ({"decision_line": lambda b0, b1, b2: (-b0 / b1, -b2 / b1)}, "decision_line", "wrong coefficient"),
        ({"decision_line": lambda b0, b1, b2: (-b0, -b1)}, "decision_line", "not divided by b2"),
    ],
)
def test_typical_mistakes_get_their_hint(mistake, check, hint):
    verdict = judge_namespace(ID, _plain_answers() | mistake)[check]
    assert verdict.points == 0
    assert hint in verdict.hint
    if check != "decision_line":  # the message describes the answer, it does not tell it
        assert not any(v in verdict.message + verdict.hint for v in ("-2", "-4", "0.0"))


def test_a_function_for_the_slides_model_only_gets_no_credit():
    verdict = judge_namespace(ID, _plain_answers() | {"decision_line": lambda b0, b1, b2: (-2.0, -4.0)})["decision_line"]
    assert verdict.points == 0 and "did not return" in verdict.message


def test_a_function_that_raises_or_returns_one_number():
    def broken(b0, b1, b2):
        raise ZeroDivisionError("oops")

    verdict = judge_namespace(ID, _plain_answers() | {"decision_line": broken})["decision_line"]
    assert verdict.points == 0 and "raised ZeroDivisionError" in verdict.message
    verdict = judge_namespace(ID, _plain_answers() | {"decision_line": lambda b0, b1, b2: -b1 / b2})["decision_line"]
    assert verdict.points == 0 and "two numbers" in verdict.message


# --------------------------------------------------------------------------- the line as a formula

EQUIVALENT_FORMS = [
    "x2 = -2 - 4*x1",
    "-(1 + 2*x1)/0.5",
    "1 + 2*x1 + 0.5*x2 = 0",
    "x2=-4*x1-2",
    "-2-4*x1",
    "0.5*x2 = -1 - 2*x1",
    "2*(1 + 2*x1 + 0.5*x2) = 0",
    "x2 == -2*(1+2*x1)",
    "x2 = (-1 - 2*x1) / (1/2)",
    "0 = 1 + 2 * x1 + x2 / 2",
    "x1 = -(x2 + 2)/4",
    "x2 = -2 + (-4)*x1",
    # implicit products, subscripts and the notebook's capitals, as people write the line
    "x2 = -2 - 4x1",
    "-2 - 4 x1",
    "x_2 = -2 - 4x_1",
    "x₂ = −2 − 4x₁",
    "X2 = -2 - 4X1",
    "x_{2} = -2(1 + 2x_{1})",
    "1 + 2x1 + 0.5x2 = 0",
    r"$x_2 = -2 - 4 \cdot x_1$",
]


@pytest.mark.parametrize("text", EQUIVALENT_FORMS)
def test_every_equivalent_form_of_the_line_passes(text):
    verdict = judge_namespace(ID, _plain_answers() | {"line_formula": text})["line_formula"]
    assert verdict.points == 1, verdict


@pytest.mark.parametrize(
    "text,hint",
    [
        ("x2 = 2 + 4*x1", "signs are flipped"),
        ("x2 = -4 - 2*x1", "swapped"),
        ("x2 = -0.5 - 0.25*x1", "wrong coefficient"),
        ("x2 = -1 - 2*x1", "not divided by b2"),
        ("x2 = -2 + 4*x1", ""),
        ("1 + 2*x1 + 2*x2 = 0", "multiplied by b2"),  # 1/b2 for b2: the same as multiplying by b2
    ],
)
def test_wrong_lines_fail_with_a_message(text, hint):
    verdict = judge_namespace(ID, _plain_answers() | {"line_formula": text})["line_formula"]
    assert verdict.points == 0
    assert "is not right" in verdict.message and "decision line" in verdict.message
    assert hint in verdict.hint if hint else verdict.hint == ""
    assert not any(v in verdict.message + verdict.hint for v in ("-2", "-4"))  # the answer is not told


@pytest.mark.parametrize(
    "value,words",
    [
        ("x2 = -2 - 4 x3", "could not be read"),
        ("x2 = -2 - 4*x1.real", "only numbers"),
        ("y = -2 - 4*x", "unknown name"),
        ("x2 = -2 - 4*x1 = 0", "more than one"),
        ("", "empty"),
        (-2.0, "should be a string"),
        (["x2 = -2 - 4*x1"], "should be a string"),
    ],
)
def test_unreadable_formulas_get_zero_and_say_why(value, words):
    verdict = judge_namespace(ID, _plain_answers() | {"line_formula": value})["line_formula"]
    assert verdict.points == 0 and words in verdict.message


@pytest.mark.parametrize("text", [
    "__import__('os').system('touch /tmp/pwned-decision-line')",
    "().__class__.__bases__[0].__subclasses__()",
    "9**9**9**9",
    "((x1+1)**4)**4 = x2",
    "x2 = " + "9" * 300,
])
def test_a_malicious_formula_is_refused_quickly(text):
    started = time.perf_counter()
    verdict = judge_namespace(ID, _plain_answers() | {"line_formula": text})["line_formula"]
    assert verdict.points == 0 and verdict.message
    assert time.perf_counter() - started < 3.0


# --------------------------------------------------------------------------- a student's own numbers

VARIANT = {"b0": 3.0, "b1": -4.0, "b2": -2.0}  # x2 = 1.5 - 2*x1


def test_the_master_filled_with_a_variant_passes_its_otter_tests(built):
    _, _, tests = built
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)  # solutions and tests run
    assert (namespace["intercept"], namespace["slope"]) == (1.5, -2.0)
    assert_otter_tests_pass(tests, namespace)
    wrong = namespace | _plain_answers()  # the slides' answers
    for question in ("q2_line", "q3_formula"):
        assert not any(run_otter_test(tests[question], wrong, hidden=True)), question


def test_checks_judge_with_the_students_own_numbers():
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    assert total(judge_namespace(ID, namespace, params=VARIANT)) == max_score(ID)
    mine = {"intercept": 1.5, "slope": -2.0, "line_formula": "3 - 4*x1 - 2*x2 = 0"}
    assert total(judge_namespace(ID, _plain_answers() | mine, params=VARIANT)) == max_score(ID)
    # the slides' answers are wrong for this student, and this student's for the slides
    assert total(judge_namespace(ID, _plain_answers(), params=VARIANT)) == max_score(ID) - 3
    assert total(judge_namespace(ID, _plain_answers() | mine)) == max_score(ID) - 3
    verdicts = judge_namespace(ID, _plain_answers() | {"intercept": -1.5, "line_formula": "x2 = -1.5 + 2*x1"},
                               params=VARIANT)
    assert "sign is flipped" in verdicts["intercept"].hint and "signs are flipped" in verdicts["line_formula"].hint
