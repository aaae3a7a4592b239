"""backprop: f = (x + y) * z by hand and with torch, the master notebook, its hidden checks."""


import nbformat
import numpy as np
import pytest
import torch

from autograder.exercises import load_checks, master_notebook, max_score
from solutions import backprop as sol
from support import assign_master, judge_namespace, notebook_namespace, run_otter_test

ID = "backprop"
QUESTIONS = {
    "q1_forward": ["q", "f"],
    "q2_backward": ["df_dq", "df_dx", "df_dy", "df_dz"],
    "q3_autograd": ["grad_x", "grad_y", "grad_z"],
    "q4_grad_f": ["grad_f"],
}


# --------------------------------------------------------------------------- the slides


def test_reference_values():
    assert (sol.Q, sol.F) == (3, -12)
    assert sol.DF_DQ == -4
    assert (sol.DF_DX, sol.DF_DY, sol.DF_DZ) == (-4, -4, 3)


def test_default_variant_is_the_slides():
    assert sol.DEFAULT_VARIANT == {"x": -2.0, "y": 5.0, "z": -4.0}
    assert sol.answers() == sol.answers(sol.DEFAULT_VARIANT)
    assert (sol.answers()["Q"], sol.answers()["F"], sol.answers()["DF_DZ"]) == (3, -12, 3)


def test_drawn_variants_are_sensible():
    rng = np.random.default_rng(0)
    drawn = [sol.draw_variant(rng) for _ in range(300)]
    for params in drawn:
        x, y, z = params["x"], params["y"], params["z"]
        assert all(isinstance(v, float) and v.is_integer() and 1 <= abs(v) <= 6 for v in (x, y, z))
        assert x + y != 0 and x + y != z  # df/dz = q cannot pass for the slip df/dz = z
        a = sol.answers(params)
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


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Otter assign on the master: (student notebook, solution notebook, every Otter test)."""
    return assign_master(ID, tmp_path_factory.mktemp(ID))


@pytest.fixture(scope="module")
def solution_ns(built):
    return notebook_namespace(built[1])


@pytest.fixture(scope="module")
def blank_ns(built):
    return notebook_namespace(built[0])




def test_questions_and_points_match_the_checks(built):
    _, _, tests = built
    assert set(tests) == set(QUESTIONS)
    checks = {c.name: c for c in load_checks(ID)}
    assert sorted(checks) == sorted(n for names in QUESTIONS.values() for n in names)
    for question, names in QUESTIONS.items():
        assert tests[question].possible == pytest.approx(sum(checks[n].points for n in names))
        assert sorted(c.hidden for c in tests[question].test_cases) == [False, True]
    assert max_score(ID) == 11


def test_master_config_and_metadata():
    nb = nbformat.read(str(master_notebook(ID)), as_version=4)
    for line in ("name: backprop", "init_cell: true", "check_all_cell: false", "export_cell: true",
                 "generate: true", "run_tests: false"):
        assert line in nb.cells[0].source
    assert nb.metadata.kernelspec.name == "python3" and nb.metadata.language_info.name == "python"


def test_student_version_has_no_answers(built):
    student, _, _ = built
    text = student.read_text()
    for leak in ("-12", "3.0, -4.0", "df_dq = z", "df_dz = q", "requires_grad=True)  #", "ft.backward()\\n", "return df_dq",
                 "# SOLUTION", "hidden\": true", "BEGIN TEST CONFIG"):
        assert leak not in text, leak
    for name in ("q = ...", "f = ...", "df_dq = ...", "df_dx = ...", "df_dy = ...", "df_dz = ...",
                 "xt = ...", "grad_x = ...", "grad_z = ...", "def grad_f(x, y, z):"):
        assert name in text, name
    sources = "\n".join(cell.source for cell in nbformat.read(str(student), as_version=4).cells)
    assert "x, y, z = -2.0, 5.0, -4.0" in sources and "x = -2,\\; y = 5,\\; z = -4." in sources


def test_otter_tests_pass_on_the_solution(built, solution_ns):
    _, _, tests = built
    for question, test in tests.items():
        assert all(run_otter_test(test, solution_ns, hidden=False)), question
        assert all(run_otter_test(test, solution_ns, hidden=True)), question


def test_otter_tests_fail_on_the_blank(built, blank_ns):
    _, _, tests = built
    for question, test in tests.items():
        assert not any(run_otter_test(test, blank_ns, hidden=False)), question
        assert not any(run_otter_test(test, blank_ns, hidden=True)), question


def test_the_solution_notebook_uses_autograd(solution_ns):
    assert isinstance(solution_ns["grad_x"], torch.Tensor) and solution_ns["xt"].requires_grad
    assert [float(solution_ns[n]) for n in ("grad_x", "grad_y", "grad_z")] == [-4.0, -4.0, 3.0]


# --------------------------------------------------------------------------- the checks


def _total(verdicts) -> float:
    return sum(v.points for v in verdicts.values())


def test_checks_give_full_marks_to_the_solution_notebook(solution_ns):
    for seed in (0, 1, 2):
        verdicts = judge_namespace(ID, solution_ns, seed=seed)
        assert _total(verdicts) == max_score(ID), {k: (v.message, v.hint) for k, v in verdicts.items() if v.message}


def test_checks_give_zero_to_the_blank_notebook(blank_ns):
    verdicts = judge_namespace(ID, blank_ns)
    assert _total(verdicts) == 0
    assert all(v.message for v in verdicts.values())
    assert "not answered yet" in verdicts["df_dz"].message


def _plain_answers() -> dict:
    return {
        "q": 3.0, "f": -12.0, "df_dq": -4.0, "df_dx": -4.0, "df_dy": -4.0, "df_dz": 3.0,
        "grad_x": -4.0, "grad_y": -4.0, "grad_z": 3.0,
        "grad_f": sol.grad_f,
    }


def test_checks_give_full_marks_to_plain_python_answers():
    assert _total(judge_namespace(ID, _plain_answers())) == max_score(ID)


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
    for question, test in tests.items():
        assert all(run_otter_test(test, namespace, hidden=False)), question
        assert all(run_otter_test(test, namespace, hidden=True)), question
    wrong = namespace | {k: v for k, v in _plain_answers().items() if k != "grad_f"}  # the slides' answers
    for question in ("q1_forward", "q2_backward", "q3_autograd"):
        assert not any(run_otter_test(tests[question], wrong, hidden=True)), question


def test_checks_judge_with_the_students_own_numbers():
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    assert _total(judge_namespace(ID, namespace, params=VARIANT)) == max_score(ID)
    # the slides' answers are wrong for this student, and this student's for the slides
    assert _total(judge_namespace(ID, _plain_answers(), params=VARIANT)) == 2  # grad_f only
    assert _total(judge_namespace(ID, namespace)) == 2
    verdicts = judge_namespace(ID, namespace | {"df_dz": 4.0, "f": 3.0 - 5.0 * 4.0}, params=VARIANT)
    assert "df/dz was given as z" in verdicts["df_dz"].hint and "brackets" in verdicts["f"].hint
