"""Otter's placeholders in the student version, made to run.

Otter assign turns `grad_w, grad_b = gradient(w, b)  # SOLUTION` into `grad_w, grad_b = ...`,
which raises `TypeError: cannot unpack non-iterable ellipsis object` as soon as the student runs
the notebook, before they have written anything. Here such a line gets one `...` per name:
`grad_w, grad_b = ..., ...`, so the blank runs top to bottom and each name holds the same
`...` a single-name placeholder gives (a blank still scores zero)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

# A line that is only `<targets> = ...` (what Otter writes), indentation kept.
PLACEHOLDER_LINE = re.compile(r"^(?P<indent>\s*)(?P<targets>[^=#\n]+?)\s*=\s*\.\.\.\s*$")


def _shape(target: ast.expr) -> str:
    """The placeholder value that `target` can be assigned: `...`, or a tuple of them."""
    if isinstance(target, (ast.Tuple, ast.List)):
        items = [_shape(t) for t in target.elts if not isinstance(t, ast.Starred)]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return "..."


def runnable_line(line: str) -> str:
    """`a, (b, c) = ...` -> `a, (b, c) = ..., (..., ...)`; any other line as it is."""
    match = PLACEHOLDER_LINE.match(line)
    if not match:
        return line
    targets = match.group("targets")
    try:
        tree = ast.parse(f"{targets} = ...")
    except SyntaxError:
        return line
    assign = tree.body[0]
    if not isinstance(assign, ast.Assign) or len(assign.targets) != 1:
        return line
    target = assign.targets[0]
    if not isinstance(target, (ast.Tuple, ast.List)):
        return line
    value = _shape(target)[1:-1]  # `a, b = ..., ...`, without the outer parentheses
    return f"{match.group('indent')}{targets} = {value}"


def make_placeholders_run(path: Path) -> int:
    """Rewrite the unpacking placeholders of the notebook at `path`; returns how many."""
    nb = nbformat.read(str(path), as_version=4)
    changed = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or "..." not in cell.source:
            continue
        lines = cell.source.split("\n")
        fixed = [runnable_line(line) for line in lines]
        changed += sum(a != b for a, b in zip(lines, fixed))
        cell.source = "\n".join(fixed)
    if changed:
        nbformat.write(nb, str(path))
    return changed
