"""Checking a master notebook before Otter assign sees it.

Otter assign reports a malformed master with a traceback deep in its own code. A teacher
needs the file and the cell instead, so the markers are checked here first.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import yaml


class MasterError(ValueError):
    """A master notebook that cannot be built; the message names the file and the cell."""


# Raw-cell markers that open and close a block, Otter's assign format.
MARKER = re.compile(r"^\s*#\s*(BEGIN|END)\s+(QUESTION|SOLUTION|TESTS|PROMPT)\b", re.IGNORECASE)
REQUIRED_CONFIG = {"name"}


def _first_line(cell) -> str:
    lines = cell.source.strip().splitlines()
    return lines[0] if lines else ""


def marker(cell) -> str:
    """The Otter marker a raw cell is ("BEGIN QUESTION", "END TESTS", ...), or ""."""
    match = MARKER.match(_first_line(cell)) if cell.cell_type == "raw" else None
    return f"{match.group(1).upper()} {match.group(2).upper()}" if match else ""


def question_config(cell) -> dict:
    """The YAML under a BEGIN QUESTION marker (yaml.YAMLError when it is not YAML)."""
    body = cell.source.split("\n", 1)[1] if "\n" in cell.source else ""
    config = yaml.safe_load(body) or {}
    return config if isinstance(config, dict) else {"": config}


def read_master(path: Path, exercise_id: str) -> nbformat.NotebookNode:
    """The master notebook, validated: readable, configured, markers balanced and named."""
    where = str(path)
    try:
        nb = nbformat.read(str(path), as_version=4)
    except FileNotFoundError:
        raise MasterError(f"{where}: no such master notebook") from None
    except (json.JSONDecodeError, nbformat.reader.NotJSONError, UnicodeDecodeError) as exc:
        raise MasterError(f"{where}: not a notebook file ({exc})") from None
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise MasterError(f"{where}: invalid notebook: {exc.message}") from None
    if not nb.cells or nb.cells[0].cell_type != "raw" or "ASSIGNMENT CONFIG" not in _first_line(nb.cells[0]):
        raise MasterError(f"{where}, cell 1: the first cell must be a raw '# ASSIGNMENT CONFIG' cell")
    try:
        config = yaml.safe_load(nb.cells[0].source.split("\n", 1)[1] if "\n" in nb.cells[0].source else "") or {}
    except yaml.YAMLError as exc:
        raise MasterError(f"{where}, cell 1: the assignment config is not valid YAML ({exc})") from None
    missing = REQUIRED_CONFIG - set(config)
    if missing:
        raise MasterError(f"{where}, cell 1: the assignment config lacks {sorted(missing)}")
    if config["name"] != exercise_id:
        raise MasterError(f"{where}, cell 1: the assignment name is {config['name']!r}, expected {exercise_id!r}")
    if "kernelspec" not in nb.metadata:
        raise MasterError(f"{where}: the notebook metadata has no kernelspec (open and save it in Jupyter once)")
    _check_markers(nb, where)
    _check_no_hidden_tests(nb, where)
    return nb


def _check_markers(nb, where: str) -> None:
    stack: list[tuple[str, int]] = []
    questions = 0
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "raw":
            continue
        match = MARKER.match(_first_line(cell))
        if not match:
            continue
        edge, block = match.group(1).upper(), match.group(2).upper()  # BEGIN or END, and of what
        if edge == "BEGIN":
            if block == "QUESTION":
                if stack:
                    raise MasterError(f"{where}, cell {number}: BEGIN QUESTION inside an open {stack[-1][0]} (cell {stack[-1][1]})")
                _check_question_config(cell, where, number)
                questions += 1
            elif not stack or stack[0][0] != "QUESTION":
                raise MasterError(f"{where}, cell {number}: BEGIN {block} outside a question")
            stack.append((block, number))
        else:
            if not stack or stack[-1][0] != block:
                opened = f"the open {stack[-1][0]} of cell {stack[-1][1]}" if stack else "nothing open"
                raise MasterError(f"{where}, cell {number}: END {block} does not close anything ({opened})")
            stack.pop()
    if stack:
        block, number = stack[-1]
        raise MasterError(f"{where}, cell {number}: BEGIN {block} is never closed with END {block}")
    if questions == 0:
        raise MasterError(f"{where}: no '# BEGIN QUESTION' cell, so nothing to grade")


def _check_question_config(cell, where: str, number: int) -> None:
    try:
        config = question_config(cell)
    except yaml.YAMLError as exc:
        raise MasterError(f"{where}, cell {number}: the question config is not valid YAML ({exc})") from None
    if not config.get("name"):
        raise MasterError(f"{where}, cell {number}: BEGIN QUESTION needs a 'name:'")
    if "points" in config:
        raise MasterError(f"{where}, cell {number}: question {config['name']!r} states 'points:'; points live in "
                          "checks.py (the build gives each question the points of its checks, QUESTIONS)")


HIDDEN_CONFIG = re.compile(r"#\s*BEGIN\s+TEST\s+CONFIG(.*?)#\s*END\s+TEST\s+CONFIG", re.IGNORECASE | re.DOTALL)


def _check_no_hidden_tests(nb, where: str) -> None:
    """Hidden tests are generated from the checks (hidden_tests.py); a hand-written one would
    state the expected values a second time."""
    for number, cell in enumerate(nb.cells, start=1):
        config = HIDDEN_CONFIG.search(cell.source) if cell.cell_type == "code" else None
        if config and re.search(r"^\s*hidden\s*:\s*true\b", config.group(1), re.IGNORECASE | re.MULTILINE):
            raise MasterError(f"{where}, cell {number}: a hand-written hidden test; hidden tests and their points "
                              "come from checks.py (one per check), so remove it")
