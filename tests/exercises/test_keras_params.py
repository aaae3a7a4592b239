"""keras_params: parameter counts from the slides, checked against Keras; the master and its checks;
a student's own Dense stacks (personal variants).

Keras is imported once, by the solution notebook that conftest runs once a session (it takes
seconds); every test that needs a Keras model uses the models that notebook built.

The contract every written exercise keeps (questions and points, the student version, Otter's tests
and the checks on the solution and the blank notebooks) is in test_exercise_contract.py.
"""


import nbformat
import numpy as np
import pytest
import torch

from autograder.build.variants import render
from autograder.exercises import checks_module, load_checks, master_notebook, max_score
from solutions import keras_params as sol
from support import assert_otter_tests_pass, judge_namespace, notebook_namespace, run_otter_test, total

ID = "keras_params"


# --------------------------------------------------------------------------- the slides


def test_reference_values():
    assert (sol.PARAMS_LAYER1, sol.PARAMS_LAYER2, sol.PARAMS_10_20_30) == (220, 630, 850)
    assert sol.PARAMS_10_100_100_1 == 11_301
    assert sol.PARAMS_2_8_1 == 33
    assert (sol.TRAINABLE_PARAMS, sol.NON_TRAINABLE_PARAMS, sol.TOTAL_PARAMS) == (419_160, 1_100, 420_260)
    assert sol.PARAMS_FIXED == 11_301 and sol.BUG_CHOICE == "B"


def test_count_dense_params_on_any_sequence():
    assert sol.count_dense_params([5, 3]) == 18
    assert sol.count_dense_params((784, 100, 50, 10)) == 84_060
    assert sol.count_dense_params(np.array([10, 20, 30])) == 850  # lists arrive in the sandbox as arrays
    assert sol.count_dense_params([7]) == 0


# --------------------------------------------------------------------------- the notebook


def test_master_sets_the_keras_backend_to_torch():
    nb = nbformat.read(str(master_notebook(ID)), as_version=4)
    assert 'os.environ["KERAS_BACKEND"] = "torch"' in nb.cells[2].source


def _size(weights) -> int:
    return sum(int(np.prod(w.shape)) for w in weights)


def test_keras_counts_what_the_solution_counts(solution_ns):
    """model.count_params() with the torch backend, and its trainable / non-trainable split."""
    import keras

    assert keras.backend.backend() == "torch"
    model_bn = solution_ns["model_bn"]  # question 5: 784-300-100-10, so its summary does not answer question 4
    assert model_bn.count_params() == sol.KERAS_TOTAL == 268_210
    assert _size(model_bn.trainable_weights) == sol.KERAS_TRAINABLE == 267_410
    mnist = sol.build_mnist_bn_model()  # question 4's network, by hand in the notebook
    assert mnist.count_params() == sol.TOTAL_PARAMS
    assert _size(mnist.trainable_weights) == sol.TRAINABLE_PARAMS
    assert _size(mnist.non_trainable_weights) == sol.NON_TRAINABLE_PARAMS
    assert solution_ns["model_fixed"].count_params() == sol.PARAMS_FIXED
    assert solution_ns["model"].count_params() == sol.count_dense_params([4, 6, 3]) == 51  # the check-yourself cell: a network no question asks about
    stacks = {(2, 8, 1): sol.PARAMS_2_8_1, (10, 100, 100, 1): sol.PARAMS_10_100_100_1, (3, 1): 4}
    for sizes, expected in stacks.items():
        model = keras.Sequential([keras.Input(shape=(sizes[0],))] + [keras.layers.Dense(n) for n in sizes[1:]])
        assert model.count_params() == sol.count_dense_params(sizes) == expected


def test_the_slides_functional_bug_is_a_name_error(solution_ns):
    import keras
    from keras import layers

    with pytest.raises(NameError):
        exec(  # noqa: S102 - the slides' buggy snippet, run to show its NameError
            "inputs = keras.Input(shape=(10,))\n"
            "x = layers.Dense(100, activation='relu')(x)\n",
            {"keras": keras, "layers": layers},
        )


# --------------------------------------------------------------------------- the checks


def _plain_answers() -> dict:
    return {
        "params_layer1": 220, "params_layer2": 630, "params_10_20_30": 850,
        "params_10_100_100_1": 11301, "params_2_8_1": 33,
        "count_dense_params": lambda sizes: sum((a + 1) * b for a, b in zip(list(sizes)[:-1], list(sizes)[1:])),
        "trainable_params": 419160, "non_trainable_params": 1100, "n_params_keras": 268210,
        "bug_answer": "B", "n_params_fixed": 11301,
    }


def test_checks_give_full_marks_to_plain_python_answers():
    assert total(judge_namespace(ID, _plain_answers())) == max_score(ID)


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(int, id="int"),
        pytest.param(float, id="float"),
        pytest.param(lambda v: [v], id="list"),
        pytest.param(lambda v: np.array([v]), id="1-element array"),
        pytest.param(lambda v: torch.tensor([v]), id="tensor of 1"),
        pytest.param(np.int64, id="numpy int"),
    ],
)
def test_honest_number_forms(form):
    names = ["params_10_20_30", "trainable_params", "non_trainable_params", "n_params_keras", "n_params_fixed"]
    answers = _plain_answers()
    verdicts = judge_namespace(ID, answers | {n: form(answers[n]) for n in names})
    assert all(verdicts[n].points == 1 for n in names), verdicts


def test_bug_answer_is_case_and_space_insensitive():
    assert judge_namespace(ID, _plain_answers() | {"bug_answer": " b "})["bug_answer"].points == 1


def test_count_dense_params_is_called_on_the_graders_own_sizes():
    checks = {c.name: c for c in load_checks(ID)}
    a = checks["count_dense_params"].probes(np.random.default_rng(1))
    b = checks["count_dense_params"].probes(np.random.default_rng(2))
    assert len(a) == 4 and a["0"].args != b["0"].args
    assert all(isinstance(call.args[0], tuple) and len(call.args[0]) >= 2 for call in a.values())


@pytest.mark.parametrize(
    "mistake,check,hint",
    [
        ({"params_layer1": 200}, "params_layer1", "biases are not counted"),
        ({"params_layer2": 600}, "params_layer2", "biases are not counted"),
        ({"params_layer2": 330}, "params_layer2", "outputs of the first layer as its inputs"),
        ({"params_10_20_30": 800}, "params_10_20_30", "biases are not counted"),
        ({"params_10_20_30": 6000}, "params_10_20_30", "multiplied"),
        ({"params_10_100_100_1": 11100}, "params_10_100_100_1", "biases are not counted"),
        ({"params_2_8_1": 24}, "params_2_8_1", "biases are not counted"),
        ({"params_2_8_1": 34}, "params_2_8_1", "per input"),
        ({"count_dense_params": sol.count_weights_only}, "count_dense_params", "biases are not counted"),
        ({"count_dense_params": sol.count_bias_per_input}, "count_dense_params", "per input"),
        ({"count_dense_params": sol.count_one_bias_per_layer}, "count_dense_params", "one bias per layer"),
        ({"trainable_params": 418060}, "trainable_params", "left out"),
        ({"trainable_params": 420260}, "trainable_params", "not trainable"),
        ({"trainable_params": 419180}, "trainable_params", "not after the output layer"),
        ({"trainable_params": 418600}, "trainable_params", "biases are not counted"),
        ({"non_trainable_params": 0}, "non_trainable_params", "moving mean and a moving variance"),
        ({"non_trainable_params": 2200}, "non_trainable_params", "gamma and beta are trained"),
        ({"non_trainable_params": 550}, "non_trainable_params", "two per node"),
        ({"n_params_keras": 266610}, "n_params_keras", "no BatchNormalization"),
        ({"n_params_keras": 267410}, "n_params_keras", "trainable and non-trainable"),
        ({"n_params_keras": 420260}, "n_params_keras", "question 4"),
        ({"bug_answer": "A"}, "bug_answer", "keras.Input"),
        ({"bug_answer": "d"}, "bug_answer", "right"),
        ({"n_params_fixed": 11100}, "n_params_fixed", "biases are not counted"),
    ],
)
def test_typical_mistakes_get_their_hint(mistake, check, hint):
    verdict = judge_namespace(ID, _plain_answers() | mistake)[check]
    assert verdict.points == 0
    assert hint in verdict.hint, (verdict.message, verdict.hint)
    for value in ("850", "11301", "11,301", "419160", "1100", "268210"):  # it describes, it does not tell
        assert value not in verdict.message + verdict.hint


def test_a_count_that_is_not_a_number_is_explained():
    verdicts = judge_namespace(ID, _plain_answers() | {"n_params_keras": "268210", "bug_answer": 2})
    assert verdicts["n_params_keras"].points == 0 and "number" in verdicts["n_params_keras"].message
    assert verdicts["bug_answer"].points == 0 and "string" in verdicts["bug_answer"].message


# --------------------------------------------------------------------------- a student's own numbers

VARIANT = {"n_in": 15, "n_1": 27, "n_2": 9, "deep_in": 5, "deep_hidden": 70, "banknote_hidden": 7}
Q1_AND_2 = ("params_layer1", "params_layer2", "params_10_20_30", "params_10_100_100_1", "params_2_8_1")


def _keras_count(sizes) -> int:
    import keras

    model = keras.Sequential([keras.Input(shape=(sizes[0],))] + [keras.layers.Dense(n) for n in sizes[1:]])
    return model.count_params()


def test_the_default_variant_is_the_slides():
    assert sol.DEFAULT_VARIANT == {"n_in": 10, "n_1": 20, "n_2": 30, "deep_in": 10, "deep_hidden": 100,
                                   "banknote_hidden": 8}
    a = sol.expected(None)
    assert (a["PARAMS_LAYER1"], a["PARAMS_LAYER2"], a["PARAMS_10_20_30"]) == (220, 630, 850)
    assert (a["PARAMS_10_100_100_1"], a["PARAMS_2_8_1"], a["PARAMS_FIXED"]) == (11_301, 33, 11_301)
    assert sol.expected(sol.DEFAULT_VARIANT) == a


def test_drawn_variants_are_sensible_and_counted_as_keras_counts(solution_ns):
    rng = np.random.default_rng(11)
    variants = [sol.draw_variant(rng) for _ in range(20)]
    assert len({(v["n_in"], v["n_1"], v["n_2"]) for v in variants}) == 20
    assert len({v["deep_hidden"] for v in variants}) > 4 and len({v["banknote_hidden"] for v in variants}) > 3
    for v in variants[:4]:  # Keras, on the torch backend, counts what the solution counts
        a = sol.expected(v)
        assert _keras_count(a["Q1_SIZES"]) == a["PARAMS_10_20_30"]
        assert _keras_count(a["DEEP_SIZES"]) == a["PARAMS_10_100_100_1"]
        assert sol.build_fixed_functional_model(v["deep_in"], v["deep_hidden"]).count_params() == a["PARAMS_FIXED"]
        assert _keras_count(a["BANKNOTE_SIZES"]) == a["PARAMS_2_8_1"]
    for v in variants:
        assert 3 <= v["n_in"] <= 16 and 8 <= min(v["n_1"], v["n_2"]) <= max(v["n_1"], v["n_2"]) <= 40
        assert 4 <= v["deep_in"] <= 20 and v["deep_hidden"] % 10 == 0 and 3 <= v["banknote_hidden"] <= 12
        a = sol.expected(v)
        n_in, n_1, n_2 = v["n_in"], v["n_1"], v["n_2"]
        assert (a["PARAMS_LAYER1"], a["PARAMS_LAYER2"]) == ((n_in + 1) * n_1, (n_1 + 1) * n_2)
        counts = [a[name.upper()] for name in Q1_AND_2]
        assert len(set(counts)) == 5 and not set(counts) & sol.SHOWN_NUMBERS  # the notebook shows none of them
        for right, wrongs in (("PARAMS_LAYER1", "LAYER1_MISTAKES"), ("PARAMS_LAYER2", "LAYER2_MISTAKES"),
                              ("PARAMS_10_20_30", "Q1_MISTAKES"), ("PARAMS_10_100_100_1", "DEEP_MISTAKES"),
                              ("PARAMS_2_8_1", "BANKNOTE_MISTAKES")):
            assert a[right] not in a[wrongs].values(), (v, right)


def test_the_master_filled_with_a_variant_passes_its_otter_tests(built, solution_ns):
    _, _, tests = built
    namespace = notebook_namespace(master_notebook(ID), params=VARIANT)
    assert (namespace["params_layer1"], namespace["params_10_100_100_1"], namespace["n_params_fixed"]) == \
        (16 * 27, 6 * 70 + 71 * 70 + 71, 6 * 70 + 71 * 70 + 71)
    assert_otter_tests_pass(tests, namespace)
    wrong = namespace | {name: solution_ns[name] for name in Q1_AND_2 + ("n_params_fixed",)}  # the slides' counts
    for question in ("q1_dense_10_20_30", "q2_more_stacks", "q6_functional_bug"):
        # one hidden test per check: those of the slides' answers fail, the others still pass
        replaced = [n for n in checks_module(ID).QUESTIONS[question] if wrong[n] is not namespace.get(n)]
        assert replaced, question
        assert run_otter_test(tests[question], wrong, hidden=True) == \
            [n not in replaced for n in checks_module(ID).QUESTIONS[question]], question


def _variant_answers() -> dict:
    a = sol.expected(VARIANT)
    return _plain_answers() | {name: a[name.upper()] for name in Q1_AND_2} | {"n_params_fixed": a["PARAMS_FIXED"]}


def test_checks_judge_with_the_students_own_numbers():
    assert total(judge_namespace(ID, _variant_answers(), params=VARIANT)) == max_score(ID)
    verdicts = judge_namespace(ID, _plain_answers(), params=VARIANT)  # the slides' counts
    assert all(verdicts[n].points == 0 for n in Q1_AND_2 + ("n_params_fixed",)), verdicts
    copied = [n for n in Q1_AND_2 + ("n_params_fixed",) if n != "params_10_20_30"]
    assert all("count for the lecture's network" in verdicts[n].hint for n in copied), verdicts
    assert "sum of your two layer counts" in verdicts["params_10_20_30"].hint  # it follows from the copied layers
    default = judge_namespace(ID, _plain_answers() | {"params_10_20_30": 851, "params_2_8_1": 34})  # the slides' student
    assert all("lecture" not in v.hint for v in default.values())
    assert all(verdicts[n].points == 1 for n in ("trainable_params", "non_trainable_params", "n_params_keras"))


@pytest.mark.parametrize(
    "check,wrong,slides,hint",  # the mistake with the student's sizes, and with the slides' sizes
    [
        ("params_layer1", 15 * 27, 200, "biases are not counted"),
        ("params_layer2", 27 * 9 + 27, 620, "per input"),
        ("params_layer2", 15 * 9 + 9, 330, "outputs of the first layer as its inputs"),
        ("params_10_20_30", 15 * 27 * 9, 6000, "multiplied"),
        ("params_10_100_100_1", 5 * 70 + 70 * 70 + 70 + 3, 11_103, "one bias per layer"),
        ("params_2_8_1", 2 * 7 + 7 * 1, 24, "biases are not counted"),
        ("n_params_fixed", 5 * 70 + 70 * 70 + 70, 11_100, "biases are not counted"),
    ],
)
def test_hints_follow_the_students_own_numbers(check, wrong, slides, hint):
    verdict = judge_namespace(ID, _variant_answers() | {check: wrong}, params=VARIANT)[check]
    assert verdict.points == 0 and hint in verdict.hint, verdict
    assert hint in judge_namespace(ID, _plain_answers() | {check: slides})[check].hint  # the slides' student
    assert hint not in judge_namespace(ID, _variant_answers() | {check: slides}, params=VARIANT)[check].hint


def test_a_count_from_the_students_own_function_is_judged_on_their_own_stack():
    def one_bias_per_layer(sizes):
        return sol.count_one_bias_per_layer(list(sizes))

    own = sol.count_one_bias_per_layer(sol.expected(VARIANT)["DEEP_SIZES"])
    verdict = judge_namespace(ID, _variant_answers() | {"count_dense_params": one_bias_per_layer,
                                                        "params_10_100_100_1": own}, params=VARIANT)
    assert "what your count_dense_params gives" in verdict["params_10_100_100_1"].hint


def _rendered(params: dict):
    nb = nbformat.read(str(master_notebook(ID)), as_version=4)
    render(nb, params, "keras_params")
    assert not any(mark in c.source for c in nb.cells for mark in ("{{", "{%", "%}"))  # every cell rendered
    return nb


def test_a_personal_notebook_speaks_of_the_students_own_networks():
    own = "\n".join(c.source for c in _rendered(VARIANT).cells if c.cell_type == "markdown")
    slides = "\n".join(c.source for c in _rendered(sol.DEFAULT_VARIANT).cells if c.cell_type == "markdown")
    assert "Your own networks" in own and "names of the answers keep the lecture's sizes" in own
    assert "15 → 27 → 9" in own and "5 → 70 → 70 → 1" in own and "2 → 7 → 1" in own
    assert "keras.Input(shape=(5,))" in own and "layers.Dense(70, activation" in own
    assert "those of the lecture" in slides and "Your own networks" not in slides
    assert "10 → 20 → 30" in slides and "10 → 100 → 100 → 1" in slides and "2 → 8 → 1" in slides
    code = "\n".join(c.source for c in _rendered(VARIANT).cells if c.cell_type == "code")
    assert "sizes_q1 = [15, 27, 9]" in code and "sizes_deep = [5, 70, 70, 1]" in code and "sizes_banknote = [2, 7, 1]" in code
