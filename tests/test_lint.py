"""The linters and the architecture's contracts run as part of the suite, so the README's test
command and .ci/run enforce them (issue 26):

- ruff on the whole repository, with the rules pyproject.toml selects;
- mypy on autograder/, with pyproject's [tool.mypy];
- import-linter (`lint-imports`) with pyproject's [tool.importlinter]: where each piece of code
  runs and what it may import (autograder/__init__.py), the pipeline's layers, no cycles.

Each also fails on a deliberate violation (one test per ruff rule and per contract), so a
configuration that checks nothing cannot pass unnoticed. The size rule (a module over 400 lines
says why it is one concept) stays in tests/test_architecture.py."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support.paths import REPO

ROOT = REPO
PYPROJECT = ROOT / "pyproject.toml"


def tool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """A linter run as a module of this Python (so the one the test extras installed runs)."""
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def cache(name: str) -> str:
    """A tool's cache outside the tree, one per checkout: warm reruns are quick, CI starts cold."""
    tag = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    return str(Path(tempfile.gettempdir()) / f"autograder-{name}-{tag}")


# --------------------------------------------------------------------------- ruff

def test_ruff_finds_nothing():
    run = tool("ruff", "check", "--no-cache", ".")
    assert run.returncode == 0, run.stdout + run.stderr


RUFF_VIOLATIONS = {  # a rule the configuration selects: a module that breaks it
    "F401": "import os\n",
    "BLE001": "try:\n    pass\nexcept Exception:\n    pass\n",
    "S102": "exec('1')\n",
    "S307": "x = eval('1')\n",
    "SLF001": "import json\nx = json._default_decoder\n",
    "A004": "from builtins import list\n",
    "E731": "f = lambda: 1\n",
    "RUF100": "import os  # noqa: E731\nprint(os)\n",
}


@pytest.fixture(scope="module")
def ruff_findings(tmp_path_factory) -> dict[str, set[str]]:
    """{module name: the rules ruff reports in it}, for one module per rule, checked with the
    project's configuration in one run."""
    folder = tmp_path_factory.mktemp("ruff")
    shutil.copy(PYPROJECT, folder)
    for rule, source in RUFF_VIOLATIONS.items():
        (folder / f"violates_{rule}.py").write_text(source)
    run = tool("ruff", "check", "--no-cache", "--output-format", "json", ".", cwd=folder)
    found: dict[str, set[str]] = {}
    for finding in json.loads(run.stdout):
        found.setdefault(Path(finding["filename"]).stem, set()).add(finding["code"])
    return found


@pytest.mark.parametrize("rule", RUFF_VIOLATIONS)
def test_ruff_fails_on_a_violation(ruff_findings, rule):
    assert rule in ruff_findings.get(f"violates_{rule}", set()), ruff_findings


# --------------------------------------------------------------------------- mypy

def test_mypy_finds_nothing():
    run = tool("mypy", "--cache-dir", cache("mypy"))
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_fails_on_a_violation(tmp_path):
    """The project's configuration on a module with a type error: a None where a str is required
    (the shared cache: only this module is read anew)."""
    module = tmp_path / "violation_probe.py"
    module.write_text("def shout(text: str) -> str:\n    return text.upper()\n\n\n"
                      "def maybe(flag: bool) -> str | None:\n    return 'x' if flag else None\n\n\n"
                      "def wrong() -> str:\n    return shout(maybe(True))\n")
    run = tool("mypy", "--config-file", str(PYPROJECT), "--cache-dir", cache("mypy"), str(module), cwd=tmp_path)
    assert run.returncode == 1 and "violation_probe.py:10: error" in run.stdout and "[arg-type]" in run.stdout, \
        run.stdout + run.stderr


def test_mypy_fails_on_a_result_read_as_a_dict(tmp_path):
    """The package reads the typed result by attribute (autograder/record/result.py): its view of
    the JSON document (`result["score"]`), kept for scripts and tests, is hidden from mypy."""
    module = tmp_path / "result_probe.py"
    module.write_text("from autograder.record import Result\n\n\n"
                      "def score(result: Result) -> float:\n    return result[\"score\"]\n\n\n"
                      "def fine(result: Result) -> float:\n    return result.score\n")
    run = tool("mypy", "--config-file", str(PYPROJECT), "--cache-dir", cache("mypy"), str(module))
    assert run.returncode == 1 and "result_probe.py:5: error" in run.stdout and "[index]" in run.stdout \
        and "result_probe.py:9" not in run.stdout, run.stdout + run.stderr


# --------------------------------------------------------------------------- import-linter

def lint_imports(cwd: Path, *contracts: str) -> subprocess.CompletedProcess:
    selected = [arg for contract in contracts for arg in ("--contract", contract)]
    return subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                           "lint_imports_command()", "--no-logo", "--cache-dir", cache("import-linter"), *selected],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def contract_ids() -> list[str]:
    from importlinter.api import read_configuration

    return [c["id"] for c in read_configuration(str(PYPROJECT))["contracts_options"]]


def test_the_contracts_hold():
    run = lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr


# Each contract (by its id in pyproject.toml): modules written into a copy of the package that
# break it, and what the report must then name (the module, or the import that closes a cycle).
CONTRACT_VIOLATIONS = {
    "sandbox": ({"autograder/sandbox/violation.py": "import yaml\n"}, "autograder.sandbox.violation"),
    "student-python": ({"autograder/student_python/violation.py": "import numpy\n"},
                       "autograder.student_python.violation"),
    "otter-kernel": ({"autograder/otter_kernel/violation.py": "def f():\n    import autograder.record\n"},
                     "autograder.otter_kernel.violation"),
    "grader": ({"autograder/export/violation.py": "from autograder.student_python import student_setup\n"},
               "autograder.export.violation"),
    "pipeline-layers": ({"autograder/probe/violation.py": "import autograder.judge.checks\n"},
                        "autograder.probe.violation"),
    "build-export": ({"autograder/build/violation.py": "from autograder.export import feedback\n"},
                     "autograder.build.violation"),
    "acyclic": ({"autograder/violation_a.py": "import autograder.violation_b\n",
                 "autograder/violation_b.py": "import autograder.violation_a\n"}, ".violation_b -> .violation_a"),
}


def test_every_contract_has_a_violation_test():
    assert sorted(contract_ids()) == sorted(CONTRACT_VIOLATIONS)


@pytest.fixture(scope="module")
def broken_copy(tmp_path_factory) -> Path:
    """A copy of the package with every violation above written in, and what lint-imports needs."""
    root = tmp_path_factory.mktemp("contracts")
    shutil.copytree(ROOT / "autograder", root / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "tests").mkdir()
    shutil.copy(ROOT / "tests" / "import_contracts.py", root / "tests")  # the only_imports contract type
    shutil.copy(PYPROJECT, root)
    for modules, _ in CONTRACT_VIOLATIONS.values():
        for path, source in modules.items():
            (root / path).write_text(source)
    return root


@pytest.mark.parametrize("contract", CONTRACT_VIOLATIONS)
def test_a_contract_fails_on_a_violation(broken_copy, contract):
    run = lint_imports(broken_copy, contract)
    offender = CONTRACT_VIOLATIONS[contract][1]
    assert run.returncode == 1 and "BROKEN" in run.stdout and offender in run.stdout, run.stdout + run.stderr
