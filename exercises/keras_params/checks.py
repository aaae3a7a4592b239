"""Hidden checks of `keras_params`: parameter counts of Dense stacks, BatchNormalization, a bug.

Otter questions and the names they grade:
    q1_dense_10_20_30   params_layer1, params_layer2, params_10_20_30      220, 630, 850 (slides)
    q2_more_stacks      params_10_100_100_1, params_2_8_1                  by hand, 11,301 and 33
    q3_count_function   count_dense_params(layer_sizes)                    on the grader's lists
    q4_batchnorm        trainable_params, non_trainable_params             784-500-50-10 with BatchNormalization
    q5_keras_count      n_params_keras                                     model_bn.count_params(), 784-300-100-10
    q6_functional_bug   bug_answer, n_params_fixed                         the slide's undefined `x`

Every count is a whole number and compared exactly.

Every student may have their own sizes for the Dense stacks of questions 1, 2 and 6 (a variant):
the expected counts, the typical mistakes and the sizes a student's own count_dense_params is
called on come from the student's numbers, `sol.for_student(key)`. The variable names
keep the slides' sizes.
"""

from autograder.exercises import load_solution
from autograder.judge import FunctionCheck, Upstream, ValueCheck, current_variant
from autograder.probe import Call, Var

sol = load_solution(__file__)

EXACT = {"rtol": 0.0, "atol": 1e-9}
NO_BIAS = "the biases are not counted: a Dense layer has n_in * n_out weights plus one bias per node, n_out"
BIAS_PER_INPUT = "the biases were counted per input; there is one bias per node (output) of the layer"


def _layer_lists(rng):
    """Four stacks of 2 to 5 layer sizes, fresh for every grading.

    They are sent as tuples of ints, which the sandbox receives as tuples of Python ints; a list
    of numbers would arrive there as a numpy array, and sums of its numpy ints as numpy scalars.
    """
    return [(tuple(int(n) for n in rng.integers(1, 300, size=int(rng.integers(2, 6)))),) for _ in range(4)]


ONE_BIAS_PER_LAYER = "one bias per layer was counted; there is one bias per node (n_out biases per layer)"


def _count(name, var, expected, description, mistakes, points=1.0, upstream=None):
    return ValueCheck(name, var=var, expected=expected, points=points, description=description,
                      mistakes=mistakes, upstream=upstream, **EXACT)


def _mistakes(key: str, hints: dict[str, str]) -> dict:
    """{hint: the wrong count it names}, from expected()[key] of the student's own numbers."""
    def wrong(name: str):
        return lambda: sol.student_expected()[key][name]
    return {hint: wrong(name) for hint, name in hints.items()}


TYPICAL = {NO_BIAS: "no_bias", BIAS_PER_INPUT: "bias_per_input", ONE_BIAS_PER_LAYER: "one_bias_per_layer"}
# The names keep the slides' sizes (params_10_20_30, ...): a student with other sizes may count the slides' networks.
LECTURE = ("this is the count for the lecture's network; your notebook asks about your own sizes "
           "(sizes_q1, sizes_deep, sizes_banknote), whatever the name of the answer says")


def lecture(key: str) -> dict:
    """{LECTURE: the count `key` for the slides' sizes}, a mistake only for a student who has other sizes."""
    def value():
        variant = current_variant()
        return None if variant in (None, sol.DEFAULT_VARIANT) else sol.expected(None)[key]
    return {LECTURE: value}


def _from_function(sizes_key: str, var: str) -> Upstream:
    """A count the student may have computed with their own count_dense_params: judged against
    what that function gives for the student's own stack, so that a wrong function is named instead."""
    return Upstream(probes=lambda: {"own": Call("count_dense_params", (tuple(sol.student_expected()[sizes_key]),))},
                    rule=lambda own: own,
                    hint=f"{var} is what your count_dense_params gives; the function is not right (see its check)")


TOTAL_FROM_LAYERS = Upstream(
    probes={"layer1": Var("params_layer1"), "layer2": Var("params_layer2")},
    rule=lambda layer1, layer2: layer1 + layer2,
    hint="the total is the sum of your two layer counts, but those are not right (see their checks)",
)


BN = sum(sol.BN_UNITS)  # BatchNormalization nodes: 500 + 50

CHECKS = [
    _count("params_layer1", "params_layer1", sol.for_student("PARAMS_LAYER1"),
           "the number of parameters of the first Dense layer of question 1's network, weights and biases",
           _mistakes("LAYER1_MISTAKES", TYPICAL) | lecture("PARAMS_LAYER1")),
    _count("params_layer2", "params_layer2", sol.for_student("PARAMS_LAYER2"),
           "the number of parameters of the second Dense layer of question 1's network, weights and biases",
           _mistakes("LAYER2_MISTAKES", TYPICAL | {
               "the second layer gets the outputs of the first layer as its inputs, not the input features":
                   "from_features"}) | lecture("PARAMS_LAYER2")),
    _count("params_10_20_30", "params_10_20_30", sol.for_student("PARAMS_10_20_30"),
           "the number of parameters of the whole network of question 1",
           _mistakes("Q1_MISTAKES", {NO_BIAS: "no_bias", ONE_BIAS_PER_LAYER: "one_bias_per_layer",
                                     "the layer sizes were multiplied; add up the parameters of the layers instead":
                                         "multiplied"}) | lecture("PARAMS_10_20_30"),
           upstream=TOTAL_FROM_LAYERS),
    _count("params_10_100_100_1", "params_10_100_100_1", sol.for_student("PARAMS_10_100_100_1"),
           "the number of parameters of question 2's network with two hidden layers and one output",
           _mistakes("DEEP_MISTAKES", TYPICAL) | lecture("PARAMS_10_100_100_1"),
           upstream=_from_function("DEEP_SIZES", "params_10_100_100_1")),
    _count("params_2_8_1", "params_2_8_1", sol.for_student("PARAMS_2_8_1"),
           "the number of parameters of question 2's banknote network, 2 inputs, one hidden layer, one output",
           _mistakes("BANKNOTE_MISTAKES", TYPICAL) | lecture("PARAMS_2_8_1"),
           upstream=_from_function("BANKNOTE_SIZES", "params_2_8_1")),
    FunctionCheck(
        "count_dense_params",
        cases=_layer_lists,
        reference=sol.count_dense_params,
        points=2.0,
        form="number",
        description="the number of weights and biases of that stack of Dense layers",
        mistakes={
            NO_BIAS: sol.count_weights_only,
            BIAS_PER_INPUT: sol.count_bias_per_input,
            ONE_BIAS_PER_LAYER: sol.count_one_bias_per_layer,
        },
        **EXACT,
    ),
    _count("trainable_params", "trainable_params", sol.TRAINABLE_PARAMS,
           "the number of trainable parameters: the Dense weights and biases plus gamma and beta of BatchNormalization",
           {
               "the BatchNormalization layers were left out: each learns gamma and beta for every node": sol.DENSE_ONLY,
               "the moving mean and variance of BatchNormalization are not trainable: only gamma and beta are": sol.TOTAL_PARAMS,
               "BatchNormalization comes after the two hidden Dense layers only, not after the output layer":
                   sol.TRAINABLE_PARAMS + 2 * 10,
               NO_BIAS: sol.WEIGHTS_ONLY_MNIST + 2 * BN,
           },
           upstream=Upstream(probes={"own": Call("count_dense_params", (tuple(sol.MNIST_SIZES),))},
                             rule=lambda own: own + 2 * BN,
                             hint="the count is right for what your count_dense_params gives for 784-500-50-10, "
                                  "but the function is not right (see its check)")),
    _count("non_trainable_params", "non_trainable_params", sol.NON_TRAINABLE_PARAMS,
           "the number of non-trainable parameters: the moving mean and variance of BatchNormalization",
           {
               "BatchNormalization keeps a moving mean and a moving variance per node; they are not trainable": 0,
               "only the moving mean and the moving variance are non-trainable; gamma and beta are trained": 4 * BN,
               "the non-trainable statistics are two per node (mean and variance), not one": BN,
               "BatchNormalization comes after the two hidden Dense layers only, not after the output layer":
                   sol.NON_TRAINABLE_PARAMS + 2 * 10,
           }),
    _count("n_params_keras", "n_params_keras", sol.KERAS_TOTAL,
           "model_bn.count_params() of the 784-300-100-10 network with BatchNormalization after both hidden layers",
           {
               "the model has no BatchNormalization layers": sol.KERAS_DENSE_ONLY,
               "BatchNormalization comes after the two hidden Dense layers only, not after the output layer":
                   sol.KERAS_TOTAL + 4 * 10,
               "count_params() counts all parameters, trainable and non-trainable; this is only the trainable part":
                   sol.KERAS_TRAINABLE,
               "this is the 784-500-50-10 network of question 4; question 5 builds 784-300-100-10": sol.TOTAL_PARAMS,
           }),
    ValueCheck(
        "bug_answer",
        expected=sol.BUG_CHOICE,
        form="text",
        description="the letter of the statement that explains the bug",
        mistakes={
            "in the functional API the input shape comes from keras.Input; the Dense layers need none": "A",
            "an output without activation is fine for regression; that is not what breaks the code": "C",
            "keras.Model is given input and output tensors, that part is right": "D",
        },
    ),
    _count("n_params_fixed", "n_params_fixed", sol.for_student("PARAMS_FIXED"),
           "count_params() of the fixed functional model",
           _mistakes("DEEP_MISTAKES", {NO_BIAS: "no_bias"}) | lecture("PARAMS_FIXED")),
]


# Otter question -> the checks that grade it: the build gives each question the sum of their points
# and one hidden Otter test per check (autograder/build/hidden_tests.py).
QUESTIONS = {
    "q1_dense_10_20_30": ["params_layer1", "params_layer2", "params_10_20_30"],
    "q2_more_stacks": ["params_10_100_100_1", "params_2_8_1"],
    "q3_count_function": ["count_dense_params"],
    "q4_batchnorm": ["trainable_params", "non_trainable_params"],
    "q5_keras_count": ["n_params_keras"],
    "q6_functional_bug": ["bug_answer", "n_params_fixed"],
}


def notebook_variant(given: dict) -> dict:
    """The notebook's own numbers, read from its given variables, for Otter's hidden tests (the
    grader reads them from the notebook's signed variant block instead)."""
    return {"n_in": given["sizes_q1"][0], "n_1": given["sizes_q1"][1], "n_2": given["sizes_q1"][2],
            "deep_in": given["sizes_deep"][0], "deep_hidden": given["sizes_deep"][1],
            "banknote_hidden": given["sizes_banknote"][1]}


# For the no-answers search (autograder/build/leaks.py): the functional model's bug, in words.
ANSWER_TEXTS = [r"NameError: name 'x' is not defined"]
