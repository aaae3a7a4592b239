"""Every varying exercise without an end-to-end test of its own: `build --roster` for two
students, each one's notebook solved with the master's solution code (which computes from the
notebook's given numbers), graded in the sandbox: full marks with their own numbers."""

from __future__ import annotations

import pytest

from support.personal import assert_full_marks_with_own_numbers, graded_personal_notebooks

# loss_functions, gradient_descent, softmax, forward_pass and keras_params have theirs in their
# own test modules; sigmoid_probability, decision_line, matrix_multiplication and backprop in
# tests/test_variants.py.
EXERCISES = ["activations", "learning_curves", "keras_forward"]


@pytest.mark.slow
@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_each_students_solved_notebook_gets_full_marks_with_their_numbers(exercise_id, tmp_path_factory):
    graded = graded_personal_notebooks(exercise_id, tmp_path_factory)
    assert sorted(graded) == ["alice", "bob"]
    assert graded["alice"][0] != graded["bob"][0]  # two students, two variants
    assert_full_marks_with_own_numbers(graded, exercise_id)
