"""The course: `course.yaml` read once into a typed model (pydantic), handed down to build, run,
judge and export, so nothing else reads the file or validates a part of it.

    load.py      reading course.yaml; CourseError with the file, the exercise and the field
    model.py     Course, Exercise and their parts: limits, LMS, publishing, cluster
    lti.py       lms.lti: the LTI 1.3 registrations of `autograder serve`
    training.py  a timed training task's settings: seeds, data, tasks, tiers, budgets
    section.py   the base of every part: frozen, unknown keys refused
"""

from autograder.course.load import CourseError, load_course
from autograder.course.lti import Lti, Platform
from autograder.course.model import (
    Canvas, Cluster, Course, CourseFile, Exercise, ExerciseEntry, Gradescope, LimitOverrides, Lms, Moodle, Publish,
)
from autograder.course.training import Tier, Training, TrainingTask
from autograder.paths import DEFAULT_COURSE, EXERCISES_DIR
from autograder.run.limits import Limits  # the one Limits: what course.yaml sets is what the sandbox gets

__all__ = [
    "Canvas", "Cluster", "Course", "CourseError", "CourseFile", "DEFAULT_COURSE", "EXERCISES_DIR", "Exercise",
    "ExerciseEntry", "Gradescope", "LimitOverrides", "Limits", "Lms", "Lti", "Moodle", "Platform", "Publish", "Tier", "Training",
    "TrainingTask", "load_course",
]
