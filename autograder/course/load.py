"""Reading course.yaml: once, into the typed model, with errors in plain words.

A course.yaml that is missing, not YAML, or says something the model refuses gives a
`CourseError` naming the file, the line, the exercise and the field, e.g.

    course.yaml, line 41: exercise 'train_sin', training.tasks.regression.tiers[0].points should be greater than 0 (got -1)
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from autograder.course.model import Course, CourseFile, Exercise
from autograder.course.section import unknown_key_message
from autograder.paths import DEFAULT_COURSE, EXERCISES_DIR
from autograder.run.limits import Limits
from autograder.text_files import read_text

MAX_ERRORS = 3  # listed in one message; the rest are counted


class CourseError(ValueError):
    """course.yaml is missing, malformed, or names an exercise that does not exist."""


def load_course(path: str | Path | None = None) -> Course:
    """The course of `path` (default: the bundled course.yaml), validated."""
    path = Path(path) if path else DEFAULT_COURSE
    data = _read_yaml(path)
    if isinstance(data, dict) and "exercises" not in data:
        unknown = [k for k in data if k not in CourseFile.model_fields]
        if unknown:  # `exercices:` is a typo of the one key a course needs, not a missing list
            raise CourseError(f"{path}: {unknown_key_message('top-level key', unknown[0], CourseFile.model_fields)}")
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), list):
        raise CourseError(f"{path}: expected a mapping with a list under 'exercises'")
    try:
        spec = CourseFile.model_validate(data)
    except ValidationError as exc:
        raise CourseError(describe(exc, path, data, _yaml_tree(path))) from None
    # Exercises live next to the course file, so a course can sit anywhere.
    root = path.parent / "exercises" if (path.parent / "exercises").is_dir() else EXERCISES_DIR
    base = spec.limits.over(Limits()) if spec.limits else Limits()
    exercises = []
    for entry in spec.exercises:
        folder = root / entry.id
        if not (folder / f"{entry.id}.ipynb").is_file():
            raise CourseError(f"{path}: exercise {entry.id!r} has no master notebook at {folder / (entry.id + '.ipynb')}")
        limits = entry.limits.over(base) if entry.limits else base
        exercises.append(Exercise(**{**dict(entry), "limits": limits, "folder": folder}))
    return Course(**{**dict(spec), "name": spec.name or path.stem, "path": path, "limits": base,
                     "exercises": tuple(exercises)})


def _read_yaml(path: Path):
    """The YAML document of `path`; a CourseError of one line naming the file and line
    when it cannot be read, is not UTF-8, or is not YAML."""
    text = read_text(path, CourseError, "course file")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
        raise CourseError(f"{where}: not valid YAML ({problem})") from None


def describe(exc: ValidationError, path: Path | str, data, tree: yaml.Node | None = None) -> str:
    """The model's refusal as one short message: where (file, line, exercise, field) and what.
    `tree`: the file's YAML node tree, for the line of the first error (none: no line)."""
    errors = exc.errors()
    lines = [_one(error, data) for error in errors]
    text = "; ".join(lines[:MAX_ERRORS])
    if len(lines) > MAX_ERRORS:
        text += f" (and {len(lines) - MAX_ERRORS} more)"
    line = _line_of(tree, errors[0]) if tree is not None and errors else None
    return f"{path}, line {line}: {text}" if line else f"{path}: {text}"


def _yaml_tree(path: Path) -> yaml.Node | None:
    """The YAML node tree of `path` (it was read once already, so it parses): where each value
    stands in the file. None when it cannot be had; the message then names no line."""
    try:
        return yaml.compose(read_text(path, CourseError, "course file"))
    except (CourseError, yaml.YAMLError):
        return None


def _line_of(tree: yaml.Node, error: ErrorDetails) -> int | None:
    """The 1-based line of the value an error of the model is about: its location followed
    through the YAML nodes as far as they go (pydantic adds steps of its own, such as a
    validator's name, that no node has). An unknown key points at the key itself, a missing
    one at the key of the mapping that lacks it."""
    node, key = tree, None
    for step in error.get("loc") or ():
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(step)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            pair = (None, node.value[step])
        else:
            pair = None
        if pair is None:
            break
        key, node = pair
    if isinstance(node, yaml.MappingNode):
        unknown = re.search(r"unknown [a-z -]*?'([^']+)'", str(error.get("msg", "")))
        named = next((k for k, _ in node.value if unknown and getattr(k, "value", None) == unknown.group(1)), None)
        if named is not None:
            return named.start_mark.line + 1
        if error.get("type") == "missing" and key is not None:
            return key.start_mark.line + 1
    return node.start_mark.line + 1


def _one(error: ErrorDetails, data) -> str:
    loc = list(error.get("loc") or ())
    where = []
    if len(loc) >= 2 and loc[0] == "exercises" and isinstance(loc[1], int):
        entries = data.get("exercises") if isinstance(data, dict) else None
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        ident = entry if isinstance(entry, str) else entry.get("id") if isinstance(entry, dict) else None
        where.append(f"exercise {ident!r}" if isinstance(ident, str) else f"exercise #{loc[1] + 1}")
        loc = loc[2:]
    field = ""
    for part in loc:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    kind, message = error.get("type", ""), str(error.get("msg", ""))
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    if kind == "missing":
        message = "is missing"
    elif kind == "too_short":
        least = (error.get("ctx") or {}).get("min_length", 1)
        message = "must not be empty" if least == 1 else f"must have at least {least} entries"
    elif kind in ("model_type", "dict_type", "model_attributes_type", "dataclass_type"):
        message = "must be a mapping" + _got(error)
    elif message.startswith("Input should be"):
        message = "should be" + message[len("Input should be"):] + _got(error)
    elif not kind.startswith("value_error"):
        message += _got(error)
    name = str(loc[-1]) if loc and not isinstance(loc[-1], int) else ""
    if kind == "value_error" and name and re.search(rf"\b{re.escape(name)}\b", message):
        field = field.rsplit(".", 1)[0] if "." in field else ""  # our message names the field itself
    if field:
        joined = " " if message.startswith(("must ", "should ", "is ", "needs ")) else ": "
        where.append(field + joined + message)
        return ", ".join(where)
    return f"{where[0]}: {message}" if where else message


def _got(error: ErrorDetails) -> str:
    value = error.get("input")
    if isinstance(value, (dict, list)) and len(repr(value)) > 60:
        return ""
    text = repr(value)
    return f" (got {text[:60]}{'...' if len(text) > 60 else ''})"
