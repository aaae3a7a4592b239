"""Matrix multiplication: the shape rule, a product by hand, and why linear layers collapse.

The product of an (m x n) matrix A and an (n x p) matrix B is the (m x p) matrix C with

    C[i, j] = sum over k of A[i, k] * B[k, j]      (row i of A times column j of B)

It exists only when the inner dimensions agree: the number of columns of A (n) must equal
the number of rows of B. A network layer without activation is such a product, h = U x;
two of them in a row, y = W (U x), are the single layer y = (W U) x = V x.

Note on the slides: they give A.B = [[11, 4, 18], [24, 6, 12]], but the top-left entry is
row 1 of A times column 1 of B, 2*3 + 1*8 = 14. The correct product is
[[14, 4, 18], [24, 6, 12]]; the checks name the slide's value as a mistake.
"""

import numpy as np

# The matrices of the slides
A = np.array([[2, 1],
              [0, 3]])  # 2 x 2
B = np.array([[3, 1, 7],
              [8, 2, 4]])  # 2 x 3


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


# By hand: [[2*3 + 1*8, 2*1 + 1*2, 2*7 + 1*4], [0*3 + 3*8, 0*1 + 3*2, 0*7 + 3*4]]
AB = matmul(A, B)  # [[14, 4, 18], [24, 6, 12]], shape (2, 3)
SLIDES_AB = np.array([[11, 4, 18], [24, 6, 12]])  # the value printed on the slides (top-left is a typo)

# Two linear layers without activation: h = U x (2 inputs -> 3 hidden), y = W h (3 -> 2 outputs)
U = np.array([[1, 0],
              [2, 1],
              [0, 3]])  # 3 x 2, the first layer
W = np.array([[1, -1, 2],
              [0, 1, 1]])  # 2 x 3, the second layer
V = matmul(W, U)  # y = W (U x) = (W U) x: one layer V = W U, shape (2, 2): [[-1, 5], [2, 4]]
X_EXAMPLE = np.array([[1], [2]])  # an input column x
Y_EXAMPLE = matmul(W, matmul(U, X_EXAMPLE))  # two layers in a row: [[9], [10]], the same as V x


# Typical mistakes, used by the hidden checks to name a hint.
AT_B = matmul(A.T, B)  # A transposed before multiplying: [[6, 2, 14], [27, 7, 19]]
UW = matmul(U, W)  # the layers multiplied in the wrong order: 3 x 3


if __name__ == "__main__":
    print("shape of A.B:", product_shape(A.shape, B.shape))
    print("A.B =\n", AB)
    print("V = W.U =\n", V, "\nW(Ux) =", Y_EXAMPLE.ravel(), " Vx =", matmul(V, X_EXAMPLE).ravel())
