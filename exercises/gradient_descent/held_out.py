"""Held-out mistakes of `gradient_descent` (see exercises/softmax/held_out.py for what they are for)."""

from autograder.judge.mistakes import Mistake

MISTAKES = [
    Mistake("X not transposed in the gradient",
            edits={"return X.T @ error / len(y), np.mean(error)": "return X @ error / len(y), np.mean(error)"},
            expect={"gradient": "X.T", "train_logistic": ""}),
    Mistake("grad_b with its sign flipped",
            edits={"grad_b = p - y  # SOLUTION": "grad_b = y - p"},
            expect={"grad_b": "sign", "b_new": "right for your grad_b", "p_new": "right for your"}),
    Mistake("the step uphill",
            edits={"w_new = np.array([w1, w2]) - lr * grad_w  # SOLUTION": "w_new = np.array([w1, w2]) + lr * grad_w"},
            expect={"w_new": "", "p_new": "right for your"}),
    Mistake("the central difference divided by eps",
            edits={"/ (2 * eps)\n    grad_b": "/ eps\n    grad_b", "b - eps)) / (2 * eps)": "b - eps)) / eps"},
            expect={"numerical_gradient": "2"}),
    Mistake("p_new with the old bias",
            edits={"p_new = sigmoid(w_new[0] * x1 + w_new[1] * x2 + b_new)": "p_new = sigmoid(w_new[0] * x1 + w_new[1] * x2 + b)"},
            expect={"p_new": "b"}),
    Mistake("the limit of the learning rate halved",
            edits={"lr_limit = 1 / a  # SOLUTION": "lr_limit = 1 / (2 * a)"},
            expect={"lr_limit": "2"}),
    Mistake("the error without the sigmoid",
            edits={"error = sigmoid(X @ w + b) - y": "error = X @ w + b - y"},
            expect={"gradient": "sigmoid", "train_logistic": ""}),
    # Written on 2026-12-07 after the derived hints of that day, before they were judged: a fresh measure.
    Mistake("the features swapped in grad_w",
            edits={"grad_w = (p - y) * np.array([x1, x2])  # SOLUTION": "grad_w = (p - y) * np.array([x2, x1])"},
            expect={"grad_w": "swapped", "w_new": "", "p_new": ""}),
]
