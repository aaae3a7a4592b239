"""Hidden checks of `forward_pass`: sigmoid, logistic regression, one and two hidden layers.

Otter questions and the names they grade:
    q1_sigmoid      sigmoid(z)                                 called on the grader's arrays
    q2_no_hidden    predict_no_hidden(X, W, b), p_no_hidden    the slides' neuron on the banknote
    q3_one_hidden   predict_hidden(X, W1, b1, W2, b2), p_hidden        seeded weights, h hidden nodes
    q4_shapes       shape_W1, shape_W2, shape_W3               2 -> h -> h -> 1
    q5_two_hidden   predict_two_hidden(X, W1, b1, ..., W3, b3), p_two_hidden

The functions are called on the grader's own batches X of shape (n, 2) and its own weights,
drawn fresh for every grading, with hidden layers of other sizes than the notebook's.

Every student may have their own seed, banknote and hidden-layer size (a variant): the
expected values, the typical mistakes and the notebook's weights that a student's own
function is called on come from the student's numbers, `sol.for_student(key)`.
"""

import numpy as np

from autograder.exercises import load_solution
from autograder.judge import FunctionCheck, Upstream, ValueCheck, current_variant
from autograder.probe import Call, Var

sol = load_solution(__file__)


def _batch(rng, n_min=2, n_max=7):
    return rng.normal(0.0, 2.0, size=(int(rng.integers(n_min, n_max)), 2))


def _sigmoid_cases(rng):
    """A vector, a matrix and a column of net inputs: sigmoid is used on arrays in a network."""
    return [
        (rng.normal(0.0, 4.0, size=int(rng.integers(3, 8))),),
        (rng.normal(0.0, 4.0, size=(int(rng.integers(2, 5)), int(rng.integers(2, 5)))),),
        (rng.normal(0.0, 4.0, size=(int(rng.integers(2, 6)), 1)),),
    ]


def _no_hidden_cases(rng):
    return [(_batch(rng), rng.normal(size=(2, 1)), rng.normal(size=(1,))) for _ in range(3)]


def _hidden_cases(rng):
    cases = []
    for _ in range(4):
        h = int(rng.integers(3, 11))
        cases.append((_batch(rng), rng.normal(size=(2, h)), rng.normal(size=(h,)),
                      rng.normal(size=(h, 1)), rng.normal(size=(1,))))
    return cases


def _two_hidden_cases(rng):
    """Three networks with equal hidden layers (W2 square) and one with different ones."""
    cases = []
    for square in (True, True, True, False):
        h1 = int(rng.integers(3, 9))
        h2 = h1 if square else h1 + int(rng.integers(1, 4))
        cases.append((_batch(rng), rng.normal(size=(2, h1)), rng.normal(size=(h1,)),
                      rng.normal(size=(h1, h2)), rng.normal(size=(h2,)),
                      rng.normal(size=(h2, 1)), rng.normal(size=(1,))))
    return cases


BIAS_HINT = "the bias was forgotten: every layer adds its bias b after the product, z = h @ W + b"
HIDDEN_ACTIVATION_HINT = (
    "the activation is missing in the hidden layer: h = sigmoid(X @ W1 + b1); without it the "
    "layers collapse into a single linear layer"
)
OUTPUT_SIGMOID_HINT = "the output is z, not p: apply the sigmoid to the output layer too"
BIASES_HINT = "the biases were forgotten: every layer adds its bias after the product"
SWAPPED_HINT = "rows and columns are swapped: W has one row per input and one column per node"
SEEDED_ONCE_HINT = ("the weights were drawn one after the other from one seed; the notebook reseeds with its "
                    "seed before every weight matrix and bias (use draw_normal)")

PRECEDENCE = ("1 / 1 + np.exp(-z) is 1 + exp(-z): division goes first, so write the denominator in brackets, "
              "1 / (1 + np.exp(-z))")
BIAS_AFTER = "the bias is added after the sigmoid; it belongs inside: sigmoid(X @ W + b)"
RELU = "this is ReLU, max(0, z); the notebook asks for the sigmoid 1 / (1 + exp(-z)) here"
MATH_EXP = ("math.exp works on single numbers only; use np.exp, which works element by element on "
            "arrays of any shape")
RAISED = {"only 0-dimensional arrays": MATH_EXP, "only length-1 arrays": MATH_EXP, "only size-1 arrays": MATH_EXP,
          "must be real number, not": MATH_EXP,
          "mismatch in its core dimension": "the shapes of a product do not fit: with one example per row, a layer "
                                            "computes h_in @ W (rows of W = inputs of the layer), not W @ h_in",
          "could not be broadcast": "a bias has one entry per node of its layer, shape (nodes,), added to every row"}


SHAPES_DO_NOT_FIT = ("the weights drawn with your shape_W1, shape_W2, shape_W3 do not fit the products "
                     "X @ W1, h1 @ W2, h2 @ W3, so the cell failed: see question 4")


LECTURE = ("this is the answer for the lecture's numbers (seed 22, its banknote, 8 hidden nodes); your notebook "
           "has your own seed, banknote and hidden-layer size")


def lecture(key: str):
    """The value `key` for the slides' numbers, a mistake only for a student who has other numbers."""
    def value():
        variant = current_variant()
        return None if variant in (None, sol.DEFAULT_VARIANT) else sol.expected(None)[key]
    return value


def _notebook_args(*keys: str):
    """The arguments the notebook calls a function with: its banknote X and the weights that
    the student's numbers give (keys of expected(); a tuple of weights is spread)."""
    def args() -> tuple:
        a = sol.student_expected()
        return tuple(item for key in keys for item in (a[key] if isinstance(a[key], tuple) else (a[key],)))
    return args


def _from_function(function: str, args, var: str, shapes: bool = False) -> Upstream:
    """A probability the student computed with their own function: judged against what that
    function gives for the notebook's banknote and weights, so a wrong function is named.
    With `shapes`, a missing answer is explained by wrong shapes of question 4."""
    wrong = {name: (sol.for_student(name.upper()), SHAPES_DO_NOT_FIT) for name in ("shape_W1", "shape_W2", "shape_W3")}
    return Upstream(
        probes=lambda: {"own": Call(function, args())} | ({name: Var(name) for name in wrong} if shapes else {}),
        wrong=wrong if shapes else {},
        forms={"own": "array", "shape_W1": "shape", "shape_W2": "shape", "shape_W3": "shape"},
        rule=lambda own: float(own.reshape(-1)[0]) if own.size == 1 else None,
        hint=f"{var} is what your {function} gives for the banknote; the function is not right (see its check)",
        fails={"own": f"your {function} fails on the notebook's banknote and weights (see its check), "
                      f"so {var} could not be computed"},
    )


CHECKS = [
    FunctionCheck(
        "sigmoid",
        cases=_sigmoid_cases,
        reference=sol.sigmoid,
        figure="function_curve",
        description="1 / (1 + exp(-z)) element by element, with the shape of its input",
        mistakes={
            "the sign of the exponent is flipped: sigmoid(z) = 1 / (1 + exp(-z)), with a minus": lambda z: 1 / (1 + np.exp(z)),
            "this is tanh, not the sigmoid 1 / (1 + exp(-z))": np.tanh,
            RELU: sol.relu,
            PRECEDENCE: lambda z: 1 + np.exp(-np.asarray(z, dtype=float)),
        },
        raised_hints=RAISED,
    ),
    FunctionCheck(
        "predict_no_hidden",
        cases=_no_hidden_cases,
        reference=sol.predict_no_hidden,
        figure="predictions",
        description="sigmoid(X @ W + b), one probability per row of X, shape (n, 1)",
        mistakes={
            BIAS_HINT: sol.no_hidden_without_bias,
            "the sigmoid is missing: z = X @ W + b was returned instead of p = sigmoid(z)": sol.no_hidden_without_sigmoid,
            RELU: sol.no_hidden_relu,
            BIAS_AFTER: lambda X, W, b: sol.sigmoid(np.asarray(X, dtype=float) @ W) + b,
        },
        raised_hints=RAISED,
    ),
    ValueCheck(
        "p_no_hidden",
        expected=sol.for_student("P_NO_HIDDEN"),
        description="the probability that the banknote is fake, from the neuron with w1 = 0.3, w2 = 0.1, b = 1",
        mistakes={
            BIAS_HINT: sol.for_student("P_NO_HIDDEN_WITHOUT_BIAS"),
            "z was given instead of p: apply the sigmoid to X @ W + b": sol.for_student("Z_NO_HIDDEN"),
            LECTURE: lecture("P_NO_HIDDEN"),
        },
        upstream=_from_function("predict_no_hidden", _notebook_args("X", "W", "B"), "p_no_hidden"),
    ),
    FunctionCheck(
        "predict_hidden",
        cases=_hidden_cases,
        reference=sol.predict_hidden,
        figure="predictions",
        points=2.0,
        description="sigmoid(sigmoid(X @ W1 + b1) @ W2 + b2), shape (n, 1), for a hidden layer of any size",
        mistakes={
            HIDDEN_ACTIVATION_HINT: sol.hidden_without_activation,
            OUTPUT_SIGMOID_HINT: sol.hidden_without_output_sigmoid,
            "the bias of the hidden layer (b1) was forgotten": sol.hidden_without_bias1,
            "the bias of the output layer (b2) was forgotten": sol.hidden_without_bias2,
            "both biases were forgotten: every layer adds its bias after the product": sol.hidden_without_biases,
            RELU: sol.hidden_relu,
        },
        raised_hints=RAISED,
    ),
    ValueCheck(
        "p_hidden",
        expected=sol.for_student("P_HIDDEN"),
        description="the probability for the banknote from the network with one hidden layer and the notebook's weights",
        mistakes={
            HIDDEN_ACTIVATION_HINT: sol.for_student("P_HIDDEN_WITHOUT_ACTIVATION"),
            BIASES_HINT: sol.for_student("P_HIDDEN_WITHOUT_BIASES"),
            OUTPUT_SIGMOID_HINT: sol.for_student("Z_HIDDEN"),
            SEEDED_ONCE_HINT: sol.for_student("P_HIDDEN_SEEDED_ONCE"),
            RELU: sol.for_student("P_HIDDEN_RELU"),
            LECTURE: lecture("P_HIDDEN"),
        },
        upstream=_from_function("predict_hidden", _notebook_args("X", "ONE_HIDDEN"), "p_hidden"),
    ),
    ValueCheck(
        "shape_W1",
        expected=sol.for_student("SHAPE_W1"),
        form="shape",
        description="the shape of the weights from the 2 inputs to the first hidden layer, (inputs, nodes)",
        mistakes={SWAPPED_HINT: lambda: sol.student_expected()["SHAPE_W1"][::-1], LECTURE: lecture("SHAPE_W1")},
    ),
    ValueCheck(
        "shape_W2",
        expected=sol.for_student("SHAPE_W2"),
        form="shape",
        description="the shape of the weights from the first to the second hidden layer, (inputs, nodes)",
        mistakes={
            "W2 connects the first hidden layer to the second one: its inputs are the nodes of "
            "hidden layer 1, not the 2 features": sol.for_student("SHAPE_W2_FROM_INPUTS"),
            LECTURE: lecture("SHAPE_W2"),
        },
    ),
    ValueCheck(
        "shape_W3",
        expected=sol.for_student("SHAPE_W3"),
        form="shape",
        description="the shape of the weights from the second hidden layer to the output, (inputs, nodes)",
        mistakes={SWAPPED_HINT: lambda: sol.student_expected()["SHAPE_W3"][::-1], LECTURE: lecture("SHAPE_W3")},
    ),
    FunctionCheck(
        "predict_two_hidden",
        cases=_two_hidden_cases,
        reference=sol.predict_two_hidden,
        figure="predictions",
        points=2.0,
        description="the forward pass through two sigmoid hidden layers and a sigmoid output, shape (n, 1)",
        mistakes={
            "the activation is missing in the hidden layers: each hidden layer is h = sigmoid(h_in @ W + b)": sol.two_hidden_without_activation,
            "the activation is missing in the second hidden layer: h2 = sigmoid(h1 @ W2 + b2)": sol.two_hidden_without_second_activation,
            BIASES_HINT: sol.two_hidden_without_biases,
            "W2 is transposed: with rows as examples the product is h1 @ W2, not h1 @ W2.T": sol.two_hidden_W2_transposed,
            "the second hidden layer is not used: the output layer takes h2 as its input": sol.two_hidden_second_layer_skipped,
            RELU: sol.two_hidden_relu,
        },
        raised_hints=RAISED,
    ),
    ValueCheck(
        "p_two_hidden",
        expected=sol.for_student("P_TWO_HIDDEN"),
        description="the probability for the banknote from the network with two hidden layers and the weights "
                    "drawn with draw_normal",
        mistakes={
            "the activation is missing in the hidden layers": sol.for_student("P_TWO_HIDDEN_WITHOUT_ACTIVATION"),
            "W2 is transposed: with rows as examples the product is h1 @ W2": sol.for_student("P_TWO_HIDDEN_W2_TRANSPOSED"),
            BIASES_HINT: sol.for_student("P_TWO_HIDDEN_WITHOUT_BIASES"),
            SEEDED_ONCE_HINT: sol.for_student("P_TWO_HIDDEN_SEEDED_ONCE"),
            "this is the probability of the network with one hidden layer": sol.for_student("P_HIDDEN"),
            RELU: sol.for_student("P_TWO_HIDDEN_RELU"),
            LECTURE: lecture("P_TWO_HIDDEN"),
        },
        upstream=_from_function("predict_two_hidden", _notebook_args("X", "TWO_HIDDEN"), "p_two_hidden", shapes=True),
    ),
]


# Otter question -> the checks that grade it: the build gives each question the sum of their points
# and one hidden Otter test per check (autograder/build/hidden_tests.py).
QUESTIONS = {
    "q1_sigmoid": ["sigmoid"],
    "q2_no_hidden": ["predict_no_hidden", "p_no_hidden"],
    "q3_one_hidden": ["predict_hidden", "p_hidden"],
    "q4_shapes": ["shape_W1", "shape_W2", "shape_W3"],
    "q5_two_hidden": ["predict_two_hidden", "p_two_hidden"],
}


def notebook_variant(given: dict) -> dict:
    """The notebook's own numbers, read from its given variables, for Otter's hidden tests (the
    grader reads them from the notebook's signed variant block instead)."""
    return {"seed": given["SEED"], "x1": given["X"][0][0], "x2": given["X"][0][1], "hidden": given["n_hidden"]}


# For the no-answers search (autograder/build/leaks.py): answers the notebook must give as the
# input of a later question.
GIVEN_ANSWERS = {
    "shape_W1": "the one-hidden-layer part gives W1 its shape (2, 8); question 4 asks it again",
    "shape_W3": "the one-hidden-layer part gives its output weights W2 the shape (8, 1), as W3 here",
}
