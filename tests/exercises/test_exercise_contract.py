"""The contract every written exercise keeps, tested once over every exercise of the course that
is not a timed training task (course.yaml's, support.courses.WRITTEN).

Each exercise's master, once Otter has assigned it, has one Otter question per group of hidden
checks, with their points, as its checks.py says (QUESTIONS, or one question per check named like it;
each check's points); its student
version shows the blanks and none of the answers; its solution passes every Otter test and gets
full marks from the checks; its blank fails them all and gets zero. What the student version must
show and hide, and what the blank must say, is each exercise's own: support/contracts.py. What is
particular to one exercise (the slides' numbers, hints for typical mistakes, answer forms,
variants) is tested in its own module, tests/exercises/test_<id>.py.
"""

from __future__ import annotations

import nbformat
import pytest

from autograder.exercises import load_checks, master_notebook, max_score, questions
from support import assert_otter_tests_pass, judge_namespace, run_otter_test, total
from support.contracts import COMMON_LEAKS, CONTRACTS, Contract
from support.courses import WRITTEN

MASTER_CONFIG = ("init_cell: true", "check_all_cell: false", "export_cell: true", "generate: true", "run_tests: false")
SEEDS = range(5)  # the checks draw their own inputs: the solution gets full marks whatever they are


pytestmark = pytest.mark.parametrize("exercise_id", WRITTEN)  # the conftest fixtures follow it


def test_the_exercise_has_a_contract(exercise_id):
    """An exercise added to course.yaml is tested here as it is added: it needs its entry, and an
    entry names checks the exercise has (no entry is left behind by a removed exercise)."""
    assert exercise_id in CONTRACTS, f"{exercise_id}: add its entry to tests/support/contracts.py"
    assert set(CONTRACTS) <= set(WRITTEN)
    checks = {c.name for c in load_checks(exercise_id)}
    assert set(CONTRACTS[exercise_id].blank_says) <= checks


@pytest.fixture
def contract(exercise_id) -> Contract:
    return CONTRACTS[exercise_id]


# --------------------------------------------------------------------------- the master


def test_questions_and_points_match_the_checks(exercise_id, built):
    """The points and hidden tests Otter gets are written from checks.py: one hidden test per
    check, with that check's points; the public test (the form) is worth nothing."""
    _, _, tests = built
    graded = questions(exercise_id)  # checks.py's QUESTIONS, or one question per check of its name
    assert set(tests) == set(graded)
    checks = {c.name: c for c in load_checks(exercise_id)}
    assert sorted(checks) == sorted(n for names in graded.values() for n in names)  # every check once
    for question, names in graded.items():
        assert tests[question].possible == pytest.approx(sum(checks[n].points for n in names))
        cases = tests[question].test_cases
        assert [c.hidden for c in cases] == [False] + [True] * len(names)
        assert [c.points for c in cases] == pytest.approx([0] + [checks[n].points for n in names])
        assert [repr(n) in c.body for c, n in zip(cases[1:], names)] == [True] * len(names)
    assert max_score(exercise_id) == pytest.approx(sum(t.possible for t in tests.values()))
    assert max_score(exercise_id) > 0


def test_the_master_states_no_points_and_no_hidden_test(exercise_id):
    nb = nbformat.read(str(master_notebook(exercise_id)), as_version=4)
    sources = "\n".join(c.source for c in nb.cells)
    assert "points:" not in sources and "BEGIN TEST CONFIG" not in sources


def test_master_config_and_metadata(exercise_id):
    nb = nbformat.read(str(master_notebook(exercise_id)), as_version=4)
    for line in (f"name: {exercise_id}",) + MASTER_CONFIG:
        assert line in nb.cells[0].source, line
    assert nb.metadata.kernelspec.name == "python3" and nb.metadata.language_info.name == "python"


# --------------------------------------------------------------------------- the student version


def test_student_version_has_no_answers(contract, built):
    student, _, _ = built
    text = student.read_text()
    for leak in contract.leaks + COMMON_LEAKS:
        assert leak not in text, leak
    for shown in tuple(f"{name} = ..." for name in contract.blanks) + contract.shown:
        assert shown in text, shown
    nb = nbformat.read(str(student), as_version=4)
    assert nb.metadata.kernelspec.name == "python3" and nb.metadata.language_info.name == "python"
    sources = "\n".join(cell.source for cell in nb.cells)  # placeholders filled with the slides' numbers
    for shown in contract.cells:
        assert shown in sources, shown
    assert "{{" not in sources


# --------------------------------------------------------------------------- Otter's tests


def test_otter_tests_pass_on_the_solution(built, solution_ns):
    _, _, tests = built
    assert_otter_tests_pass(tests, solution_ns)


def test_otter_tests_fail_on_the_blank(built, blank_ns):
    _, _, tests = built
    for question, test in tests.items():
        assert not any(run_otter_test(test, blank_ns, hidden=False)), question
        assert not any(run_otter_test(test, blank_ns, hidden=True)), question


# --------------------------------------------------------------------------- the hidden checks


def test_checks_give_full_marks_to_the_solution_notebook(exercise_id, solution_ns):
    for seed in SEEDS:
        verdicts = judge_namespace(exercise_id, solution_ns, seed=seed)
        wrong = {k: (v.message, v.hint) for k, v in verdicts.items() if v.message}
        assert total(verdicts) == max_score(exercise_id), wrong


def test_checks_give_zero_to_the_blank_notebook(exercise_id, contract, blank_ns):
    verdicts = judge_namespace(exercise_id, blank_ns)
    assert total(verdicts) == 0
    assert all(v.message for v in verdicts.values())
    for check, words in contract.blank_says.items():
        assert words in verdicts[check].message, (check, verdicts[check].message)
