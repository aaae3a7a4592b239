"""Hidden checks of `gradient_descent`: one step by hand, a training loop, a gradient check, the
learning rate.

Otter questions and the names they grade:
    q1_one_step        grad_w, grad_b, w_new, b_new, p_new    the banknote neuron, one step by hand
    q2_training_loop   gradient(X, y, w, b), train_logistic(X, y, lr, epochs)
                                                  called on the grader's own data and learning rates
    q3_gradient_check  numerical_gradient(X, y, w, b, eps)    central differences of bce_loss
    q4_learning_rate   diverging_lrs, lr_limit    gradient descent on the bowl a (w - 2)^2

The three functions return a pair (gradient or weights w, bias b); PairCheck, defined here,
judges such pairs. Every student may have their own neuron, note, label, learning rate and
bowl (a variant): expected values and typical mistakes come from `sol.for_student(key)`.
"""

import numpy as np

from autograder.exercises import load_solution
from autograder.judge import Check, FormError, Upstream, ValueCheck, Verdict, drawn_as
from autograder.judge import derived_hints, error_hints
from autograder.judge.checks import raised_text, tolerances
from autograder.probe.requests import Call, Var

sol = load_solution(__file__)

SIGN = "the sign is flipped: the gradient of the cross-entropy is (p - y) x, and a step goes against it, w - lr * gradient"
SUMMED = "the gradient was summed over the notes; the loss is their mean, so the gradient is X.T @ (p - y) / n"


def _vector(value, what: str) -> np.ndarray:
    """A vector of numbers: an array (any shape with one non-trivial axis), a list or a number."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value.astype(float).reshape(-1)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return np.array([float(value)])
    if isinstance(value, (list, tuple)) and value:
        try:
            return np.concatenate([_vector(v, what) for v in value])
        except FormError:
            pass
    raise FormError(f"{what} should hold numbers")


def _pair(value, what: str, size: int) -> tuple[np.ndarray, float]:
    """(w, b) from a reply that should be a pair: w with `size` numbers, b a single number."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        got = "None" if value is None else f"a {type(value).__name__}"
        raise FormError(f"{what} should return a pair (w, b), the weights (or their gradient) and the bias; got {got}")
    w, b = _vector(value[0], f"the first item returned by {what}"), _vector(value[1], f"the bias returned by {what}")
    if w.size != size:
        raise FormError(f"the first item returned by {what} should hold {size} numbers, one per feature, got {w.size}")
    if b.size != 1:
        raise FormError(f"the bias returned by {what} should be a single number, got {b.size} numbers")
    return w, float(b[0])


def _flat_pair(pair) -> np.ndarray:
    """(w, b) as one array [w..., b], the form derived hints compare a pair in."""
    return np.concatenate([np.asarray(pair[0], dtype=float).reshape(-1), np.asarray(pair[1], dtype=float).reshape(-1)])


class PairCheck(Check):
    """A student function that returns a pair (w, b), called in the sandbox on the grader's
    inputs and compared with `reference`; `mistakes` are functions of the same arguments."""

    def __init__(self, name, function, cases, reference, points=1.0, rtol=1e-6, atol=1e-9,
                 description="", mistakes=None):
        self.name, self.function, self.cases, self.reference = name, function, cases, reference
        self.points, self.rtol, self.atol = points, rtol, atol
        self.description = description
        self.mistakes = dict(mistakes or {})

    def probes(self, rng):
        return {str(i): Call(self.function, tuple(args)) for i, args in enumerate(self.cases(rng))}

    def _same(self, got, expected, rtol=None, atol=None) -> bool:
        rtol, atol = (self.rtol if rtol is None else rtol), (self.atol if atol is None else atol)
        w, b = np.asarray(expected[0], dtype=float).reshape(-1), float(expected[1])
        return got[0].shape == w.shape and bool(np.allclose(got[0], w, rtol=rtol, atol=atol)) \
            and bool(np.isclose(got[1], b, rtol=rtol, atol=atol))

    def judge(self, answers, asked):
        failures, hints, passed = [], [], 0
        returned = []  # (args, (w, b), whether right, comparison) of the calls that returned a pair
        for key, call in asked.items():
            what = f"`{self.function}`"
            answer = answers[key]
            if answer.error is not None:
                failures.append(f"{what} raised {raised_text(answer)}" if answer.raised else f"{what}: {answer.error}")
                named = error_hints.raised_hint(raised_text(answer)) if answer.raised else ""
                if named and named not in hints:
                    hints.append(named)
                continue
            try:
                got = _pair(answer.value, what, np.shape(call.args[0])[1])
            except FormError as exc:
                failures.append(str(exc))
                continue
            expected = self.reference(*call.args)
            # a pair computed in float32 (torch's default) is judged within float32's precision
            rtol, atol = tolerances(answer.value, expected, self.rtol, self.atol)
            flat = np.concatenate([got[0], [got[1]]])
            returned.append((call.args, flat, None, (lambda rtol, atol: lambda a, b: a.shape == np.shape(b) and bool(
                np.allclose(a, b, rtol=rtol, atol=atol)))(rtol, atol)))
            if self._same(got, expected, rtol, atol):
                passed += 1
                returned[-1] = returned[-1][:2] + (True,) + returned[-1][3:]
                continue
            returned[-1] = returned[-1][:2] + (False,) + returned[-1][3:]
            failures.append(f"{what} did not return {self.description}")
            hint = next((h for h, wrong in self.mistakes.items() if self._same(got, wrong(*call.args), rtol, atol)), "")
            if hint and hint not in hints:
                hints.append(hint)
        points = self.points * passed / max(len(asked), 1)
        if not failures:
            return Verdict(points)
        if not hints and len(failures) == sum(1 for r in returned if not r[2]):  # every wrong call returned a pair
            hints.append(derived_hints.call_hint(self.reference, returned, self.function, post=_flat_pair)
                         or derived_hints.part_hint(self.reference, returned, PAIR_PARTS, self.function, post=_flat_pair))
        return Verdict(points, f"{len(failures)} of {len(asked)} calls of `{self.function}` were wrong; first: {failures[0]}",
                       "; ".join(h for h in hints if h))


# The two parts of a pair in its flat form (the weights, then the bias), for a hint about one of them.
PAIR_PARTS = (("in the first value returned (the weights' part)", lambda flat: flat[:-1]),
              ("in the second value returned (the bias's part)", lambda flat: flat[-1:]))

W_ADDED = "the gradient was added: a step of gradient descent goes against the gradient, w - lr * gradient"
W_WITHOUT_LR = "the learning rate is missing: w - lr * gradient"
W_IS_STEP = "this is only the step lr * gradient; subtract it from the old weights"
B_ADDED = "the gradient was added: b - lr * (p - y)"
B_WITHOUT_LR = "the learning rate is missing: b - lr * (p - y)"


def _given(name: str) -> float:
    """A number the notebook gives (the neuron, the note, the learning rate), for the student's variant."""
    return float(sol.student_numbers()[name])


def _weights():
    return np.array([_given("w1"), _given("w2")])


# The step and p_new are judged against the student's own gradient and step: a step taken right
# with a wrong gradient is told so, and is not blamed for adding the gradient.
def _w_new_from_grad_w():
    return Upstream(
        probes={"grad_w": Var("grad_w")},
        forms={"grad_w": "array"},
        rule=lambda grad_w: _weights() - _given("lr") * grad_w,
        hint="w_new = (w1, w2) - lr * grad_w is right for your grad_w, but grad_w is not right (see its check)",
        mistakes={
            W_ADDED: lambda grad_w: _weights() + _given("lr") * grad_w,
            W_WITHOUT_LR: lambda grad_w: _weights() - grad_w,
            W_IS_STEP: lambda grad_w: _given("lr") * grad_w,
        },
    )


def _b_new_from_grad_b():
    return Upstream(
        probes={"grad_b": Var("grad_b")},
        rule=lambda grad_b: _given("b") - _given("lr") * grad_b,
        hint="b_new = b - lr * grad_b is right for your grad_b, but grad_b is not right (see its check)",
        mistakes={
            B_ADDED: lambda grad_b: _given("b") + _given("lr") * grad_b,
            B_WITHOUT_LR: lambda grad_b: _given("b") - grad_b,
        },
    )


def _p_new_from_step():
    def p_of(w_new, b_new):
        return float(sol.sigmoid(np.reshape(w_new, -1) @ np.array([_given("x1"), _given("x2")]) + b_new))

    return Upstream(
        probes={"w_new": Var("w_new"), "b_new": Var("b_new")},
        forms={"w_new": "array"},
        rule=p_of,
        hint="p_new = sigmoid(w_new . x + b_new) is right for your w_new and b_new, but they are not right (see their checks)",
        mistakes={"this is the probability before the step; use w_new and b_new":
                  lambda w_new, b_new: p_of(_weights(), _given("b"))},
    )


def _gradient_without_bias(X, y, w, b):
    """The bias left out of z: p = sigmoid(X @ w)."""
    error = sol.sigmoid(np.asarray(X) @ np.asarray(w)) - np.asarray(y)
    return np.asarray(X).T @ error / len(y), float(np.mean(error))


def _train_one_step_less(X, y, lr, epochs):
    return sol.train_logistic(X, y, lr, epochs - 1)


def _train_lr_twice(X, y, lr, epochs):
    """lr * (lr * gradient): the step scaled by the learning rate twice."""
    return sol.train_logistic(X, y, lr * lr, epochs)


def _train_with(X, y, lr, epochs, step_b):
    """Gradient descent from 0 with the bias's step given: `step_b(X, y, w_before, w_after, b)`."""
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        grad_w, grad_b = sol.gradient(X, y, w, b)
        w_after = w - lr * grad_w
        b = step_b(X, y, w, w_after, b, grad_b)
        w = w_after
    return w, b


def _train_lr_on_w_only(X, y, lr, epochs):
    """The bias stepped by its whole gradient, without the learning rate."""
    return _train_with(X, y, lr, epochs, lambda X, y, w, w_after, b, grad_b: b - grad_b)


def _train_sequential(X, y, lr, epochs):
    """w updated first, and the bias's gradient then taken at the new w."""
    return _train_with(X, y, lr, epochs, lambda X, y, w, w_after, b, grad_b: b - lr * sol.gradient(X, y, w_after, b)[1])


def _data(rng, n=None, d=None):
    """Notes X (n, d) and labels y drawn from a logistic model: not separable, so that the
    weights stay moderate."""
    n = n or int(rng.integers(20, 60))
    d = d or int(rng.integers(2, 5))
    X = np.round(rng.normal(0.0, 1.5, size=(n, d)), 3)
    truth = rng.normal(0.0, 1.0, size=d)
    y = (rng.uniform(size=n) < sol.sigmoid(X @ truth + rng.normal())).astype(float)
    return X, y


def _gradient_cases(rng):
    cases = []
    for _ in range(3):
        X, y = _data(rng)
        cases.append((X, y, np.round(rng.normal(0.0, 1.0, size=X.shape[1]), 3), float(np.round(rng.normal(), 3))))
    return cases


def _training_cases(rng):
    """Three trainings with the grader's data, learning rate and number of epochs."""
    cases = []
    for lr in (float(rng.choice([0.05, 0.1, 0.2])), float(rng.choice([0.3, 0.5])), float(rng.choice([0.8, 1.0]))):
        X, y = _data(rng)
        cases.append((X, y, lr, int(rng.integers(20, 80))))
    return cases


def _numerical_cases(rng):
    """Three points (w, b) with eps = 0.01 to 0.05: central differences then differ from the
    exact gradient and from one-sided differences by more than the tolerance."""
    return [args + (float(rng.choice([0.01, 0.02, 0.05])),) for args in _gradient_cases(rng)]


CHECKS = [
    ValueCheck(
        "grad_w",
        expected=sol.for_student("GRAD_W"),
        form="array",
        description="the gradient (dL/dw1, dL/dw2) = (p - y) * (x1, x2), an array of 2 numbers",
        mistakes={
            SIGN: sol.for_student("GRAD_W_SIGN"),
            "the input is missing: dL/dw_i = (p - y) * x_i": sol.for_student("GRAD_W_WITHOUT_X"),
            "the weights were used instead of the inputs: dL/dw_i = (p - y) * x_i":
                sol.for_student(lambda a: a["GRAD_B"] * _weights()),
            "z was used instead of p = sigmoid(z): the gradient is (p - y) x": sol.for_student("GRAD_W_WITH_Z"),
            "this is the gradient of the squared error, (p - y) p (1 - p) x; with the cross-entropy the "
            "factor p (1 - p) cancels": sol.for_student("GRAD_W_MSE"),
        },
    ),
    ValueCheck(
        "grad_b",
        expected=sol.for_student("GRAD_B"),
        description="the gradient dL/db = p - y",
        mistakes={
            SIGN: sol.for_student("GRAD_B_SIGN"),
            "z was used instead of p = sigmoid(z): dL/db = p - y": sol.for_student("GRAD_B_WITH_Z"),
        },
    ),
    ValueCheck(
        "w_new",
        expected=sol.for_student("W_NEW"),
        form="array",
        description="the weights after one step, (w1, w2) - lr * gradient, an array of 2 numbers",
        mistakes={W_ADDED: sol.for_student("W_NEW_PLUS"), W_WITHOUT_LR: sol.for_student("W_NEW_WITHOUT_LR"), W_IS_STEP: sol.for_student("W_NEW_IS_STEP")},
        upstream=_w_new_from_grad_w(),
    ),
    ValueCheck(
        "b_new",
        expected=sol.for_student("B_NEW"),
        description="the bias after one step, b - lr * (p - y)",
        mistakes={B_ADDED: sol.for_student("B_NEW_PLUS"), B_WITHOUT_LR: sol.for_student("B_NEW_WITHOUT_LR")},
        upstream=_b_new_from_grad_b(),
    ),
    ValueCheck(
        "p_new",
        expected=sol.for_student("P_NEW"),
        points=0.5,
        description="the probability sigmoid(w_new . x + b_new) after the step",
        mistakes={
            "this is the probability before the step; use w_new and b_new": sol.for_student("P_OLD"),
            "these are the weights of a step with the gradient added, not subtracted": sol.for_student("P_NEW_PLUS"),
        },
        upstream=_p_new_from_step(),
    ),
    PairCheck(
        "gradient",
        function="gradient",
        cases=_gradient_cases,
        reference=sol.gradient,
        description="the gradient of the mean cross-entropy, (X.T @ (p - y) / n, mean(p - y))",
        mistakes={
            SIGN: sol.gradient_sign_flipped,
            SUMMED: sol.gradient_summed,
            "the inputs are missing in the weights' gradient: X.T @ (p - y) / n": sol.gradient_without_x,
            "the bias is missing from the net input: p = sigmoid(X @ w + b)": _gradient_without_bias,
        },
    ),
    PairCheck(
        "train_logistic",
        function="train_logistic",
        cases=_training_cases,
        reference=sol.train_logistic,
        points=2.0,
        rtol=1e-5,
        description="(w, b) after `epochs` steps of full-batch gradient descent from w = 0, b = 0",
        mistakes={
            SUMMED: sol.train_summed_gradient,
            "the weights went up the gradient: a step is w = w - lr * gradient": sol.train_ascent,
            "the bias was never updated: b = b - lr * mean(p - y) in every epoch": sol.train_without_bias,
            "this is the gradient of the squared error; with the cross-entropy it is (p - y) x": sol.train_mse_gradient,
            "one step too many: the loop should run exactly `epochs` times": sol.train_one_step_more,
            "the learning rate is missing in the update: w - lr * gradient": sol.train_without_lr,
            "one step too few: the loop should run exactly `epochs` times": _train_one_step_less,
            "the learning rate was applied twice: the step is lr * gradient, taken once": _train_lr_twice,
            "the bias took a step of its whole gradient: the learning rate belongs to the bias's step too, "
            "b = b - lr * grad_b": _train_lr_on_w_only,
            ("the updates were made one after the other: the bias's gradient was taken at the new w; take both "
             "gradients at the same (w, b), then update both"): _train_sequential,
        },
    ),
    PairCheck(
        "numerical_gradient",
        function="numerical_gradient",
        cases=_numerical_cases,
        reference=sol.numerical_gradient,
        points=2.0,
        description="the central differences (L(w + eps e_i) - L(w - eps e_i)) / (2 eps) of bce_loss",
        mistakes={
            "these are forward differences (L(w + eps) - L(w)) / eps; use central ones, "
            "(L(w + eps) - L(w - eps)) / (2 eps)": sol.numerical_one_sided,
            "the central difference is divided by eps; the two points lie 2 eps apart": sol.numerical_without_half,
            "all weights were moved at once; move one weight at a time (w + eps * e_i)": sol.numerical_all_at_once,
            "each weight must be put back after its differences; later weights were computed at a shifted w":
                sol.numerical_not_restored,
            "this is the exact gradient from the formula; the question asks for the numerical one, from bce_loss":
                sol.gradient_at,
        },
    ),
    ValueCheck(
        "diverging_lrs",
        expected=sol.for_student("DIVERGING_LRS"),
        form="array",
        description="the candidate learning rates (in the order of candidate_lrs) for which w moves away from the minimum",
        mistakes={
            "some of these overshoot the minimum at every step, but still converge: w jumps back and forth "
            "with a shrinking distance": sol.for_student("DIVERGING_OVERSHOOTING"),
            "if one learning rate diverges, every larger one diverges too": sol.for_student("DIVERGING_LARGEST"),
        },
    ),
    ValueCheck(
        "lr_limit",
        expected=sol.for_student("LR_LIMIT"),
        description="the learning rate above which gradient descent on a (w - 2)^2 diverges, from |1 - 2 a lr| < 1",
        mistakes={
            "the derivative of a (w - 2)^2 is 2 a (w - 2): the factor 2 is missing": sol.for_student("LR_LIMIT_WITHOUT_TWO"),
            "above 1/(2a) the steps overshoot the minimum but still converge; they diverge only when "
            "|1 - 2 a lr| > 1": sol.for_student("LR_LIMIT_OVERSHOOT"),
        },
    ),
]

drawn_as(next(c for c in CHECKS if c.name == "train_logistic"), "gradient_descent")  # its loss curve

# Otter question -> the checks that grade it: the build gives each question the sum of their points
# and one hidden Otter test per check (autograder/build/hidden_tests.py).
QUESTIONS = {
    "q1_one_step": ["grad_w", "grad_b", "w_new", "b_new", "p_new"],
    "q2_training_loop": ["gradient", "train_logistic"],
    "q3_gradient_check": ["numerical_gradient"],
    "q4_learning_rate": ["diverging_lrs", "lr_limit"],
}


def notebook_variant(given: dict) -> dict:
    """The notebook's own numbers, read from its given variables, for Otter's hidden tests (the
    grader reads them from the notebook's signed variant block instead)."""
    return {key: given[key] for key in ("w1", "w2", "b", "x1", "x2", "y", "lr", "a")}
