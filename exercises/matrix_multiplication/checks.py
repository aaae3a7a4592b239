"""Hidden checks of `matrix_multiplication`: shapes, a product by hand, loops, two layers.

Otter questions and the names they grade:
    q1_shapes      product_shape(shape_a, shape_b)   on the grader's shapes, some incompatible
    q2_product     AB                                A.B for the given A and B
    q3_matmul      matmul(A, B)                      on the grader's matrices, one pair incompatible
    q4_two_layers  V                                 W.U: h = x.W, y = h.U is the one layer y = x.V

The grader only sees what the functions return, not their code: that matmul uses loops
rather than @ or np.matmul is asked for in the notebook, not checked.

Every student may have their own matrices A, B, U, W (a variant): the expected values and
the typical mistakes are computed from the student's numbers, `sol.for_student(key)`.
"""


import numpy as np

from autograder.exercises import load_solution
from autograder.judge import FunctionCheck, Upstream, ValueCheck
from autograder.probe import Call

sol = load_solution(__file__)


def _shape_cases(rng):
    """Four compatible pairs of shapes and two incompatible ones, in a fresh order."""
    cases = []
    for _ in range(4):
        m, n, p = (int(d) for d in rng.integers(1, 8, size=3))
        cases.append(((m, n), (n, p)))
    for _ in range(2):
        m, n, p = (int(d) for d in rng.integers(1, 8, size=3))
        cases.append(((m, n), (n + int(rng.integers(1, 4)), p)))
    order = rng.permutation(len(cases))
    return [cases[i] for i in order]


def _matrix_cases(rng):
    """Two rectangular products, a square one, a row times a column, and a pair that does not fit."""
    def matrix(rows, cols):
        return rng.integers(-5, 6, size=(rows, cols)).astype(float)

    m, n, p = (int(d) for d in rng.integers(2, 6, size=3))
    while m == p:  # a rectangular result, so that a transposed answer shows
        p = int(rng.integers(2, 6))
    k = int(rng.integers(2, 5))
    q = int(rng.integers(2, 6))
    return [
        (matrix(m, n), matrix(n, p)),
        (matrix(p, m), matrix(m, n)),
        (matrix(k, k), matrix(k, k)),
        (matrix(1, q), matrix(q, 1)),
        (matrix(m, n), matrix(n + 1, p)),
    ]


NO_RAISE = ("compare the inner dimensions first: when A has n columns and B has another number of rows, "
            "the product does not exist and the function must raise ValueError")
LAST_TERM = ("only the last product A[i, k] * B[k, j] is kept: the entry is their sum over k, so add each one "
             "with `+=` (starting from 0)")
MATMUL_HINT = "this is what your matmul gives; matmul itself is not right (see its check)"
INDEX_HINT = ("an index ran past the end of a matrix: C has the shape (rows of A, columns of B), i runs over the "
              "rows of A, j over the columns of B and k over the columns of A")


def _given(name):
    return np.array(sol.student_numbers()[name], dtype=float)


def _from_matmul(first: str, second: str) -> Upstream:
    """An answer the student may have computed with their own matmul: judged against what that
    matmul gives for the notebook's matrices (the student's own), so that a wrong matmul is
    named instead of a mistake of this answer."""
    return Upstream(probes=lambda: {"own": Call("matmul", (_given(first), _given(second)))},
                    rule=lambda own: own, forms={"own": "array"}, hint=MATMUL_HINT)


CHECKS = [
    FunctionCheck(
        "product_shape",
        cases=_shape_cases,
        reference=sol.product_shape,
        points=2.0,
        form="shape",
        raises=(ValueError,),
        description="the shape (m, p) of the product of an (m, n) and an (n, p) matrix",
        mistakes={
            "the inner dimensions were kept: (m x n)(n x p) gives (m x p), the outer ones": lambda a, b: (a[1], b[0]),
            "rows and columns are swapped: the result has the rows of A and the columns of B, (m, p)": lambda a, b: (b[1], a[0]),
            "all three dimensions were returned: the shared n disappears in the product": lambda a, b: (a[0], a[1], b[1]),
            "the shape of A was returned: the product has the columns of B": lambda a, b: tuple(a),
        },
        raised_hints={"unpack": "a shape has two numbers, (rows, columns): unpack it with m, n = shape_a",
                      "IndexError": "a shape has two numbers, (rows, columns): index them with shape_a[0] and shape_a[1]"},
        no_raise_hint=NO_RAISE,
    ),
    ValueCheck(
        "AB",
        expected=sol.for_student("AB"),
        form="array",
        description="the (2, 3) product A.B of the given matrices: entry (i, j) is row i of A times column j of B",
        mistakes={
            "check the top-left entry again: row 1 of A times column 1 of B (2*3 + 1*8)": sol.for_student("SLIDES_AB"),
            "A was transposed before multiplying: entry (i, j) uses row i of A, not column i": sol.for_student("AT_B"),
        },
        upstream=_from_matmul("A", "B"),
    ),
    FunctionCheck(
        "matmul",
        cases=_matrix_cases,
        reference=sol.matmul,
        points=2.0,
        raises=(ValueError,),
        description="the matrix product A @ B",
        mistakes={
            "A's indices are swapped: this computes A transposed times B; use A[i, k], row i of A": lambda A, B: A.T @ B,
            "B's indices are swapped: this computes A times B transposed; use B[k, j], column j of B": lambda A, B: A @ B.T,
            "the factors are in the wrong order: this is B @ A": lambda A, B: B @ A,
            "this is the element-wise product; each entry is a sum over k of A[i, k] * B[k, j]": lambda A, B: A * B,
            LAST_TERM: lambda A, B: A[:, -1:] @ B[-1:, :],
            "the first product A[i, 0] * B[0, j] is kept only: the loop over k must add up every term":
                lambda A, B: A[:, :1] @ B[:1, :],
        },
        raised_hints={"could not be broadcast": "A * B multiplies element by element; the matrix product sums "
                                                "A[i, k] * B[k, j] over k, with loops",
                      "out of bounds": INDEX_HINT},
        no_raise_hint=NO_RAISE,
    ),
    ValueCheck(
        "V",
        expected=sol.for_student("V"),
        form="array",
        description="the (2, 2) matrix V of the single layer y = x V that does what y = (x W) U does",
        mistakes={
            "the layers are multiplied in the wrong order: W acts first, so y = (x W) U = x (W U)": sol.for_student("UW"),
            LAST_TERM: sol.for_student("V_LAST_TERM"),
        },
        upstream=_from_matmul("W", "U"),
    ),
]


# Otter question -> the checks that grade it: the build gives each question the sum of their points
# and one hidden Otter test per check (autograder/build/hidden_tests.py).
QUESTIONS = {
    "q1_shapes": ["product_shape"],
    "q2_product": ["AB"],
    "q3_matmul": ["matmul"],
    "q4_two_layers": ["V"],
}


def notebook_variant(given: dict) -> dict:
    """The notebook's own numbers, read from its given variables, for Otter's hidden tests (the
    grader reads them from the notebook's signed variant block instead)."""
    return {"A": given["A"], "B": given["B"], "U": given["U"], "W": given["W"]}


# For the no-answers search (autograder/build/leaks.py): V as a formula, and the shapes the
# questions ask to find with the shape rule (the public tests must not state them).
ANSWER_TEXTS = [r"V\s*=\s*W\s*@?\s*U", r"\(W\s*U\)\s*x", r"=\s*\(W U\)"]
SHAPE_ASKED = ["AB", "V"]
