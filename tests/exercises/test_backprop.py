"""backprop: f = (x + y) * z by hand and with torch, the solution notebook, the master filled with a
student's own numbers, and its hidden checks.

The contract every written exercise keeps (questions and points, the student version, Otter's tests
and the checks on the solution and the blank notebooks) is in test_exercise_contract.py.
"""


import numpy as np
import pytest
import torch

from autograder.exercises import load_checks, master_notebook, max_score
from solutions import backprop as sol
from support import assert_otter_tests_pass, judge_namespace, notebook_namespace, run_otter_test, total

ID = "backprop"


# --------------------------------------------------------------------------- the slides


def test_reference_values():
    assert (sol.Q, sol.F) == (3, -12)
    assert sol.DF_DQ == -4
    assert (sol.DF_DX, sol.DF_DY, sol.DF_DZ) == (-4, -4, 3)


def test_default_variant_is_the_slides():
    assert sol.DEFAULT_VARIANT == {"x": -2.0, "y": 5.0, "z": -4.0}
    assert sol.expected() == sol.expected(sol.DEFAULT_VARIANT)
    assert (sol.expected()["Q"], sol.expected()["F"], sol.expected()["DF_DZ"]) == (3, -12, 3)


def test_drawn_variants_are_sensible():
    rng = np.random.default_rng(0)
    drawn = [sol.draw_variant(rng) for _ in range(300)]
    for params in drawn:
        x, y, z = params["x"], params["y"], params["z"]
        assert all(isinstance(v, float) and v.is_integer() and 1 <= abs(v) <= 6 for v in (x, y, z))
        assert x + y != 0 and x + y != z  # df/dz = q cannot pass for the slip df/dz = z
        a = sol.expected(params)
        assert len({a["F"], a["Q"], a["F_WITHOUT_BRACKETS"]}) == 3
        assert a["DF_DX"] not in (1.0, a["X"], a["Q"]) and a["DF_DY"] not in (1.0, a["Y"], a["Q"])
        assert a["DF_DZ"] not in (a["Z"], a["F"]) and a["DF_DQ"] not in (1.0, a["Q"])
    assert len({tuple(v.values()) for v in drawn}) > 150


def test_autograd_agrees_with_the_graph():
    assert sol.grad_f_autograd(sol.X, sol.Y, sol.Z) == (-4.0, -4.0, 3.0)
    rng = np.random.default_rng(3)
    for x, y, z in rng.uniform(-5, 5, size=(5, 3)):
        assert np.allclose(sol.grad_f(x, y, z), sol.grad_f_autograd(x, y, z))


def test_mistakes_differ_from_the_answers():
    assert sol.F_WITHOUT_BRACKETS == -22 and sol.Q_DIFFERENCE == -7
    x, y, z = 1.3, -0.4, 2.1
    for wrong in (sol.grad_chain_rule_missing, sol.grad_dz_as_z, sol.grad_without_brackets, sol.grad_accumulated):
        assert not np.allclose(wrong(x, y, z), sol.grad_f(x, y, z))


# --------------------------------------------------------------------------- the notebook


def test_the_solution_notebook_uses_autograd(solution_ns):
    assert isinstance(solution_ns["grad_x"], torch.Tensor) and solution_ns["xt"].requires_grad
    assert [float(solution_ns[n]) for n in ("grad_x", "grad_y", "grad_z")] == [-4.0, -4.0, 3.0]


# --------------------------------------------------------------------------- the checks


def _plain_answers() -> dict:
    return {
        "q": 3.0, "f": -12.0, "df_dq": -4.0, "df_dx": -4.0, "df_dy": -4.0, "df_dz": 3.0,
        "grad_x": -4.0, "grad_y": -4.0, "grad_z": 3.0,
        "grad_f": sol.grad_f,
    }


def test_checks_give_full_marks_to_plain_python_answers():
    assert total(judge_namespace(ID, _plain_answers())) == max_score(ID)


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda v: v, id="float"),
        pytest.param(int, id="int"),
        pytest.param(lambda v: [v], id="list"),
        pytest.param(lambda v: np.array([v]), id="1-element array"),
        pytest.param(lambda v: torch.tensor([v]), id="tensor of 1"),
        pytest.param(np.float64, id="numpy scalar"),
        pytest.param(torch.tensor, id="0-d tensor (xt.grad)"),
    ],
)
def test_honest_number_forms(form):
    values = {"grad_x": -4.0, "grad_y": -4.0, "grad_z": 3.0, "df_dz": 3.0, "f": -12.0}
    verdicts = judge_namespace(ID, _plain_answers() | {k: form(v) for k, v in values.items()})
    assert all(verdicts[k].points == 1 for k in values), verdicts


@pytest.mark.parametrize(
    "grad_f",
    [
        pytest.param(lambda x, y, z: (z, z, x + y), id="tuple of floats"),
        pytest.param(lambda x, y, z: [z, z, x + y], id="list"),
        pytest.param(lambda x, y, z: np.array([z, z, x + y]), id="array"),
        pytest.param(lambda x, y, z: torch.tensor([z, z, x + y]), id="tensor of 3"),
        pytest.param(lambda x, y, z: tuple(torch.tensor([g]) for g in (z, z, x + y)), id="tuple of 1-element tensors"),
        pytest.param(lambda x, y, z: (np.float64(z), np.float64(z), np.float64(x + y)), id="tuple of numpy scalars"),
        pytest.param(lambda x, y, z: tuple(torch.tensor(g) for g in sol.grad_f_autograd(x, y, z)),
                     id="tuple of 0-d tensors (autograd)"),
    ],
)
def test_honest_forms_of_grad_f(grad_f):
    assert judge_namespace(ID, _plain_answers() | {"grad_f": grad_f})["grad_f"].points == 2


def test_grad_f_with_autograd_inside_and_item():
    answers = _plain_answers() | {"grad_f": sol.grad_f_autograd}
    assert judge_namespace(ID, answers)["grad_f"].points == 2


def test_grad_f_is_called_on_the_graders_own_points():
    checks = {c.name: c for c in load_checks(ID)}
    a = checks["grad_f"].probes(np.random.default_rng(1))
    b = checks["grad_f"].probes(np.random.default_rng(2))
    assert len(a) == 4 and a["0"].args != b["0"].args
    assert all(call.args != (sol.X, sol.Y, sol.Z) for call in a.values())


@pytest.mark.parametrize(
    "mistake,check,hint",
    [
        ({"q": -7.0}, "q", "sum"),
        ({"f": -22.0}, "f", "brackets"),
        ({"f": 3.0}, "f", "q was given"),
        ({"df_dq": 3.0}, "df_dq", "df/dq was given as q"),
        ({"df_dx": 1.0}, "df_dx", "chain rule is missing"),
        ({"df_dy": 1.0}, "df_dy", "chain rule is missing"),
        ({"df_dx": -2.0}, "df_dx", "given as x"),
        ({"df_dz": -4.0}, "df_dz", "df/dz was given as z"),
        ({"grad_x": -8.0}, "grad_x", "backward() ran twice"),
        ({"grad_z": 6.0}, "grad_z", "backward() ran twice"),
        ({"grad_y": None}, "grad_y", "requires_grad=True"),
        ({"grad_f": sol.grad_chain_rule_missing}, "grad_f", "chain rule is missing"),
        ({"grad_f": sol.grad_dz_as_z}, "grad_f", "df/dz was given as z"),
        ({"grad_f": sol.grad_without_brackets}, "grad_f", "brackets"),
        ({"grad_f": sol.grad_accumulated}, "grad_f", "twice"),
        ({"grad_f": lambda x, y, z: (x + y, z, z)}, "grad_f", "in the wrong order"),
    ],
)
def test_typical_mistakes_get_their_hint(mistake, check, hint):
    verdict = judge_namespace(ID, _plain_answers() | mistake)[check]
    assert verdict.points == 0
    assert hint in verdict.hint, (verdict.message, verdict.hint)


def test_grad_f_returning_nothing_or_two_values_is_wrong():
    for wrong in (lambda x, y, z: None, lambda x, y, z: (z, x + y), lambda x, y, z: "z, z, q"):
        verdict = judge_namespace(ID, _plain_answers() | {"grad_f": wrong})["grad_f"]
        assert verdict.points == 0 and verdict.message


# --------------------------------------------------------------------------- a student's own numbers

VARIANT = {"x": 3.0, "y": -5.0, "z": 4.0}  # q = -2, f = -8, gradients (4, 4, -2)


def test_the_master_filled_with_a_variant_passes_its_otter_tests(built):
    _, _, tests = built
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)  # solutions and tests run
    assert (namespace["q"], namespace["f"]) == (-2.0, -8.0)
    assert_otter_tests_pass(tests, namespace)
    wrong = namespace | {k: v for k, v in _plain_answers().items() if k != "grad_f"}  # the slides' answers
    for question in ("q1_forward", "q2_backward", "q3_autograd"):
        assert not any(run_otter_test(tests[question], wrong, hidden=True)), question


def test_checks_judge_with_the_students_own_numbers():
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    assert total(judge_namespace(ID, namespace, params=VARIANT)) == max_score(ID)
    # the slides' answers are wrong for this student, and this student's for the slides
    assert total(judge_namespace(ID, _plain_answers(), params=VARIANT)) == 2  # grad_f only
    assert total(judge_namespace(ID, namespace)) == 2
    verdicts = judge_namespace(ID, namespace | {"df_dz": 4.0, "f": 3.0 - 5.0 * 4.0}, params=VARIANT)
    assert "df/dz was given as z" in verdicts["df_dz"].hint and "brackets" in verdicts["f"].hint
