"""The tree shows the architecture, and these rules keep it so (issue 14):

- no import cycle between the package's modules (counting imports inside functions too: a
  lazy import hides a cycle from Python, not from a reader);
- export/ writes what the gradebook holds: the pipeline and the build never import it;
- the sandbox package, which runs inside the sandbox, imports only the standard library,
  numpy, and (for the trainer) torch and keras;
- a module over 400 lines says in its docstring, in a paragraph starting "One concept:", why
  it is one concept (or is split).

The graph is read from the source with `ast`, so the rules hold whatever is installed."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from support.paths import REPO

PACKAGE = REPO / "autograder"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = modules()


def imported_names(name: str, path: Path) -> set[str]:
    """Every module name `name` imports, anywhere in its body, absolute."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def own_module(name: str) -> str | None:
    """The module of this package that an imported name lives in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def graph() -> dict[str, set[str]]:
    edges = {}
    for name, path in MODULES.items():
        targets = {own_module(n) for n in imported_names(name, path) if n.split(".")[0] == "autograder"}
        # Importing a submodule runs its packages' __init__ first: that edge is Python's, not ours.
        ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        edges[name] = {t for t in targets if t and t != name and t not in ancestors}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("stage", ["autograder.pipeline", "autograder.build", "autograder.intake",
                                   "autograder.run", "autograder.probe", "autograder.judge", "autograder.record"])
def test_export_is_never_imported_by_the_pipeline_or_the_build(stage):
    edges = graph()
    offenders = {(m, t) for m, targets in edges.items() if m == stage or m.startswith(stage + ".")
                 for t in targets if t == "autograder.export" or t.startswith("autograder.export.")}
    assert offenders == set()


SANDBOX = PACKAGE / "sandbox"
# torch and keras: the trainer and a Keras model's reply. IPython (with its traitlets) runs the
# cells as Jupyter does (magics, display), and matplotlib is preloaded with its Agg backend:
# they are the notebook's runtime, not the grader's code.
ALLOWED_IN_SANDBOX = {"numpy", "torch", "keras", "IPython", "traitlets", "matplotlib"}


def sandbox_imports() -> dict[str, set[str]]:
    """{module of the sandbox package: the top-level names it imports}."""
    found = {}
    for path in sorted(SANDBOX.glob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names.add((node.module or "").split(".")[0])
        found[path.stem] = names
    return found


def test_the_sandbox_package_imports_only_the_standard_library_numpy_torch_and_keras():
    siblings = {p.stem for p in SANDBOX.glob("*.py")}
    offenders = {}
    for module, names in sandbox_imports().items():
        bad = {n for n in names if n not in sys.stdlib_module_names and n not in ALLOWED_IN_SANDBOX
               and n not in siblings and n != "autograder"}
        if bad:
            offenders[module] = sorted(bad)
    assert offenders == {}


def test_inside_the_package_the_sandbox_modules_import_only_each_other():
    """`from autograder.sandbox import wire` (the package path of a sibling) is the only
    autograder import allowed there: the sandbox has no autograder package to import."""
    for name, path in MODULES.items():
        if name.startswith("autograder.sandbox"):
            others = {t for t in graph()[name] if not t.startswith("autograder.sandbox")}
            assert others == set(), (name, others)


def test_the_engine_is_the_whole_sandbox_folder():
    from autograder.run.folders import engine_files

    assert {p.name for p in engine_files()} == {"worker.py", "cells.py", "zygote.py", "emptying.py", "responder.py",
                                                "wire.py", "trainer.py"}


# --------------------------------------------------------------------------- module size

MAX_LINES = 400  # past this a module must say why it is still one concept
ONE_CONCEPT = "One concept:"  # the paragraph of its docstring that says so


def one_concept_reason(source: str) -> str:
    """The text of the module docstring's paragraph that starts with ONE_CONCEPT ("" if none)."""
    docstring = ast.get_docstring(ast.parse(source)) or ""
    for paragraph in docstring.split("\n\n"):
        paragraph = " ".join(paragraph.split())
        if paragraph.startswith(ONE_CONCEPT):
            return paragraph[len(ONE_CONCEPT):].strip()
    return ""


def oversized_without_reason(paths) -> list[str]:
    """What to do about each module over MAX_LINES whose docstring gives no reason (a reason is
    a sentence at least: a bare marker says nothing)."""
    todo = []
    for path in paths:
        source = path.read_text(encoding="utf-8")
        lines = len(source.splitlines())
        if lines > MAX_LINES and len(one_concept_reason(source)) < 40:
            name = path.relative_to(PACKAGE.parent) if path.is_relative_to(PACKAGE.parent) else path
            todo.append(f"{name} has {lines} lines (over {MAX_LINES}): split it into modules of one concept each, "
                        f"or add to its module docstring a paragraph starting {ONE_CONCEPT!r} that says why "
                        "everything in it is one concept")
    return todo


def test_a_module_over_400_lines_says_why_it_is_one_concept():
    todo = oversized_without_reason(MODULES.values())
    assert not todo, "\n".join(todo)


def test_the_size_rule_sees_a_long_module_without_a_reason(tmp_path):
    body = "\n".join(f"x{i} = {i}" for i in range(MAX_LINES))
    bare = tmp_path / "bare.py"
    bare.write_text(f'"""A module.\n\n{ONE_CONCEPT}\n"""\n{body}\n')
    reasoned = tmp_path / "reasoned.py"
    reasoned.write_text(f'"""A module.\n\n{ONE_CONCEPT} every line is one constant of one table, and\n'
                        f'they are read together.\n"""\n{body}\n')
    short = tmp_path / "short.py"
    short.write_text('"""A module."""\nx = 1\n')
    [message] = oversized_without_reason([bare, reasoned, short])
    assert message.startswith(f"{bare} has {MAX_LINES + 4} lines") and ONE_CONCEPT in message
