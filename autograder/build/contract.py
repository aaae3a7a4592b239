"""The contract every built exercise keeps with Otter and with its hidden checks, checked by
`autograder verify` (the tests check the rest: hints, the mistakes corpus).

- the Otter questions' points add up to the checks' points (the exercise's max_score);
- every Otter question has a public test (the form) and one hidden test per check of the
  question (generated from checks.py, hidden_tests.py), except in a timed training task, whose
  value only the grader's own training can give;
- the student version holds no solution line, hidden test or test config of Otter's, and no
  answer value: not for the slides' numbers, not for sampled personal variants (leaks.py).
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from autograder.build import leaks
from autograder.exercises import load_checks
from autograder.exercises import questions as questions_graded

STUDENT_LEAKS = ("# SOLUTION", "BEGIN TEST CONFIG", "\"hidden\": true")


def otter_questions(autograder_dir: Path) -> dict:
    """{question: OKTestFile} from the exercise's Otter autograder zip."""
    from otter.test_files.ok_test import OKTestFile

    found = {}
    with zipfile.ZipFile(autograder_dir / "otter_autograder.zip") as z, tempfile.TemporaryDirectory() as tmp:
        for name in z.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                path = Path(tmp) / Path(name).name
                path.write_bytes(z.read(name))
                found[path.stem] = OKTestFile.from_file(str(path))
    return found


def contract_problems(exercise, dist: Path) -> list[str]:
    """What the built exercise under `dist` breaks of the contract; [] when it keeps it."""
    problems = []
    folder = dist / exercise.id
    try:
        questions = otter_questions(folder / "autograder")
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        return [f"{exercise.id}: Otter's autograder zip could not be read ({exc})"]
    checks = load_checks(exercise)
    otter_points = sum(float(q.possible) for q in questions.values())
    check_points = sum(float(c.points) for c in checks)
    if abs(otter_points - check_points) > 1e-9:
        problems.append(f"{exercise.id}: the Otter questions are worth {otter_points:g} points, the checks "
                        f"{check_points:g}; give each question the points of the checks that grade it")
    graded = questions_graded(exercise)  # {Otter question: [check names]}
    for name, question in sorted(questions.items()):
        hidden = sum(1 for case in question.test_cases if case.hidden)
        if hidden == len(question.test_cases):
            problems.append(f"{exercise.id}: question {name} has no public test (the form, for students)")
        wanted = 0 if exercise.trains else len(graded.get(name, ())) or 1
        if hidden != wanted:
            problems.append(f"{exercise.id}: question {name} has {hidden} hidden tests, expected {wanted} (one per "
                            "check of the question in checks.py's QUESTIONS)" if wanted else
                            f"{exercise.id}: question {name} of a training task has a hidden test")
    student = folder / "student" / f"{exercise.id}.ipynb"
    text = student.read_text() if student.is_file() else ""
    for leak in STUDENT_LEAKS:
        if leak in text:
            problems.append(f"{exercise.id}: the student version holds {leak!r}")
    if student.is_file():
        # A training task's given cells train a model: its printed outputs are not searched.
        for leak in leaks.student_leaks(exercise, folder, outputs=not exercise.trains):
            problems.append(f"{exercise.id}: the student version gives an answer away: {leak}")
    return problems
