"""The linters run as part of the suite, so the README's test command and .ci/run enforce them
(issue 26): ruff on the whole repository, with the rules pyproject.toml selects, and mypy on
autograder/ with pyproject's [tool.mypy]. Each also has a test that it fails on a deliberate
violation, so a configuration that checks nothing cannot pass unnoticed."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support.paths import REPO

ROOT = REPO


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


def mypy_cache() -> str:
    """mypy's cache outside the tree, one per checkout: a warm rerun takes a second or two, a cold one
    (CI) about ten seconds of CPU."""
    tag = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    return str(Path(tempfile.gettempdir()) / f"autograder-mypy-{tag}")


def test_mypy_finds_nothing():
    run = tool("mypy", "--cache-dir", mypy_cache())
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_fails_on_a_violation(tmp_path):
    """The project's configuration on a module with a type error: a None where a str is required
    (the shared cache: only this module is read anew)."""
    module = tmp_path / "violation_probe.py"
    module.write_text("def shout(text: str) -> str:\n    return text.upper()\n\n\n"
                      "def maybe(flag: bool) -> str | None:\n    return 'x' if flag else None\n\n\n"
                      "def wrong() -> str:\n    return shout(maybe(True))\n")
    run = tool("mypy", "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", mypy_cache(), str(module),
               cwd=tmp_path)
    assert run.returncode == 1 and "violation_probe.py:10: error" in run.stdout and "[arg-type]" in run.stdout, \
        run.stdout + run.stderr


def test_mypy_fails_on_a_result_read_as_a_dict(tmp_path):
    """The package reads the typed result by attribute (autograder/record/result.py): its view of
    the JSON document (`result["score"]`), kept for scripts and tests, is hidden from mypy."""
    module = tmp_path / "result_probe.py"
    module.write_text("from autograder.record import Result\n\n\n"
                      "def score(result: Result) -> float:\n    return result[\"score\"]\n\n\n"
                      "def fine(result: Result) -> float:\n    return result.score\n")
    run = tool("mypy", "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", mypy_cache(), str(module))
    assert run.returncode == 1 and "result_probe.py:5: error" in run.stdout and "[index]" in run.stdout \
        and "result_probe.py:9" not in run.stdout, run.stdout + run.stderr
