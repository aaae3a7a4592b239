"""The tests' own layout (issue 26): they mirror the package (tests/<package>/, tests/exercises/),
no test module imports another, nor a conftest.py, and none finds the repository by climbing
from its own file.

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
from support.paths import REPO, TESTS



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


# --------------------------------------------------------------------------- the tree mirrors the package

# Folders of tests/ that are no package of autograder/: the course's exercises, what tests share.
NOT_A_PACKAGE = {"exercises", "support"}
# Test modules about the whole repository, at the top of tests/ (beside those of autograder/'s
# top-level modules: tests/test_settings.py for autograder/settings.py).
PROJECT_WIDE = {"test_architecture.py", "test_lint.py", "test_tests_layout.py"}


def misplaced(tests: Path, package: Path) -> list[str]:
    """Test modules outside the folder of what they test: tests/<package of autograder>/ (build,
    intake, run, ..., one level), tests/exercises/, or a listed project-wide module at the top;
    and test module names used twice (pytest imports each by its bare name)."""
    packages = {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}
    modules = {f"test_{p.stem}.py" for p in package.glob("*.py")}
    problems, seen = [], {}
    for path in sorted(tests.rglob("*.py")):
        relative = path.relative_to(tests)
        if not is_test_module(path) or path.name == "conftest.py" or "__pycache__" in relative.parts:
            continue
        folders = relative.parts[:-1]
        if not folders:
            if path.name not in PROJECT_WIDE | modules:
                problems.append(f"{relative}: move it to tests/<package>/ (the package of autograder/ it tests) "
                                f"or tests/exercises/")
        elif len(folders) > 1 or folders[0] not in packages | NOT_A_PACKAGE - {"support"}:
            problems.append(f"{relative}: tests/{'/'.join(folders)}/ is no package of autograder/ "
                            f"({', '.join(sorted(packages))}) nor tests/exercises/")
        if path.name in seen:
            problems.append(f"{relative}: the name of {seen[path.name]} too")
        seen.setdefault(path.name, relative)
    return problems


def test_the_tests_mirror_the_package():
    problems = misplaced(TESTS, REPO / "autograder")
    assert not problems, "\n".join(problems)


def test_the_mirror_rule_finds_a_test_out_of_place(tmp_path):
    package, tests = tmp_path / "autograder", tmp_path / "tests"
    for folder in (package / "judge", package / "run", tests / "judge", tests / "run" / "deeper", tests / "tools",
                   tests / "exercises", tests / "support"):
        folder.mkdir(parents=True)
    for init in (package / "judge", package / "run"):
        (init / "__init__.py").write_text("")
    (package / "settings.py").write_text("")
    for module in ("judge/test_forms.py", "run/deeper/test_x.py", "tools/test_y.py", "test_stray.py",
                   "test_lint.py", "test_settings.py", "exercises/test_softmax.py", "exercises/test_forms.py", "support/test_z.py",
                   "conftest.py", "judge/conftest.py", "support/helpers.py"):
        (tests / module).write_text("")
    assert misplaced(tests, package) == [  # test_lint.py (project-wide), test_settings.py (settings.py): in place
        "judge/test_forms.py: the name of exercises/test_forms.py too",
        "run/deeper/test_x.py: tests/run/deeper/ is no package of autograder/ (judge, run) nor tests/exercises/",
        "support/test_z.py: tests/support/ is no package of autograder/ (judge, run) nor tests/exercises/",
        "test_stray.py: move it to tests/<package>/ (the package of autograder/ it tests) or tests/exercises/",
        "tools/test_y.py: tests/tools/ is no package of autograder/ (judge, run) nor tests/exercises/",
    ]


# --------------------------------------------------------------------------- paths that survive a move

def _climbs(tree: ast.AST) -> list[int]:
    """Lines of Path(__file__)....parent.parent or ....parents[n]: two levels up or more."""
    def from_file(node) -> bool:
        while isinstance(node, (ast.Attribute, ast.Call)):
            node = node.value if isinstance(node, ast.Attribute) else node.func
            if isinstance(node, ast.Call) and any(isinstance(a, ast.Name) and a.id == "__file__" for a in node.args):
                return True
        return False

    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "parent" and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "parent" and from_file(node.value):
            lines.append(node.lineno)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "parents" \
                and from_file(node.value):
            lines.append(node.lineno)
    return sorted(set(lines))


def climbs_out(tests: Path) -> list[str]:
    """Modules that find the repository by climbing from their own file: the count of `.parent`s
    is wrong once the module moves to another folder; support.paths (REPO, TESTS) says it once."""
    return [f"{path.relative_to(tests)}:{number}" for path in sorted(tests.rglob("*.py"))
            if path != tests / "support" / "paths.py" and "__pycache__" not in path.parts
            for number in _climbs(ast.parse(path.read_text(encoding="utf-8")))]


def test_no_test_module_climbs_to_the_repository_from_its_own_file():
    problems = climbs_out(TESTS)
    assert not problems, "use support.paths.REPO (or TESTS):\n" + "\n".join(problems)


def test_the_climb_rule_finds_a_climb(tmp_path):
    (tmp_path / "support").mkdir()
    (tmp_path / "support" / "paths.py").write_text("TESTS = Path(__file__).resolve().parent.parent\n")
    (tmp_path / "test_a.py").write_text("ROOT = Path(__file__).resolve().parents[1]\nDATA = Path(__file__).parent\n"
                                        "TEXT = 'Path(__file__).parent.parent'\n")  # a string is no climb
    (tmp_path / "test_b.py").write_text("x = 1\nREPO = pathlib.Path(__file__).parent.parent / 'x'\n")
    assert climbs_out(tmp_path) == ["test_a.py:1", "test_b.py:2"]


def test_pytest_collects_every_folder_of_tests(request):
    """pytest skips folders named like build/ and dist/ unless told: tests/build/ must be collected."""
    import fnmatch

    skipped = request.config.getini("norecursedirs")
    folders = [p.name for p in TESTS.iterdir() if p.is_dir() and any(p.glob("test_*.py"))]
    assert "build" in folders and len(folders) >= 10
    assert not [f for f in folders if any(fnmatch.fnmatch(f, pattern) for pattern in skipped)], skipped
