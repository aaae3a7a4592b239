"""The smaller stumbling blocks of a teacher's first hour: whole command descriptions in
--help, no progress bar in a log, feedback Markdown that reads right as text."""

from __future__ import annotations

import re

from click.testing import CliRunner

from autograder.cli import main
from autograder.export.feedback import feedback_markdown


def test_help_shows_each_commands_whole_first_sentence():
    out = CliRunner().invoke(main, ["--help"], terminal_width=80).output
    flat = re.sub(r"-\s+", "-", " ".join(out.split()))  # a line may break after a hyphen
    assert "..." not in out.split("Commands:")[1]
    for name, command in main.commands.items():
        first = " ".join((command.help or "").split()).split(". ")[0].rstrip(".")
        assert first and first in flat, (name, first)
    assert "coverage" in main.commands


def test_grading_into_a_log_draws_no_progress_bar(tmp_path):
    bad = tmp_path / "subs" / "alice" / "broken.ipynb"
    bad.parent.mkdir(parents=True)
    bad.write_text("{ not a notebook")
    result = CliRunner().invoke(main, ["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "\r" not in result.output and "grading:" not in result.output and "sub/s" not in result.output
    assert "1 submission(s) graded into" in result.output


def test_feedback_shows_a_cells_error_as_written_and_names_the_cell():
    result = {"student": "ann <b>", "submission": "ann.ipynb", "exercise": "backprop", "status": "graded",
              "score": 0, "max_score": 3,
              "checks": [], "run": {"cells": [
                  {"index": 2, "status": "error",
                   "error": "SyntaxError: invalid syntax (<ipython-input-3-5f1a2b3c4d5e>, line 2)"},
                  {"index": 4, "status": "error", "error": "NameError: name `x` is not defined <script>"}]}}
    text = feedback_markdown(result)
    assert "&lt;" not in text.split("## Cells that raised an error")[1]
    assert "- code cell 3: ` SyntaxError: invalid syntax (this cell, line 2) `" in text.splitlines()
    assert "- code cell 5: `` NameError: name `x` is not defined <script> ``" in text.splitlines()
    assert "- Student: ann \\<b\\>" in text.splitlines()  # outside a code span a tag still cannot start
    assert not re.search(r"ipython-input", text)


def test_the_readme_names_every_column_of_grades_csv_and_of_the_roster():
    from autograder.export.files import GRADES_CSV
    from autograder.export.lms import MOODLE_IDENTIFIERS
    from autograder.intake.roster import ALIASES
    from autograder.paths import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text()
    grades = readme.split("The columns of `grades.csv`, in order:")[1].split("Every input gets")[0]
    assert re.findall(r"`([a-z_0-9]+)`", grades) == list(GRADES_CSV)  # all of them, in order
    roster = readme.split("**The roster**")[1].split("`build --roster` writes")[0]
    named = set(re.findall(r"`([a-z_]+)`", roster))
    moodle = {column for _, columns in MOODLE_IDENTIFIERS.values() for column in columns}
    canvas = {"name", "student_name", "full_name", "canvas_id", "canvas_user_id", "sis_user_id", "sis_login_id",
              "section"}
    assert set(ALIASES) | moodle | canvas <= named, (set(ALIASES) | moodle | canvas) - named
