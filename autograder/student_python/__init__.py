"""What runs in the student's own Python (Jupyter, Colab, a laptop), and nothing else.

    student_setup.py  the set-up cell's helper: writes the public checks and data files, installs
                      otter-grader when missing, returns the `grader` of `grader.check("q1")`

`autograder build` zips student_setup.py, as it is, into the first cell of every student notebook
(autograder/build/setup_cell.py); there the module is imported by its bare name from the zip, with
no `autograder` package beside it. So the rule (a contract of pyproject.toml's
[tool.importlinter], run by tests/test_lint.py): it imports only the standard library, and,
inside the functions that need them, what the student's Python has: otter (once installed),
IPython and torch. The grader reads the file as data to zip it; nothing in the package imports it.
"""
