"""Typical week-1 mistakes in `matrix_multiplication`, with the hints they should get
(judged by `autograder coverage` and tests/exercises/test_mistakes.py)."""

from autograder.judge.mistakes import Mistake

MISTAKES = [
    Mistake("`=` instead of `+=` in the loop, and matmul used for V",
            edits={"C[i, j] += A[i, k] * B[k, j]": "C[i, j] = A[i, k] * B[k, j]", "V = W @ U": "V = matmul(W, U)"},
            expect={"matmul": "+=", "V": "your matmul"}),
    Mistake("no ValueError for shapes that do not fit",
            edits={'        raise ValueError(f"A has {n} columns but B has {n_b} rows")\n': "        pass\n"},
            expect={"product_shape": "raise ValueError", "matmul": "raise ValueError"}),
    Mistake("the inner dimensions kept",
            edits={"return (m, p)": "return (n, n_b)"},
            expect={"product_shape": "inner dimensions were kept", "matmul": "C has the shape"}),
    Mistake("the slides' typo copied into A.B",
            edits={"AB = [[A[i, 0] * B[0, j] + A[i, 1] * B[1, j] for j in range(3)] for i in range(2)]":
                   "AB = [[11, 4, 18], [24, 6, 12]]"},
            expect={"AB": "top-left entry"}),
    Mistake("A transposed in the product by hand",
            edits={"AB = [[A[i, 0] * B[0, j] + A[i, 1] * B[1, j] for j in range(3)] for i in range(2)]":
                   "AB = [[A[0, i] * B[0, j] + A[1, i] * B[1, j] for j in range(3)] for i in range(2)]"},
            expect={"AB": "A was transposed"}),
    Mistake("A's indices swapped in matmul",
            edits={"C[i, j] += A[i, k] * B[k, j]": "C[i, j] += A[k, i] * B[k, j]"},
            expect={"matmul": "A"}),
    Mistake("the layers multiplied in the wrong order",
            edits={"V = W @ U": "V = U @ W"},
            expect={"V": "wrong order"}),
    Mistake("the element-wise product",
            edits={"    C = np.zeros((m, p))\n    for i in range(m):\n        for j in range(p):\n            for k in range(n):\n                C[i, j] += A[i, k] * B[k, j]\n    return C":
                   "    return A * B"},
            expect={"matmul": "element"}),
    Mistake("C of the wrong shape",
            edits={"C = np.zeros((m, p))": "C = np.zeros((m, n))"},
            expect={"matmul": "shape"}),
]
