"""Hidden checks of `sigmoid_probability`: the banknote neuron, by hand and as a vector product.

Otter questions and the names they grade:
    q1_net_input    z            the net input w1*x1 + w2*x2 + b
    q2_sigmoid      sigmoid(z)   called on the grader's own arrays
    q3_probability  p            sigmoid(z)
    q4_decision     is_fake      p > 0.5
    q5_vector_form  X, W, p_vec  X (1, 2), W (2, 1), sigmoid(X @ W + b) (1, 1)

Every student may have their own neuron and banknote (a variant): the expected values and
the typical mistakes are computed from the student's numbers, `sol.for_student(key)`.
"""

import numpy as np

from autograder.exercises import load_solution
from autograder.judge import FunctionCheck, Upstream, ValueCheck
from autograder.probe import Call, Var

sol = load_solution(__file__)


def _sigmoid_cases(rng):
    """A vector, a matrix and a single number, fresh for every grading."""
    return [
        (rng.normal(0.0, 4.0, size=int(rng.integers(3, 8))),),
        (rng.normal(0.0, 4.0, size=(int(rng.integers(2, 5)), int(rng.integers(2, 5)))),),
        (float(np.round(rng.normal(0.0, 3.0), 3)),),
    ]


SIGN_FLIPPED = "the sign of the exponent is flipped: 1 / (1 + exp(+z)) is 1 - p"
TANH = "this is tanh, not the sigmoid 1 / (1 + exp(-z))"
PRECEDENCE = ("1 / 1 + np.exp(-z) is 1 + exp(-z): division goes first, so write the denominator in brackets, "
              "1 / (1 + np.exp(-z))")
RELU = "this is ReLU, max(0, z); the sigmoid 1 / (1 + exp(-z)) was asked for, which gives a probability"
MATH_EXP = ("math.exp works on single numbers only; use np.exp, which works element by element on "
            "numbers and arrays of any shape")
SIGMOID_FAILS = "your sigmoid fails on arrays (see its check), so p_vec = sigmoid(X @ W + b) could not be computed"


def _bias() -> float:
    return sol.student_expected()["B"]


def _p_from_z():
    """p judged against the student's own z: p = sigmoid(z) applied to a wrong z is not blamed."""
    return Upstream(
        probes={"z": Var("z")},
        rule=lambda z: float(sol.sigmoid(z)),
        hint="p = sigmoid(z) is right for your z, but z is not right (see the check of z)",
        mistakes={
            "z was given instead of p: pass it through the sigmoid, p = 1 / (1 + exp(-z))": lambda z: z,
            SIGN_FLIPPED: lambda z: float(1 / (1 + np.exp(z))),
            TANH: lambda z: float(np.tanh(z)),
            RELU: lambda z: max(0.0, z),
            PRECEDENCE: lambda z: float(1 + np.exp(-z)),
        },
    )


def _decision_from_p():
    """is_fake judged against the student's own p: p > 0.5 applied to a wrong p is not blamed."""
    return Upstream(
        probes={"p": Var("p")},
        rule=lambda p: bool(p > 0.5),
        hint="your decision p > 0.5 is right for your p, but p is not right (see the check of p)",
        mistakes={"p is the probability that the banknote is fake, and the note counts as fake when p > 0.5":
                  lambda p: bool(p <= 0.5)},
    )


def _p_vec_from_x_w():
    return Upstream(
        probes={"X": Var("X"), "W": Var("W"), "sigmoid": Call("sigmoid", (np.zeros((1, 1)),))},
        forms={"X": "array", "W": "array", "sigmoid": "array"},
        rule=lambda X, W, sigmoid: sol.sigmoid(X @ W + _bias()),
        hint="p_vec = sigmoid(X @ W + b) is right for your X and W, but they are not (see their checks)",
        mistakes={
            "z was given instead of p: apply the sigmoid to X @ W + b": lambda X, W, sigmoid: X @ W + _bias(),
            "the bias b was forgotten: sigmoid(X @ W + b)": lambda X, W, sigmoid: sol.sigmoid(X @ W),
            SIGN_FLIPPED: lambda X, W, sigmoid: 1 / (1 + np.exp(X @ W + _bias())),
            TANH: lambda X, W, sigmoid: np.tanh(X @ W + _bias()),
            RELU: lambda X, W, sigmoid: np.maximum(0.0, X @ W + _bias()),
            PRECEDENCE: lambda X, W, sigmoid: 1 + np.exp(-(X @ W + _bias())),
        },
        fails={"sigmoid": SIGMOID_FAILS},
    )


CHECKS = [
    ValueCheck(
        "z",
        expected=sol.for_student("Z"),
        description="the net input z = w1*x1 + w2*x2 + b of the banknote neuron",
        mistakes={
            "the bias b was forgotten: z = w1*x1 + w2*x2 + b": sol.for_student("Z_WITHOUT_BIAS"),
            "each weight was multiplied with the other input: w1 goes with x1, w2 with x2": sol.for_student("Z_SWAPPED"),
            "p = sigmoid(z) was given instead of the net input z": sol.for_student("P"),
        },
    ),
    FunctionCheck(
        "sigmoid",
        cases=_sigmoid_cases,
        reference=sol.sigmoid,
        description="1 / (1 + exp(-z)) element by element, with the shape of its input",
        figure="function_curve",
        mistakes={
            "the sign of the exponent is flipped: sigmoid(z) = 1 / (1 + exp(-z)), with a minus": lambda z: 1 / (1 + np.exp(z)),
            "the `1 +` is missing in the denominator: 1 / (1 + exp(-z))": lambda z: 1 / np.exp(-z),
            TANH: np.tanh,
            RELU: lambda z: np.maximum(0.0, z),
            PRECEDENCE: lambda z: 1 + np.exp(-z),
        },
        raised_hints={"only 0-dimensional arrays": MATH_EXP, "only length-1 arrays": MATH_EXP,
                      "only size-1 arrays": MATH_EXP, "must be real number, not": MATH_EXP},
    ),
    ValueCheck(
        "p",
        expected=sol.for_student("P"),
        description="the probability p = sigmoid(z) that the banknote is fake",
        figure="sigmoid_probability",
        mistakes={
            "z was given instead of p: pass it through the sigmoid, p = 1 / (1 + exp(-z))": sol.for_student("Z"),
            SIGN_FLIPPED: sol.for_student("P_SIGN_FLIPPED"),
            "the bias b was forgotten in z": sol.for_student("P_WITHOUT_BIAS"),
            TANH: sol.for_student("P_TANH"),
        },
        upstream=_p_from_z(),
    ),
    ValueCheck(
        "is_fake",
        expected=sol.for_student("IS_FAKE"),
        form="bool",
        description="the neuron's decision: True when p > 0.5, p being the probability that the note is fake",
        mistakes={
            "p is the probability that the banknote is fake, and the note counts as fake when p > 0.5": sol.for_student("IS_FAKE_FLIPPED"),
        },
        upstream=_decision_from_p(),
    ),
    ValueCheck(
        "X",
        expected=sol.for_student("X"),
        form="array",
        points=0.5,
        description="a (1, 2) array: one row (the banknote) holding the two features x1, x2",
    ),
    ValueCheck(
        "W",
        expected=sol.for_student("W"),
        form="array",
        points=0.5,
        description="a (2, 1) array: one column holding the weights w1, w2",
        mistakes={"the bias does not belong in W: it is added after the product X @ W": sol.for_student("W_WITH_BIAS"),
                  "W should be a column, one weight per row (2, 1); a row of weights is W transposed":
                      lambda: sol.student_expected()["W"].T},
    ),
    ValueCheck(
        "p_vec",
        expected=sol.for_student("P_VEC"),
        form="array",
        description="sigmoid(X @ W + b), a (1, 1) array equal to p",
        mistakes={
            "z was given instead of p: apply the sigmoid to X @ W + b": sol.for_student("Z_VEC"),
            "the bias b was forgotten: sigmoid(X @ W + b)": sol.for_student("P_VEC_WITHOUT_BIAS"),
            SIGN_FLIPPED: sol.for_student("P_VEC_SIGN_FLIPPED"),
            TANH: sol.for_student("P_VEC_TANH"),
        },
        upstream=_p_vec_from_x_w(),
    ),
]


# Otter question -> the checks that grade it: the build gives each question the sum of their points
# and one hidden Otter test per check (autograder/build/hidden_tests.py).
QUESTIONS = {
    "q1_net_input": ["z"],
    "q2_sigmoid": ["sigmoid"],
    "q3_probability": ["p"],
    "q4_decision": ["is_fake"],
    "q5_vector_form": ["X", "W", "p_vec"],
}


def notebook_variant(given: dict) -> dict:
    """The notebook's own numbers, read from its given variables, for Otter's hidden tests (the
    grader reads them from the notebook's signed variant block instead)."""
    return {"w1": given["w1"], "w2": given["w2"], "b": given["b"], "x1": given["x1"], "x2": given["x2"]}
