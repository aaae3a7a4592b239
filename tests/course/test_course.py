"""course.yaml's limits are the sandbox's own Limits: one class, one set of defaults."""

from __future__ import annotations

import pytest

from autograder.course import CourseError, load_course
from autograder.exercises import EXERCISES_DIR
from autograder.pipeline import run_limits
from autograder.run.limits import Limits


def course_with(tmp_path, text: str):
    (tmp_path / "exercises").symlink_to(EXERCISES_DIR)
    (tmp_path / "course.yaml").write_text(text)
    return load_course(tmp_path / "course.yaml")


def test_course_limits_reach_the_sandbox_by_name(tmp_path):
    course = course_with(tmp_path, "name: c\nlimits: {cell_timeout: 12, output_kb: 8, disk_mb: 64}\n"
                                   "exercises:\n  - id: backprop\n    limits: {total_timeout: 50}\n")
    limits = run_limits(course, "backprop")
    assert isinstance(limits, Limits)
    assert (limits.cell_timeout, limits.total_timeout, limits.output_bytes, limits.disk_mb) == (12, 50, 8192, 64)
    assert limits.memory_mb == Limits().memory_mb and limits.gpu is False


def test_the_bundled_course_keeps_the_sandbox_defaults_it_does_not_set():
    assert load_course().exercise("sigmoid_probability").limits == Limits(cell_timeout=30, total_timeout=180,
                                                                          memory_mb=4096, output_bytes=256 * 1024)


@pytest.mark.parametrize("limits,words", [
    ("{cel_timeout: 3}", "unknown limit"),
    ("{cell_timeout: fast}", "bad value for limit cell_timeout"),
    ("{memory_mb: -1}", "cannot be negative"),
    ("{cell_timeout: true}", "bad value"),
    ("[1, 2]", "must be a mapping"),
])
def test_a_bad_limit_is_a_clear_error(tmp_path, limits, words):
    with pytest.raises(CourseError, match=words):
        course_with(tmp_path, f"name: c\nlimits: {limits}\nexercises: [backprop]\n")
