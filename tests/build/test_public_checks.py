"""What a student sees when a public check fails: per question, the first failing test in a few
lines (its code and the error it raised), under 10 lines, with no traceback of the checking
machinery and no follow-on errors of later tests."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap


from autograder.build import build_course
from autograder.build.scaffold import new_exercise
from autograder.student_python.student_setup import first_failed_example
from autograder.course import load_course

# Runs a notebook's code cells in an IPython shell, as Jupyter runs them, and prints what each
# `grader.check(...)` cell showed (the shell's displayhook writes `Out[n]: <repr>`).
RUNNER = textwrap.dedent('''
    import contextlib, io, json, sys
    import nbformat
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython()
    shown = {}
    for cell in nbformat.read(sys.argv[1], as_version=4).cells:
        if cell.cell_type != "code" or "grader.export" in cell.source:
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            shell.run_cell(cell.source)
        if cell.source.strip().startswith("grader.check("):
            shown[cell.source] = out.getvalue()
            question = cell.source.split('"')[1]
            shown[cell.source + " html"] = shell.user_ns["grader"].check(question, shell.user_ns)._repr_html_()
    print(json.dumps(shown))
''')


def checks_shown(notebook) -> dict[str, str]:
    run = subprocess.run([sys.executable, "-c", RUNNER, str(notebook.name)], cwd=notebook.parent,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.splitlines()[-1])


def lines_of(shown: str) -> list[str]:
    """The lines a check cell showed, without IPython's `Out[n]:` prompt."""
    return [line for line in re.sub(r"Out\[\d+\]: ?", "\n", shown).splitlines() if line.strip()]


def test_a_failing_public_check_shows_the_first_failing_test_in_a_few_lines(tmp_path):
    new_exercise(tmp_path / "c" / "course.yaml", "mean_of_values")
    [built] = build_course(load_course(tmp_path / "c" / "course.yaml"), tmp_path / "dist")
    shown = checks_shown(built.student)
    assert lines_of(shown['grader.check("mean")']) == [
        "mean is not right yet:",
        "    assert mean is not ..., 'replace `...` by a number'",
        "    AssertionError: replace `...` by a number",
    ]
    html = shown['grader.check("mean") html']
    assert html.startswith("<pre") and "AssertionError: replace `...` by a number" in html
    assert "Traceback" not in html and "ellipsis" not in html


def test_every_question_of_a_blank_fails_in_under_ten_lines(tmp_path):
    from autograder.paths import DEFAULT_COURSE

    course = load_course(DEFAULT_COURSE)
    [built] = build_course(course, tmp_path / "dist", ["sigmoid_probability"])
    shown = {k: v for k, v in checks_shown(built.student).items() if not k.endswith(" html")}
    assert len(shown) >= 4
    for cell, text in shown.items():
        lines = lines_of(text)
        assert 2 <= len(lines) < 10, (cell, text)
        assert "is not right yet" in lines[0], text
        assert "Traceback" not in text and "doctest" not in text and ".py\"" not in text, text


def test_a_wrong_printed_value_shows_what_was_expected_and_got():
    report = ("❌ Test case failed\nTrying:\n    round(p, 2)\nExpecting:\n    0.82\n" + "*" * 70 +
              "\nLine 1, in q2 0\nFailed example:\n    round(p, 2)\nExpected:\n    0.82\nGot:\n    0.5\n")
    assert first_failed_example(report) == ["round(p, 2)", "expected: 0.82", "got: 0.5"]
    assert first_failed_example("something else\nValueError: bad") == ["ValueError: bad"]


def test_the_short_result_is_otters_result_for_code_that_reads_it():
    import copy
    import pickle
    from types import SimpleNamespace

    from autograder.student_python.student_setup import ShortResult

    case = SimpleNamespace(name="q1 - 1", failure_message=None)
    otter_result = SimpleNamespace(name="q1", passed_all=False, grade=0.0, test_case_results=[
        SimpleNamespace(passed=False, test_case=case, message="Failed example:\n    x\nException raised:\n"
                                                              "    Traceback (most recent call last):\n    NameError: x")])
    short = ShortResult(otter_result)
    assert (short.grade, short.passed_all) == (0.0, False)
    assert repr(short) == "q1 is not right yet:\n    x\n    NameError: x"
    assert repr(copy.copy(short)) == repr(short)
    assert pickle.loads(pickle.dumps(ShortResult(1.5)))._result == 1.5  # Otter may shelve the namespace
