"""Typical week-1 mistakes in `gradient_descent`, with the hints they should get
(judged by `autograder coverage` and tests/exercises/test_mistakes.py)."""

from autograder.judge.mistakes import Mistake

MISTAKES = [
    Mistake("the gradient's sign flipped",
            edits={"grad_w = (p - y) * np.array([x1, x2])": "grad_w = (y - p) * np.array([x1, x2])",
                   "grad_b = p - y": "grad_b = y - p"},
            expect={"grad_w": "sign is flipped", "grad_b": "sign is flipped", "w_new": "right for your grad_w",
                    "b_new": "right for your grad_b", "p_new": "right for your w_new and b_new"}),
    Mistake("the learning rate left out of the step",
            edits={"w_new = np.array([w1, w2]) - lr * grad_w": "w_new = np.array([w1, w2]) - grad_w",
                   "b_new = b - lr * grad_b": "b_new = b - grad_b"},
            expect={"w_new": "learning rate is missing", "b_new": "learning rate is missing",
                    "p_new": "right for your w_new and b_new"}),
    Mistake("the gradient summed over the notes",
            edits={"return X.T @ error / len(y), np.mean(error)": "return X.T @ error, np.sum(error)"},
            expect={"gradient": "summed over the notes", "train_logistic": "summed over the notes"}),
    Mistake("one step too many",
            edits={"for _ in range(epochs):": "for _ in range(epochs + 1):"},
            expect={"train_logistic": "one step too many"}),
    Mistake("the bias never updated",
            edits={"b = b - lr * grad_b": "b = b"},
            expect={"train_logistic": "bias was never updated"}),
    Mistake("the learning rate applied twice",
            edits={"w = w - lr * grad_w": "w = w - lr * lr * grad_w", "b = b - lr * grad_b": "b = b - lr * lr * grad_b"},
            expect={"train_logistic": "applied twice"}),
    Mistake("forward differences",
            edits={"(bce_loss(X, y, w + step, b) - bce_loss(X, y, w - step, b)) / (2 * eps)":
                   "(bce_loss(X, y, w + step, b) - bce_loss(X, y, w, b)) / eps",
                   "(bce_loss(X, y, w, b + eps) - bce_loss(X, y, w, b - eps)) / (2 * eps)":
                   "(bce_loss(X, y, w, b + eps) - bce_loss(X, y, w, b)) / eps"},
            expect={"numerical_gradient": "forward differences"}),
    Mistake("the factor 2 of the bowl's derivative forgotten",
            edits={"lr_limit = 1 / a": "lr_limit = 2 / a"},
            expect={"lr_limit": "factor 2"}),
    Mistake("the learning rate on w only",
            edits={"        b = b - lr * grad_b\n": "        b = b - grad_b\n"},
            expect={"train_logistic": "learning rate"}),
    Mistake("sequential updates",
            edits={"        grad_w, grad_b = gradient(X, y, w, b)\n        w = w - lr * grad_w\n        b = b - lr * grad_b\n":
                   "        grad_w, _ = gradient(X, y, w, b)\n        w = w - lr * grad_w\n"
                   "        _, grad_b = gradient(X, y, w, b)\n        b = b - lr * grad_b\n"},
            expect={"train_logistic": "same"}),
    # Held out (exercises/gradient_descent/held_out.py) until the hint about one part of a pair was
    # written for it (judge/derived_hints.py, part_hint).
    Mistake("the weights' gradient summed over the examples",
            edits={"return X.T @ error / len(y), np.mean(error)": "return X.T @ error, np.mean(error)"},
            expect={"gradient": "the weights' part): the values were added up", "train_logistic": ""}),
]
