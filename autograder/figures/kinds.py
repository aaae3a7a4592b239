"""The kinds of figure, by the name a check gives as `figure=` (one module each)."""

from __future__ import annotations

from autograder.figures import (decision_line, function_curve, gradient_descent, learning_curves, loss_curve,
                                predictions, sigmoid_probability, softmax, training)
from autograder.figures.kind import Kind

KINDS: dict[str, Kind] = {module.KIND.name: module.KIND for module in (
    sigmoid_probability, decision_line, function_curve, gradient_descent, softmax, learning_curves, predictions,
    loss_curve, training)}
