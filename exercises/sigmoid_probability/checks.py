"""Hidden checks of `sigmoid_probability`: the banknote neuron, by hand and as a vector product.

Otter questions and the names they grade:
    q1_net_input    z            the net input w1*x1 + w2*x2 + b
    q2_sigmoid      sigmoid(z)   called on the grader's own arrays
    q3_probability  p            sigmoid(z)
    q4_decision     is_fake      p > 0.5
    q5_vector_form  X, W, p_vec  X (1, 2), W (2, 1), sigmoid(X @ W + b) (1, 1)

Every student may have their own neuron and banknote (a variant): the expected values and
the typical mistakes are computed from the student's numbers, `FromVariant(sol.answers, key)`.
"""

import numpy as np

from autograder.judge import FromVariant, FunctionCheck, ValueCheck
from solutions import sigmoid_probability as sol


def _sigmoid_cases(rng):
    """A vector, a matrix and a single number, fresh for every grading."""
    return [
        (rng.normal(0.0, 4.0, size=int(rng.integers(3, 8))),),
        (rng.normal(0.0, 4.0, size=(int(rng.integers(2, 5)), int(rng.integers(2, 5)))),),
        (float(np.round(rng.normal(0.0, 3.0), 3)),),
    ]




def mine(key: str) -> FromVariant:
    """The value `key` of solutions.sigmoid_probability.answers for the student's own numbers."""
    return FromVariant(sol.answers, key)


CHECKS = [
    ValueCheck(
        "z",
        var="z",
        expected=mine("Z"),
        description="the net input z = w1*x1 + w2*x2 + b of the banknote neuron",
        mistakes={
            "the bias b was forgotten: z = w1*x1 + w2*x2 + b": mine("Z_WITHOUT_BIAS"),
            "each weight was multiplied with the other input: w1 goes with x1, w2 with x2": mine("Z_SWAPPED"),
            "p = sigmoid(z) was given instead of the net input z": mine("P"),
        },
    ),
    FunctionCheck(
        "sigmoid",
        function="sigmoid",
        cases=_sigmoid_cases,
        reference=sol.sigmoid,
        description="1 / (1 + exp(-z)) element by element, with the shape of its input",
        mistakes={
            "the sign of the exponent is flipped: sigmoid(z) = 1 / (1 + exp(-z)), with a minus": lambda z: 1 / (1 + np.exp(z)),
            "the `1 +` is missing in the denominator: 1 / (1 + exp(-z))": lambda z: 1 / np.exp(-z),
            "this is tanh, not the sigmoid 1 / (1 + exp(-z))": np.tanh,
        },
    ),
    ValueCheck(
        "p",
        var="p",
        expected=mine("P"),
        description="the probability p = sigmoid(z) that the banknote is fake",
        mistakes={
            "z was given instead of p: pass it through the sigmoid, p = 1 / (1 + exp(-z))": mine("Z"),
            "the sign of the exponent is flipped: 1 / (1 + exp(+z)) is 1 - p": mine("P_SIGN_FLIPPED"),
            "the bias b was forgotten in z": mine("P_WITHOUT_BIAS"),
        },
    ),
    ValueCheck(
        "is_fake",
        var="is_fake",
        expected=mine("IS_FAKE"),
        form="bool",
        description="the neuron's decision: True when p > 0.5, p being the probability that the note is fake",
        mistakes={
            "p is the probability that the banknote is fake, and the note counts as fake when p > 0.5": mine("IS_FAKE_FLIPPED"),
        },
    ),
    ValueCheck(
        "X",
        var="X",
        expected=mine("X"),
        form="array",
        points=0.5,
        description="a (1, 2) array: one row (the banknote) holding the two features x1, x2",
    ),
    ValueCheck(
        "W",
        var="W",
        expected=mine("W"),
        form="array",
        points=0.5,
        description="a (2, 1) array: one column holding the weights w1, w2",
        mistakes={"the bias does not belong in W: it is added after the product X @ W": mine("W_WITH_BIAS")},
    ),
    ValueCheck(
        "p_vec",
        var="p_vec",
        expected=mine("P_VEC"),
        form="array",
        description="sigmoid(X @ W + b), a (1, 1) array equal to p",
        mistakes={
            "z was given instead of p: apply the sigmoid to X @ W + b": mine("Z_VEC"),
            "the bias b was forgotten: sigmoid(X @ W + b)": mine("P_VEC_WITHOUT_BIAS"),
            "the sign of the exponent is flipped: 1 / (1 + exp(+z)) is 1 - p": mine("P_VEC_SIGN_FLIPPED"),
        },
    ),
]
