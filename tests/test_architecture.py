"""The tree shows the architecture, and these rules keep it so (issue 14, issue 26).

The import rules (where code runs and what it may import, the pipeline's layers, no cycles) are
import-linter contracts in pyproject.toml, run by tests/test_lint.py. Here:

- the sandbox's engine, copied into every sandbox, is the whole sandbox folder;
- a module over 400 lines says in its docstring, in a paragraph starting "One concept:", why
  it is one concept (or is split).
"""

from __future__ import annotations

import ast

from support.paths import REPO

PACKAGE = REPO / "autograder"


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
    todo = oversized_without_reason(sorted(PACKAGE.rglob("*.py")))
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
