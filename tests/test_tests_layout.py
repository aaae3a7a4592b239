"""The tests' own layout (issue 26): no test module imports another, nor a conftest.py.

What tests share lives in tests/support/ (builders, hand-written submissions, the course's lists of
exercises, the exercises' contracts); a test module imports from there and from the package, never
from a test module (which would collect its tests twice, under two names, and make one test
module's edit break another) and never from a conftest.py (pytest loads one conftest.py per folder
under the same name: which one an import finds depends on what ran first). Fixtures reach a test
through pytest, not through an import.
"""

from __future__ import annotations

import ast
from pathlib import Path
from support.paths import TESTS



def is_test_module(path: Path) -> bool:
    """A file pytest collects tests from (its default python_files), or a conftest.py."""
    return path.name == "conftest.py" or path.name.startswith("test_") or path.name.endswith("_test.py")


def _literal_imports(node: ast.Call) -> list[str]:
    """importlib.import_module("x") and __import__("x") with a literal name."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[0].value, str):
        return [node.args[0].value]
    return []


def imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of every import anywhere in the module, inside functions too; a
    relative import `from . import x` gives `.x`, `from .x import y` gives `.x`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            if node.module is None:  # from . import x: x may be a module
                found += [(node.lineno, base + alias.name) for alias in node.names]
            else:
                found.append((node.lineno, base))
                found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call):
            found += [(node.lineno, name) for name in _literal_imports(node)]
    return found


def cross_imports(root: Path) -> list[str]:
    """Every import, in any Python file under `root`, of a test module or a conftest.py under `root`:
    by its bare name (pytest puts each test folder on sys.path), by its path from the folder above
    `root` (tests.stage.test_x), or relatively."""
    files = [p for p in root.rglob("*.py") if "__pycache__" not in p.parts]
    tests = {p.stem for p in files if is_test_module(p)}
    problems = {}
    for path in sorted(files):
        for line, name in imported_names(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            parts = name.lstrip(".").split(".")
            relative = name.startswith(".")
            if parts[0] in tests or (parts[0] == root.name or relative) and any(p in tests for p in parts):
                problems.setdefault((str(path.relative_to(root)), line), name)  # one per statement
    return [f"{where}:{line} imports {name}" for (where, line), name in sorted(problems.items())]


def test_no_test_module_imports_another():
    problems = cross_imports(TESTS)
    assert not problems, ("a test module (or a support module) imports a test module or a conftest.py; move what "
                          "they share into tests/support/:\n" + "\n".join(problems))


def test_the_rule_finds_every_way_to_import_a_test_module(tmp_path):
    root = tmp_path / "tests"
    (root / "support").mkdir(parents=True)
    (root / "judge").mkdir()
    (root / "conftest.py").write_text("def missing_here(): ...\n")
    (root / "support" / "__init__.py").write_text("")
    (root / "support" / "helpers.py").write_text("import test_checks\n")  # a support module may not either
    (root / "judge" / "test_checks.py").write_text("SETUP = 1\n")
    (root / "judge" / "test_forms.py").write_text(
        "import os\nfrom support.helpers import x\n"  # allowed: support and the standard library
        "from test_checks import SETUP\n"
        "def test_a():\n    from conftest import missing_here\n"
        "def test_b():\n    import importlib\n    importlib.import_module('test_checks')\n")
    (root / "judge" / "test_more.py").write_text("from tests.judge.test_checks import SETUP\nfrom . import test_forms\n"
                                                 "from .test_forms import test_a\n")
    assert cross_imports(root) == sorted([
        "judge/test_forms.py:3 imports test_checks",
        "judge/test_forms.py:5 imports conftest",
        "judge/test_forms.py:8 imports test_checks",
        "judge/test_more.py:1 imports tests.judge.test_checks",
        "judge/test_more.py:2 imports .test_forms",
        "judge/test_more.py:3 imports .test_forms",
        "support/helpers.py:1 imports test_checks",
    ])
    (root / "judge" / "test_forms.py").write_text("import os\nfrom support.helpers import x\n")
    (root / "judge" / "test_more.py").write_text("from autograder.exercises import load_checks\n")
    (root / "support" / "helpers.py").write_text("from otter.test_files.ok_test import OKTestFile\n")
    assert cross_imports(root) == []  # no false alarm: a package module named test_* elsewhere is no test module
