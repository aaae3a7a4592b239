"""Typical week-1 mistakes in `forward_pass`, with the hints they should get
(judged by `autograder coverage` and tests/exercises/test_mistakes.py)."""

from autograder.judge.mistakes import Mistake

_MATH = "math.exp works on single numbers only"

MISTAKES = [
    Mistake("math.exp instead of np.exp",
            edits={"import numpy as np": "import numpy as np\nimport math", "np.exp(-z)": "math.exp(-z)"},
            expect={"sigmoid": _MATH, "predict_no_hidden": _MATH, "predict_hidden": _MATH, "predict_two_hidden": _MATH,
                    "p_no_hidden": "your predict_no_hidden fails", "p_hidden": "your predict_hidden fails",
                    "p_two_hidden": "your predict_two_hidden fails"}),
    Mistake("the bias forgotten without hidden layer",
            edits={"return sigmoid(X @ W + b)": "return sigmoid(X @ W)"},
            expect={"predict_no_hidden": "bias", "p_no_hidden": "your predict_no_hidden"}),
    Mistake("ReLU in the hidden layer where the sigmoid was asked",
            edits={"hidden = sigmoid(X @ W1 + b1)": "hidden = np.maximum(0, X @ W1 + b1)"},
            expect={"predict_hidden": "ReLU", "p_hidden": "your predict_hidden"}),
    Mistake("no activation in the hidden layer",
            edits={"hidden = sigmoid(X @ W1 + b1)": "hidden = X @ W1 + b1"},
            expect={"predict_hidden": "activation is missing", "p_hidden": "your predict_hidden"}),
    Mistake("no sigmoid at the output",
            edits={"return sigmoid(hidden @ W2 + b2)": "return hidden @ W2 + b2"},
            expect={"predict_hidden": "output is z", "p_hidden": "your predict_hidden"}),
    Mistake("the shapes written (nodes, inputs)",
            edits={"shape_W1 = (2, n_hidden)": "shape_W1 = (n_hidden, 2)", "shape_W3 = (n_hidden, 1)": "shape_W3 = (1, n_hidden)"},
            expect={"shape_W1": "rows and columns are swapped", "shape_W3": "rows and columns are swapped",
                    "p_two_hidden": "see question 4"}),
    Mistake("W2 transposed in the second hidden layer",
            edits={"hidden2 = sigmoid(hidden1 @ W2 + b2)": "hidden2 = sigmoid(hidden1 @ W2.T + b2)"},
            expect={"predict_two_hidden": "W2 is transposed", "p_two_hidden": "your predict_two_hidden"}),
    Mistake("the weights drawn after a single seed",
            edits={"W1_ = draw_normal(shape_W1)": "np.random.seed(22)\nW1_ = np.random.normal(0, 1, size=shape_W1)",
                   "b1_ = draw_normal((n_hidden,))": "b1_ = np.random.normal(0, 1, size=(n_hidden,))",
                   "W2_ = draw_normal(shape_W2)": "W2_ = np.random.normal(0, 1, size=shape_W2)",
                   "b2_ = draw_normal((n_hidden,))": "b2_ = np.random.normal(0, 1, size=(n_hidden,))",
                   "W3_ = draw_normal(shape_W3)": "W3_ = np.random.normal(0, 1, size=shape_W3)",
                   "b3_ = draw_normal((1,))": "b3_ = np.random.normal(0, 1, size=(1,))"},
            expect={"p_two_hidden": "reseeds"}),
    Mistake("the second hidden layer computed but not used",
            edits={"return sigmoid(hidden2 @ W3 + b3)": "return sigmoid(hidden1 @ W3 + b3)"},
            expect={"predict_two_hidden": "not used", "p_two_hidden": "your predict_two_hidden"}),
    Mistake("the bias added after the sigmoid",
            edits={"return sigmoid(X @ W + b)": "return sigmoid(X @ W) + b"},
            expect={"predict_no_hidden": "after the sigmoid", "p_no_hidden": "your predict_no_hidden"}),
]
