"""Build: master notebooks -> student, solution and autograder versions (Otter assign)."""

from autograder.build.assign import BuiltExercise, build_course, build_exercise
from autograder.build.master import MasterError, read_master

__all__ = ["BuiltExercise", "MasterError", "build_course", "build_exercise", "read_master"]
