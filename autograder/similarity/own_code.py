"""What the student wrote: a notebook's code cells less everything that was handed out.

The handed-out code is read from the exercise's master notebook, as Otter assign turns it into
the student version: every code line outside the solution and test blocks, the lines of a
solution block that carry no `# SOLUTION` mark (a function's `def` line and docstring), the
`name = ...` stubs that replace `name = value  # SOLUTION`. Lines are compared without
whitespace and comments, so re-indenting or re-commenting a given line does not make it the
student's. Personal numbers (`{{ w1 }}` placeholders) match whatever number the student's
notebook holds. What the build and Otter add to every student notebook (the set-up cell, the
`grader.check(...)` and `grader.export()` cells) is dropped too.

own_statements groups each cell's own lines by the top-level statement of the cell they are
in (read from the whole cell, so a `def` whose first line was handed out is still one block):
what answers.py compares, whatever cell boundaries the student chose.

The result keeps the student's own lines with their indentation and comments (shown to the
teacher beside the other submission's); the fingerprints ignore comments and names. Cells come
in a canonical order, sorted by their code with names and comments gone: moving cells around
changes nothing, and the few fingerprints that span two cells are the same in both copies.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.build.master import marker

SOLUTION_MARK = re.compile(r"#\s*SOLUTION\s*$")
BEGIN_SOLUTION = re.compile(r"^\s*#\s*BEGIN\s+SOLUTION\b")
END_SOLUTION = re.compile(r"^\s*#\s*END\s+SOLUTION\b")
PLACEHOLDER = re.compile(r"\\\{\\\{.*?\\\}\\\}")  # an escaped {{ name }} in a line's pattern
# The lines every student notebook gets from Otter and the build, whatever the exercise.
OTTER_LINES = re.compile(r"^(import otter\b|grader\s*=\s*otter\.|grader\.(check|check_all|export)\s*\()")
SETUP_CELL = "Set-up: run this cell first"  # the first line of the build's set-up cell (build/setup_cell.py)
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
MAX_LINE = 2_000  # a longer line (an embedded bundle, a pasted array) is data, not code
MAX_OWN_CODE = 50_000  # characters of a notebook's own code compared (the course's answers are a few thousand)


def without_comment(line: str) -> str:
    """`line` without its comment; the line as it is when it does not tokenize alone."""
    if "#" not in line:
        return line
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return line
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            return line[: tok.start[1]]
    return line


def normalise(line: str) -> str:
    """A line as compared with the handout: no comment, no whitespace."""
    return "".join(without_comment(line).split())


def _stub(line: str) -> str | None:
    """What Otter leaves of `name = value  # SOLUTION`: `name = ...`."""
    code = SOLUTION_MARK.sub("", line)
    if "=" in code and not code.lstrip().startswith(("return", "if ", "for ", "while ")):
        return code.split("=", 1)[0].rstrip() + " = ..."
    return None


@dataclass
class Handout:
    """The handed-out code lines of one exercise, normalised; templated lines as patterns."""

    lines: set[str] = field(default_factory=set)
    patterns: list[re.Pattern] = field(default_factory=list)
    # The names in the handed-out lines, read before normalising: `import numpy as np` normalised
    # is one word, `importnumpyasnp`, and its `np` was taken for a name the student chose.
    names: set[str] = field(default_factory=set)

    def add(self, line: str) -> None:
        key = normalise(line)
        if not key:
            return
        self.names.update(IDENTIFIER.findall(re.sub(r"\{\{.*?\}\}", " ", line)))
        if "{{" in key:
            self.patterns.append(re.compile(PLACEHOLDER.sub(".+?", re.escape(key)) + "$"))
        else:
            self.lines.add(key)

    def holds(self, key: str) -> bool:
        return key in self.lines or any(p.match(key) for p in self.patterns)


def handout_of(master: Path) -> Handout:
    """The code a student was given for the exercise of `master` (its Otter assign notebook)."""
    handout = Handout()
    handout.lines.add("...")
    nb = nbformat.read(str(master), as_version=4)
    in_solution = in_tests = False
    for cell in nb.cells:
        kind = marker(cell)
        if kind:
            in_solution = {"BEGIN SOLUTION": True, "END SOLUTION": False}.get(kind, in_solution)
            in_tests = {"BEGIN TESTS": True, "END TESTS": False}.get(kind, in_tests)
            continue
        if cell.cell_type != "code" or in_tests:
            continue
        hidden = False  # inside a `# BEGIN SOLUTION` ... `# END SOLUTION` comment pair
        for line in cell.source.splitlines():
            if BEGIN_SOLUTION.match(line):
                hidden = True
            elif END_SOLUTION.match(line):
                hidden = False
            elif hidden:
                continue
            elif in_solution and SOLUTION_MARK.search(line):
                stub = _stub(line)
                if stub:
                    handout.add(stub)
            else:
                handout.add(line)
    return handout


def canonical_order(keys: list[str]) -> tuple[str, str]:
    """The sort key of a cell from its lines' normalised keys: without comments, whitespace and
    names (every identifier one letter), then as it is (to break ties the same way every time)."""
    plain = "\n".join(keys)
    return IDENTIFIER.sub("V", plain), plain


def _own_lines(cells: list[str], handout: Handout):
    """Per cell with any own line: (its source, [(line number from 0, line, normalised key)]) of
    the lines the student wrote, in the notebook's order, up to MAX_OWN_CODE characters."""
    total = 0
    for source in cells:
        if total > MAX_OWN_CODE:
            break
        if SETUP_CELL in source[:200]:
            continue
        kept = []
        for number, line in enumerate(source.splitlines()):
            if len(line) > MAX_LINE or not line.strip():
                continue
            key = normalise(line)
            if not key or handout.holds(key) or OTTER_LINES.match(line.strip()):
                continue
            kept.append((number, line.rstrip(), key))
        if kept:
            yield source, kept
            total += sum(len(line) + 1 for _, line, _ in kept)


def own_cells(cells: list[str], handout: Handout) -> list[tuple[list[str], list[str]]]:
    """Per cell with any, the lines the student wrote and their normalised keys (no comment,
    no whitespace), in the notebook's order."""
    return [([line for _, line, _ in kept], [key for _, _, key in kept]) for _, kept in _own_lines(cells, handout)]


MAGIC = re.compile(r"^\s*[%!]")  # an IPython magic or shell line: no Python, blanked before parsing


def statement_spans(source: str) -> list[int] | None:
    """Per line of `source`, the top-level statement it belongs to (a `def`, `for` or `with` block
    whole, its decorators with it; -1 outside any), or None when the cell does not parse."""
    import ast

    lines = source.splitlines()
    try:
        tree = ast.parse("\n".join("" if MAGIC.match(line) else line for line in lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    owner = [-1] * len(lines)
    for index, node in enumerate(tree.body):
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        for number in range(first - 1, min(node.end_lineno or node.lineno, len(lines))):
            if owner[number] < 0:
                owner[number] = index
    return owner


def own_statements(cells: list[str], handout: Handout) -> list[list[list[str]]]:
    """Per cell with any own line (the cells of own_cells), its own lines grouped by top-level
    statement, in order: where the cell boundaries lie changes the cells, not the statements.

    A statement is read from the whole cell as the student handed it in (a `def` line that was
    handed out still holds its body together) and keeps only the student's lines. A cell that
    does not parse has each own line as a statement."""
    out = []
    for source, kept in _own_lines(cells, handout):
        owner = statement_spans(source)
        groups: dict[object, list[str]] = {}
        for number, line, _ in kept:
            at = owner[number] if owner is not None and number < len(owner) and owner[number] >= 0 else ("line", number)
            groups.setdefault(at, []).append(line)
        out.append(list(groups.values()))
    return out


def own_code(cells: list[str], handout: Handout) -> str:
    """The lines of `cells` the student wrote: each cell's kept lines, the cells in a canonical
    order (sorted by what the fingerprints see), so that reordered cells read the same."""
    kept_cells = [("\n".join(kept), canonical_order(keys)) for kept, keys in own_cells(cells, handout)]
    return "\n\n".join(text for text, _ in sorted(kept_cells, key=lambda cell: cell[1]))[:MAX_OWN_CODE]


BINDING = re.compile(r"^\s*(?:for\s+([\w\s,()]+?)\s+in\b|def\s+(\w+)\s*\(([^)]*)\)|([\w\s,()\[\]]+?)\s*(?:[-+*/]?=)(?!=))")


def _bound_by_regex(source: str) -> set[str]:
    names = set()
    for line in source.splitlines():
        match = BINDING.match(line)
        if match:
            names.update(IDENTIFIER.findall(" ".join(g for g in match.groups() if g)))
    return names


def bounded(cells: list[str], limit: int = 5 * MAX_OWN_CODE) -> list[str]:
    """The first cells of a notebook, up to `limit` characters: what the signals parse."""
    out, total = [], 0
    for source in cells:
        total += len(source)
        if total > limit:
            break
        out.append(source)
    return out


def bound_names(cells: list[str]) -> set[str]:
    """Every name the notebook's code binds: assigned, looped over, defined, a parameter, imported as."""
    import ast

    names: set[str] = set()
    for source in cells:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            names |= _bound_by_regex(source)
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.alias) and node.asname:
                names.add(node.asname)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                names.add(node.name)
    return names


def own_names(cells: list[str], handout: Handout) -> set[str]:
    """The names the student chose (and a copier can rename): bound in their code, not handed out."""
    return bound_names(cells) - handout.names
