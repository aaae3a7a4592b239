"""`autograder new-exercise ID`: a new exercise, complete and gradable, written in one place.

It writes, in the course's folder (where course.yaml is):

    exercises/<id>/<id>.ipynb   the master: one question in Otter assign format and its public
                                test (the form); no points and no hidden test: the build writes
                                those from the checks
    exercises/<id>/checks.py    the hidden check of that question (named like it), with its points
                                and a typical mistake
    solutions/<id>.py           the reference solution, plain Python
    tests/test_<id>.py          tests through autograder.testing: the solution full marks, nothing
                                answered zero, each declared mistake its hint
    course.yaml                 the exercise's entry, appended

The example asks for the mean of three given numbers; the teacher replaces it. Nothing here
needs the repository: the checks load their solution by the exercise's folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import yaml

ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,62}")


class ScaffoldError(ValueError):
    pass


def _master(exercise_id: str, title: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                   "language_info": {"name": "python", "version": "3.11"}}
    raw, md, code = nbformat.v4.new_raw_cell, nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb.cells = [
        raw(f"# ASSIGNMENT CONFIG\nname: {exercise_id}\ninit_cell: true\ncheck_all_cell: false\n"
            "export_cell: true\ngenerate: true\nrun_tests: false"),
        md(f"# {title}\n\nReplace this example with your exercise: explain, give the formula, set the task."),
        code("import numpy as np\n\nvalues = np.array([2.0, 4.0, 9.0])"),
        raw("# BEGIN QUESTION\nname: mean"),
        md("**Question 1.** Compute the mean of `values` and store it in `mean`."),
        raw("# BEGIN SOLUTION"),
        code("mean = values.sum() / len(values)  # SOLUTION"),
        raw("# END SOLUTION"),
        raw("# BEGIN TESTS"),
        code('assert mean is not ..., "replace `...` by a number"\n'
             'assert np.asarray(mean, dtype=float).size == 1, "mean is one number"'),
        raw("# END TESTS"),
        raw("# END QUESTION"),
    ]
    return nb


CHECKS = '''"""Hidden checks of `{id}`, run in the grader's process against solutions/{id}.py.

Each check judges the notebook's variable of its name and grades the master's question of that
name, with its points (exercises/README.md, "Writing an exercise: the minimal path").
"""

from autograder.exercises import load_solution
from autograder.judge import ValueCheck

sol = load_solution(__file__)

CHECKS = [
    ValueCheck(
        "mean",
        expected=sol.MEAN,
        points=1,
        description="the mean of the given values",
        mistakes={{"the sum was not divided by the number of values": sol.SUM}},
    ),
]
'''

SOLUTION = '''"""Reference solution of `{id}`: the values every check compares with."""

import numpy as np

VALUES = np.array([2.0, 4.0, 9.0])
MEAN = float(VALUES.sum() / len(VALUES))
SUM = float(VALUES.sum())  # a typical mistake: the sum, not the mean
'''

TEST = '''"""Tests of `{id}`, through autograder.testing (exercises/README.md, "Testing an exercise"):
they hold whatever checks checks.py has, so they keep passing when you replace the example."""

from pathlib import Path

from autograder.testing import declared_mistakes, full_points, judge, solution_answers

COURSE = Path(__file__).resolve().parents[1] / "course.yaml"
EXERCISE = "{id}"


def test_the_solution_gets_full_marks():
    verdicts = judge(COURSE, EXERCISE, solution_answers(COURSE, EXERCISE))
    assert {{name: v.points for name, v in verdicts.items()}} == full_points(COURSE, EXERCISE)


def test_nothing_answered_gets_zero():
    assert all(v.points == 0 for v in judge(COURSE, EXERCISE, {{}}).values())


def test_each_declared_mistake_gets_its_hint():
    for case in declared_mistakes(COURSE, EXERCISE):
        verdict = judge(COURSE, EXERCISE, case.answers)[case.check]
        assert verdict.points < full_points(COURSE, EXERCISE)[case.check], case.hint
        assert case.hint in verdict.hint


# Add tests of your own, e.g. a reference value computed by hand:
#     assert judge(COURSE, EXERCISE, {{"mean": (2 + 4 + 9) / 3}})["mean"].points == 1
'''


def new_exercise(course_path: Path, exercise_id: str, title: str | None = None) -> list[Path]:
    """Write the exercise's files into the course beside `course_path`; returns what was written."""
    course_path = Path(course_path)
    if not ID_PATTERN.fullmatch(exercise_id):
        raise ScaffoldError(f"{exercise_id!r} is not an exercise id: lower case letters, digits and _, "
                            "starting with a letter")
    if course_path.exists() and not course_path.is_file():  # writing into a FIFO would block forever
        raise ScaffoldError(f"{course_path} is not a file (a folder, FIFO or device): name the course.yaml to add to")
    root = course_path.resolve().parent  # a relative "course.yaml": its folder has a name
    data = yaml.safe_load(course_path.read_text()) if course_path.is_file() else None
    data = data if isinstance(data, dict) else {"name": root.name, "exercises": []}
    listed = [e if isinstance(e, str) else e.get("id") for e in data.get("exercises") or []]
    folder = root / "exercises" / exercise_id
    if exercise_id in listed or folder.exists():
        raise ScaffoldError(f"exercise {exercise_id!r} exists already in {course_path}")
    title = title or exercise_id.replace("_", " ").capitalize()
    files = {
        folder / f"{exercise_id}.ipynb": nbformat.writes(_master(exercise_id, title)),
        folder / "checks.py": CHECKS.format(id=exercise_id),
        root / "solutions" / f"{exercise_id}.py": SOLUTION.format(id=exercise_id),
        root / "tests" / f"test_{exercise_id}.py": TEST.format(id=exercise_id),
    }
    clash = [p for p in files if p.exists()]
    if clash:
        raise ScaffoldError(f"{clash[0]} exists already; nothing was written")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    # course.yaml: appended as text, so the teacher's comments and order stay as they are.
    entry = f"  - id: {exercise_id}\n    title: {title}\n"
    if not course_path.is_file():
        course_path.write_text(f"name: {data['name']}\nexercises:\n{entry}")
    elif not data.get("exercises"):
        text = course_path.read_text()
        text = re.sub(r"(?m)^exercises:.*$\n?", "", text).rstrip("\n")
        course_path.write_text((text + "\n" if text else "") + f"exercises:\n{entry}")
    else:
        _append_entry(course_path, entry)
    return [*files, course_path]


def _append_entry(course_path: Path, entry: str) -> None:
    """Insert the entry after the last item of the top-level `exercises:` list."""
    lines = course_path.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if re.match(r"exercises:\s*(#.*)?$", line))
    end = start + 1
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line.strip() and not line.startswith((" ", "\t", "-", "#")):
            break
        if line.strip() and not line.lstrip().startswith("#"):
            end = i + 1
    lines.insert(end, entry if lines[end - 1].endswith("\n") else "\n" + entry)
    course_path.write_text("".join(lines))
