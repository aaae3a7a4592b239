"""Every varying exercise of the course (course.yaml `varies: true`) without an end-to-end test of
its own: `build --roster` for two students, each one's notebook solved with the master's solution
code (which computes from the notebook's given numbers), graded in the sandbox: full marks with
their own numbers, which are not the slides'."""

from __future__ import annotations

import importlib
import json

import pytest

from support.courses import COURSE
from support.personal import FILLED_IN, STUDENTS, assert_full_marks_with_own_numbers, graded_personal_notebooks

EXERCISES = [e.id for e in COURSE.exercises if e.varies and e.id not in FILLED_IN]  # FILLED_IN: test_variants.py


def test_every_varying_exercise_is_graded_end_to_end_here_or_in_test_variants():
    assert len(EXERCISES) >= 8
    assert set(FILLED_IN) <= {e.id for e in COURSE.exercises if e.varies}


@pytest.mark.slow
@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_each_students_solved_notebook_gets_full_marks_with_their_numbers(exercise_id, tmp_path_factory):
    graded = graded_personal_notebooks(exercise_id, tmp_path_factory)
    assert sorted(graded) == STUDENTS
    assert graded["alice"][0] != graded["bob"][0]  # two students, two variants
    assert_full_marks_with_own_numbers(graded, exercise_id)
    default = importlib.import_module(f"solutions.{exercise_id}").DEFAULT_VARIANT
    default = json.loads(json.dumps(default, default=lambda value: value.tolist()))  # numpy arrays as lists
    assert all(variant != default for variant, _ in graded.values())  # nobody got the slides' numbers
