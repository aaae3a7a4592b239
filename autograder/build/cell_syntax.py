"""Every code cell of a master and of the versions built from it compiles, or the build says
where it does not: the file, the cell, the line.

A syntax error in a solution cell otherwise surfaces only as lost points in `verify`, and one
that Otter's placeholders introduce into the student version only when a student runs it.
Cells are compiled as Jupyter would run them: IPython's own transformer first turns magics
(`%matplotlib`, `!pip`) into Python, and top-level `await` is allowed."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

from autograder.build.master import MasterError


def _compile_error(source: str) -> SyntaxError | None:
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        python = TransformerManager().transform_cell(source)
    except SyntaxError as exc:  # a malformed magic
        return exc
    try:
        compile(python, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except (SyntaxError, ValueError) as exc:  # ValueError: a NUL byte in the source
        return exc if isinstance(exc, SyntaxError) else SyntaxError(str(exc))
    return None


def syntax_problems(nb, where: str, what: str = "", skip=lambda source: False) -> list[str]:
    """One message per code cell of `nb` that does not compile: "<file>, cell N: <what>syntax
    error on line L: <reason>: <the line>". Cells for which `skip(source)` is true are left out."""
    problems = []
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code" or skip(cell.source):
            continue
        exc = _compile_error(cell.source)
        if exc is None:
            continue
        lines = cell.source.splitlines()
        line = exc.lineno if exc.lineno and exc.lineno <= len(lines) else None
        text = f": {lines[line - 1].strip()}" if line else ""
        problems.append(f"{where}, cell {number}: {what}syntax error{f' on line {line}' if line else ''}: "
                        f"{exc.msg}{text}")
    return problems


def check_master_syntax(nb, where: str) -> None:
    """The master's code cells compile (cells with `{{ }}` placeholders are checked once filled,
    in the versions)."""
    problems = syntax_problems(nb, where, skip=lambda source: "{{" in source or "{%" in source)
    if problems:
        raise MasterError("; ".join(problems))


def check_versions_syntax(master: Path, **versions: Path) -> None:
    """The built versions (e.g. student=..., solution=...) compile; a cell that does not is the
    master's doing, most often a `# SOLUTION` line whose placeholder breaks the statement around it."""
    problems = []
    for label, path in versions.items():
        nb = nbformat.read(str(path), as_version=4)
        problems += syntax_problems(nb, str(path), f"in the {label} version built from {master.name}, ")
    if problems:
        raise MasterError("; ".join(problems) + " (a `# SOLUTION` line becomes `...` or `name = ...` in the "
                          "student version: put a multi-line statement between # BEGIN SOLUTION and # END SOLUTION)")
