"""The corpus of typical mistakes: every failing check carries the hint that names the mistake.

Each exercise's exercises/<id>/mistakes.py lists week-1 mistakes as edits of its solution and
the hint each failing check must give; `autograder coverage` prints the counts.
"""

from __future__ import annotations

import pytest

from autograder.course import load_course
from autograder.corpus import judge_mistake, load_corpus, run_mistake
from autograder.judge.mistakes import Mistake
from support.courses import WRITTEN

COURSE = load_course()
OTHER_DRAWS = (1,)  # a mistake fails its checks on another draw too, not on the first by chance (the
# fixed cases of every function check make it every draw: test_unlisted_mistakes.py checks 40)


@pytest.mark.parametrize("exercise_id", WRITTEN)  # every exercise with a corpus
def test_every_mistake_of_the_corpus_gets_its_hint(exercise_id):
    exercise = COURSE.exercise(exercise_id)
    corpus = load_corpus(exercise)
    assert len(corpus) >= 6
    problems, failing = [], 0
    for mistake in corpus:
        namespace = run_mistake(exercise.master, mistake)
        outcome = judge_mistake(exercise, mistake, namespace=namespace)
        assert outcome.failing, f"{mistake.name}: no check fails, so it is no mistake"
        failing += len(outcome.failing)
        problems += [f"{mistake.name}: {p}" for p in outcome.problems]
        for name, (message, hint) in outcome.failing.items():
            assert "Error: " not in message or message.count("Error") == 1, message  # the type said once
        for seed in OTHER_DRAWS:
            passing = [p for p in judge_mistake(exercise, mistake, seed, namespace).problems if "expected to fail" in p]
            problems += [f"{mistake.name}, draw {seed}: {p}" for p in passing]
    assert not problems, "\n".join(problems)
    assert failing >= len(corpus)


def test_the_held_out_mistakes_are_hinted_never_wrongly_and_fail_on_every_draw():
    """The held-out mistakes (exercises/<id>/held_out.py: written before the derived hints, never
    used to write one): at least 80% of their failing checks carry a hint, no hint is wrong, and
    each fails the checks it names on every draw."""
    problems, failing, hinted, count = [], 0, 0, 0
    for exercise in COURSE.exercises:
        for mistake in load_corpus(exercise, "held-out"):
            count += 1
            namespace = run_mistake(exercise.master, mistake)
            for seed in (0,) + OTHER_DRAWS:
                outcome = judge_mistake(exercise, mistake, seed, namespace)
                if seed == 0:
                    failing, hinted = failing + len(outcome.failing), hinted + outcome.hinted
                problems += [f"{exercise.id} / {mistake.name}, draw {seed}: {p}" for p in outcome.problems
                             if "expected to fail" in p or ("expected a hint" in p and "got 'none'" not in p)]
    assert not problems, "\n".join(problems)
    assert count >= 40 and failing >= 60
    assert hinted / failing >= 0.8, f"{hinted} of {failing} failing checks hinted"


def test_an_edit_that_does_not_apply_is_an_error_not_a_pass():
    with pytest.raises(ValueError, match="is not in the solution"):
        judge_mistake(COURSE.exercise("backprop"), Mistake("typo", {"q": ""}, edits={"no such code": ""}))


def test_a_wrong_expectation_is_reported():
    outcome = judge_mistake(COURSE.exercise("backprop"),
                            Mistake("brackets", {"f": "something else"}, edits={"f = q * z  # SOLUTION": "f = x + y * z"}))
    assert outcome.problems == ["f: expected a hint with 'something else', got "
                                "'the brackets were forgotten: f = (x + y) * z, not x + y * z'"]


def test_the_coverage_report_prints_every_exercise(tmp_path):
    import yaml
    from click.testing import CliRunner

    from autograder.cli import main
    from autograder.course import DEFAULT_COURSE

    data = yaml.safe_load(DEFAULT_COURSE.read_text())
    data["exercises"] = [e for e in data["exercises"] if e["id"] in ("sigmoid_probability", "backprop")]
    (tmp_path / "course.yaml").write_text(yaml.safe_dump(data))
    run = CliRunner().invoke(main, ["coverage", "--course", str(tmp_path / "course.yaml"), "--corpus", "both"])
    assert run.exit_code == 0, run.output
    out = run.output
    assert "sigmoid_probability" in out and "backprop" in out and "100% of failing checks carry a hint, 0 wrong" in out
    # these two exercises have no held-out list: said so, not counted as "100%" of nothing
    held_out = out[out.index("held-out mistakes"):]
    assert "no exercise of this course has a list of held-out mistakes (exercises/<id>/held_out.py)" in held_out
    assert "%" not in held_out


def test_the_names_course_authors_imported_before_still_import():
    """A course's mistakes.py written before issue 26 imports Mistake from judge.coverage; a
    hidden Otter test built before it calls build.otter_judge.judge_check."""
    from autograder.build.otter_judge import judge_check
    from autograder.judge.coverage import Mistake as OldMistake
    from autograder.otter_kernel.judge import judge_check as kernel_judge_check

    assert OldMistake is Mistake and judge_check is kernel_judge_check


def test_the_coverage_report_shows_no_warning_of_the_mistakes_own_code(recwarn, capsys):
    """A mistake such as an unclipped log divides by zero on purpose: numpy's RuntimeWarnings of
    that code are expected, and were printed between the table's lines."""
    from autograder.cli.coverage import coverage

    course = COURSE.model_copy(update={"exercises": tuple(e for e in COURSE.exercises if e.id == "loss_functions")})
    assert coverage(course, "both") == 0
    assert "loss_functions" in capsys.readouterr().out
    assert [str(w.message) for w in recwarn if issubclass(w.category, RuntimeWarning)] == []
