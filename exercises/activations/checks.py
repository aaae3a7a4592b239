"""Hidden checks of `activations`: ReLU, tanh, their derivatives, and linear layers that collapse.

Otter questions and the names they grade:
    q1_relu          relu(x), relu_grad(x)              called on the grader's arrays
    q2_tanh          tanh(x), tanh_grad(x)              called on the grader's arrays
    q3_collapse      W_combined, b_combined             the one layer equal to the notebook's two
                     collapse(W1, b1, W2, b2)           called on the grader's weights, returns (W, b)
    q4_relu_breaks   relu_out, same_with_relu           relu(X @ W1 + b1) @ W2 + b2 is not X @ W + b

The activations are called on vectors, matrices and columns drawn fresh for every grading, never
exactly 0 (where the derivative of ReLU is a convention). Every student may have their own
weights (a variant): the expected arrays and the typical mistakes come from the student's numbers.
"""

from typing import ClassVar

import numpy as np

from autograder.exercises import load_solution
from autograder.judge import (
    BuildsOn,
    Check,
    Upstream,
    current_variant,
    FormError,
    FunctionCheck,
    ValueCheck,
    Verdict,
    as_array,
    as_bool,
)
from autograder.judge.checks import raised_text, tolerances
from autograder.probe.requests import Call

sol = load_solution(__file__)


def _relu_out_from_relu():
    """relu_out judged against the student's own relu on the hidden net inputs: the network
    computed right with a wrong relu is told so (the relu check names its mistake)."""
    def probes():
        X, W1, b1, _, _ = sol.variant_arrays(current_variant())
        return {"relu_hidden": Call("relu", (X @ W1 + b1,))}

    def rule(relu_hidden):
        _, _, _, W2, b2 = sol.variant_arrays(current_variant())
        return relu_hidden @ W2 + b2

    return Upstream(
        probes=probes,
        forms={"relu_hidden": "array"},
        rule=rule,
        hint="relu_out = relu(X @ W1 + b1) @ W2 + b2 is right for your relu, but relu is not right (see its check)",
    )


def _relu_out_without_second_bias(a):
    return a["RELU_OUT"] - np.asarray(sol.student_numbers()["b2"], dtype=float)


def _activation_cases(rng):
    """A vector, a matrix and a column of net inputs, from -6 to 6, none of them 0."""
    shapes = [(int(rng.integers(4, 9)),), (int(rng.integers(2, 5)), int(rng.integers(2, 5))), (int(rng.integers(2, 6)), 1)]
    cases = []
    for shape in shapes:
        x = rng.uniform(-6.0, 6.0, size=shape)
        x[np.abs(x) < 1e-3] = 0.5
        x.flat[0], x.flat[-1] = -abs(x.flat[0]) - 0.1, abs(x.flat[-1]) + 0.1  # both signs in every case
        cases.append((x,))
    return cases


def _weight_cases(rng):
    """Four pairs of layers n_in -> h -> n_out of several sizes."""
    cases = []
    for _ in range(4):
        n_in, h, n_out = int(rng.integers(2, 5)), int(rng.integers(2, 6)), int(rng.integers(1, 4))
        cases.append((rng.normal(size=(n_in, h)), rng.normal(size=(h,)), rng.normal(size=(h, n_out)),
                      rng.normal(size=(n_out,))))
    return cases


class CollapseCheck(Check):
    """`collapse(W1, b1, W2, b2)` returns the pair (W, b) of the one equivalent layer.

    W must have the shape of W1 @ W2; b may be a vector (n_out,) or a row (1, n_out).
    """

    name = "collapse"
    points = 1.0
    description = "the pair (W, b) of one linear layer that computes the same as the two layers"
    mistakes: ClassVar[dict] = {
        "the first bias also goes through the second layer: b = b1 @ W2 + b2, not b1 + b2": sol.collapse_biases_added,
        "the first bias was forgotten: (X @ W1 + b1) @ W2 + b2 = X @ (W1 @ W2) + (b1 @ W2 + b2)": sol.collapse_first_bias_lost,
        "the second bias was forgotten: b = b1 @ W2 + b2": sol.collapse_second_bias_lost,
        "W is transposed: with rows as examples, X @ W1 @ W2 = X @ (W1 @ W2), so W = W1 @ W2": sol.collapse_reversed,
    }

    def probes(self, rng):
        return {str(i): Call("collapse", args) for i, args in enumerate(_weight_cases(rng))}

    @staticmethod
    def _pair(answer, what):
        value = answer.value
        if answer.raised:
            raise FormError(f"{what} raised {raised_text(answer)}")
        if answer.error is None and isinstance(value, (list, tuple)) and len(value) == 2:
            parts = []
            for part in value:
                try:
                    array = np.asarray(part, dtype=float)
                except (TypeError, ValueError):
                    break
                parts.append(array)
            if len(parts) == 2:
                return parts
        if answer.error is None and isinstance(value, np.ndarray) and value.dtype != object and len(value) == 2:
            return [np.asarray(value[0], dtype=float), np.asarray(value[1], dtype=float)]
        if answer.error is not None or value is Ellipsis:
            as_array(answer, what)  # raises the FormError that says what is missing
        raise FormError(f"{what} should return the pair (W, b), two arrays")

    @staticmethod
    def _same(pair, expected, rtol=1e-6, atol=1e-8) -> bool:
        W, b = pair
        W_expected, b_expected = expected
        return (W.shape == W_expected.shape and np.allclose(W, W_expected, rtol=rtol, atol=atol)
                and b.size == b_expected.size and np.allclose(b.reshape(-1), b_expected.reshape(-1), rtol=rtol, atol=atol))

    def judge(self, answers, asked):
        failures, hints, passed = [], [], 0
        for key, call in asked.items():
            what = "`collapse(...)`"
            try:
                pair = self._pair(answers[key], what)
            except FormError as exc:
                failures.append(str(exc))
                continue
            expected = sol.collapse(*call.args)
            # a pair computed in float32 (torch.Tensor, torch's default) is judged within float32's precision
            tol = tolerances(answers[key].value, expected, 1e-6, 1e-8)
            if self._same(pair, expected, *tol):
                passed += 1
                continue
            if pair[0].shape != expected[0].shape:
                failures.append(f"W should have the shape of W1 @ W2, {expected[0].shape}, got {pair[0].shape}")
            else:
                failures.append(f"{what} did not return {self.description}")
            for hint, wrong in self.mistakes.items():
                try:
                    matches = self._same(pair, wrong(*call.args), *tol)
                except ValueError:  # a mistake's model may not apply to every size (b1 + b2)
                    continue
                if matches and hint not in hints:
                    hints.append(hint)
        points = self.points * passed / max(len(asked), 1)
        if not failures:
            return Verdict(points)
        return Verdict(points, f"{len(failures)} of {len(asked)} calls of `collapse` were wrong; first: {failures[0]}",
                       "; ".join(hints))


class SameWithReluCheck(ValueCheck):
    """True or False; the bool is judged like a number, but a wrong answer explains why."""

    def judge(self, answers, asked):
        got = as_bool(answers["value"], f"`{self.var}`")
        if got == bool(self.expected()):
            return Verdict(self.points)
        return Verdict(0.0, f"`{self.var}` is not right: it should say {self.description}",
                       "with the ReLU the negative hidden values become 0, so the output is no longer "
                       "X @ W + b: compare relu_out with X @ W_combined + b_combined")


class BiasCheck(ValueCheck):
    """A bias: the vector (n_out,), or the same numbers as a row (1, n_out) (what b1 kept as a row
    gives) or, for one output, a single number; all broadcast alike in X @ W + b (and
    `collapse` and the public test accept them too)."""

    def _same(self, got, expected, rtol=None, atol=None) -> bool:
        expected = np.asarray(expected, dtype=float)
        if got.shape != expected.shape and expected.ndim == 1 and got.size == expected.size \
                and (got.ndim == 0 or got.shape == (1,) + expected.shape):
            got = got.reshape(expected.shape)
        return super()._same(got, expected, rtol, atol)


TRANSPOSED = "the matrix is transposed: with rows as examples, X @ W1 @ W2 = X @ (W1 @ W2)"

CHECKS = [
    FunctionCheck(
        "relu",
        cases=_activation_cases,
        reference=sol.relu,
        figure="function_curve",
        description="max(0, x) for every entry, with the shape of x",
        mistakes={
            "this is the absolute value: relu keeps positive x and sets negative x to 0, it does not flip them": sol.relu_as_abs,
            "this is the derivative of relu (1 for x > 0, else 0), not relu itself": sol.relu_as_step,
            "np.minimum keeps the negative values and cuts the positive ones; relu is np.maximum(x, 0)":
                lambda x: np.minimum(x, 0),
        },
    ),
    FunctionCheck(
        "relu_grad",
        cases=_activation_cases,
        reference=sol.relu_grad,
        figure="function_curve",
        description="the derivative of relu for every entry: 1 where x > 0, 0 where x < 0",
        mistakes={
            "this is relu itself; its derivative is the slope: 1 where x > 0, 0 where x < 0": sol.relu_grad_as_relu,
            "the sides are swapped: relu has slope 1 for positive x and 0 for negative x": sol.relu_grad_flipped,
        },
    ),
    FunctionCheck(
        "tanh",
        cases=_activation_cases,
        reference=sol.tanh,
        figure="function_curve",
        description="(e^x - e^-x) / (e^x + e^-x) for every entry, with the shape of x",
        mistakes={
            "this is the sigmoid; tanh has values between -1 and 1: (e^x - e^-x) / (e^x + e^-x)": sol.tanh_as_sigmoid,
            "2 * sigmoid(x) - 1 is tanh(x / 2); tanh(x) = 2 * sigmoid(2x) - 1": sol.tanh_half,
            ("the brackets are missing: without them the division binds first, e^x - (e^-x / e^x) + e^-x; "
             "write (e^x - e^-x) / (e^x + e^-x)"): lambda x: np.exp(x) - np.exp(-x) / np.exp(x) + np.exp(-x),
        },
    ),
    FunctionCheck(
        "tanh_grad",
        cases=_activation_cases,
        reference=sol.tanh_grad,
        figure="function_curve",
        description="the derivative of tanh for every entry, 1 - tanh(x)^2",
        # computed from the student's own tanh: a wrong tanh used right is told so
        builds_on=BuildsOn("tanh", lambda t, x: 1 - np.asarray(t) ** 2,
                           "tanh_grad = 1 - tanh(x)^2 is right for your tanh, but tanh is not right (see its check)"),
        mistakes={
            "the square is missing: the derivative of tanh is 1 - tanh(x)^2": sol.tanh_grad_not_squared,
            "the sign is wrong: the derivative of tanh is 1 - tanh(x)^2, at most 1": lambda x: 1 + np.tanh(x) ** 2,
            "1 - x^2 uses x; the derivative is 1 - tanh(x)^2, with tanh(x)": sol.tanh_grad_of_x,
            "s (1 - s) is the derivative of the sigmoid; for tanh it is 1 - tanh(x)^2": sol.tanh_grad_sigmoid_pattern,
        },
    ),
    ValueCheck(
        "W_combined",
        expected=sol.for_student("W_COMBINED"),
        form="array",
        description="the weights W of the one linear layer that equals the two, from W1 and W2",
        mistakes={TRANSPOSED: sol.for_student("W_REVERSED")},
    ),
    BiasCheck(
        "b_combined",
        expected=sol.for_student("B_COMBINED"),
        form="array",
        description="the bias b of the one linear layer that equals the two, from b1, W2 and b2",
        mistakes={
            "the first bias also goes through the second layer: b = b1 @ W2 + b2, not b1 + b2": sol.for_student("B_ADDED"),
            "the first bias was forgotten: it goes through W2, b = b1 @ W2 + b2": sol.for_student("B_SECOND_ONLY"),
            "the second bias was forgotten: b = b1 @ W2 + b2": sol.for_student("B_FIRST_ONLY"),
        },
    ),
    CollapseCheck(),
    ValueCheck(
        "relu_out",
        expected=sol.for_student("RELU_OUT"),
        form="array",
        description="relu(X @ W1 + b1) @ W2 + b2 for the rows of X, one output per row",
        mistakes={
            "the ReLU belongs between the layers only: the output layer here has no activation": sol.for_student("RELU_OUT_ON_OUTPUT_TOO"),
            "the bias b1 was forgotten: relu(X @ W1 + b1)": sol.for_student("RELU_OUT_WITHOUT_FIRST_BIAS"),
            "the bias b2 of the output layer was forgotten: relu(X @ W1 + b1) @ W2 + b2":
                sol.for_student(_relu_out_without_second_bias),
            "this is the output of the two layers without activation: apply relu to X @ W1 + b1": sol.for_student("TWO_LAYER_OUT"),
        },
        upstream=_relu_out_from_relu(),
    ),
    SameWithReluCheck(
        "same_with_relu",
        expected=sol.for_student("SAME_WITH_RELU"),
        form="bool",
        description="whether the network with ReLU gives the same outputs as the one linear layer (True or False)",
    ),
]


# Otter question -> the checks that grade it: the build gives each question the sum of their points
# and one hidden Otter test per check (autograder/build/hidden_tests.py).
QUESTIONS = {
    "q1_relu": ["relu", "relu_grad"],
    "q2_tanh": ["tanh", "tanh_grad"],
    "q3_collapse": ["W_combined", "b_combined", "collapse"],
    "q4_relu_breaks": ["relu_out", "same_with_relu"],
}


def notebook_variant(given: dict) -> dict:
    """The notebook's own numbers, read from its given variables, for Otter's hidden tests (the
    grader reads them from the notebook's signed variant block instead)."""
    return {key: given[key] for key in ("X", "W1", "b1", "W2", "b2")}
