"""Reference solutions: plain Python a teacher could show in class, one module per exercise.

Every hidden check compares a student's answer with these functions and constants.
"""
