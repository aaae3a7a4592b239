"""Otter's points and hidden tests, written from the checks: the master states neither.

An exercise says each value once, in `checks.py`: its checks (expected values, points,
mistakes) and `QUESTIONS = {Otter question: [check names]}` (without it, each check grades the
question of its own name). Before Otter assign runs, the
build writes into a copy of the master, for every question:

- `points:` from the checks: a list, 0 for each public test (the form, which students run
  themselves) and each check's points for its hidden test, so Otter's total is the exercise's
  max_score and a form alone earns nothing, as in our grader;
- one hidden test per check, which calls `autograder.otter_kernel.judge.judge_check`: the check
  judges the notebook's own namespace in the notebook's process, with the notebook's own
  numbers (`notebook_variant` of a varying exercise's checks.py), and the test fails with the
  check's message and hint.

A timed training task gets its points but no hidden test: its value comes only from the
grader's own training (the public tests carry its points in Otter's grading).

Otter's autograder zip runs those tests in the notebook's kernel, so it needs two things:
- the `autograder` package importable there: Otter grades without Docker in this course's own
  environment (`otter run`, `otter.api.grade_submission`; `autograder verify --otter` gives the
  kernel the engine's folder on PYTHONPATH), and the checks import `autograder.judge` anyway,
  so copying the engine into the zip would only make a second, drifting copy;
- the exercise's checks.py and solution, shipped in the zip's `files/` (which Otter copies
  beside the submission, never into the student version) as `autograder_course/exercises/<id>/`
  and `autograder_course/solutions/<id>.py`, so a course outside this repository grades too.
Otter's grading trusts the notebook's process, as Otter always does; the trusted grade is ours.

A master that still states `points:` or carries a hidden test is refused (master.py): points
live in checks.py.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import yaml

from autograder.build.master import MasterError, marker, question_config
from autograder.otter_kernel.judge import SHIPPED

HIDDEN_TEST = ('""" # BEGIN TEST CONFIG\nhidden: true\n""" # END TEST CONFIG\n'
               "from autograder.otter_kernel.judge import judge_check\n"
               "judge_check(globals(), {exercise!r}, {check!r})")


def _question_name(cell) -> str:
    return question_config(cell).get("name", "")


def master_questions(nb) -> list[str]:
    """The names of the master's questions, in order."""
    return [_question_name(c) for c in nb.cells if marker(c) == "BEGIN QUESTION"]


def questions_of(exercise, checks, module, nb) -> dict[str, list]:
    """{question: its checks}, from checks.py's QUESTIONS, checked against the checks and the
    master: every check in exactly one question, every question of the master named. Without
    QUESTIONS, each check grades the master's question of its own name (one check a question)."""
    from autograder.exercises import question_map

    where = f"{Path(exercise.folder) / 'checks.py'}"
    mapping = question_map(module, checks)
    if getattr(module, "QUESTIONS", None) is None:
        asked = master_questions(nb)
        if sorted(asked) != sorted(mapping):
            raise MasterError(f"{where}: without QUESTIONS each check grades the master's question of its own name, "
                              f"but the checks are {sorted(mapping)} and the master's questions {sorted(asked)}; "
                              "name them alike, or define QUESTIONS = {Otter question: [check names]}")
    if not isinstance(mapping, dict) or not all(isinstance(v, (list, tuple)) for v in mapping.values()):
        raise MasterError(f"{where}: QUESTIONS should be {{Otter question: [check names]}}; "
                          "the build takes each question's points and hidden tests from those checks")
    by_name = {c.name: c for c in checks}
    named = [n for names in mapping.values() for n in names]
    unknown = sorted(set(named) - set(by_name))
    twice = sorted({n for n in named if named.count(n) > 1})
    missing = sorted(set(by_name) - set(named))
    if unknown or twice or missing:
        raise MasterError(f"{where}: QUESTIONS must name every check once"
                          + (f"; unknown {unknown}" if unknown else "") + (f"; twice {twice}" if twice else "")
                          + (f"; in no question {missing}" if missing else ""))
    asked = master_questions(nb)
    if sorted(asked) != sorted(mapping):
        raise MasterError(f"{where}: QUESTIONS names {sorted(mapping)}, the master's questions are {sorted(asked)}")
    return {q: [by_name[n] for n in names] for q, names in mapping.items()}


def _number(points: float):
    return int(points) if float(points).is_integer() else float(points)


def write_questions(nb, exercise, checks, module) -> None:
    """Give every question of `nb` (a copy of the master) its points and, unless the exercise is
    a timed training task, one hidden test per check; in place."""
    questions = questions_of(exercise, checks, module, nb)
    training = exercise.trains
    cells, i = list(nb.cells), 0
    out = []
    while i < len(cells):
        cell = cells[i]
        if marker(cell) != "BEGIN QUESTION":
            out.append(cell)
            i += 1
            continue
        end = next(j for j in range(i, len(cells)) if marker(cells[j]) == "END QUESTION")
        block = cells[i:end + 1]
        name = _question_name(cell)
        graded = questions[name]
        hidden = [] if training else [nbformat.v4.new_code_cell(HIDDEN_TEST.format(exercise=exercise.id, check=c.name))
                                      for c in graded]
        starts = [k for k, c in enumerate(block) if marker(c) == "BEGIN TESTS"]
        ends = [k for k, c in enumerate(block) if marker(c) == "END TESTS"]
        if not starts or not ends:  # no public test: the contract reports it; the hidden tests get a block
            block[-1:-1] = [nbformat.v4.new_raw_cell("# BEGIN TESTS"), nbformat.v4.new_raw_cell("# END TESTS")]
            starts, ends = [len(block) - 3], [len(block) - 2]
        public = sum(1 for c in block[starts[0] + 1:ends[0]] if c.cell_type == "code")
        block[ends[0]:ends[0]] = hidden
        total = sum(c.points for c in graded)
        points = _number(total) if training or not hidden else [0] * public + [_number(c.points) for c in graded]
        config = dict(question_config(cell), points=points)
        block[0] = nbformat.v4.new_raw_cell("# BEGIN QUESTION\n" + yaml.safe_dump(config, sort_keys=False,
                                                                                  default_flow_style=None).strip())
        out += block
        i = end + 1
    nb.cells = out


def write_generated_master(master: Path, target: Path, exercise=None) -> None:
    """Write `target`, the master as Otter assign gets it: its questions' points and hidden
    tests written in from the checks of `exercise` (default: the exercise whose folder holds the
    master, as a bare id means). A master without checks.py is copied as it is (verify reports it)."""
    from autograder.exercises import _exercise_of, checks_module, load_checks

    if exercise is None:
        exercise = _exercise_of(master.stem, master.parent.parent)
    nb = nbformat.read(str(master), as_version=4)
    if (Path(exercise.folder) / "checks.py").is_file():
        write_questions(nb, exercise, load_checks(exercise), checks_module(exercise))
    nbformat.write(nb, str(target))


def ship_checks(exercise, zip_path: Path) -> None:
    """Add the exercise's checks.py and solution to Otter's autograder zip (its files/)."""
    from autograder.exercises import solution_for

    folder = Path(exercise.folder)
    with zipfile.ZipFile(zip_path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.write(folder / "checks.py", f"files/{SHIPPED}/exercises/{exercise.id}/checks.py")
        try:
            solution = Path(solution_for(folder).__file__)
        except FileNotFoundError:  # checks that need no solution module
            return
        z.write(solution, f"files/{SHIPPED}/solutions/{exercise.id}.py")
