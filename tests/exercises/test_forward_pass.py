"""forward_pass: the seed-22 numbers of the course notebook, the solution notebook, its hidden checks,
and a student's own seed, banknote and hidden-layer size (personal variants).

The contract every written exercise keeps (questions and points, the student version, Otter's tests
and the checks on the solution and the blank notebooks) is in test_exercise_contract.py.
"""


import nbformat
import numpy as np
import pytest
import torch

from autograder.build.variants import render
from autograder.exercises import load_checks, master_notebook, max_score
from solutions import forward_pass as sol
from support import assert_otter_tests_pass, judge_namespace, notebook_namespace, run_otter_test, total

ID = "forward_pass"


# --------------------------------------------------------------------------- the course numbers


def test_seed_22_reproduces_the_course_notebook():
    assert round(sol.P_HIDDEN, 8) == 0.44860787
    assert round(sol.P_TWO_HIDDEN, 8) == 0.64217449
    assert round(sol.P_NO_HIDDEN, 4) == 0.8205


def test_weights_are_drawn_like_the_course_notebook():
    """np.random.seed(22) before every draw, as the course notebook does, gives the solution's weights."""
    state = np.random.get_state()
    for shape, drawn in [((2, 8), sol.W1), ((8,), sol.B1), ((8, 1), sol.W2), ((1,), sol.B2), ((8, 8), sol.W2_)]:
        np.random.seed(22)
        assert np.array_equal(np.reshape(np.random.normal(0, 1, int(np.prod(shape))), shape), drawn)
    np.random.set_state(state)
    assert np.array_equal(sol.W1, sol.W1_) and np.array_equal(sol.B1, sol.B1_)


def test_shapes_chain():
    assert (sol.SHAPE_W1, sol.SHAPE_W2, sol.SHAPE_W3) == ((2, 8), (8, 8), (8, 1))
    assert sol.W1_.shape == sol.SHAPE_W1 and sol.W2_.shape == sol.SHAPE_W2 and sol.W3_.shape == sol.SHAPE_W3


def test_batches_and_torch_agree():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(7, 2))
    p = sol.predict_two_hidden(X, sol.W1_, sol.B1_, sol.W2_, sol.B2_, sol.W3_, sol.B3_)
    assert p.shape == (7, 1)
    rows = [sol.predict_two_hidden(X[i:i + 1], sol.W1_, sol.B1_, sol.W2_, sol.B2_, sol.W3_, sol.B3_) for i in range(7)]
    assert np.allclose(p, np.vstack(rows))
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Sigmoid(), torch.nn.Linear(8, 1), torch.nn.Sigmoid()).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor(sol.W1.T)), net[0].bias.copy_(torch.tensor(sol.B1))
        net[2].weight.copy_(torch.tensor(sol.W2.T)), net[2].bias.copy_(torch.tensor(sol.B2))
        assert np.allclose(net(torch.tensor(X)).numpy(), sol.predict_hidden(X, sol.W1, sol.B1, sol.W2, sol.B2))


def test_mistake_values_differ_from_the_answers():
    wrong = [sol.P_HIDDEN_WITHOUT_ACTIVATION, sol.P_HIDDEN_WITHOUT_BIASES, sol.Z_HIDDEN, sol.P_HIDDEN_SEEDED_ONCE]
    assert all(not np.isclose(w, sol.P_HIDDEN, rtol=1e-2) for w in wrong)
    wrong = [sol.P_TWO_HIDDEN_WITHOUT_ACTIVATION, sol.P_TWO_HIDDEN_W2_TRANSPOSED, sol.P_TWO_HIDDEN_WITHOUT_BIASES,
             sol.P_TWO_HIDDEN_SEEDED_ONCE, sol.P_HIDDEN]
    assert all(not np.isclose(w, sol.P_TWO_HIDDEN, rtol=1e-2) for w in wrong)


# --------------------------------------------------------------------------- the notebook


def test_solution_notebook_reproduces_the_course_numbers(solution_ns):
    assert float(np.ravel(solution_ns["p_hidden"])[0]) == pytest.approx(0.44860787, abs=5e-9)
    assert float(np.ravel(solution_ns["p_two_hidden"])[0]) == pytest.approx(0.64217449, abs=5e-9)


# --------------------------------------------------------------------------- the checks


def _plain_answers() -> dict:
    """A correct namespace in plain Python data: floats, tuples, lists returned by the functions."""
    return {
        "sigmoid": lambda z: (1 / (1 + np.exp(-np.asarray(z)))).tolist(),
        "predict_no_hidden": lambda X, W, b: sol.predict_no_hidden(X, W, b).tolist(),
        "p_no_hidden": 0.8205,
        "predict_hidden": lambda X, W1, b1, W2, b2: sol.predict_hidden(X, W1, b1, W2, b2).tolist(),
        "p_hidden": 0.44860787,
        "shape_W1": (2, 8), "shape_W2": [8, 8], "shape_W3": np.array([8, 1]),
        "predict_two_hidden": lambda *a: sol.predict_two_hidden(*a).tolist(),
        "p_two_hidden": 0.64217449,
    }


def test_checks_give_full_marks_to_plain_python_answers():
    assert total(judge_namespace(ID, _plain_answers())) == max_score(ID)


def _torch_answers() -> dict:
    """A student who computes with torch tensors inside the functions."""
    def t(a):
        return torch.as_tensor(np.asarray(a, dtype=float))

    def two(X, W1, b1, W2, b2, W3, b3):
        h1 = torch.sigmoid(t(X) @ t(W1) + t(b1))
        return torch.sigmoid(torch.sigmoid(h1 @ t(W2) + t(b2)) @ t(W3) + t(b3))

    return _plain_answers() | {
        "sigmoid": lambda z: torch.sigmoid(t(z)),
        "predict_hidden": lambda X, W1, b1, W2, b2: torch.sigmoid(torch.sigmoid(t(X) @ t(W1) + t(b1)) @ t(W2) + t(b2)),
        "predict_two_hidden": two,
        "p_hidden": torch.tensor([[0.44860787]]),
        "p_two_hidden": torch.tensor(0.64217449),
        "shape_W1": torch.zeros(2, 8).shape,  # torch.Size
        "shape_W2": torch.zeros(8, 8).shape,
    }


def test_checks_give_full_marks_to_torch_answers():
    assert total(judge_namespace(ID, _torch_answers())) == max_score(ID)


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda v: v, id="float"),
        pytest.param(lambda v: [[v]], id="nested list"),
        pytest.param(lambda v: np.array([[v]]), id="(1, 1) array"),
        pytest.param(lambda v: torch.tensor([v]), id="tensor of 1"),
        pytest.param(np.float64, id="numpy scalar"),
        pytest.param(np.array, id="0-d array"),
    ],
)
def test_honest_number_forms(form):
    namespace = _plain_answers() | {"p_hidden": form(sol.P_HIDDEN), "p_two_hidden": form(sol.P_TWO_HIDDEN)}
    verdicts = judge_namespace(ID, namespace)
    assert verdicts["p_hidden"].points == 1 and verdicts["p_two_hidden"].points == 1, verdicts


def test_the_grader_uses_its_own_batches_and_weights():
    checks = {c.name: c for c in load_checks(ID)}
    a = checks["predict_hidden"].probes(np.random.default_rng(1))
    b = checks["predict_hidden"].probes(np.random.default_rng(2))
    assert not np.array_equal(a["0"].args[0], b["0"].args[0])
    for call in a.values():
        X, W1, b1, W2, b2 = call.args
        assert X.ndim == 2 and X.shape[1] == 2 and X.shape[0] >= 2
        assert W1.shape == (2, b1.shape[0]) and W2.shape == (b1.shape[0], 1)
    sizes = {call.args[2].shape[0] for seed in range(5)
             for call in checks["predict_hidden"].probes(np.random.default_rng(seed)).values()}
    assert len(sizes) > 2  # hidden layers of several sizes, not only the notebook's 8


@pytest.mark.parametrize(
    "mistake,check,hint",
    [
        ({"sigmoid": lambda z: 1 / (1 + np.exp(np.asarray(z)))}, "sigmoid", "sign of the exponent"),
        ({"predict_no_hidden": sol.no_hidden_without_bias}, "predict_no_hidden", "bias was forgotten"),
        ({"predict_no_hidden": sol.no_hidden_without_sigmoid}, "predict_no_hidden", "sigmoid is missing"),
        ({"predict_no_hidden": lambda X, W, b: sol.predict_no_hidden(X, W, b).T}, "predict_no_hidden", "transposed"),
        ({"p_no_hidden": 1.52}, "p_no_hidden", "z was given"),
        ({"p_no_hidden": sol.P_NO_HIDDEN_WITHOUT_BIAS}, "p_no_hidden", "bias"),
        ({"predict_hidden": sol.hidden_without_activation}, "predict_hidden", "activation is missing in the hidden layer"),
        ({"predict_hidden": sol.hidden_without_bias1}, "predict_hidden", "(b1) was forgotten"),
        ({"predict_hidden": sol.hidden_without_bias2}, "predict_hidden", "(b2) was forgotten"),
        ({"predict_hidden": sol.hidden_without_biases}, "predict_hidden", "both biases"),
        ({"predict_hidden": sol.hidden_without_output_sigmoid}, "predict_hidden", "output is z"),
        ({"predict_hidden": lambda X, W1, b1, W2, b2: sol.predict_hidden(X, W1, b1, W2, b2).T}, "predict_hidden", "transposed"),
        ({"p_hidden": sol.P_HIDDEN_WITHOUT_ACTIVATION}, "p_hidden", "activation is missing"),
        ({"p_hidden": sol.P_HIDDEN_WITHOUT_BIASES}, "p_hidden", "biases were forgotten"),
        ({"p_hidden": sol.P_HIDDEN_SEEDED_ONCE}, "p_hidden", "reseeds with its seed"),
        ({"shape_W1": (8, 2)}, "shape_W1", "swapped"),
        ({"shape_W2": (2, 8)}, "shape_W2", "hidden layer 1"),
        ({"shape_W3": (1, 8)}, "shape_W3", "swapped"),
        ({"predict_two_hidden": sol.two_hidden_without_activation}, "predict_two_hidden", "activation is missing in the hidden layers"),
        ({"predict_two_hidden": sol.two_hidden_W2_transposed}, "predict_two_hidden", "W2 is transposed"),
        ({"predict_two_hidden": sol.two_hidden_without_biases}, "predict_two_hidden", "biases were forgotten"),
        ({"p_two_hidden": sol.P_TWO_HIDDEN_W2_TRANSPOSED}, "p_two_hidden", "W2 is transposed"),
        ({"p_two_hidden": sol.P_TWO_HIDDEN_SEEDED_ONCE}, "p_two_hidden", "reseeds with its seed"),
        ({"p_two_hidden": sol.P_HIDDEN}, "p_two_hidden", "one hidden layer"),
    ],
)
def test_typical_mistakes_get_their_hint(mistake, check, hint):
    verdict = judge_namespace(ID, _plain_answers() | mistake)[check]
    assert verdict.points < load_checks(ID)[[c.name for c in load_checks(ID)].index(check)].points
    assert hint in verdict.hint, (verdict.message, verdict.hint)
    for value in ("0.4486", "0.6421", "0.8205", "(2, 8)", "(8, 8)", "(8, 1)"):  # it describes, it does not tell
        assert value not in verdict.message + verdict.hint


def test_the_slides_students_never_hear_of_the_lectures_numbers():
    verdicts = judge_namespace(ID, _plain_answers() | {"p_hidden": 0.5, "shape_W2": (8, 2), "p_two_hidden": 0.3})
    assert all("lecture" not in v.hint for v in verdicts.values())


def test_a_loop_over_rows_that_returns_a_flat_vector_says_the_shape():
    flat = {"predict_hidden": lambda X, W1, b1, W2, b2: sol.predict_hidden(X, W1, b1, W2, b2).ravel()}
    verdict = judge_namespace(ID, _plain_answers() | flat)["predict_hidden"]
    assert verdict.points == 0 and "shape" in verdict.message


# --------------------------------------------------------------------------- a student's own numbers

VARIANT = {"seed": 473, "x1": 2.9, "x2": 0.9, "hidden": 6}


def _independent(params: dict) -> tuple[float, float]:
    """p_hidden and p_two_hidden for a variant, as the course notebook computes them: numpy's
    global generator reseeded before every draw, and the layers in torch."""
    state = np.random.get_state()
    h = params["hidden"]

    def draw(*shape):
        np.random.seed(params["seed"])
        return torch.tensor(np.random.normal(0, 1, size=shape))

    x = torch.tensor([[params["x1"], params["x2"]]], dtype=torch.float64)
    one = torch.sigmoid(torch.sigmoid(x @ draw(2, h) + draw(h)) @ draw(h, 1) + draw(1))
    h1 = torch.sigmoid(x @ draw(2, h) + draw(h))
    two = torch.sigmoid(torch.sigmoid(h1 @ draw(h, h) + draw(h)) @ draw(h, 1) + draw(1))
    np.random.set_state(state)
    return float(one), float(two)


def test_the_default_variant_is_the_slides():
    assert sol.DEFAULT_VARIANT == {"seed": 22, "x1": 1.0, "x2": 2.2, "hidden": 8}
    assert sol.expected(None)["P_HIDDEN"] == sol.expected(sol.DEFAULT_VARIANT)["P_HIDDEN"] == sol.P_HIDDEN
    assert _independent(sol.DEFAULT_VARIANT) == pytest.approx((0.44860787, 0.64217449), abs=5e-9)


def test_drawn_variants_are_sensible_and_computed_as_the_notebook_does():
    rng = np.random.default_rng(7)
    variants = [sol.draw_variant(rng) for _ in range(12)]
    assert len({v["seed"] for v in variants}) > 6 and len({v["hidden"] for v in variants}) > 2
    for v in variants:
        assert v["seed"] != 22 and 5 <= v["hidden"] <= 10 and 0.5 <= v["x1"] <= 3.0 and 0.5 <= v["x2"] <= 3.0
        a = sol.expected(v)
        assert (a["P_HIDDEN"], a["P_TWO_HIDDEN"]) == pytest.approx(_independent(v), abs=1e-12)
        assert a["P_NO_HIDDEN"] == pytest.approx(1 / (1 + np.exp(-(0.3 * v["x1"] + 0.1 * v["x2"] + 1))))
        assert (a["SHAPE_W1"], a["SHAPE_W2"], a["SHAPE_W3"]) == ((2, v["hidden"]), (v["hidden"],) * 2, (v["hidden"], 1))
        for right, wrongs in sol.MISTAKES.items():
            assert 0.05 < a[right] < 0.95
            assert all(not np.isclose(a[w], a[right], rtol=1e-2) for w in wrongs), (v, right)


def test_the_master_filled_with_a_variant_passes_its_otter_tests(built):
    _, _, tests = built
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    assert float(np.ravel(namespace["p_two_hidden"])[0]) == pytest.approx(_independent(VARIANT)[1], abs=1e-12)
    assert namespace["W2_"].shape == (6, 6)
    assert_otter_tests_pass(tests, namespace)
    slides = notebook_namespace(master_notebook(ID), params=sol.DEFAULT_VARIANT)
    names = ("p_no_hidden", "p_hidden", "shape_W1", "shape_W2", "shape_W3", "p_two_hidden")
    wrong = namespace | {name: slides[name] for name in names}
    # one hidden test per check: the functions stay right, every value of the slides is wrong here
    for question, passed in {"q2_no_hidden": [True, False], "q3_one_hidden": [True, False],
                             "q4_shapes": [False, False, False], "q5_two_hidden": [True, False]}.items():
        assert run_otter_test(tests[question], wrong, hidden=True) == passed, question


def test_checks_judge_with_the_students_own_numbers():
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    assert total(judge_namespace(ID, namespace, params=VARIANT)) == max_score(ID)
    verdicts = judge_namespace(ID, _plain_answers(), params=VARIANT)  # the slides' answers
    names = ("p_no_hidden", "p_hidden", "shape_W1", "shape_W2", "shape_W3", "p_two_hidden")
    assert all(verdicts[n].points == 0 for n in names), verdicts
    assert all("the lecture's numbers" in verdicts[n].hint for n in names), verdicts  # copied from the slides
    points = {c.name: c.points for c in load_checks(ID)}
    assert all(verdicts[n].points == points[n] for n in ("sigmoid", "predict_hidden"))  # they take their own inputs


@pytest.mark.parametrize(
    "key,check,hint",
    [
        ("P_HIDDEN_SEEDED_ONCE", "p_hidden", "reseeds with its seed"),
        ("P_HIDDEN_WITHOUT_BIASES", "p_hidden", "biases were forgotten"),
        ("P_TWO_HIDDEN_W2_TRANSPOSED", "p_two_hidden", "W2 is transposed"),
        ("P_HIDDEN", "p_two_hidden", "one hidden layer"),
        ("P_NO_HIDDEN_WITHOUT_BIAS", "p_no_hidden", "bias"),
        ("SHAPE_W2_FROM_INPUTS", "shape_W2", "hidden layer 1"),
    ],
)
def test_hints_follow_the_students_own_numbers(key, check, hint):
    mistake = sol.expected(VARIANT)[key]
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT) | {check: mistake}
    verdict = judge_namespace(ID, namespace, params=VARIANT)[check]
    assert verdict.points == 0 and hint in verdict.hint, verdict
    # the same mistake made with the slides' numbers is no mistake of this student's
    slides = judge_namespace(ID, namespace | {check: sol.expected(None)[key]}, params=VARIANT)[check]
    assert hint not in slides.hint


def test_a_student_function_is_judged_on_the_students_own_weights():
    """p_two_hidden from a wrong predict_two_hidden is explained by that function, called on the
    weights of the student's seed and hidden size (not the slides')."""
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    a = sol.expected(VARIANT)
    wrong = namespace | {"predict_two_hidden": sol.two_hidden_W2_transposed,
                         "p_two_hidden": sol.two_hidden_W2_transposed(a["X"], *a["TWO_HIDDEN"])}
    verdict = judge_namespace(ID, wrong, params=VARIANT)["p_two_hidden"]
    assert "what your predict_two_hidden gives" in verdict.hint, verdict


def _markdown(params: dict) -> str:
    nb = nbformat.read(str(master_notebook(ID)), as_version=4)
    render(nb, params, "forward_pass")
    assert not any(mark in c.source for c in nb.cells for mark in ("{{", "{%", "%}"))  # every cell rendered
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_a_personal_notebook_speaks_of_the_students_own_numbers():
    own, slides = _markdown(VARIANT), _markdown(sol.DEFAULT_VARIANT)
    assert "Your own numbers" in own and "your seed, 473," in own and "your banknote" in own
    assert "hidden layer of 6 nodes" in own and "$2 \\to 6 \\to 6 \\to 1$" in own
    assert "lecture's are others" in own and "those of the lecture" not in own
    assert "Your own numbers" not in slides and "reseeded with 22" in slides and "hidden layer of 8 nodes" in slides
