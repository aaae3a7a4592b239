"""Held-out mistakes of `activations` (see exercises/softmax/held_out.py for what they are for)."""

from autograder.judge.mistakes import Mistake

MISTAKES = [
    Mistake("leaky ReLU for ReLU",
            edits={"return np.maximum(x, 0)": "return np.maximum(x, 0.01 * x)"},
            expect={"relu": "leaky", "relu_out": "right for your relu"}),
    Mistake("an elementwise product for the combined weights",
            edits={"W_combined = W1 @ W2  # SOLUTION": "W_combined = W1 * W2"},
            expect={"W_combined": "raised", "b_combined": "raised", "same_with_relu": "raised"}),
    Mistake("the sigmoid's derivative rule for tanh",
            edits={"return 1 - tanh(x) ** 2": "return tanh(x) * (1 - tanh(x))"},
            expect={"tanh_grad": "sigmoid"}),
    Mistake("the combined weights transposed",
            edits={"W_combined = W1 @ W2  # SOLUTION": "W_combined = (W1 @ W2).T"},
            expect={"W_combined": "transpose", "same_with_relu": ""}),
    Mistake("the output bias left out with ReLU",
            edits={"relu_out = relu(X @ W1 + b1) @ W2 + b2  # SOLUTION": "relu_out = relu(X @ W1 + b1) @ W2"},
            expect={"relu_out": "b2"}),
    # Written on 2026-12-07 after the derived hints of that day, before they were judged: a fresh measure.
    Mistake("tanh's derivative without its square",
            edits={"return 1 - tanh(x) ** 2": "return 1 - tanh(x)"},
            expect={"tanh_grad": "square"}),
]
