"""Typical week-1 mistakes in `activations`, with the hints they should get
(judged by `autograder coverage` and tests/exercises/test_mistakes.py)."""

from autograder.judge.mistakes import Mistake

MISTAKES = [
    Mistake("relu as the absolute value",
            edits={"return np.maximum(x, 0)": "return np.abs(x)"},
            expect={"relu": "absolute value", "relu_out": "right for your relu"}),
    Mistake("the step function for relu",
            edits={"return np.maximum(x, 0)": "return (x > 0).astype(float)"},
            expect={"relu": "derivative of relu", "relu_out": "right for your relu"}),
    Mistake("relu itself as its derivative",
            edits={"return (x > 0).astype(float)": "return np.maximum(x, 0)"},
            expect={"relu_grad": "relu itself"}),
    Mistake("tanh as the sigmoid",
            edits={"return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))": "return 1 / (1 + np.exp(-x))"},
            expect={"tanh": "this is the sigmoid", "tanh_grad": ""}),
    Mistake("the square of tanh' forgotten",
            edits={"return 1 - tanh(x) ** 2": "return 1 - tanh(x)"},
            expect={"tanh_grad": "square is missing"}),
    Mistake("tanh' with x instead of tanh(x)",
            edits={"return 1 - tanh(x) ** 2": "return 1 - x ** 2"},
            expect={"tanh_grad": "uses x"}),
    Mistake("the biases added",
            edits={"b_combined = b1 @ W2 + b2  # SOLUTION": "b_combined = b1 + b2",
                   "return W1 @ W2, b1 @ W2 + b2": "return W1 @ W2, b1 + b2"},
            expect={"b_combined": "not b1 + b2", "collapse": "not b1 + b2"}),
    Mistake("the first bias forgotten",
            edits={"b_combined = b1 @ W2 + b2  # SOLUTION": "b_combined = b2",
                   "return W1 @ W2, b1 @ W2 + b2": "return W1 @ W2, b2"},
            expect={"b_combined": "first bias was forgotten", "collapse": "first bias was forgotten"}),
    Mistake("the product for columns as examples",
            edits={"W_combined = W1 @ W2  # SOLUTION": "W_combined = W2.T @ W1.T",
                   "return W1 @ W2, b1 @ W2 + b2": "return W2.T @ W1.T, b1 @ W2 + b2"},
            expect={"W_combined": "transposed", "collapse": "W is transposed", "same_with_relu": ""}),
    Mistake("relu on the output layer too",
            edits={"relu_out = relu(X @ W1 + b1) @ W2 + b2  # SOLUTION": "relu_out = relu(relu(X @ W1 + b1) @ W2 + b2)"},
            expect={"relu_out": "between the layers only"}),
    Mistake("the same with ReLU, claimed without computing",
            edits={"same_with_relu = bool(np.allclose(relu_out, X @ W_combined + b_combined))  # SOLUTION":
                   "same_with_relu = True"},
            expect={"same_with_relu": "negative hidden values become 0"}),
    Mistake("tanh without brackets",
            edits={"return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))": "return np.exp(x) - np.exp(-x) / np.exp(x) + np.exp(-x)"},
            expect={"tanh": "brackets are missing", "tanh_grad": "right for your tanh"}),
    # These two were held out (exercises/activations/held_out.py) until the derived hints for a
    # reduced result and for explanations that answers cannot tell apart were written for them.
    Mistake("np.max for np.maximum",
            edits={"return np.maximum(x, 0)": "return np.max(x, 0)"},
            expect={"relu": "maximum", "relu_out": ""}),
    Mistake("tanh with its sign flipped",
            edits={"return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))": "return (np.exp(-x) - np.exp(x)) / (np.exp(x) + np.exp(-x))"},
            expect={"tanh": "sign"}),  # tanh_grad = 1 - tanh^2 is right for either sign
]
