"""The linters run as part of the suite, so the README's test command and .ci/run enforce them
(issue 26): ruff on the whole repository, with the rules pyproject.toml selects. Each rule set
also has a test that it fails on a deliberate violation, so a configuration that checks
nothing cannot pass unnoticed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def tool(*args: str, cwd: Path = ROOT, stdin: str | None = None) -> subprocess.CompletedProcess:
    """A linter run as a module of this Python (so the one the test extras installed runs)."""
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, input=stdin, capture_output=True, text=True,
                          timeout=600)


def test_ruff_finds_nothing():
    run = tool("ruff", "check", "--no-cache", ".")
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("source, rule", [
    ("import os\n", "F401"),
    ("try:\n    pass\nexcept Exception:\n    pass\n", "BLE001"),
    ("exec('1')\n", "S102"),
    ("x = eval('1')\n", "S307"),
    ("import json\nx = json._default_decoder\n", "SLF001"),
    ("from builtins import list\n", "A004"),
    ("f = lambda: 1\n", "E731"),
    ("import os  # noqa: E731\nprint(os)\n", "RUF100"),
])
def test_ruff_fails_on_a_violation(source, rule):
    """The project's configuration, on a module of the package that breaks one selected rule."""
    run = tool("ruff", "check", "--no-cache", "--output-format", "concise",
               "--stdin-filename", "autograder/violation.py", "-", stdin=source)
    assert run.returncode == 1 and f" {rule} " in run.stdout, run.stdout + run.stderr
