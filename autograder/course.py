"""The course description, `course.yaml`: exercises in order, and the limits they run under."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import yaml

from autograder.paths import DEFAULT_COURSE, EXERCISES_DIR  # noqa: F401 - DEFAULT_COURSE: re-exported
from autograder.run.limits import Limits  # the one Limits: what course.yaml sets is what the sandbox gets


class CourseError(ValueError):
    """course.yaml is missing, malformed, or names an exercise that does not exist."""


def merged_limits(base: Limits, overrides: dict | None, where: str) -> Limits:
    """`base` with course.yaml's `limits:` over it. The names are those of the sandbox's own
    Limits (autograder/run/limits.py), plus `output_kb` for `output_bytes` / 1024."""
    if not overrides:
        return base
    if not isinstance(overrides, dict):
        raise CourseError(f"{where}: limits must be a mapping such as {{cell_timeout: 60}}")
    defaults = {f.name: getattr(Limits(), f.name) for f in fields(Limits)}
    values = {}
    for given, value in overrides.items():
        name, scale = ("output_bytes", 1024) if given == "output_kb" else (given, 1)
        if name not in defaults or given == "output_bytes" and "output_kb" in overrides:
            known = sorted(set(defaults) | {"output_kb"})
            raise CourseError(f"{where}: unknown limit {given!r}; known: {known}")
        default = defaults[name]
        if value is None and default is None:  # probe_timeout, cpu_seconds: None means derived
            values[name] = None
            continue
        kind = type(default) if default is not None else float
        if isinstance(value, str):  # a quoted number in course.yaml
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) != (kind is bool) or not isinstance(value, (int, float)):
            raise CourseError(f"{where}: bad value for limit {given}: {value!r}")
        if value < 0:
            raise CourseError(f"{where}: limit {given} cannot be negative")
        values[name] = kind(value * scale)
    return replace(base, **values)


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    limits: Limits
    folder: Path
    settings: dict = field(default_factory=dict)  # everything else course.yaml says about it

    @property
    def master(self) -> Path:
        return self.folder / f"{self.id}.ipynb"

    @property
    def varies(self) -> bool:
        """Whether each student gets their own numbers (course.yaml `varies: true`)."""
        return bool(self.settings.get("varies", False))


@dataclass(frozen=True)
class Course:
    name: str
    path: Path
    exercises: tuple[Exercise, ...]
    settings: dict = field(default_factory=dict)

    def exercise(self, exercise_id: str) -> Exercise | None:
        return next((e for e in self.exercises if e.id == exercise_id), None)

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.exercises]

    def published_notebook(self, exercise_id: str) -> str | None:
        """The GitHub URL of the exercise's published student notebook (course.yaml
        `publish: {notebooks: https://github.com/ORG/REPO/blob/BRANCH/.../{id}.ipynb}`), or None."""
        template = (self.settings.get("publish") or {}).get("notebooks")
        return template.replace("{id}", exercise_id) if template else None


def load_course(path: str | Path | None = None) -> Course:
    path = Path(path) if path else DEFAULT_COURSE
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise CourseError(f"no course file at {path}") from None
    except yaml.YAMLError as exc:
        raise CourseError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), list):
        raise CourseError(f"{path}: expected a mapping with a list under 'exercises'")
    base = merged_limits(Limits(), data.get("limits"), f"{path}: limits")
    # Exercises live next to the course file, so a course can sit anywhere.
    root = path.parent / "exercises" if (path.parent / "exercises").is_dir() else EXERCISES_DIR
    exercises = []
    for i, entry in enumerate(data["exercises"]):
        if isinstance(entry, str):
            entry = {"id": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise CourseError(f"{path}: exercise #{i + 1} needs an 'id'")
        ex_id = entry["id"]
        folder = root / ex_id
        if not (folder / f"{ex_id}.ipynb").is_file():
            raise CourseError(f"{path}: exercise {ex_id!r} has no master notebook at {folder / (ex_id + '.ipynb')}")
        limits = merged_limits(base, entry.get("limits"), f"{path}: exercise {ex_id!r} limits")
        rest = {k: v for k, v in entry.items() if k not in ("id", "title", "limits")}
        preload = rest.get("preload")  # what its warm workers import (autograder/run/preload.py)
        if preload is not None and not (isinstance(preload, list) and all(isinstance(n, str) and n.isidentifier()
                                                                          for n in preload)):
            raise CourseError(f"{path}: exercise {ex_id!r}: preload must be a list of module names, e.g. [numpy, IPython]")
        exercises.append(Exercise(ex_id, entry.get("title", ex_id), limits, folder, rest))
    ids = [e.id for e in exercises]
    if len(set(ids)) != len(ids):
        raise CourseError(f"{path}: exercise ids must be unique")
    rest = {k: v for k, v in data.items() if k not in ("name", "exercises", "limits")}
    _check_publish(rest.get("publish"), path)
    return Course(data.get("name", path.stem), path, tuple(exercises), rest)


def _check_publish(publish, path: Path) -> None:
    """`publish.notebooks`: a GitHub file URL with `{id}`, which Colab can open."""
    if publish is None:
        return
    url = publish.get("notebooks") if isinstance(publish, dict) else None
    if not isinstance(url, str) or not url.startswith("https://github.com/") or "/blob/" not in url or "{id}" not in url:
        raise CourseError(
            f"{path}: publish.notebooks must be a GitHub file URL with {{id}} for the exercise id, e.g. "
            "https://github.com/ORG/REPO/blob/main/{id}/{id}.ipynb"
        )
