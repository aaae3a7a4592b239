"""No student notebook gives an answer away: not in its text, its code, its public tests, or
what its given cells print when they run. The search is autograder/build/leaks.py (which
`autograder verify` runs too); here it runs on every exercise of the course, for the slides'
numbers and a sample of personal variants, and is shown to find answers that are there.
"""

from __future__ import annotations

import nbformat
import pytest

from autograder.build.leaks import find_leaks, student_versions
from autograder.course import load_course
from solutions import keras_params
from support.courses import PEN_AND_PAPER

COURSE = load_course()
EXERCISES = COURSE.ids  # every exercise of the course: the six above are built with variants


def leaks_of(exercise_id: str, versions, outputs: bool = True) -> list[str]:
    extra = {}
    if exercise_id.startswith("train_"):  # a count that keras_params asks for is an answer there too
        extra["params_10_100_100_1 (keras_params q2)"] = keras_params.PARAMS_10_100_100_1
    return find_leaks(COURSE.exercise(exercise_id), versions, outputs=outputs, extra=extra)


@pytest.mark.parametrize("exercise_id", PEN_AND_PAPER)
def test_no_answer_in_a_student_notebook(built_course, exercise_id):
    leaks = leaks_of(exercise_id, student_versions(COURSE.exercise(exercise_id), built_course / exercise_id))
    assert not leaks, "\n".join(leaks)


OTHERS = [e for e in EXERCISES if e not in PEN_AND_PAPER and not e.startswith("train_")]


@pytest.mark.parametrize("exercise_id", OTHERS)
def test_no_answer_in_the_student_version_of_the_other_exercises(masters, exercise_id):
    student, _, _ = masters.built(exercise_id)
    leaks = leaks_of(exercise_id, [(None, nbformat.read(str(student), as_version=4))])
    assert not leaks, "\n".join(leaks)


def test_the_search_finds_an_answer_that_is_there():
    """The search is not blind: answers written into a notebook in the usual ways are found."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("so p = 0.8205 and the net has 11,301 parameters; "
                                              "A.B = [[14, 4, 18], [24, 6, 12]]; W2 is (8, 8)"),
                nbformat.v4.new_code_cell("print(11301)")]
    found = "\n".join(leaks_of("sigmoid_probability", [(None, nb)]) + leaks_of("keras_params", [(None, nb)])
                      + leaks_of("matrix_multiplication", [(None, nb)]) + leaks_of("forward_pass", [(None, nb)]))
    for words in ("answer p as '0.8205'", "answer params_10_100_100_1 as '11,301'", "output: answer params_10_100_100_1",
                  "answer AB as '14, 4, 18'", "answer shape_W2 as '(8, 8)'"):
        assert words in found, found
    assert "answer z" not in found  # 1.52 is not in that text
    # the leaks issue 12 found in the student versions
    old = nbformat.v4.new_notebook()
    old.cells = [nbformat.v4.new_markdown_cell(r"| $f = q \cdot z$ | $\dfrac{\partial f}{\partial q} = z, \quad "
                                               r"\dfrac{\partial f}{\partial z} = q$ |")]
    assert len(leaks_of("backprop", [(None, old)])) == 2
    old.cells = [nbformat.v4.new_markdown_cell("In a fresh notebook it stops with `NameError: name 'x' is not defined`")]
    assert leaks_of("keras_params", [(None, old)])
    old.cells = [nbformat.v4.new_markdown_cell(r"$$y = W (U x) = (W U) x = V x$$")]
    old.metadata["otter"] = {"tests": {"q2_product": {"code": 'assert np.shape(AB) == (2, 3), "..."'}}}
    found = "\n".join(leaks_of("matrix_multiplication", [(None, old)]))
    assert "public tests: the shape of AB" in found and "the answer '(W U) x'" in found, found


def test_training_notebooks_give_no_answer_of_the_pen_and_paper_exercises():
    """The training tasks belong to another part of the course, but a count they print is an
    answer of keras_params: they are searched too (their build is slow, so their masters are)."""
    from autograder.exercises import master_notebook

    leaks = []
    for exercise_id in [e for e in EXERCISES if e.startswith("train_")]:
        nb = nbformat.read(str(master_notebook(exercise_id)), as_version=4)
        nb.cells = [c for c in nb.cells if "# SOLUTION" not in c.source and "BEGIN SOLUTION" not in c.source]
        leaks += leaks_of(exercise_id, [(None, nb)], outputs=False)
    assert not leaks, "\n".join(leaks)


def test_a_personal_answer_that_only_coincides_with_the_common_text_is_no_leak():
    """Words every student's notebook holds (a figure size, a seed) may equal one variant's
    answer by chance: that tells the student nothing. The same number written where only that
    variant's notebook has it is a leak."""
    import numpy as np

    from autograder.build.leaks import expected_answers
    from solutions import sigmoid_probability as sol

    exercise = COURSE.exercise("sigmoid_probability")
    params = sol.draw_variant(np.random.default_rng(7))
    p = f"{float(expected_answers(exercise, params)['p']):.4f}"
    common = f"plt.figure(figsize=({p}, 3))  # the same for every student"
    slides, mine = nbformat.v4.new_notebook(), nbformat.v4.new_notebook()
    slides.cells = [nbformat.v4.new_code_cell(common)]
    mine.cells = [nbformat.v4.new_code_cell(common)]
    assert leaks_of("sigmoid_probability", [(None, slides), (params, mine)], outputs=False) == []
    mine.cells.append(nbformat.v4.new_markdown_cell(f"Your neuron says p = {p}."))
    found = leaks_of("sigmoid_probability", [(None, slides), (params, mine)], outputs=False)
    assert [f.split(" text: ")[1].split(" in ")[0] for f in found] == [f"answer p as '{p}'", f"answer p_vec as '{p}'"], found
    assert all(f.startswith("sigmoid_probability (personal variant {") and "Your neuron says" in f for f in found), found
