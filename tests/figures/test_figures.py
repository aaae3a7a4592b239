"""Figures (autograder/figures/): each kind draws the student's answer and the right one from its
data, the right one only where the course allows it, within size caps, with student text drawn as
plain text, and a figure that cannot be drawn is left out with a note, never failing a grade.

The data comes from the real checks judging typical mistakes (exercises/<id>/mistakes.py) in this
process (tests/support/figures.py), so these tests also hold the checks' figure= hooks and the
collector to what they keep.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import threading

import numpy as np
import pytest

from autograder import figures
from autograder.exercises import master_notebook
from autograder.export.feedback import feedback_html
from autograder.figures import canvas, collect
from autograder.figures.draw import figures_of, show_reference
from autograder.figures.kind import Context
from autograder.figures.kinds import KINDS
from autograder.corpus import run_mistake
from support.figures import result_in_process
from solutions import gradient_descent as gd_sol

PNG = b"\x89PNG\r\n\x1a\n"


def mistake(exercise: str, name: str):
    spec = importlib.util.spec_from_file_location(f"mistakes_{exercise}", f"exercises/{exercise}/mistakes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return next(m for m in module.MISTAKES if m.name == name)


def mistaken(exercise: str, name: str, seed: int = 0) -> dict:
    return result_in_process(exercise, run_mistake(master_notebook(exercise), mistake(exercise, name)), seed)


def row(result: dict, name: str) -> dict:
    return next(c for c in result["checks"] if c["name"] == name)


def drawn(kind: str, data: dict, show: bool, row_: dict | None = None, siblings=None):
    with canvas.settings():
        fig = KINDS[kind].draw(data, Context(show, row_ or {}, siblings or {}))
    return fig


def series(ax, prefix: str) -> list:
    """The lines of `ax` whose label starts with `prefix`."""
    return [line for line in ax.get_lines() if str(line.get_label()).startswith(prefix)]


@pytest.fixture(scope="module")
def sigmoid_flipped():
    return mistaken("sigmoid_probability", "the sign of the exponent flipped")


# --------------------------------------------------------------------------- each kind, from its data


def test_sigmoid_probability_draws_the_students_z_and_p_and_the_right_point_only_when_shown(sigmoid_flipped):
    p = row(sigmoid_flipped, "p")
    data = p["figure"]
    assert p["points"] == 0 and data["kind"] == "sigmoid_probability"
    assert data["upstream"]["z"] == pytest.approx(1.52) and data["value"]["got"] == pytest.approx(1 / (1 + np.exp(1.52)), 1e-5)
    assert data["value"]["expected"] == pytest.approx(0.8205, abs=1e-4)
    ax = drawn("sigmoid_probability", data, show=False).axes[0]
    [yours] = series(ax, "yours")
    assert list(yours.get_xdata()) == pytest.approx([1.52]) and list(yours.get_ydata()) == pytest.approx([0.179462], 1e-5)
    assert series(ax, "right") == []  # the answer p is the figure's content: not drawn for a failed check
    ax = drawn("sigmoid_probability", data, show=True).axes[0]
    [right] = series(ax, "right")
    assert list(right.get_xdata()) == pytest.approx([1.52], 1e-4) and list(right.get_ydata()) == pytest.approx([0.8205], 1e-4)
    [curve] = series(ax, "sigmoid")
    x, y = curve.get_xdata(), curve.get_ydata()
    assert np.allclose(y, 1 / (1 + np.exp(-x)))


def test_function_curve_draws_the_students_function_and_the_right_one_on_one_grid(sigmoid_flipped):
    from autograder.figures.function_curve import GRID

    data = row(sigmoid_flipped, "sigmoid")["figure"]
    assert data["x"] == pytest.approx(list(GRID))  # a fixed grid: the same function, the same figure
    ax = drawn("function_curve", data, show=True).axes[0]
    [yours], [right] = series(ax, "yours"), series(ax, "right")
    assert np.allclose(yours.get_xdata(), GRID) and np.allclose(right.get_xdata(), GRID)
    assert np.allclose(yours.get_ydata(), 1 / (1 + np.exp(GRID)), rtol=1e-5)  # the flipped sign, as the student's code gave
    assert np.allclose(right.get_ydata(), 1 / (1 + np.exp(-GRID)), rtol=1e-5)
    again = mistaken("sigmoid_probability", "the sign of the exponent flipped", seed=7)
    assert row(again, "sigmoid")["figure"] == data  # other graded inputs, the same figure (drawn once)


def test_function_curve_falls_back_to_the_graded_calls_when_the_grid_call_raised():
    result = mistaken("sigmoid_probability", "math.exp instead of np.exp")
    data = row(result, "sigmoid")["figure"]
    assert data["raised"].startswith("TypeError") and len(data["x"]) == 1  # the one scalar case worked
    ax = drawn("function_curve", data, show=True).axes[0]
    assert any("your sigmoid raised TypeError" in t.get_text() for t in ax.texts)
    assert len(series(ax, "yours")[0].get_xdata()) == 1


def test_decision_line_draws_both_lines_once_over_the_labelled_notes():
    result = mistaken("decision_line", "both signs kept when moving the terms")
    intercept, slope = row(result, "intercept"), row(result, "slope")
    assert intercept["points"] == 0 and slope["points"] == 0
    got = (intercept["figure"]["value"]["got"], slope["figure"]["value"]["got"])
    assert got == pytest.approx((2.0, 4.0))  # the slides' x2 = -2 - 4 x1, both signs kept
    pictures = figures_of(result, "always")
    assert [(d.check, d.kind) for d in pictures if d.png] == [("intercept", "decision_line")]  # once per result
    siblings = {"intercept": intercept["figure"], "slope": slope["figure"]}
    ax = drawn("decision_line", intercept["figure"], True, intercept, siblings).axes[0]
    [yours], [right] = series(ax, "your line"), series(ax, "right line")
    assert np.allclose(yours.get_ydata(), 2.0 + 4.0 * np.asarray(yours.get_xdata()))
    assert np.allclose(right.get_ydata(), -2.0 - 4.0 * np.asarray(right.get_xdata()))
    fake, genuine = ax.collections
    # the notes are labelled by the right line: fake ones (p > 0.5) mostly above it, as b2 > 0
    fx, fy = np.asarray(fake.get_offsets()).T
    assert np.mean(fy > -2.0 - 4.0 * fx) > 0.8 and len(genuine.get_offsets()) > 40
    ax = drawn("decision_line", intercept["figure"], False, intercept, siblings).axes[0]
    assert series(ax, "right line") == [] and len(series(ax, "your line")) == 1


def test_gradient_descent_draws_the_loss_of_the_students_loop_against_the_references():
    result = mistaken("gradient_descent", "the bias never updated")
    train = row(result, "train_logistic")
    data = train["figure"]
    assert train["points"] < train["max_points"] and data["kind"] == "gradient_descent"
    assert data["epochs"][0] == 0 and len(data["epochs"]) >= 5
    assert data["got"][0] == pytest.approx(np.log(2), 1e-4) == data["expected"][0]  # w = 0, b = 0: p = 0.5 everywhere
    assert data["expected"][-1] < data["expected"][0]
    assert all(g >= e - 1e-9 for g, e in zip(data["got"], data["expected"]))  # a loop without the bias learns less
    ax = drawn("gradient_descent", data, True).axes[0]
    [yours], [right] = series(ax, "your loop"), series(ax, "the reference")
    assert list(yours.get_xdata()) == data["epochs"] and np.allclose(yours.get_ydata(), data["got"])
    assert np.allclose(right.get_ydata(), data["expected"])


def test_gradient_descent_losses_are_the_reference_loops_own():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(30, 2)), (rng.uniform(size=30) < 0.5).astype(float)
    from autograder.figures.gradient_descent import loss

    w, b = gd_sol.train_logistic(X, y, 0.5, 40)
    p = 1 / (1 + np.exp(-(X @ w + b)))
    assert loss(X, y, (w, b)) == pytest.approx(float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))))
    assert loss(X, y, "not a pair") is None and loss(X, y, ([np.inf, 0], 0)) is None


def test_softmax_draws_the_students_probabilities_per_row_against_the_right_ones():
    result = mistaken("softmax", "normalised down the columns")
    probs = row(result, "probs")
    data = probs["figure"]
    got, expected = np.asarray(data["value"]["got"]), np.asarray(data["value"]["expected"])
    fig = drawn("softmax", data, True)
    first = fig.axes[0]
    heights = [p.get_height() for p in first.patches]
    k = got.shape[1]
    assert heights[:k] == pytest.approx(list(got[0]), 1e-5) and heights[k:2 * k] == pytest.approx(list(expected[0]), 1e-5)
    assert len(fig.axes) == min(3, got.shape[0])
    hidden = drawn("softmax", data, False).axes[0]
    assert [p.get_height() for p in hidden.patches] == pytest.approx(list(got[0]), 1e-5)  # the student's only
    assert show_reference(probs, data) is False and show_reference(row(result, "softmax"), row(result, "softmax")["figure"])


def test_learning_curves_draws_the_curve_with_the_students_stop_and_the_right_one():
    result = mistaken("learning_curves", "one epoch too late")
    data = row(result, "stop_epoch")["figure"]
    case = next(c for c in data["cases"] if c["got"] != c["expected"])
    ax = drawn("learning_curves", data, True).axes[0]
    [curve] = series(ax, "validation loss")
    assert list(curve.get_ydata()) == pytest.approx(case["args"][0], 1e-5)
    assert list(curve.get_xdata()) == list(range(1, len(case["args"][0]) + 1))  # epochs counted from 1
    [yours], [right] = series(ax, "your stop"), series(ax, "right stop")
    assert yours.get_xdata()[0] == case["got"] == case["expected"] + 1
    assert right.get_xdata()[0] == case["expected"]


def test_activations_draw_each_function_on_the_graders_inputs():
    result = mistaken("activations", "tanh as the sigmoid")
    for name, truth in (("tanh", np.tanh), ("tanh_grad", lambda x: 1 - np.tanh(x) ** 2)):
        data = row(result, name)["figure"]
        ax = drawn("function_curve", data, True).axes[0]
        [right] = series(ax, "right")
        assert np.allclose(right.get_ydata(), truth(np.asarray(right.get_xdata())), atol=1e-6)
        [yours] = series(ax, "yours")
        assert not np.allclose(yours.get_ydata(), truth(np.asarray(yours.get_xdata())), atol=1e-3)
    [yours] = series(drawn("function_curve", row(result, "tanh")["figure"], True).axes[0], "yours")
    assert np.allclose(yours.get_ydata(), 1 / (1 + np.exp(-np.asarray(yours.get_xdata()))), rtol=1e-5)  # the sigmoid


def test_loss_curve_draws_the_students_loss_of_one_label_against_the_right_one():
    from autograder.figures.loss_curve import BATCH, GRID

    summed = mistaken("loss_functions", "the losses of a batch added up")
    data = row(summed, "bce")["figure"]
    assert data["p"] == pytest.approx(list(GRID)) and list(data["labels"]) == ["1", "0"]
    panels = drawn("loss_curve", data, show=True).axes
    for ax, truth in zip(panels, (lambda p: -np.log(p), lambda p: -np.log(1 - p))):
        [right], [yours] = series(ax, "right"), series(ax, "your")
        assert np.allclose(right.get_xdata(), GRID) and np.allclose(right.get_ydata(), truth(GRID), rtol=1e-5)
        assert np.allclose(yours.get_ydata(), BATCH * truth(GRID), rtol=1e-5)  # a sum of the batch, not its mean
    assert series(drawn("loss_curve", data, show=False).axes[0], "right") == []

    entries = mistaken("loss_functions", "the categorical mean over every entry")
    data = row(entries, "categorical_crossentropy")["figure"]
    [ax] = drawn("loss_curve", data, show=True).axes
    [right], [yours] = series(ax, "right"), series(ax, "your")
    assert np.allclose(right.get_ydata(), -np.log(GRID), rtol=1e-5)
    assert np.allclose(yours.get_ydata(), -np.log(GRID) / 3, rtol=1e-5)  # divided by the three classes too


def test_a_loss_right_on_the_whole_grid_draws_no_figure():
    """Unclipped, bce is wrong only at probabilities of exactly 0 and 1: two curves on top of each
    other would say that nothing is wrong, so no figure is drawn (the check's message says why)."""
    result = mistaken("loss_functions", "no clipping in bce")
    assert row(result, "bce")["points"] < row(result, "bce")["max_points"]
    assert row(result, "bce")["figure"]["labels"]["1"]["got"] == pytest.approx(list(-np.log(np.linspace(0.02, 0.98, 25))), 1e-5)
    assert [d.check for d in figures_of(result)] == []


def test_a_passed_check_keeps_figure_data_only_where_something_draws_it():
    """A function's curve on a grid is tens of KB: a passed check's row keeps none (no page draws
    it), while the kinds the report draws over the class keep theirs, passed or not."""
    result = mistaken("activations", "tanh as the sigmoid")
    assert row(result, "tanh")["points"] == 0 and row(result, "tanh")["figure"]["kind"] == "function_curve"
    for name in ("relu", "relu_grad"):
        assert row(result, name)["points"] == row(result, name)["max_points"] and "figure" not in row(result, name)
    assert [k.name for k in KINDS.values() if k.kept_when_passed()] == ["sigmoid_probability", "decision_line",
                                                                        "training"]
    line = mistaken("decision_line", "the linear part set to 0.5 instead of 0")  # the slope right
    kept = [c for c in line["checks"] if c.get("figure")]
    assert any(c["points"] == c["max_points"] for c in kept) and any(c["points"] < c["max_points"] for c in kept)


def test_forward_pass_predictions_against_the_reference():
    result = mistaken("forward_pass", "ReLU in the hidden layer where the sigmoid was asked")
    data = row(result, "predict_hidden")["figure"]
    ax = drawn("predictions", data, True).axes[0]
    [points] = ax.collections
    right, yours = np.asarray(points.get_offsets()).T
    want_right = np.concatenate([np.ravel(c["expected"]) for c in data["cases"]])
    want_yours = np.concatenate([np.ravel(c["got"]) for c in data["cases"]])
    assert np.allclose(right, want_right, rtol=1e-5) and np.allclose(yours, want_yours, rtol=1e-5)
    assert not np.allclose(right, yours)
    [diagonal] = series(ax, "where they agree")
    assert np.allclose(diagonal.get_xdata(), diagonal.get_ydata())


def test_training_figure_draws_the_measured_curve_the_metric_against_the_tiers_and_the_confusion_matrix():
    from autograder.course.training import Tier
    from autograder.figures.training import figure_data

    outputs = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.8, 0.1, 0.1]])
    target = np.array([0, 1, 1, 2])
    data = figure_data("accuracy", 0.5, False, (Tier(0.9, 4), Tier(0.8, 2)), outputs, target, 3, False,
                       [1.2, 0.8, 0.6], [1.3, 0.9, 0.8], {"seconds": 3.5, "budget_s": 60.0, "epochs_done": 3})
    assert data["confusion"] == [[1, 0, 0], [0, 1, 1], [1, 0, 0]]
    fig = drawn("training", json.loads(json.dumps(data)), True)
    curve, metric, confusion = fig.axes
    [loss] = series(curve, "training loss")
    assert list(loss.get_xdata()) == [1, 2, 3] and list(loss.get_ydata()) == pytest.approx([1.2, 0.8, 0.6])
    assert [p.get_height() for p in metric.patches] == pytest.approx([0.5])
    assert sorted(line.get_ydata()[0] for line in metric.get_lines()) == pytest.approx([0.8, 0.9])
    assert np.array_equal(confusion.images[0].get_array(), np.array(data["confusion"]))
    regression = figure_data("mse", 0.02, True, (Tier(0.05, 3),), np.array([[0.1], [0.5]]), np.array([0.0, 0.4]),
                             None, False, [0.3], [], {})
    assert regression["pairs"] == {"target": [0.0, 0.4], "predicted": [0.1, 0.5]}
    pairs = drawn("training", regression, True).axes[2]
    assert np.allclose(np.asarray(pairs.collections[0].get_offsets()), [[0.0, 0.1], [0.4, 0.5]])
    assert figure_data("accuracy", 0.5, False, "not tiers", outputs, target, 3, False, [], [], {})["note"]


# --------------------------------------------------------------------------- the reference setting


def test_reference_setting():
    failed, passed = {"points": 0.0, "max_points": 1.0}, {"points": 1.0, "max_points": 1.0}
    value, function = {"answer_is_content": True}, {"answer_is_content": False}
    assert [show_reference(failed, value, s) for s in ("auto", "always", "never")] == [False, True, False]
    assert [show_reference(failed, function, s) for s in ("auto", "always", "never")] == [True, True, False]
    assert all(show_reference(passed, d, "never") for d in (value, function))  # nothing left to give away


def test_course_yaml_sets_the_reference_per_exercise(tmp_path):
    from autograder.course import CourseError, load_course
    from autograder.paths import DEFAULT_COURSE

    text = DEFAULT_COURSE.read_text().replace("  - id: decision_line\n", "  - id: decision_line\n    figure_reference: always\n", 1)
    (tmp_path / "course.yaml").write_text(text)
    (tmp_path / "exercises").symlink_to(DEFAULT_COURSE.parent / "exercises")
    course = load_course(tmp_path / "course.yaml")
    assert course.exercise("decision_line").figure_reference == "always"
    assert course.exercise("sigmoid_probability").figure_reference == "auto"
    (tmp_path / "course.yaml").write_text(text.replace("figure_reference: always", "figure_reference: sometimes"))
    with pytest.raises(CourseError, match="figure_reference"):
        load_course(tmp_path / "course.yaml")


def test_the_page_follows_the_course_setting(sigmoid_flipped):
    hidden = feedback_html(sigmoid_flipped, reference="auto")
    shown = feedback_html(sigmoid_flipped, reference="always")
    assert "the right answer is not drawn until you have earned it" in hidden
    assert hidden.count("the right answer is not drawn") == 1  # the sigmoid's curve is shown: not its answer
    assert "the right answer is not drawn" not in shown


# --------------------------------------------------------------------------- caps and failures


def test_a_figure_over_its_cap_is_left_out_with_a_note(sigmoid_flipped):
    pictures = figures_of(sigmoid_flipped, figure_cap=2_000)
    assert pictures and all(d.png is None and "larger than 2 KB" in d.note for d in pictures)
    pictures = figures_of(sigmoid_flipped)
    assert all(d.png.startswith(PNG) and len(d.png) <= canvas.FIGURE_BYTES for d in pictures)


def test_a_page_keeps_its_figures_within_its_budget(sigmoid_flipped):
    sizes = [len(d.png) for d in figures_of(sigmoid_flipped)]
    assert len(sizes) == 2
    pictures = figures_of(sigmoid_flipped, budget=sizes[0] + 10)
    assert pictures[0].png is not None and pictures[1].png is None and "capped at" in pictures[1].note
    page = feedback_html(sigmoid_flipped)
    assert len(page) < 2 * (figures.draw.PAGE_BYTES + 50_000)


def test_a_figure_that_cannot_be_drawn_is_a_note_and_the_grade_stands(sigmoid_flipped, monkeypatch):
    from autograder.figures.kind import Kind

    def broken(data, ctx):
        raise ZeroDivisionError("bug in a figure")

    monkeypatch.setitem(KINDS, "sigmoid_probability", Kind("sigmoid_probability", broken))
    result = json.loads(json.dumps(sigmoid_flipped))
    page = feedback_html(result)
    assert "Figure left out: the figure could not be drawn (ZeroDivisionError)" in page
    assert f"Score: {result['score']:g} / {result['max_score']:g}" in page and result["score"] == sigmoid_flipped["score"]
    assert page.count("data:image/png;base64,") == 1  # the other figure still drawn
    result["checks"][2]["figure"] = {"kind": "no_such_kind"}
    assert "no figure of this kind is known" in feedback_html(result)


def test_collecting_never_raises_into_the_grade():
    from autograder.judge import ValueCheck, Verdict
    from autograder.probe.answers import Answer

    class Exploding:
        def __call__(self):
            raise RuntimeError("no")

    check = ValueCheck("x", var="x", expected=Exploding(), figure="sigmoid_probability")
    data = figures.figure_data(check, Verdict(0.0), {"value": Answer("value", value=1.0)}, {"value": None})
    assert data == {"kind": "sigmoid_probability", "note": "the figure's data could not be collected (RuntimeError)"}
    assert figures.figure_data(ValueCheck("y", var="y", expected=1.0), Verdict(0.0), {}, {}) is None  # no figure=


def test_collected_data_is_small_plain_json_whatever_the_student_returned():
    hostile = {"a" * 500: np.full((100, 100), np.inf), "nested": [[["x"] * 3] * 3] * 3, "big": 10**400,
               "nan": float("nan"), "obj": object(), "text": "$\\frac{1}{0}$" * 100}
    value = collect.plain(hostile)
    text = json.dumps(value, allow_nan=False)
    assert len(text) < 5_000 and value["big"] is None and value["nan"] is None and value["obj"] == "<object>"
    assert len(value["text"]) == collect.MAX_TEXT
    assert collect.plain(np.arange(12.0).reshape(3, 4)) == np.arange(12.0).reshape(3, 4).tolist()
    many = {"kind": "softmax", "cases": [{"got": list(range(3000))}] * 6}
    assert len(json.dumps(collect.fits(many))) <= collect.MAX_BYTES
    assert collect.fits({"kind": "k", "value": {"got": list(range(20000))}})["note"]


def test_student_text_is_drawn_as_plain_text_never_mathtext():
    data = {"kind": "function_curve", "function": "relu", "x": [], "got": [],
            "raised": "ValueError: $\\frac{1}{0}$ and $\\alpha$\x00\x1b[31m" + "x" * 500, "curve": None}
    fig = drawn("function_curve", data, True)
    texts = [t for t in fig.axes[0].texts if "raised" in t.get_text()]
    [text] = texts
    assert "$\\frac{1}{0}$" in text.get_text() and "\x00" not in text.get_text() and "\x1b" not in text.get_text()
    assert len(text.get_text()) <= 90
    assert text._preprocess_math(text.get_text()) == (text.get_text(), False)  # not parsed as math
    with canvas.settings():
        assert canvas.png(fig).startswith(PNG)  # and it renders


def test_figures_off_keep_no_data_and_draw_nothing(sigmoid_flipped, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_FIGURES", "0")
    assert not figures.enabled()
    assert "data:image/png" not in feedback_html(sigmoid_flipped)
    from autograder.gradescope.results import to_gradescope
    from autograder.course import Gradescope

    assert all("output_format" not in t for t in to_gradescope(sigmoid_flipped, Gradescope())["tests"])


# --------------------------------------------------------------------------- the HTML page and Gradescope


def test_the_feedback_page_is_self_contained_and_escapes_student_text(sigmoid_flipped):
    result = json.loads(json.dumps(sigmoid_flipped))
    result["student"] = "<script>alert(1)</script>"
    result["checks"][0]["hint"] = "<img src=x onerror=alert(2)>"
    page = feedback_html(result)
    assert "<script>" not in page and "<img src=x" not in page and "&lt;script&gt;" in page
    assert "Content-Security-Policy" in page and "default-src 'none'; img-src data:" in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)"', page)
    assert len(images) == 2 and all(base64.b64decode(b).startswith(PNG) for b, _ in images)
    assert {alt.split(":")[0] for _, alt in images} == {"sigmoid", "p"}


def test_gradescope_tests_with_figures_are_html_within_the_caps(sigmoid_flipped):
    from autograder.course import Gradescope
    from autograder.gradescope.results import GRADESCOPE_BYTES, GRADESCOPE_FIGURE_BYTES, to_gradescope

    result = json.loads(json.dumps(sigmoid_flipped))
    result["checks"][2]["hint"] = "<b>bold</b> & $x$"
    doc = to_gradescope(result, Gradescope())
    tests = {t["name"]: t for t in doc["tests"]}
    html_tests = {n for n, t in tests.items() if t.get("output_format") == "html"}
    assert html_tests == {"sigmoid", "p"}
    for name in html_tests:
        [uri] = re.findall(r'<img src="data:image/png;base64,([^"]+)"', tests[name]["output"])
        assert len(base64.b64decode(uri)) <= GRADESCOPE_FIGURE_BYTES
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; $x$" in tests["p"]["output"]
    assert all(isinstance(t["output"], str) and "<img" not in t["output"] for n, t in tests.items() if n not in html_tests)
    assert tests["z"]["output"].startswith("Expected:") and "output_format" not in tests["z"]
    assert len(json.dumps(doc)) < GRADESCOPE_BYTES * 4 / 3 + 20_000
    small = to_gradescope(result, Gradescope(), reference="never")
    assert small["score"] == doc["score"]
    # over the budget: the figures are left out with a note, the results still complete
    import autograder.gradescope.results as gs

    original = gs.GRADESCOPE_BYTES
    try:
        gs.GRADESCOPE_BYTES = 1_000
        capped = to_gradescope(result, Gradescope())
    finally:
        gs.GRADESCOPE_BYTES = original
    assert "data:image" not in json.dumps(capped) and "Figure left out" in json.dumps(capped)
    assert [t["score"] for t in capped["tests"]] == [t["score"] for t in doc["tests"]]


# --------------------------------------------------------------------------- drawing off the grading path


def _images(page: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)]


# The pages of three results written by a grading process of its own (the drawer is a fork, made
# only where no other thread runs: this test process has some), which draws no figure itself: an
# image on a page comes from the drawing process. Its drawing process is killed after two pages.
THREE_PAGES = """
import json, os, signal, sys
from pathlib import Path
from autograder import figures
from autograder.export.pages import Drawer, FeedbackInBackground
folder = Path(sys.argv[1])
grader, drawn_here = os.getpid(), figures.figures_of
figures.figures_of = lambda *a, **k: [] if os.getpid() == grader else drawn_here(*a, **k)
right, result, after = (json.loads((folder / f"{name}.json").read_text()) for name in ("right", "result", "after"))
drawer = Drawer()
drawer.start()
started = drawer.pid is not None
with FeedbackInBackground(folder / "feedback", None, drawer) as pages:
    pages.write(right, "Sigmoid")
    pages.write(result, "Sigmoid")
    pages.flush()
    os.kill(drawer.pid, signal.SIGKILL)
    pages.write(after, "Sigmoid")
print(json.dumps({"started": started, "ended": drawer.pid is None}))
"""


def test_pages_drawn_in_the_drawing_process_are_the_pages_drawn_here(sigmoid_flipped, tmp_path):
    """One drawing process: its page is the one drawn here, student text through the pipe; once it
    is dead, the grader draws the pages."""
    import subprocess
    import sys

    from autograder.export.feedback import feedback_filename

    result = json.loads(json.dumps(sigmoid_flipped))
    result["student"] = "<script>alert(1)</script>\u2028$x$"
    right = json.loads(json.dumps(sigmoid_flipped)) | {"student": "bo", "checks": [
        dict(r, points=r["max_points"]) for r in sigmoid_flipped["checks"]]}
    after = json.loads(json.dumps(sigmoid_flipped)) | {"student": "cy"}
    for name, document in (("right", right), ("result", result), ("after", after)):
        (tmp_path / f"{name}.json").write_text(json.dumps(document))
    done = subprocess.run([sys.executable, "-c", THREE_PAGES, str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"started": True, "ended": True}
    folder = tmp_path / "feedback"
    page = (folder / feedback_filename(result, ".html")).read_text()
    assert page == feedback_html(result, None, "Sigmoid")
    assert len(_images(page)) == 2 and all(i.startswith(PNG) for i in _images(page))
    assert (folder / feedback_filename(result)).read_text().startswith("# Feedback: Sigmoid")
    assert (folder / feedback_filename(right, ".html")).is_file()
    # drawn by the grading process once its drawing process was dead: a page, without this script's figures
    assert _images((folder / feedback_filename(after, ".html")).read_text()) == []
    assert (folder / feedback_filename(after)).is_file()


# A drawing process that prints and dies on its first page with an exception no page handler
# catches (multiprocessing prints the traceback of such a process to its stderr).
DIES_LOUDLY = """
import json, os, sys
from pathlib import Path
from autograder.export import feedback
from autograder.export.pages import Drawer, FeedbackInBackground
folder = Path(sys.argv[1])
grader, drawn_here = os.getpid(), feedback.feedback_html
def loud(*args, **kwargs):
    if os.getpid() != grader:
        print("noise from the drawing process", file=sys.stderr, flush=True)
        raise KeyboardInterrupt
    return drawn_here(*args, **kwargs)
feedback.feedback_html = loud
drawer = Drawer()
drawer.start()
with FeedbackInBackground(folder / "feedback", None, drawer) as pages:
    pages.write(json.loads((folder / "result.json").read_text()), "Sigmoid")
"""


def test_nothing_of_the_drawing_process_reaches_the_terminal(sigmoid_flipped, tmp_path):
    import subprocess
    import sys

    from autograder.export.feedback import feedback_filename

    (tmp_path / "result.json").write_text(json.dumps(sigmoid_flipped))
    done = subprocess.run([sys.executable, "-c", DIES_LOUDLY, str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "noise" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    page = (tmp_path / "feedback" / feedback_filename(sigmoid_flipped, ".html")).read_text()
    assert len(_images(page)) == 2  # drawn by the grading process once its drawing process was gone


def _silent(conn, parent_end) -> None:
    import time

    time.sleep(60)


def test_a_drawing_process_that_does_not_answer_is_given_up(monkeypatch):
    import time

    from autograder.export import pages

    monkeypatch.setattr(pages, "PAGE_SECONDS", 0.5)
    monkeypatch.setattr(pages, "_serve", _silent)
    # This test process may run threads left by others; the child only sleeps, so the fork is safe.
    monkeypatch.setattr(pages.threading, "active_count", lambda: 1)
    drawer = pages.Drawer()
    drawer.start()
    assert drawer.pid is not None
    started = time.monotonic()
    assert drawer.page({"student": "ann"}, "t", "auto") is None and drawer.pid is None  # killed
    drawer.start()
    assert drawer.page({"student": "bo"}, "t", "auto") is None and drawer.pid is None  # not started again
    assert time.monotonic() - started < 5


def test_no_drawing_process_is_forked_while_the_grader_runs_threads():
    """A fork inherits every lock as it was: one held by another thread would stay held in the
    child. With a thread running, the drawer does not start and the grader draws the pages."""
    from autograder.export import pages

    release = threading.Event()
    thread = threading.Thread(target=release.wait, daemon=True)
    thread.start()
    try:
        drawer = pages.Drawer()
        drawer.start()
        assert drawer.pid is None and drawer.page({"student": "ann"}, "t", "auto") is None
    finally:
        release.set()
        thread.join()


def test_a_page_that_cannot_be_written_stops_the_batch(sigmoid_flipped, tmp_path):
    from autograder.export.pages import FeedbackInBackground

    (tmp_path / "feedback").write_text("a file where the folder should be")
    with pytest.raises(OSError):
        with FeedbackInBackground(tmp_path / "feedback") as pages:
            pages.write(json.loads(json.dumps(sigmoid_flipped)))


HTML_TAGS = {"p", "/p", "img", "em", "/em"}  # what our html outputs are made of


def test_gradescope_results_keep_the_specification_and_the_size_cap(sigmoid_flipped):
    """Gradescope's specification (docs/specs.md of gradescope/autograder_samples): output_format
    one of text, html, simple_format, md, ansi; the top-level output is simple_format (HTML) unless
    declared, so ours is declared text. It documents no size limit: ours (RESULTS_BYTES) holds
    whatever the checks' texts and figures weigh, the scores untouched."""
    from autograder.course import Gradescope
    from autograder.gradescope.results import OUTPUT_FORMATS, RESULTS_BYTES, to_gradescope

    result = json.loads(json.dumps(sigmoid_flipped))
    result["message"] = "<b>run</b> " + "x" * 50
    doc = to_gradescope(result, Gradescope())
    assert (doc["output_format"], doc["test_output_format"], doc["test_name_format"]) == ("text",) * 3
    assert "<b>run</b>" in doc["output"]  # shown as text, never rendered
    for test in doc["tests"]:
        assert test.get("output_format", "text") in OUTPUT_FORMATS
        if test.get("output_format") == "html":
            assert set(re.findall(r"<(/?[a-z]+)", test["output"])) <= HTML_TAGS
            assert all(src.startswith("data:image/png;base64,") for src in re.findall(r'src="([^"]*)"', test["output"]))
    assert len(json.dumps(doc).encode()) <= RESULTS_BYTES

    # A class of outsized documents: forty checks with figures and long messages, and a long run message.
    big = json.loads(json.dumps(sigmoid_flipped))
    figure_rows = [r for r in big["checks"] if r.get("figure")]
    big["checks"] = [dict(figure_rows[i % len(figure_rows)], name=f"check{i}", message="é" * 30_000 + str(i))
                     for i in range(40)]
    big["message"] = "\u2028" * 100_000
    capped = to_gradescope(big, Gradescope())
    assert len(json.dumps(capped).encode()) <= RESULTS_BYTES
    assert [(t["name"], t["score"], t["max_score"], t["status"]) for t in capped["tests"]] == \
        [(r["name"], r["points"], r["max_points"], "passed" if r["points"] >= r["max_points"] else "failed")
         for r in big["checks"]]
    assert capped["score"] == round(sum(r["points"] for r in big["checks"]), 4)
    assert all(t.get("output_format", "text") == "text" and "data:image" not in t["output"] for t in capped["tests"])
    assert "Figure left out: results.json is capped" in capped["tests"][0]["output"]


# --------------------------------------------------------------------------- the teacher's report


def _line_result(student: str, intercept: float, slope: float) -> dict:
    rows = [{"name": name, "points": float(got == right), "max_points": 1.0,
             "figure": {"kind": "decision_line", "answer_is_content": True, "value": {"got": got, "expected": right}}}
            for name, got, right in (("intercept", intercept, -2.0), ("slope", slope, -4.0))]
    return {"student": student, "submission": f"{student}.ipynb", "exercise": "decision_line", "status": "graded",
            "message": "", "checks": rows, "score": sum(r["points"] for r in rows), "max_score": 2.0}


def test_the_report_draws_the_spread_of_the_classs_lines_and_their_training_runs():
    from autograder.course import load_course
    from autograder.figures import classroom
    from autograder.figures.training import figure_data
    from autograder.course.training import Tier

    lines = [(-2.0, -4.0), (-2.0, -4.0), (2.0, 4.0), (-1.0, -4.0), (4.0, -2.0)]
    results = [_line_result(f"s{i}", a, b) for i, (a, b) in enumerate(lines)]
    results.append(_line_result("crashed", 9.0, 9.0) | {"status": "crashed", "message": "died"})  # not drawn
    runs = [figure_data("accuracy", v, False, (Tier(0.9, 4), Tier(0.8, 2)), np.eye(2)[[0, 1]], np.array([0, 1]), 2,
                        False, [0.7, 0.5 - v / 10], [], {}) for v in (0.82, 0.91)]
    results += [{"student": f"t{i}", "submission": f"t{i}.ipynb", "exercise": "train_banknote", "status": "graded",
                 "message": "", "score": 2.0, "max_score": 4.0,
                 "checks": [{"name": "model", "points": 2.0, "max_points": 4.0, "figure": run}]} for i, run in enumerate(runs)]
    with canvas.settings():
        ax = classroom.decision_lines(classroom._rows(results, "decision_line", "decision_line")).axes[0]
    wrong = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert sorted((round(line.get_ydata()[0] + 3 * (line.get_ydata()[1] - line.get_ydata()[0]) / 6, 6),
                   round((line.get_ydata()[1] - line.get_ydata()[0]) / 6, 6)) for line in wrong) == \
        sorted([(-1.0, -4.0), (2.0, 4.0), (4.0, -2.0)])  # each wrong line once, intercept and slope
    [right] = series(ax, "right line")
    assert "2 of 5 students" in right.get_label() and np.allclose(right.get_ydata(), [-2 + 12, -2 - 12])
    with canvas.settings():
        curves, metric = classroom.training_runs(classroom._rows(results, "train_banknote", "training"), "model").axes
    assert [list(line.get_ydata()) for line in curves.get_lines()] == [[0.7, pytest.approx(0.418)], [0.7, pytest.approx(0.409)]]
    assert sum(p.get_height() for p in metric.patches) == 2
    figures_made = classroom.class_figures(results, [("decision_line", "Lines"), ("train_banknote", "Banknotes")])
    assert [(f["exercise"], f["caption"]) for f in figures_made] == [
        ("decision_line", "the spread of the class's decision lines"),
        ("train_banknote", "model: learning curves and held-out metric")]
    assert all(base64.b64decode(f["uri"].split(",", 1)[1]).startswith(PNG) for f in figures_made)
    from autograder.export.report import render_report

    page = render_report(results, load_course())
    assert page.count('class="chart class-figure"') == 2 and "The class's answers, drawn" in page


def test_a_softmax_that_returned_nan_is_drawn_with_the_rows_it_has():
    data = {"kind": "softmax", "answer_is_content": False, "cases": [
        {"args": [[[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]], "got": [[None, None, None], [0.2, 0.3, 0.5]],
         "expected": [[0.09, 0.245, 0.665], [1 / 3, 1 / 3, 1 / 3]]}]}
    first, second = drawn("softmax", data, True).axes
    assert [p.get_height() for p in second.patches][:3] == pytest.approx([0.2, 0.3, 0.5]) and "sum 1" in second.get_title()
    assert [p.get_height() for p in first.patches][:3] == [0.0, 0.0, 0.0] and "NaN or inf" in first.get_title()
    with canvas.settings():
        assert canvas.png(drawn("softmax", data, False)).startswith(PNG)
