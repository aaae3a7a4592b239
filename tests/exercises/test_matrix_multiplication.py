"""matrix_multiplication: the slides' numbers, the solution's loops, the master filled with a
student's own numbers, and its hidden checks.

The contract every written exercise keeps (questions and points, the student version, Otter's tests
and the checks on the solution and the blank notebooks) is in test_exercise_contract.py.
"""


import nbformat
import numpy as np
import pytest
import torch

from autograder.exercises import load_checks, master_notebook, max_score
from solutions import matrix_multiplication as sol
from support import assert_otter_tests_pass, judge_namespace, notebook_namespace, run_otter_test, total

ID = "matrix_multiplication"


# --------------------------------------------------------------------------- the slides


def test_reference_values():
    assert sol.product_shape(sol.A.shape, sol.B.shape) == (2, 3)
    assert np.array_equal(sol.AB, [[14, 4, 18], [24, 6, 12]])
    assert np.array_equal(sol.AB, sol.A @ sol.B)
    # The slides print [[11, 4, 18], [24, 6, 12]]: all but the top-left entry agree;
    # row 1 of A times column 1 of B is 2*3 + 1*8 = 14, not 11.
    assert np.argwhere(sol.AB != sol.SLIDES_AB).tolist() == [[0, 0]]
    assert 2 * 3 + 1 * 8 == sol.AB[0, 0] == 14
    assert sol.V.shape == (2, 2) and np.array_equal(sol.V, [[-1, 5], [2, 4]])
    assert np.array_equal(sol.V, sol.W @ sol.U)


def test_default_variant_is_the_slides():
    assert sol.DEFAULT_VARIANT["A"] == [[2, 1], [0, 3]] and sol.DEFAULT_VARIANT["W"] == [[1, -1, 2], [0, 1, 1]]
    assert np.array_equal(sol.expected()["AB"], sol.AB) and np.array_equal(sol.expected()["V"], sol.V)
    assert np.array_equal(sol.expected()["SLIDES_AB"], sol.SLIDES_AB)


def test_drawn_variants_are_sensible():
    rng = np.random.default_rng(0)
    drawn = [sol.draw_variant(rng) for _ in range(200)]
    for params in drawn:
        shapes = {name: np.shape(params[name]) for name in params}
        assert shapes == {"A": (2, 2), "B": (2, 3), "U": (3, 2), "W": (2, 3)}  # the slides' shapes
        for name, matrix in params.items():
            assert all(type(v) is int for row in matrix for v in row)  # plain JSON integers
            low, high = (-5, 9) if name in "AB" else (-3, 3)
            assert low <= np.min(matrix) and np.max(matrix) <= high
        a = sol.expected(params)
        assert not np.array_equal(a["AB"], a["AT_B"]) and not np.array_equal(a["V"], a["V"].T)
        assert a["SLIDES_AB"] is None  # the slides' typo only exists for their numbers
    assert len({str(v) for v in drawn}) == len(drawn)


def test_shape_rule():
    assert sol.product_shape((2, 3), (3, 4)) == (2, 4)
    assert sol.product_shape((1, 5), (5, 1)) == (1, 1)
    assert sol.product_shape((5, 1), (1, 5)) == (5, 5)
    for a, b in [((2, 3), (2, 3)), ((2, 2), (3, 2)), ((1, 4), (5, 1))]:
        with pytest.raises(ValueError):
            sol.product_shape(a, b)


def test_matmul_with_loops_agrees_with_numpy():
    rng = np.random.default_rng(3)
    for m, n, p in [(1, 1, 1), (2, 3, 4), (4, 1, 2), (3, 3, 3), (1, 5, 1)]:
        a, b = rng.normal(size=(m, n)), rng.normal(size=(n, p))
        assert np.allclose(sol.matmul(a, b), a @ b)
    assert np.allclose(sol.matmul([[1, 2]], [[3], [4]]), [[11]])  # lists work too
    with pytest.raises(ValueError):
        sol.matmul(np.ones((2, 3)), np.ones((2, 3)))


def test_two_layers_are_one():
    x = sol.X_EXAMPLE  # a row, as in the slides: h = x W, y = h U
    assert np.array_equal(sol.Y_EXAMPLE, (x @ sol.W) @ sol.U)
    assert np.array_equal(sol.Y_EXAMPLE, x @ sol.V) and np.array_equal(sol.Y_EXAMPLE, [[3, 13]])
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(10, 2))  # ten inputs at once, one per row
    assert np.allclose((xs @ sol.W) @ sol.U, xs @ sol.V)


# --------------------------------------------------------------------------- the notebook


def test_the_solution_notebook_uses_loops_for_matmul(built):
    _, solution, _ = built
    nb = nbformat.read(str(solution), as_version=4)
    [source] = [c.source for c in nb.cells if c.cell_type == "code" and "def matmul" in c.source]
    body = source.split("def matmul", 1)[1]
    assert "for k in range" in body
    assert not any(banned in body for banned in ("@", "np.matmul", "np.dot", "np.einsum"))


# --------------------------------------------------------------------------- the checks


def _loops(A, B):
    """A student's matmul on nested lists, returning nested lists."""
    A, B = np.asarray(A).tolist(), np.asarray(B).tolist()
    if len(A[0]) != len(B):
        raise ValueError("shapes do not fit")
    return [[sum(A[i][k] * B[k][j] for k in range(len(B))) for j in range(len(B[0]))] for i in range(len(A))]


def _plain_answers() -> dict:
    """A correct namespace in plain Python data."""
    def product_shape(a, b):
        if a[1] != b[0]:
            raise ValueError("inner dimensions differ")
        return (a[0], b[1])

    return {
        "product_shape": product_shape,
        "AB": [[14, 4, 18], [24, 6, 12]],
        "matmul": _loops,
        "V": [[-1, 5], [2, 4]],
    }


def test_checks_give_full_marks_to_plain_python_answers():
    for seed in range(5):
        assert total(judge_namespace(ID, _plain_answers(), seed=seed)) == max_score(ID)


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(lambda v: v, id="list"),
        pytest.param(np.array, id="int array"),
        pytest.param(lambda v: np.array(v, dtype=float), id="float array"),
        pytest.param(lambda v: np.array(v, dtype=np.float32), id="float32 array"),
        pytest.param(torch.tensor, id="tensor"),
    ],
)
def test_honest_matrix_forms(form):
    namespace = _plain_answers() | {"AB": form([[14, 4, 18], [24, 6, 12]]), "V": form([[-1, 5], [2, 4]])}
    verdicts = judge_namespace(ID, namespace)
    assert verdicts["AB"].points == 1 and verdicts["V"].points == 1, verdicts


@pytest.mark.parametrize(
    "shape_form",
    [
        pytest.param(lambda m, p: (m, p), id="tuple"),
        pytest.param(lambda m, p: [m, p], id="list"),
        pytest.param(lambda m, p: np.array([m, p]), id="array"),
        pytest.param(lambda m, p: np.zeros((m, p)).shape, id="numpy shape"),
    ],
)
def test_honest_shape_forms(shape_form):
    def product_shape(a, b):
        if a[1] != b[0]:
            raise ValueError("no")
        return shape_form(a[0], b[1])

    verdict = judge_namespace(ID, _plain_answers() | {"product_shape": product_shape})["product_shape"]
    assert verdict.points == 2, verdict


def test_matmul_returning_numpy_or_torch():
    answers = {
        "numpy": lambda A, B: np.asarray(_loops(A, B)),
        "torch": lambda A, B: torch.tensor(_loops(A, B)),
    }
    for name, function in answers.items():
        verdict = judge_namespace(ID, _plain_answers() | {"matmul": function})["matmul"]
        assert verdict.points == 2, (name, verdict)


def test_inputs_are_fresh_and_include_shapes_that_do_not_fit():
    checks = {c.name: c for c in load_checks(ID)}
    a = checks["product_shape"].probes(np.random.default_rng(1))
    b = checks["product_shape"].probes(np.random.default_rng(2))
    assert [c.args for c in a.values()] != [c.args for c in b.values()]
    assert sum(x[1] != y[0] for x, y in (c.args for c in a.values())) == 2
    assert all(isinstance(d, int) for c in a.values() for shape in c.args for d in shape)
    m = checks["matmul"].probes(np.random.default_rng(1))
    shapes = [(x.shape, y.shape) for x, y in (c.args for c in m.values())]
    assert sum(x[1] != y[0] for x, y in shapes) == 1
    assert any(x[0] == x[1] == y[1] for x, y in shapes)  # a square case
    assert any(x[0] != y[1] for x, y in shapes if x[1] == y[0])  # a rectangular result


def _rows_by_columns(A, B):
    return np.asarray(A) @ np.asarray(B)


@pytest.mark.parametrize(
    "mistake,check,hint",
    [
        ({"product_shape": lambda a, b: (a[1], b[0])}, "product_shape", "inner dimensions"),
        ({"product_shape": lambda a, b: (b[1], a[0])}, "product_shape", "rows and columns are swapped"),
        ({"product_shape": lambda a, b: (a[0], a[1], b[1])}, "product_shape", "three dimensions"),
        ({"AB": [[11, 4, 18], [24, 6, 12]]}, "AB", "top-left entry"),
        ({"AB": [[6, 2, 14], [27, 7, 19]]}, "AB", "A was transposed"),
        ({"AB": [[14, 24], [4, 6], [18, 12]]}, "AB", "transposed"),
        ({"matmul": lambda A, B: _rows_by_columns(A, B).T}, "matmul", "transposed"),
        ({"matmul": lambda A, B: np.asarray(A).T @ np.asarray(B)}, "matmul", "A's indices are swapped"),
        ({"matmul": lambda A, B: np.asarray(B) @ np.asarray(A)}, "matmul", "wrong order"),
        ({"matmul": lambda A, B: np.asarray(A) * np.asarray(B)}, "matmul", "element-wise"),
        ({"V": sol.UW.astype(int).tolist()}, "V", "wrong order"),
        ({"V": [[-1, 2], [5, 4]]}, "V", "transposed"),
    ],
)
def test_typical_mistakes_get_their_hint(mistake, check, hint):
    verdict = judge_namespace(ID, _plain_answers() | mistake)[check]
    assert verdict.points < judge_namespace(ID, _plain_answers())[check].points
    assert hint in verdict.hint, verdict
    if check in ("AB", "V"):  # the message describes the answer, it does not tell it
        assert "14" not in verdict.message and "-1" not in verdict.message


def test_functions_that_never_raise_lose_the_cases_that_do_not_fit():
    verdicts = judge_namespace(ID, _plain_answers() | {
        "product_shape": lambda a, b: (a[0], b[1]),
        "matmul": lambda A, B: np.zeros((np.shape(A)[0], np.shape(B)[1])),
    })
    assert verdicts["product_shape"].points == pytest.approx(2 * 4 / 6)
    assert "should raise ValueError" in verdicts["product_shape"].message
    assert verdicts["matmul"].points < 2


def test_a_matmul_that_raises_the_wrong_error():
    def matmul(A, B):
        if np.shape(A)[1] != np.shape(B)[0]:
            raise IndexError("no")
        return _loops(A, B)

    verdict = judge_namespace(ID, _plain_answers() | {"matmul": matmul})["matmul"]
    assert verdict.points == pytest.approx(2 * 4 / 5)
    assert "should raise ValueError" in verdict.message


# --------------------------------------------------------------------------- a student's own numbers

VARIANT = {"A": [[7, 4], [2, -1]], "B": [[-1, -5, -4], [-5, -3, 7]],
           "U": [[1, 3], [0, 1], [3, 2]], "W": [[1, 0, 0], [3, -2, 2]]}


def test_the_master_filled_with_a_variant_passes_its_otter_tests(built):
    _, _, tests = built
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)  # solutions and tests run
    assert np.array_equal(namespace["AB"], [[-27, -47, 0], [3, -7, -15]])
    assert_otter_tests_pass(tests, namespace)
    wrong = namespace | {"AB": sol.AB, "V": sol.V}  # the slides' answers
    for question in ("q2_product", "q4_two_layers"):
        assert not any(run_otter_test(tests[question], wrong, hidden=True)), question


def test_checks_judge_with_the_students_own_numbers():
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    assert total(judge_namespace(ID, namespace, params=VARIANT)) == max_score(ID)
    # the slides' answers are wrong for this student, and this student's for the slides
    assert total(judge_namespace(ID, _plain_answers(), params=VARIANT)) == max_score(ID) - 2
    assert total(judge_namespace(ID, namespace)) == max_score(ID) - 2
    verdicts = judge_namespace(ID, namespace | {"AB": np.array(VARIANT["A"]).T @ np.array(VARIANT["B"]),
                                                "V": np.array(VARIANT["U"]) @ np.array(VARIANT["W"])}, params=VARIANT)
    assert "A was transposed" in verdicts["AB"].hint and "wrong order" in verdicts["V"].hint
    verdict = judge_namespace(ID, namespace | {"AB": sol.SLIDES_AB}, params=VARIANT)["AB"]
    assert verdict.points == 0 and "top-left" not in verdict.hint
