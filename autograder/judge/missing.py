"""Why an answer is missing: the cell that should have defined it raised.

A name that is "not defined in the notebook" is rarely forgotten: more often the cell that
defines it raised (one AxisError in `softmax` leaves `probs`, `classes` and the loss undefined),
and a check saying only "not defined" sends the student looking in the wrong place. From the
submission's code cells and each cell's outcome (the run's per-cell status and one-line error)
this names the cell that defines the missing name and what it raised; where no defining cell
raised, nothing is said.

Cells are parsed with `ast` (never run); a cell that does not parse is looked at as text.
Every student string is shortened and quoted as code, never interpreted.
"""

from __future__ import annotations

import ast
import re
from typing import Mapping, Sequence

from autograder.judge.error_hints import raised_hint
from autograder.probe.answers import Answer

_NOT_DEFINED = re.compile(r"^`([A-Za-z_][A-Za-z0-9_]*)` is not defined in the notebook")


def _defined_names(source: str) -> set[str]:
    """The names a cell binds at its top level (assignments, functions, classes, imports, loops)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set(re.findall(r"^\s*(?:def\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?:=|\()", source, flags=re.M))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


def _first_line(source: str) -> str:
    line = next((ln.strip() for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")), "")
    return line if len(line) <= 60 else line[:57] + "..."


def cause(name: str, cells: Sequence[str], outcomes: Sequence[tuple[str, str]]) -> str:
    """Why `name` was never defined: the last cell defining it that raised, or ""."""
    for index in reversed(range(min(len(cells), len(outcomes)))):
        status, error = outcomes[index]
        if status == "error" and name in _defined_names(cells[index]):
            error = " ".join(str(error).split())[:200]
            named = raised_hint(error)
            return (f"`{name}` was never defined because code cell {index + 1} (`{_first_line(cells[index])}`) raised "
                    f"{error}" + (f" ({named})" if named else "") + ": fix that cell and run the notebook again from the top")
    return ""


def missing_cause(answers: Mapping[str, Answer], cells: Sequence[str], outcomes: Sequence[tuple[str, str]]) -> str:
    """The cause of the first answer of a check that is "not defined", where a cell explains it."""
    for answer in answers.values():
        match = _NOT_DEFINED.match(str(answer.error or ""))
        if match:
            found = cause(match.group(1), cells, outcomes)
            if found:
                return found
    return ""
