"""Matrix multiplication: the shape rule, a product by hand, and why linear layers collapse.

The product of an (m x n) matrix A and an (n x p) matrix B is the (m x p) matrix C with

    C[i, j] = sum over k of A[i, k] * B[k, j]      (row i of A times column j of B)

It exists only when the inner dimensions agree: the number of columns of A (n) must equal
the number of rows of B. A network layer without activation is such a product; written as
the slides and the forward pass write it, an input row x times the weights, h = x W. Two of
them in a row, y = h U = (x W) U, are the single layer y = x (W U) = x V.

Note on the slides: they give A.B = [[11, 4, 18], [24, 6, 12]], but the top-left entry is
row 1 of A times column 1 of B, 2*3 + 1*8 = 14. The correct product is
[[14, 4, 18], [24, 6, 12]]; the checks name the slide's value as a mistake.
"""

import numpy as np

# The matrices of the slides: the default variant (plain lists, as a variant is stored).
DEFAULT_VARIANT = {
    "A": [[2, 1],
          [0, 3]],  # 2 x 2
    "B": [[3, 1, 7],
          [8, 2, 4]],  # 2 x 3
    "U": [[1, 0],
          [2, 1],
          [0, 3]],  # 3 x 2, the second layer: 3 hidden values -> 2 outputs, y = h U
    "W": [[1, -1, 2],
          [0, 1, 1]],  # 2 x 3, the first layer: 2 inputs -> 3 hidden values, h = x W
}
SLIDES_AB = np.array([[11, 4, 18], [24, 6, 12]])  # the value printed on the slides (top-left is a typo)


def product_shape(shape_a, shape_b):
    """The shape of A @ B for A of shape (m, n) and B of shape (n, p): (m, p).

    Raises ValueError when the inner dimensions differ (A has n columns, B has n' != n rows).
    """
    (m, n), (n_b, p) = shape_a, shape_b
    if n != n_b:
        raise ValueError(f"cannot multiply ({m} x {n}) by ({n_b} x {p}): {n} columns but {n_b} rows")
    return (m, p)


def matmul(A, B):
    """A @ B with three loops: C[i, j] = sum_k A[i, k] * B[k, j].

    Raises ValueError when the shapes do not fit (see product_shape).
    """
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    m, p = product_shape(A.shape, B.shape)
    n = A.shape[1]
    C = np.zeros((m, p))
    for i in range(m):  # row i of A ...
        for j in range(p):  # ... times column j of B
            total = 0.0
            for k in range(n):
                total += A[i, k] * B[k, j]
            C[i, j] = total
    return C


def expected(params=None) -> dict:
    """Every value the checks compare, or name as a mistake, for the variant `params`
    (None: the slides' numbers)."""
    v = params or DEFAULT_VARIANT
    A, B, U, W = (np.array(v[name]) for name in ("A", "B", "U", "W"))
    slides = all(np.array_equal(v[name], DEFAULT_VARIANT[name]) for name in ("A", "B"))
    return {
        "AB": matmul(A, B),  # row i of A times column j of B, shape (2, 3)
        "V": matmul(W, U),  # y = (x W) U = x (W U): the single layer V = W U, shape (2, 2)
        # Typical mistakes, used by the hidden checks to name a hint.
        "AT_B": matmul(A.T, B),  # A transposed before multiplying
        "SLIDES_AB": SLIDES_AB if slides else None,  # the slides' typo exists for their numbers only
        "UW": matmul(U, W),  # the layers multiplied in the wrong order: 3 x 3
        "V_LAST_TERM": matmul(W[:, -1:], U[-1:, :]),  # `=` for `+=` in the loop: only the last k kept
    }


def draw_variant(rng) -> dict:
    """A student's own matrices, of the slides' shapes: A (2 x 2) and B (2 x 3) with integers
    from -5 to 9, the layers U (3 x 2) and W (2 x 3) with integers from -3 to 3, small enough
    to multiply by hand. No row or column is all zeros, A and V = W U are not symmetric, so
    that a transposed matrix is a visible mistake."""
    while True:
        params = {
            "A": rng.integers(-5, 10, size=(2, 2)).tolist(),
            "B": rng.integers(-5, 10, size=(2, 3)).tolist(),
            "U": rng.integers(-3, 4, size=(3, 2)).tolist(),
            "W": rng.integers(-3, 4, size=(2, 3)).tolist(),
        }
        a = expected(params)
        full = all(np.all(np.any(np.array(m) != 0, axis=axis)) for m in params.values() for axis in (0, 1))
        A, V = np.array(params["A"]), a["V"]
        if full and not np.array_equal(A, A.T) and not np.array_equal(V, V.T) \
                and not np.array_equal(a["AB"], a["AT_B"]):
            return params


# The slides' numbers, as constants.
A, B, U, W = (np.array(DEFAULT_VARIANT[name]) for name in ("A", "B", "U", "W"))
_SLIDES = expected()
# By hand: [[2*3 + 1*8, 2*1 + 1*2, 2*7 + 1*4], [0*3 + 3*8, 0*1 + 3*2, 0*7 + 3*4]]
AB = _SLIDES["AB"]  # [[14, 4, 18], [24, 6, 12]], shape (2, 3)
V = _SLIDES["V"]  # [[-1, 5], [2, 4]]
X_EXAMPLE = np.array([[1, 2]])  # an input row x
Y_EXAMPLE = matmul(matmul(X_EXAMPLE, W), U)  # two layers in a row: [[3, 13]], the same as x V
AT_B = _SLIDES["AT_B"]  # [[6, 2, 14], [27, 7, 19]]
UW = _SLIDES["UW"]


if __name__ == "__main__":
    print("shape of A.B:", product_shape(A.shape, B.shape))
    print("A.B =\n", AB)
    print("V = W.U =\n", V, "\n(xW)U =", Y_EXAMPLE.ravel(), " xV =", matmul(X_EXAMPLE, V).ravel())
