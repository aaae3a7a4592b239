"""Typical week-1 mistakes in `sigmoid_probability`, with the hints they should get
(judged by `autograder coverage` and tests/exercises/test_mistakes.py)."""

from autograder.judge.mistakes import Mistake

MISTAKES = [
    Mistake("math.exp instead of np.exp",
            edits={"import numpy as np": "import numpy as np\nimport math", "np.exp(-z)": "math.exp(-z)"},
            expect={"sigmoid": "np.exp", "p_vec": "sigmoid fails on arrays"}),
    Mistake("the bias forgotten in z",
            edits={"z = w1 * x1 + w2 * x2 + b": "z = w1 * x1 + w2 * x2"},
            expect={"z": "bias", "p": "right for your z"}),
    Mistake("the sign of the exponent flipped",
            edits={"np.exp(-z)": "np.exp(z)"},
            expect={"sigmoid": "sign", "p": "sign", "is_fake": "right for your p", "p_vec": "sign"}),
    Mistake("the decision rule reversed",
            edits={"is_fake = p > 0.5": "is_fake = p < 0.5"},
            expect={"is_fake": "fake when p > 0.5"}),
    Mistake("z handed in as p",
            edits={"p = sigmoid(z)": "p = z"},
            expect={"p": "z was given instead of p"}),
    Mistake("each weight with the other input",
            edits={"z = w1 * x1 + w2 * x2 + b": "z = w1 * x2 + w2 * x1 + b"},
            expect={"z": "w1 goes with x1", "p": "right for your z"}),
    Mistake("W as a row, used transposed",
            edits={"W = np.array([[w1], [w2]])": "W = np.array([[w1, w2]])", "sigmoid(X @ W + b)": "sigmoid(X @ W.T + b)"},
            expect={"W": "column"}),
    Mistake("tanh where the sigmoid was asked",
            edits={"return 1 / (1 + np.exp(-z))": "return np.tanh(z)"},
            expect={"sigmoid": "tanh", "p": "tanh", "p_vec": "tanh"}),
    Mistake("ReLU where the sigmoid was asked",
            edits={"return 1 / (1 + np.exp(-z))": "return np.maximum(0, z)"},
            expect={"sigmoid": "ReLU", "p": "ReLU", "p_vec": "ReLU"}),
    Mistake("1 / 1 + np.exp(-z): the brackets of the denominator forgotten",
            edits={"return 1 / (1 + np.exp(-z))": "return 1 / 1 + np.exp(-z)"},
            expect={"sigmoid": "brackets", "p": "brackets", "p_vec": "brackets"}),
]
