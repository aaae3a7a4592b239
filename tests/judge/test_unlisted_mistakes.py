"""Feedback that holds on mistakes nobody listed (issue 25).

Each test is one finding of a class trying the newer exercises: a mistake that got no hint, a
wrong hint, an answer missing for a reason nobody named, a mistake passing by the chance of a
draw, carry_forward ignored, a public check refusing an honest answer, notebook text that gives
an answer away. Points and hints are asserted exactly.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from autograder.course import CourseError, load_course
from autograder.exercises import checks_module, load_checks
from autograder.corpus import run_mistake
from autograder.judge.mistakes import Mistake
from autograder.judge.derived_hints import REDUCED
from autograder.judge.error_hints import raised_hint
from autograder.judge.missing import cause

COURSE = load_course()
NEWER = ["loss_functions", "gradient_descent", "softmax", "learning_curves", "activations", "keras_forward"]


def _failing(exercise_id: str, edits: dict) -> dict:
    """{check: (points, hint)} of every check below full points for the solution with `edits`."""
    from autograder.judge.in_process import judge_in_process

    exercise = COURSE.exercise(exercise_id)
    namespace = run_mistake(exercise.master, Mistake("a mistake", {}, edits=edits))
    verdicts = judge_in_process(load_checks(exercise), namespace)
    points = load_checks_points(exercise_id)
    return {name: (v.points, v.hint) for name, v in verdicts.items() if v.points < points[name]}


FLAT = "`probs` was taken as one flat array, so the rows got mixed: work along the last axis, one result per row (axis=-1)"
MATMUL = ("the sizes of a matrix product do not fit: (m x n) @ (n x p) needs the same n inside; is one factor meant "
          "transposed (X.T), or in the other order?")


# --------------------------------------------------------------------------- hints for the unhinted examples

@pytest.mark.parametrize("exercise_id,edits,expected", [
    ("softmax", {"return np.argmax(probs, axis=-1)": "return np.argmax(probs)"},
     {"predict_classes": (0.0, FLAT), "classes": (0.0, FLAT)}),
    ("softmax", {"np.eye(num_classes)[np.asarray(labels, dtype=int)]": "np.eye(num_classes)[:, np.asarray(labels, dtype=int)]"},
     {"to_one_hot": (0.0, "one row per label, one column per class: the result is transposed"),
      "labels_one_hot": (0.0, "the matrix is transposed")}),
    ("softmax", {"probs[np.arange(len(labels)), labels]": "probs[:, labels]"},
     {"batch_loss": (0.0, "probs[:, labels] takes, for every row, the columns of all the labels (a table of n x n "
                          "probabilities); take one per row, the true class's: probs[np.arange(n), labels]")}),
    ("activations", {"return np.maximum(x, 0)": "return np.maximum(x, 0.01 * x)"},
     {"relu": (0.0, "this is leaky ReLU (slope 0.01 below 0); `relu` should be ReLU"),
      "relu_out": (0.0, "relu_out = relu(X @ W1 + b1) @ W2 + b2 is right for your relu, but relu is not right (see its check)")}),
    ("activations", {"return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))": "return np.exp(x) - np.exp(-x) / np.exp(x) + np.exp(-x)"},
     {"tanh": (0.0, "the brackets are missing: without them the division binds first, e^x - (e^-x / e^x) + e^-x; "
                    "write (e^x - e^-x) / (e^x + e^-x)"),
      "tanh_grad": (0.0, "tanh_grad = 1 - tanh(x)^2 is right for your tanh, but tanh is not right (see its check)")}),
    ("gradient_descent", {"return X.T @ error / len(y), np.mean(error)": "return X @ error / len(y), np.mean(error)"},
     {"gradient": (0.0, MATMUL), "train_logistic": (0.0, MATMUL)}),
    ("gradient_descent", {"        b = b - lr * grad_b\n": "        b = b - grad_b\n"},
     {"train_logistic": (0.0, "the bias took a step of its whole gradient: the learning rate belongs to the bias's step "
                              "too, b = b - lr * grad_b")}),
    ("gradient_descent", {"        grad_w, grad_b = gradient(X, y, w, b)\n        w = w - lr * grad_w\n        b = b - lr * grad_b\n":
                          "        grad_w, _ = gradient(X, y, w, b)\n        w = w - lr * grad_w\n"
                          "        _, grad_b = gradient(X, y, w, b)\n        b = b - lr * grad_b\n"},
     {"train_logistic": (0.0, "the updates were made one after the other: the bias's gradient was taken at the new w; "
                              "take both gradients at the same (w, b), then update both")}),
    ("learning_curves", {'stopped_at = stop_epoch(history["val_loss"], patience)': 'stopped_at = stop_epoch(history["loss"], patience)'},
     {"stopped_at": (0.0, 'this is where the training loss would stop training; EarlyStopping here monitors the '
                          'validation loss, history["val_loss"]')}),
    # the two wrong hints of keras_forward: the pair of shapes in Keras' error tells the mistakes apart
    ("keras_forward", {"        keras.Input(shape=(2,)),\n": "        keras.Input(shape=(W1.shape[1],)),\n"},
     {"keras_predict": (0.0, "the model's input has the wrong size: it takes as many features as W1 has rows, "
                             "keras.Input(shape=(W1.shape[0],))")}),
    ("keras_forward", {"model.set_weights([W1, b1, W2, b2])": "model.set_weights([W1.T, b1, W2.T, b2])"},
     {"keras_predict": (0.0, "the weights were passed transposed: a Dense kernel has shape (inputs, nodes), as W1 and W2 "
                             "are given; pass them as they are")}),
])
def test_a_mistake_the_issue_found_unhinted_gets_its_hint(exercise_id, edits, expected):
    assert _failing(exercise_id, edits) == expected


def test_a_hidden_layer_of_the_wrong_size_keeps_its_hint():
    failing = _failing("keras_forward", {"keras.layers.Dense(W1.shape[1], activation=\"sigmoid\")":
                                         "keras.layers.Dense(8, activation=\"sigmoid\")"})
    assert failing == {"keras_predict": (0.0, "the layers must fit the weights they are given: the hidden layer has as "
                                              "many nodes as W1 has columns, Dense(W1.shape[1], ...)")}


def test_a_listed_mistake_that_explains_only_some_calls_is_not_said():
    """argmin agrees with "counted from 1" (argmax + 1) on some rows: that hint would be wrong; the
    derived one explains every row."""
    failing = _failing("softmax", {"return np.argmax(probs, axis=-1)": "return np.argmin(probs, axis=-1)"})
    assert failing["predict_classes"] == (0.0, "the least was taken where the largest is meant (np.argmin for np.argmax, "
                                              "or min for max)")
    assert failing["classes"] == (0.0, "np.argmin gives the least probable class; the prediction is the most probable one")


# --------------------------------------------------------------------------- derived hints, one by one

@pytest.mark.parametrize("student,hint", [
    (lambda x: -np.maximum(x, 0), "the sign is flipped"),
    (lambda x: 2 * np.maximum(x, 0), "the result is twice what it should be (a factor 2 too many)"),
    (lambda x: np.where(x > 0, x, 0.3 * x), "this is leaky ReLU (slope 0.3 below 0); `relu` should be ReLU"),
    (lambda x: np.tanh(x), "this is tanh; `relu` should be ReLU"),
    # the exercise's own hint wins where it applies (a derived one would say "ReLU's derivative" too)
    (lambda x: (x > 0).astype(float), "this is the derivative of relu (1 for x > 0, else 0), not relu itself"),
    (lambda x: np.maximum(-x, 0), "`x` is used with its sign flipped"),
    (lambda x: np.maximum(x, 0) + 0.5, ""),  # no explanation fits: no hint rather than a wrong one
    # a reduction where the function works entry by entry: one number, or one per column
    (lambda x: np.max(x, 0), REDUCED),
    (lambda x: np.sum(np.maximum(x, 0)), REDUCED),
])
def test_a_derived_hint_is_said_only_when_one_explanation_fits(student, hint):
    from support import judge_namespace

    verdict = judge_namespace("activations", {"relu": student})["relu"]
    assert verdict.points == 0.0 and verdict.hint == hint


def test_a_given_number_used_where_another_belongs_is_named_with_the_notebooks_numbers():
    """The expected value computed again on the student's own numbers changed: one used where
    another belongs, two swapped, one left out. Said only when one change explains the answer:
    in loss_functions the notebook gives pa = pb = 0.8, so pa and pb used for pc are one answer."""
    assert _failing("backprop", {"f = q * z  # SOLUTION": "f = q * y"}) == {
        "f": (0.0, "`y` was used where `z` belongs: the notebook gives z = -4 and y = 5")}
    assert _failing("backprop", {"q = x + y  # SOLUTION": "q = x + z"})["q"] == (
        0.0, "`z` was used where `y` belongs: the notebook gives y = 5 and z = -4")
    assert _failing("loss_functions", {"loss_c = -(yc * np.log(pc) + (1 - yc) * np.log(1 - pc))  # SOLUTION":
                                       "loss_c = -(yc * np.log(pa) + (1 - yc) * np.log(1 - pa))"}) == {"loss_c": (0.0, "")}


@pytest.mark.parametrize("got,hint", [
    (1.0 - 2 * 3.0, "`a` and `b` are swapped: the notebook gives a = 3 and b = 1"),
    (3.0 - 2 * 3.0, "`a` was used where `b` belongs: the notebook gives b = 1 and a = 3"),
    (3.0, "`b` (the notebook gives b = 1) was left out of the computation"),
    (7.0, ""),
])
def test_given_number_candidates_on_a_formula_of_two_numbers(got, hint):
    from autograder.judge.derived_hints import fitting, given_number_candidates, one_explanation

    candidates = given_number_candidates(lambda p: p["a"] - 2 * p["b"], lambda: {"a": 3.0, "b": 1.0, "seed": 7})
    fits, _ = fitting(got, candidates, lambda x, y: bool(np.isclose(x, y)))
    assert one_explanation([fits]) == hint


def test_a_pair_with_one_wrong_part_is_told_which_part_and_why():
    """gradient returns (dL/dw, dL/db): the weights' part summed over the examples (n differs from
    call to call: one hint for all), the bias's part right."""
    from support import judge_namespace
    from solutions import gradient_descent as sol

    def summed_weights(X, y, w, b):
        error = sol.sigmoid(X @ w + b) - y
        return X.T @ error, np.mean(error)

    def summed_bias(X, y, w, b):
        error = sol.sigmoid(X @ w + b) - y
        return X.T @ error / len(y), np.sum(error)

    verdict = judge_namespace("gradient_descent", {"gradient": summed_weights})["gradient"]
    assert verdict.points == 0.0 and verdict.hint == (
        "in the first value returned (the weights' part): the values were added up where their mean is asked "
        "(the result is n times too large, n the number of values)")
    verdict = judge_namespace("gradient_descent", {"gradient": summed_bias})["gradient"]
    assert verdict.points == 0.0 and verdict.hint.startswith("in the second value returned (the bias's part): ")


@pytest.mark.parametrize("student,hint", [
    # tanh is odd: tanh(-x) and -tanh(x) are one answer, two explanations; its sign is flipped either way
    (lambda x: -np.tanh(x), "the sign is flipped"),
    (lambda x: np.tanh(-x), "the sign is flipped"),
    (lambda x: 2 * np.tanh(x), "the result is twice what it should be (a factor 2 too many)"),
])
def test_explanations_the_answers_cannot_tell_apart_say_the_fact_about_the_result(student, hint):
    from support import judge_namespace

    verdict = judge_namespace("activations", {"tanh": student})["tanh"]
    assert verdict.points == 0.0 and verdict.hint == hint


def test_another_questions_answer_is_named():
    from support import judge_namespace
    from solutions import activations as sol

    verdict = judge_namespace("activations", {"tanh_grad": sol.tanh})["tanh_grad"]
    assert verdict.points == 0.0
    assert verdict.hint in ("this is tanh; `tanh_grad` should be tanh's derivative",
                            "this is the answer to `tanh`, another question")


@pytest.mark.parametrize("error,hint", [
    ("ValueError: operands could not be broadcast together with shapes (4,3) (4,)",
     "an array lost its last axis in a sum or maximum and no longer lines up with the rows: keep the axis with keepdims=True"),
    ("ValueError: operands could not be broadcast together with shapes (2,3) (3,1)",
     "`*` multiplies element by element, which arrays of shapes (2, 3) and (3, 1) cannot do; the matrix product is `@`"),
    ("RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x3 and 2x5)", MATMUL),
    ("ValueError: shapes (200,2) and (200,) not aligned: 2 (dim 1) != 200 (dim 0)", MATMUL),
    ("ValueError: operands could not be broadcast together with shapes (5,) (7,)", ""),
    ("ZeroDivisionError: division by zero", ""),
])
def test_a_shape_error_names_its_mistake_only_when_its_shapes_say_which(error, hint):
    assert raised_hint(error) == hint


# --------------------------------------------------------------------------- the cause of a missing answer

def test_an_answer_never_defined_names_the_cell_that_raised_and_its_error():
    failing = _failing("softmax", {"np.sum(e, axis=-1, keepdims=True)": "np.sum(e, axis=2, keepdims=True)"})
    raised = "raised AxisError: axis 2 is out of bounds for array of dimension 2: fix that cell and run the notebook again from the top"
    for name in ("probs", "classes", "predict_classes"):
        assert failing[name] == (0.0, f"`{name}` was never defined because code cell 3 (`probs = softmax(logits)  # SOLUTION`) {raised}")
    loss_cell = ("code cell 5 (`batch_loss = np.mean(-np.log(probs[np.arange(len(labels))...`) raised NameError: name 'probs' is "
                 "not defined: fix that cell and run the notebook again from the top")
    for name, points in (("batch_loss", 0.0), ("loss_for_integer_labels", 0.0), ("loss_for_one_hot_labels", 0.0)):
        assert failing[name] == (points, f"`{name}` was never defined because {loss_cell}")
    assert sum(p for p, _ in failing.values()) == 0.0 and len(failing) == 7  # softmax itself has its own hint


def test_the_cause_is_found_by_parsing_never_by_running_the_cell():
    cells = ["import numpy as np", "x = np.ones(3)\ndef f(a):\n    return a", "for k in range(3):\n    y = k", "z = ("]
    outcomes = [("ok", ""), ("error", "ValueError: bad\nsecond line"), ("ok", ""), ("error", "SyntaxError: '(' was never closed")]
    assert cause("f", cells, outcomes) == ("`f` was never defined because code cell 2 (`x = np.ones(3)`) raised ValueError: bad "
                                           "second line: fix that cell and run the notebook again from the top")
    assert cause("y", cells, outcomes) == ""  # its cell ran: the name is missing for another reason
    assert cause("z", cells, outcomes).startswith("`z` was never defined because code cell 4 (`z = (`) raised SyntaxError")
    assert cause("w", cells, outcomes) == ""  # no cell defines it: nothing to say


# --------------------------------------------------------------------------- no mistake passes by chance

def _function_checks():
    for exercise in COURSE.exercises:
        if exercise.trains:
            continue
        for check in load_checks(exercise):
            if getattr(check, "mistakes", None) and callable(getattr(check, "cases", None)) \
                    and callable(getattr(check, "reference", None)):
                yield exercise.id, check


def _differs(a, b) -> bool:
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return True
    return a.shape != b.shape or not np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True)


def _flat(value):
    if isinstance(value, tuple) and len(value) == 2 and np.ndim(value[1]) == 0 and np.ndim(value[0]) == 1:
        return np.concatenate([np.asarray(value[0], dtype=float), [float(value[1])]])  # a pair (w, b)
    return value


@pytest.mark.parametrize("exercise_id,check", list(_function_checks()), ids=lambda v: getattr(v, "name", v))
def test_every_listed_mistake_of_a_function_differs_from_the_reference_on_every_draw(exercise_id, check):
    """On 40 draws of the check's cases, every listed mistake gives another answer on at least one
    case: none of them can pass by the chance of a draw (learning_curves' look-ahead did in 40%)."""
    for seed in range(40):
        cases = check.cases(np.random.default_rng(seed))
        for hint, mistake in check.mistakes.items():
            separated = False
            for args in cases:
                try:
                    expected = _flat(check.reference(*args))
                except Exception:  # noqa: BLE001 - a case where the reference raises: the mistake must not
                    separated = separated or _raises_not(mistake, args)
                    continue
                try:
                    separated = _differs(_flat(mistake(*args)), expected)
                except Exception:  # noqa: BLE001 - the mistake raises where the reference does not
                    separated = True
                if separated:
                    break
            assert separated, f"{exercise_id}/{check.name}, seed {seed}: {hint!r} gives the right answer on every case"


def _raises_not(mistake, args) -> bool:
    try:
        mistake(*args)
    except Exception:  # noqa: BLE001
        return False
    return True


def test_the_look_ahead_rule_fails_stop_epoch_on_every_draw():
    from support import judge_namespace
    from solutions import learning_curves as sol

    for seed in range(25):
        verdict = judge_namespace("learning_curves", {"stop_epoch": sol.stop_looking_ahead}, seed=seed)["stop_epoch"]
        assert verdict.points < 2.0 * 0.6, seed  # the fixed curves alone take half the points
        assert verdict.hint.startswith("each epoch was judged by the loss of the epoch after it"), seed


# Every mistake of every corpus failing its checks on several draws: tests/exercises/test_mistakes.py (it
# runs each mistake once, for its hints, and judges it again on other draws).


# --------------------------------------------------------------------------- carry_forward in every exercise

@pytest.mark.parametrize("exercise_id", [e.id for e in COURSE.exercises])
def test_carry_forward_is_applied_to_every_exercise_by_the_framework(exercise_id):
    exercise = COURSE.exercise(exercise_id)
    every = load_checks(exercise.model_copy(update={"carry_forward": True}))
    with_upstream = {c.name for c in every if getattr(c, "upstream", None) is not None}
    assert {c.name for c in every if c.carry_forward} == with_upstream
    assert not any(c.carry_forward for c in load_checks(exercise))  # off by default
    if with_upstream:
        one = sorted(with_upstream)[0]
        named = load_checks(exercise.model_copy(update={"carry_forward": (one,)}))
        assert {c.name for c in named if c.carry_forward} == {one}


def test_an_unknown_name_under_carry_forward_is_a_course_error_naming_it():
    exercise = COURSE.exercise("softmax")
    with pytest.raises(CourseError) as raised:
        load_checks(exercise.model_copy(update={"carry_forward": ("probz", "softmax")}))
    assert str(raised.value) == (
        "course: exercise 'softmax': carry_forward names 'probz' (no check of this exercise), 'softmax' (a check that "
        "builds on no earlier answer); the checks that build on an earlier answer: batch_loss, classes")


def test_carried_forward_credit_in_a_newer_exercise():
    """softmax's batch_loss from the student's own wrong probs: credit where the course asks for it."""
    from autograder.judge.in_process import judge_in_process

    edits = {"axis=-1, keepdims=True": "axis=0, keepdims=True"}
    exercise = COURSE.exercise("softmax").model_copy(update={"carry_forward": ("batch_loss",)})
    namespace = run_mistake(exercise.master, Mistake("columns", {}, edits=edits))
    verdicts = judge_in_process(load_checks(exercise), namespace)
    assert verdicts["probs"].points == 0.0 and verdicts["batch_loss"].points == 1.0
    assert verdicts["batch_loss"].details["carried_forward"] is True


# --------------------------------------------------------------------------- public checks accept what the grader accepts

def _torch_forms(value):
    import torch

    if isinstance(value, tuple):
        return tuple(_torch_forms(v) for v in value)
    array = np.asarray(value)
    if array.dtype.kind in "biuf":
        return torch.tensor(array.astype(float) if array.dtype.kind == "f" else array)
    return value


def _public_tests(exercise_id: str) -> dict[str, list[str]]:
    """{question: the code of its public test cells}, from the master (what Otter's public test runs)."""
    questions, question, in_tests = {}, None, False
    for cell in json.load(open(COURSE.exercise(exercise_id).master))["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "raw":
            question = re.search(r"name:\s*(\S+)", source).group(1) if "# BEGIN QUESTION" in source else question
            in_tests = "# BEGIN TESTS" in source or (in_tests and "# END TESTS" not in source)
        elif in_tests and cell["cell_type"] == "code":
            questions.setdefault(question, []).append(source)
    return questions


def _public_failures(exercise_id: str, namespace: dict) -> list[str]:
    failures = []
    for question, sources in _public_tests(exercise_id).items():
        for source in sources:
            try:
                exec(source, dict(namespace))  # noqa: S102 - our own notebook's public test, on our own answers
            except Exception as exc:  # noqa: BLE001
                failures.append(f"{question}: {type(exc).__name__}: {exc}")
    return failures


@pytest.mark.parametrize("exercise_id", ["loss_functions", "softmax", "gradient_descent", "activations"])
def test_an_honest_torch_answer_passes_its_public_check_and_gets_full_marks(exercise_id):
    """Every answer (values, and what every function returns) as torch tensors."""
    from support import judge_namespace

    solution = run_mistake(COURSE.exercise(exercise_id).master, Mistake("none", {}))
    assert _public_failures(exercise_id, solution) == []
    names = {getattr(c, "function", None) or getattr(c, "var", None) for c in load_checks(exercise_id)} - {None}
    torched = dict(solution)
    for name in names:
        value = solution[name]
        if callable(value):
            torched[name] = (lambda f: lambda *a, **k: _torch_forms(f(*a, **k)))(value)
        elif not isinstance(value, (str, bool, list)):
            torched[name] = _torch_forms(value)
    assert _public_failures(exercise_id, torched) == []
    points = load_checks_points(exercise_id)
    assert {n: v.points for n, v in judge_namespace(exercise_id, torched).items() if v.points < points[n]} == {}


def load_checks_points(exercise_id):
    return {c.name: c.points for c in load_checks(exercise_id)}


def test_every_spelling_the_grader_takes_passes_the_public_check_of_learning_curves():
    from autograder.probe.answers import Answer

    module = checks_module("learning_curves")
    solution = run_mistake(COURSE.exercise("learning_curves").master, Mistake("none", {}))
    [source] = _public_tests("learning_curves")["q3_diagnosis"]
    listed = eval(re.search(r" in (\(['\"]underfitting['\"][^)]*\))", source).group(1))  # noqa: S307 - our own notebook
    assert set(listed) == {s for spelled in module._SPELLINGS.values() for s in spelled}  # one list for both
    for kind, spelled in module._SPELLINGS.items():
        for written in spelled + (kind.upper(), kind.replace(" ", "-").title(), f" {kind} "):
            namespace = solution | {"diagnosis_A": written, "diagnosis_B": written, "diagnosis_C": written}
            assert _public_failures("learning_curves", namespace) == [], written
            assert module.as_kind(Answer("d", value=written), "d") == kind
    for wrong in ("overfiting", "fine", "", 3):
        assert _public_failures("learning_curves", solution | {"diagnosis_A": wrong}), wrong
        with pytest.raises(Exception):
            module.as_kind(Answer("d", value=wrong), "d")


# --------------------------------------------------------------------------- notebook text

def _text(exercise_id) -> str:
    return "\n".join("".join(c["source"]) for c in json.load(open(COURSE.exercise(exercise_id).master))["cells"])


def test_the_take_aways_give_no_answer_away():
    loss = _text("loss_functions").split("## What to take away")[1]
    assert "p - y" not in loss and "vanishes" not in loss
    curves = _text("learning_curves").split("## What to take away")[1]
    assert "last rows" not in curves and "before shuffling" not in curves


def test_loss_functions_gives_p_wrong_rather_than_asking_for_it_ungraded():
    assert "p_wrong = 1 / (1 + np.exp(-z))  # given" in _text("loss_functions")
    assert "p_wrong = 1 / (1 + np.exp(-z))  # SOLUTION" not in _text("loss_functions")


def test_softmax_ones_hot_example_is_no_row_of_any_answer():
    from solutions import softmax as sol

    text = _text("softmax")
    example = re.search(r"label \d becomes `(\[[^]]*\])`", text).group(1)
    rng = np.random.default_rng(0)
    for params in [sol.DEFAULT_VARIANT] + [sol.draw_variant(rng) for _ in range(50)]:
        one_hot = np.eye(len(params["logits"][0]))[params["labels"]]
        assert not any(list(map(int, row)) == json.loads(example) for row in one_hot)


def test_the_split_in_the_text_is_the_notebooks_own():
    text = _text("learning_curves")
    assert "validation_split=0.2" not in text
    assert "n_rows, validation_split = {{ n_rows }}, {{ split }}" in text


def test_keras_forward_asks_for_no_comparison_with_other_numbers():
    text = _text("keras_forward")
    assert "with the same\nnumbers" not in text and "this notebook's `X` and weights" in text


@pytest.mark.parametrize("exercise_id", [e.id for e in COURSE.exercises])
def test_a_notebook_that_invites_keras_has_time_to_import_it(exercise_id):
    exercise = COURSE.exercise(exercise_id)
    text = exercise.master.read_text()
    if "import keras" in text or "keras." in text:
        assert exercise.limits.cell_timeout >= 60 and exercise.limits.total_timeout >= 240


# The held-out mistakes, hinted at least 80% and never wrongly: tests/exercises/test_mistakes.py.


def test_the_grader_names_the_cell_that_raised(monkeypatch):
    """Through the pipeline: the run's per-cell errors reach the checks of the answers they left
    undefined (a runner in this process stands in for the sandbox, with the sandbox's cell runner)."""
    import os
    import tempfile

    from autograder.intake.submissions import Submission
    from autograder.pipeline import grade_submission
    from autograder.probe import encode_requests, read_answers
    from autograder.run import RunResult
    from autograder.run.results import CellRun
    from autograder.sandbox.cells import run_trusted
    from autograder.sandbox.responder import answer

    cells = ["import numpy as np", "def relu(x):\n    return np.maximum(x, 0)\n\ndef relu_grad(x):\n    return (x > 0) * 1.0",
             "W_combined = W1 * W2"]

    def runner(cells, probes, limits, files=None):
        namespace, outcomes = run_trusted(cells)
        document = json.loads(json.dumps(encode_requests(probes)))
        with tempfile.TemporaryDirectory() as folder:
            answer(namespace, document, folder)
            answers = read_answers(folder, probes)
        runs = [CellRun(i, status, 0.0, error) for i, (status, error) in enumerate(outcomes)]
        return RunResult("finished", "", runs, answers, "", 1.0, 1.0, "in-process")

    sub = Submission(path="s.ipynb", sha256="0" * 64, student="s", exercise="activations", cells=cells)
    result = grade_submission(sub, COURSE, seed=0, runner=runner)
    checks = {c["name"]: c for c in result["checks"]}
    assert checks["relu"]["points"] == 1.0 and checks["relu_grad"]["points"] == 1.0
    assert checks["W_combined"]["points"] == 0.0
    assert checks["W_combined"]["hint"] == ("`W_combined` was never defined because code cell 3 (`W_combined = W1 * W2`) "
                                            "raised NameError: name 'W1' is not defined: fix that cell and run the "
                                            "notebook again from the top")
    assert checks["tanh"]["hint"] == ""  # never written: no cell to blame
    assert os.getcwd()  # the runner put the working folder back
