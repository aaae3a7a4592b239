"""A notebook's bytes -> its code cells and metadata, at a bounded cost whatever the bytes hold.

Every limit is checked before the step it protects: the size before anything is parsed, a
cheap count of cells before the JSON parser builds them, the nesting depth as the parser's
own recursion guard and again on the parsed document, the sources' sizes before they are
joined. Version 4 notebooks are read structurally (no schema validation, which is slow and
recursive on hostile input); version 3 notebooks are converted by nbformat.
"""

from __future__ import annotations

import json

from autograder.intake.files import IntakeError

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024  # a notebook with many plots is a few MB
MAX_CELLS = 2_000
MAX_DEPTH = 64  # nbformat documents are ~10 deep; Colab's widget state a few more
MAX_CELL_SOURCE = 1024 * 1024
MAX_CODE = 4 * 1024 * 1024


def _check_depth(document) -> None:
    """Iterative, so a deep document cannot exhaust the grader's own stack."""
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise IntakeError(f"not a notebook: its JSON is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))


def parse_json(data: bytes) -> dict:
    if not data.strip():
        raise IntakeError("the file is empty")
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise IntakeError(f"the notebook is {len(data):,} bytes, over the limit of {MAX_NOTEBOOK_BYTES:,}")
    # An upper bound of the cell count, at the speed of a byte search: a notebook of half a
    # million empty cells is refused before the parser allocates them.
    if data.count(b'"cell_type"') > 4 * MAX_CELLS:
        raise IntakeError(f"the notebook has more than {MAX_CELLS:,} cells")
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except RecursionError:
        raise IntakeError("not a notebook: its JSON is nested too deeply to read") from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, and ints over 4300 digits
        raise IntakeError(f"not a notebook: the file is not JSON ({str(exc)[:200]})") from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise IntakeError("not a notebook: the JSON has no 'nbformat' version")
    _check_depth(raw)
    return raw


def _source(cell: dict, number: int, key: str) -> str:
    source = cell.get(key, "")
    if isinstance(source, list):
        if not all(isinstance(line, str) for line in source):
            raise IntakeError(f"cell {number} has no readable source")
        if sum(map(len, source)) > MAX_CELL_SOURCE:
            raise IntakeError(f"cell {number} holds more than {MAX_CELL_SOURCE:,} characters of code")
        source = "".join(source)
    if not isinstance(source, str):
        raise IntakeError(f"cell {number} has no readable source")
    if len(source) > MAX_CELL_SOURCE:
        raise IntakeError(f"cell {number} holds more than {MAX_CELL_SOURCE:,} characters of code")
    return source


def _v3_to_v4(raw: dict) -> dict:
    import nbformat

    try:
        nb = nbformat.convert(nbformat.from_dict(raw), 4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises several kinds for malformed structure
        raise IntakeError(f"not a readable version 3 notebook: {type(exc).__name__}: {str(exc)[:200]}") from None
    return json.loads(json.dumps(nb))


def read_notebook(data: bytes) -> tuple[list[str], dict]:
    """(code cell sources in order, the notebook's metadata) of a version 3 or 4 notebook."""
    raw = parse_json(data)
    major = raw.get("nbformat")
    if major not in (3, 4) or isinstance(major, bool):
        raise IntakeError(f"notebook format version {major!r} is not supported (versions 3 and 4 are)")
    if major == 3:
        raw = _v3_to_v4(raw)
    cells = raw.get("cells", [])
    if not isinstance(cells, list):
        raise IntakeError("not a readable notebook: its 'cells' is not a list")
    if len(cells) > MAX_CELLS:
        raise IntakeError(f"the notebook has {len(cells):,} cells, over the limit of {MAX_CELLS:,}")
    metadata = raw.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise IntakeError("not a readable notebook: its metadata is not a mapping")
    code, total = [], 0
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            raise IntakeError(f"cell {number} is not a cell")
        cell_type = cell.get("cell_type")
        if not isinstance(cell_type, str):
            raise IntakeError(f"cell {number} has no cell type")
        if cell_type == "code":
            source = _source(cell, number, "source")
            total += len(source)
            if total > MAX_CODE:
                raise IntakeError(f"the notebook holds more than {MAX_CODE:,} characters of code")
            code.append(source)
    return code, metadata


def exercise_of(metadata: dict) -> str | None:
    """The exercise id the build stamped, else Otter's assignment name."""
    for outer, inner in (("autograder", "exercise"), ("otter", "assignment_name")):
        block = metadata.get(outer)
        value = block.get(inner) if isinstance(block, dict) else None
        if isinstance(value, str) and value:
            return value[:200]
    return None
