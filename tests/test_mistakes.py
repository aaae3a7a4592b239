"""The corpus of typical mistakes: every failing check carries the hint that names the mistake.

Each exercise's exercises/<id>/mistakes.py lists week-1 mistakes as edits of its solution and
the hint each failing check must give; `python -m autograder.judge.coverage` prints the counts.
"""

from __future__ import annotations

import pytest

from autograder.course import load_course
from autograder.judge.coverage import Mistake, judge_mistake, load_corpus, main

PEN_AND_PAPER = ["sigmoid_probability", "decision_line", "matrix_multiplication", "forward_pass", "backprop",
                 "keras_params", "loss_functions", "gradient_descent", "softmax"]
COURSE = load_course()


@pytest.mark.parametrize("exercise_id", PEN_AND_PAPER)
def test_every_mistake_of_the_corpus_gets_its_hint(exercise_id):
    exercise = COURSE.exercise(exercise_id)
    corpus = load_corpus(exercise)
    assert len(corpus) >= 6
    problems, failing = [], 0
    for mistake in corpus:
        outcome = judge_mistake(exercise, mistake)
        assert outcome.failing, f"{mistake.name}: no check fails, so it is no mistake"
        failing += len(outcome.failing)
        problems += [f"{mistake.name}: {p}" for p in outcome.problems]
        for name, (message, hint) in outcome.failing.items():
            assert "Error: " not in message or message.count("Error") == 1, message  # the type said once
    assert not problems, "\n".join(problems)
    assert failing >= len(corpus)


def test_an_edit_that_does_not_apply_is_an_error_not_a_pass():
    with pytest.raises(ValueError, match="is not in the solution"):
        judge_mistake(COURSE.exercise("backprop"), Mistake("typo", {"q": ""}, edits={"no such code": ""}))


def test_a_wrong_expectation_is_reported():
    outcome = judge_mistake(COURSE.exercise("backprop"),
                            Mistake("brackets", {"f": "something else"}, edits={"f = q * z  # SOLUTION": "f = x + y * z"}))
    assert outcome.problems == ["f: expected a hint with 'something else', got "
                                "'the brackets were forgotten: f = (x + y) * z, not x + y * z'"]


def test_the_coverage_report_prints_every_exercise(capsys, tmp_path):
    import yaml

    from autograder.course import DEFAULT_COURSE

    data = yaml.safe_load(DEFAULT_COURSE.read_text())
    data["exercises"] = [e for e in data["exercises"] if e["id"] in ("sigmoid_probability", "backprop")]
    (tmp_path / "course.yaml").write_text(yaml.safe_dump(data))
    assert main(["--course", str(tmp_path / "course.yaml")]) == 0
    out = capsys.readouterr().out
    assert "sigmoid_probability" in out and "backprop" in out and "100% of failing checks carry a hint" in out
