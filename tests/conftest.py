"""Shared fixtures: the six pen-and-paper exercises built once per test session."""

from __future__ import annotations


import pytest


PEN_AND_PAPER = ["sigmoid_probability", "decision_line", "matrix_multiplication", "forward_pass", "backprop",
                 "keras_params"]


@pytest.fixture(scope="session")
def built_course(tmp_path_factory):
    """dist/ of the six pen-and-paper exercises (student, solution, autograder versions)."""
    from autograder.build import build_course
    from autograder.course import load_course

    out = tmp_path_factory.mktemp("dist")
    build_course(load_course(), out, only=PEN_AND_PAPER)
    return out


def _course_of_six(folder, limits=None):
    """The bundled course.yaml cut down to the six pen-and-paper exercises, in `folder`."""
    import yaml

    from autograder.course import DEFAULT_COURSE
    from autograder.exercises import EXERCISES_DIR

    data = yaml.safe_load(DEFAULT_COURSE.read_text())
    if limits:
        data["limits"] = limits
    data["exercises"] = [e for e in data["exercises"] if e["id"] in PEN_AND_PAPER]
    (folder / "course.yaml").write_text(yaml.safe_dump(data))
    (folder / "exercises").symlink_to(EXERCISES_DIR)
    return folder / "course.yaml"


@pytest.fixture(scope="session")
def six_course(tmp_path_factory):
    """The bundled course without its training tasks (those have tests of their own)."""
    return _course_of_six(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="session")
def fast_course(tmp_path_factory):
    """The six pen-and-paper exercises with short limits, so that hostile notebooks end quickly."""
    limits = {"cell_timeout": 3, "total_timeout": 30, "memory_mb": 2048, "output_kb": 64}
    return _course_of_six(tmp_path_factory.mktemp("course"), limits)
