"""The course the tests grade, and the parts of it they build: the bundled course.yaml, read once.

Every list of exercises a test walks comes from here (or from course.yaml through COURSE), so that
an exercise added to the course is tested as it is added."""

from __future__ import annotations

from autograder.course import load_course

COURSE = load_course()
WRITTEN = [e.id for e in COURSE.exercises if not e.trains]  # every exercise but the timed training tasks
TRAINING = [e.id for e in COURSE.exercises if e.trains]
# The six exercises of the session's short courses (conftest's six_course, fast_course; tests that take
# notebooks from the session's build, built_course, take theirs): the week's first six, numpy and Keras.
PEN_AND_PAPER = ["sigmoid_probability", "decision_line", "matrix_multiplication", "forward_pass", "backprop",
                 "keras_params"]


def course_of_six(folder, limits=None):
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
