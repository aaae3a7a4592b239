"""sigmoid_probability: the slides' numbers, the master filled with a student's own numbers, and its
hidden checks.

The contract every written exercise keeps (questions and points, the student version, Otter's tests
and the checks on the solution and the blank notebooks) is in test_exercise_contract.py.
"""


import numpy as np
import pytest
import torch

from autograder.exercises import load_checks, master_notebook, max_score
from solutions import sigmoid_probability as sol
from support import assert_otter_tests_pass, judge_namespace, notebook_namespace, run_otter_test, total

ID = "sigmoid_probability"


# --------------------------------------------------------------------------- the slides


def test_reference_values():
    assert sol.Z == pytest.approx(1.52)
    assert round(sol.P, 4) == 0.8205
    assert sol.IS_FAKE is True
    assert sol.X.shape == (1, 2) and sol.W.shape == (2, 1)
    assert sol.P_VEC.shape == (1, 1) and sol.P_VEC[0, 0] == pytest.approx(sol.P)
    assert sol.Z_WITHOUT_BIAS == pytest.approx(0.52)
    assert sol.P_SIGN_FLIPPED == pytest.approx(1 - sol.P)


def test_default_variant_is_the_slides():
    assert sol.DEFAULT_VARIANT == {"w1": 0.3, "w2": 0.1, "b": 1.0, "x1": 1.0, "x2": 2.2}
    assert sol.expected()["Z"] == sol.expected(sol.DEFAULT_VARIANT)["Z"] == sol.Z
    assert sol.expected()["P"] == sol.P and np.array_equal(sol.expected()["P_VEC"], sol.P_VEC)


def test_drawn_variants_are_sensible():
    rng = np.random.default_rng(0)
    drawn = [sol.draw_variant(rng) for _ in range(300)]
    for params in drawn:
        assert set(params) == set(sol.DEFAULT_VARIANT)
        assert all(isinstance(v, float) and round(v, 1) == v for v in params.values())  # one decimal
        assert params["w1"] != 0 and params["w2"] != 0 and abs(params["b"]) >= 0.2
        assert -1 <= params["w1"] <= 1 and -1 <= params["w2"] <= 1 and 0.5 <= params["x1"] <= 3
        p = sol.expected(params)["P"]
        assert 0.05 < p < 0.4 or 0.6 < p < 0.95  # the class is clear, whatever the rounding
        a = sol.expected(params)
        assert len({round(a[k], 6) for k in ("Z", "Z_WITHOUT_BIAS", "Z_SWAPPED")}) == 3  # mistakes stay distinct
    assert any(sol.expected(v)["IS_FAKE"] for v in drawn) and not all(sol.expected(v)["IS_FAKE"] for v in drawn)
    assert len({tuple(v.values()) for v in drawn}) > 250


def test_sigmoid_on_numbers_and_arrays():
    assert float(sol.sigmoid(0.0)) == 0.5
    z = np.linspace(-6, 6, 13).reshape(13, 1)
    s = sol.sigmoid(z)
    assert s.shape == z.shape
    assert np.all((s > 0) & (s < 1)) and np.all(np.diff(s[:, 0]) > 0)
    assert np.allclose(sol.sigmoid(-z), 1 - s)
    assert np.allclose(sol.sigmoid(z), torch.sigmoid(torch.tensor(z)).numpy())


# --------------------------------------------------------------------------- the checks


def _plain_answers() -> dict:
    """A correct namespace in plain Python data: floats, a bool, lists, a vectorised sigmoid."""
    return {
        "z": 1.52, "p": 0.8205, "is_fake": True,
        "X": [[1.0, 2.2]], "W": [[0.3], [0.1]], "p_vec": [[0.8205]],
        "sigmoid": lambda z: (1 / (1 + np.exp(-np.asarray(z, dtype=float)))).tolist(),
    }


def test_checks_give_full_marks_to_plain_python_answers():
    assert total(judge_namespace(ID, _plain_answers())) == max_score(ID)


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda v: v, id="float"),
        pytest.param(lambda v: [v], id="list"),
        pytest.param(lambda v: np.array([v]), id="1-element array"),
        pytest.param(lambda v: torch.tensor([v]), id="tensor of 1"),
        pytest.param(np.float64, id="numpy scalar"),
        pytest.param(np.array, id="0-d array"),
        pytest.param(torch.tensor, id="0-d tensor"),
    ],
)
def test_honest_number_forms(form):
    namespace = _plain_answers() | {"z": form(1.52), "p": form(0.8205)}
    verdicts = judge_namespace(ID, namespace)
    assert verdicts["z"].points == 1 and verdicts["p"].points == 1, verdicts


@pytest.mark.parametrize(
    "answers",
    [
        pytest.param({"X": np.array([[1.0, 2.2]]), "W": np.array([[0.3], [0.1]]), "p_vec": np.array([[0.8205]])}, id="numpy"),
        pytest.param({"X": torch.tensor([[1.0, 2.2]]), "W": torch.tensor([[0.3], [0.1]]),
                      "p_vec": torch.sigmoid(torch.tensor([[1.52]]))}, id="torch"),
        pytest.param({"is_fake": np.bool_(True)}, id="numpy bool"),
        pytest.param({"is_fake": torch.tensor(True)}, id="torch bool"),
    ],
)
def test_honest_array_and_bool_forms(answers):
    assert total(judge_namespace(ID, _plain_answers() | answers)) == max_score(ID)


# --------------------------------------------------------------------------- a student's own numbers

VARIANT = {"w1": -0.6, "w2": 0.7, "b": 0.2, "x1": 1.2, "x2": 1.6}  # z = 0.6, p = 0.6457


def test_the_master_filled_with_a_variant_passes_its_otter_tests(built):
    _, _, tests = built
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)  # solutions and tests run
    assert namespace["z"] == pytest.approx(0.6)
    assert_otter_tests_pass(tests, namespace)
    slides = notebook_namespace(master_notebook(ID), params=sol.DEFAULT_VARIANT)
    wrong = namespace | {name: slides[name] for name in ("z", "p", "X", "W", "p_vec")}
    for question in ("q1_net_input", "q3_probability", "q5_vector_form"):
        assert not any(run_otter_test(tests[question], wrong, hidden=True)), question


def test_checks_judge_with_the_students_own_numbers():
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    assert total(judge_namespace(ID, namespace, params=VARIANT)) == max_score(ID)
    # the slides' answers are wrong for this student, and this student's for the slides
    assert total(judge_namespace(ID, _plain_answers(), params=VARIANT)) <= 2  # only sigmoid and is_fake
    assert total(judge_namespace(ID, namespace)) <= 2
    verdicts = judge_namespace(ID, namespace | {"z": 0.6 - 0.2, "p": 0.6}, params=VARIANT)
    assert "bias" in verdicts["z"].hint and "z was given instead of p" in verdicts["p"].hint


def test_sigmoid_on_the_graders_own_inputs():
    checks = {c.name: c for c in load_checks(ID)}
    a = checks["sigmoid"].probes(np.random.default_rng(1))
    b = checks["sigmoid"].probes(np.random.default_rng(2))
    assert len(a) == 3
    assert not np.array_equal(a["0"].args[0], b["0"].args[0])
    assert np.ndim(a["1"].args[0]) == 2  # called on a matrix too, not only on numbers


@pytest.mark.parametrize(
    "mistake,check,hint",
    [
        ({"z": 0.52}, "z", "bias"),
        ({"z": 1.76}, "z", "other input"),
        ({"z": 0.8205}, "z", "instead of the net input"),
        ({"p": 1.52}, "p", "z was given instead of p"),
        ({"p": 0.1795}, "p", "sign of the exponent"),
        ({"p": 0.6271}, "p", "bias"),
        ({"is_fake": False}, "is_fake", "probability that the banknote is fake"),
        ({"X": [[1.0], [2.2]]}, "X", "transposed"),
        ({"W": [[0.3, 0.1]]}, "W", "transposed"),
        ({"W": [[0.3], [0.1], [1.0]]}, "W", "bias"),
        ({"p_vec": [[1.52]]}, "p_vec", "z was given"),
        ({"sigmoid": lambda z: (1 / (1 + np.exp(np.asarray(z)))).tolist()}, "sigmoid", "sign of the exponent"),
        ({"sigmoid": lambda z: np.exp(np.asarray(z)).tolist()}, "sigmoid", "`1 +` is missing"),
        ({"sigmoid": lambda z: np.tanh(np.asarray(z)).tolist()}, "sigmoid", "tanh"),
    ],
)
def test_typical_mistakes_get_their_hint(mistake, check, hint):
    verdict = judge_namespace(ID, _plain_answers() | mistake)[check]
    assert verdict.points == 0
    assert hint in verdict.hint
    if check != "sigmoid":  # the message describes the answer, it does not tell it
        assert not any(v in verdict.message + verdict.hint for v in ("1.52", "0.8205", "0.82"))


def test_a_scalar_sigmoid_loses_the_array_cases():
    import math

    verdict = judge_namespace(ID, _plain_answers() | {"sigmoid": lambda z: 1 / (1 + math.exp(-z))})["sigmoid"]
    assert verdict.points == pytest.approx(1 / 3)  # only the single-number case works
    assert "raised" in verdict.message
