"""What a course's own tests call: an exercise's checks judged in this process, as the grader
judges, on answers the test gives as plain Python values and functions.

    from autograder.testing import declared_mistakes, full_points, judge, solution_answers

    COURSE = "path/to/course.yaml"
    judge(COURSE, "mean_of_values", {"mean": 5.0})            # {check name: Verdict}
    judge(COURSE, "neuron", {"z": 2.0}, params={"w": 2.0, ...}) # with a student's own numbers
    judge(COURSE, "mean_of_values", solution_answers(COURSE, "mean_of_values"))
    full_points(COURSE, "mean_of_values")                     # {check name: its points}
    declared_mistakes(COURSE, "mean_of_values")               # one case per mistake a check names

`answers` is what the notebook's namespace would hold: variables by name, the student's functions
as Python functions. A `Verdict` has `points`, `message` and `hint`. The answers travel through
the sandbox's own responder and wire format (judge/in_process.py), so what
passes here passes in grading. Everything runs in the test's process: only trusted code (the
course's own solution and the test's values) belongs here, never a student's notebook.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.course import Exercise, load_course
from autograder.judge.checks import FunctionCheck, ValueCheck, Verdict
from autograder.judge.compare import _resolve

__all__ = ["Verdict", "declared_mistakes", "exercise_of", "full_points", "judge", "solution_answers"]


def exercise_of(course: str | Path, exercise_id: str) -> Exercise:
    """The exercise `exercise_id` of the course file `course`, as the grader sees it."""
    found = load_course(course).exercise(exercise_id)
    if found is None:
        raise KeyError(f"{course} has no exercise {exercise_id!r}")
    return found


def _checks(course, exercise_id):
    from autograder.exercises import load_checks

    return load_checks(exercise_of(course, exercise_id))


def judge(course: str | Path, exercise_id: str, answers: dict, seed: int = 0,
          params: dict | None = None) -> dict[str, Verdict]:
    """{check name: Verdict} of every check of the exercise on `answers` (a notebook's namespace:
    names to values and functions). A name missing from `answers` is an unanswered question.
    `params`: a student's own numbers (a personal variant), None for the slides'."""
    from autograder.judge.in_process import judge_in_process

    return judge_in_process(_checks(course, exercise_id), dict(answers), seed, params=params)


def full_points(course: str | Path, exercise_id: str) -> dict[str, float]:
    """{check name: its points}: what a right answer to every check gets."""
    return {c.name: float(c.points) for c in _checks(course, exercise_id)}


def solution_answers(course: str | Path, exercise_id: str) -> dict:
    """The namespace of the master's solution: its given and solution cells (not its test cells)
    run in this process, as the solution version runs."""
    from autograder.corpus import run_mistake
    from autograder.judge.mistakes import Mistake

    return run_mistake(exercise_of(course, exercise_id).master, Mistake("the solution", {}))


@dataclass(frozen=True)
class MistakeCase:
    """The solution's answers with one answer replaced by a mistake a check names: that check
    must give fewer points than its full points and say `hint`."""

    check: str
    hint: str
    answers: dict


def declared_mistakes(course: str | Path, exercise_id: str) -> list[MistakeCase]:
    """One case per mistake a ValueCheck or FunctionCheck of the exercise names in `mistakes`
    ({hint: wrong value} or {hint: wrong function}); other checks declare none here."""
    solution = solution_answers(course, exercise_id)
    cases = []
    for check in _checks(course, exercise_id):
        for hint, wrong in getattr(check, "mistakes", {}).items():
            if isinstance(check, ValueCheck):
                cases.append(MistakeCase(check.name, hint, {**solution, check.var: _resolve(wrong)}))
            elif isinstance(check, FunctionCheck):
                cases.append(MistakeCase(check.name, hint, {**solution, check.function: wrong}))
    return cases
