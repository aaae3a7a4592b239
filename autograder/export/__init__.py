"""Export: the gradebook as files people and other systems read."""

from autograder.export.files import result_filename, write_grades_csv, write_result_json

__all__ = ["result_filename", "write_grades_csv", "write_result_json"]
