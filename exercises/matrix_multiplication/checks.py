"""Hidden checks of `matrix_multiplication`: shapes, a product by hand, loops, two layers.

Otter questions and the names they grade:
    q1_shapes      product_shape(shape_a, shape_b)   on the grader's shapes, some incompatible
    q2_product     AB                                A.B for the given A and B
    q3_matmul      matmul(A, B)                      on the grader's matrices, one pair incompatible
    q4_two_layers  V                                 W.U, the one layer that two linear layers are

The grader only sees what the functions return, not their code: that matmul uses loops
rather than @ or np.matmul is asked for in the notebook, not checked.

Every student may have their own matrices A, B, U, W (a variant): the expected values and
the typical mistakes are computed from the student's numbers, `FromVariant(sol.answers, key)`.
"""


from autograder.judge import FromVariant, FunctionCheck, ValueCheck
from solutions import matrix_multiplication as sol


def mine(key: str) -> FromVariant:
    """The value `key` of solutions.matrix_multiplication.answers for the student's own matrices."""
    return FromVariant(sol.answers, key)


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


CHECKS = [
    FunctionCheck(
        "product_shape",
        function="product_shape",
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
    ),
    ValueCheck(
        "AB",
        var="AB",
        expected=mine("AB"),
        form="array",
        description="the (2, 3) product A.B of the given matrices: entry (i, j) is row i of A times column j of B",
        mistakes={
            "check the top-left entry again: row 1 of A times column 1 of B (2*3 + 1*8)": mine("SLIDES_AB"),
            "A was transposed before multiplying: entry (i, j) uses row i of A, not column i": mine("AT_B"),
        },
    ),
    FunctionCheck(
        "matmul",
        function="matmul",
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
        },
    ),
    ValueCheck(
        "V",
        var="V",
        expected=mine("V"),
        form="array",
        description="the (2, 2) matrix V of the single layer y = V x that equals y = W (U x)",
        mistakes={
            "the layers are multiplied in the wrong order: U acts first, so y = W (U x) = (W U) x": mine("UW"),
        },
    ),
]
