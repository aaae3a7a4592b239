"""The course model: what course.yaml may say, typed, and the Course and Exercise made from it.

Two layers share their fields: `CourseFile` / `ExerciseEntry` are course.yaml as written (a
limit given per exercise is an override); `Course` / `Exercise` are what build, run, judge
and export are handed, with every limit resolved into the sandbox's one `Limits`
(autograder/run/limits.py) and each exercise's folder found. Every part forbids unknown keys.
"""

from __future__ import annotations

import math
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, PositiveFloat, PositiveInt, field_validator, model_validator

from autograder.course.lti import Lti
from autograder.course.section import Identifier, Section
from autograder.course.training import Training
from autograder.run.limits import Limits

# --------------------------------------------------------------------------- limits

_WHOLE = {f.name for f in fields(Limits) if f.type in ("int", "int | None")}
_OPTIONAL = {f.name for f in fields(Limits) if f.default is None}


class LimitOverrides(Section):
    """`limits:` of the course or of one exercise: the sandbox's own Limits fields, by name
    (`output_kb` for output_bytes / 1024). `gpu` is not among them: the device decides."""

    what: ClassVar[str] = "limit"

    cell_timeout: float | None = None
    total_timeout: float | None = None
    memory_mb: int | None = None
    output_bytes: int | None = None
    output_kb: float | None = None
    probe_timeout: float | None = None  # None: cell_timeout
    kill_grace: float | None = None
    cpu_seconds: int | None = None  # None: derived from total_timeout
    file_mb: int | None = None
    disk_mb: int | None = None
    disk_files: int | None = None
    open_files: int | None = None
    processes: int | None = None
    threads: int | None = None
    cpus: float | None = None  # CPU cores per sandbox (its control group's quota); 0: no cap

    @field_validator("*", mode="before")
    @classmethod
    def _a_number(cls, value, info):
        name = info.field_name
        if value is None and name in _OPTIONAL:
            return None
        if isinstance(value, str):  # a quoted number in course.yaml
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"bad value for limit {name}: {value!r} (a number)")
        if not math.isfinite(value):  # .inf or .nan in YAML, or a number too large for a float
            raise ValueError(f"bad value for limit {name}: {value!r} (a finite number)")
        if value < 0:
            raise ValueError(f"limit {name} cannot be negative")
        if name == "cpus" and 0 < value < 0.05:
            raise ValueError(f"bad value for limit cpus: {value!r} (at least 0.05 of a core, or 0 for no cap)")
        if name in _WHOLE or name == "output_bytes":
            if value != int(value):
                raise ValueError(f"bad value for limit {name}: {value!r} (a whole number)")
            return int(value)
        return float(value)

    @model_validator(mode="after")
    def _one_output_size(self):
        if {"output_kb", "output_bytes"} <= self.model_fields_set:
            raise ValueError("give output_kb or output_bytes, not both")
        return self

    def over(self, base: Limits) -> Limits:
        """`base` with these limits over it."""
        values = {k: getattr(self, k) for k in self.model_fields_set}
        if "output_kb" in values:
            values["output_bytes"] = int(values.pop("output_kb") * 1024)
        return replace(base, **values)


# --------------------------------------------------------------------------- LMS, publishing, cluster

Visibility = Literal["hidden", "after_due_date", "after_published", "visible"]


class Gradescope(Section):
    """`lms.gradescope`: who sees what of a Gradescope result (autograder/gradescope/results.py)."""

    visibility: Visibility = "visible"  # the ordinary checks, and the results page
    hidden_visibility: Visibility = "after_due_date"  # hidden checks
    stdout_visibility: Visibility = "hidden"  # run_autograder's log
    # {exercise id: [check names]} or {exercise id: all}: checks shown as hidden_visibility allows
    hidden_checks: dict[str, Literal["all"] | tuple[str, ...]] = {}

    @field_validator("hidden_checks", mode="before")
    @classmethod
    def _check_lists(cls, value):
        if not isinstance(value, dict):
            return value  # pydantic says it must be a mapping
        out = {}
        for exercise, names in value.items():
            if names is True or names == "all":
                out[exercise] = "all"
            elif isinstance(names, str):
                out[exercise] = (names,)
            elif isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names):
                out[exercise] = tuple(names)
            else:
                raise ValueError(f"hidden_checks of {exercise!r} must be a list of check names, or all")
        return out


class _Titles(Section):
    model_config = ConfigDict(coerce_numbers_to_str=True)


class Canvas(_Titles):
    assignments: dict[str, str] = {}  # {exercise id: "Title (Canvas assignment id)"}


class Moodle(_Titles):
    identifier: Literal["email", "username", "idnumber"] = "email"  # the roster column Moodle maps users by
    items: dict[str, str] = {}  # {exercise id: grade item name}

    @field_validator("identifier", mode="before")
    @classmethod
    def _lower(cls, value):
        return value.lower() if isinstance(value, str) else value


class Lms(Section):
    """`lms:`: grade exports (autograder/export/lms.py) and the Gradescope bundle."""

    pick: Literal["best", "latest"] = "best"  # of several submissions of one exercise
    gradescope: Gradescope = Gradescope()
    canvas: Canvas = Canvas()
    moodle: Moodle = Moodle()
    lti: Lti | None = None  # `autograder serve` as an LTI 1.3 tool (course/lti.py)

    def exercise_ids(self) -> dict[str, set[str]]:
        """{setting: exercise ids it names}."""
        return {"lms.gradescope.hidden_checks": set(self.gradescope.hidden_checks),
                "lms.canvas.assignments": set(self.canvas.assignments),
                "lms.moodle.items": set(self.moodle.items)}


class Publish(Section):
    """`publish.notebooks`: a GitHub file URL with {id}, which Colab can open."""

    notebooks: str

    @field_validator("notebooks")
    @classmethod
    def _github_file(cls, url: str) -> str:
        if not url.startswith("https://github.com/") or "/blob/" not in url or "{id}" not in url:
            raise ValueError("must be a GitHub file URL with {id} for the exercise id, e.g. "
                             "https://github.com/ORG/REPO/blob/main/{id}/{id}.ipynb")
        return url


class Cluster(Section):
    """`cluster:` (autograder/cluster/address.py)."""

    startup_timeout: PositiveFloat = 300.0  # seconds to wait for the first worker
    jobs: PositiveInt = 1  # slurm: jobs to submit
    slurm: dict[str, Any] | None = None  # dask_jobqueue.SLURMCluster's keyword arguments, as they are


# --------------------------------------------------------------------------- exercises and the course


class ExerciseEntry(Section):
    """One exercise as course.yaml lists it."""

    id: Identifier
    title: str = ""  # default: the id
    limits: LimitOverrides | None = None
    varies: bool = False  # each student gets their own numbers (build --roster)
    preload: tuple[Identifier, ...] | None = None  # what its warm workers import (run/preload.py)
    carry_forward: bool | tuple[str, ...] = False  # error-carried-forward credit (judge/checks.py)
    training: Training | None = None  # a timed training task (course/training.py)
    # Whether figures draw the right answer beside a failed check's (autograder/figures/draw.py):
    # auto (where the answer is not itself what is drawn), always or never.
    figure_reference: Literal["auto", "always", "never"] = "auto"

    @model_validator(mode="before")
    @classmethod
    def _entry(cls, data):
        if isinstance(data, str):  # `- sigmoid_probability`
            data = {"id": data}
        if isinstance(data, dict) and isinstance(data.get("id"), str) and not data.get("title"):
            data = {**data, "title": data["id"]}
        return data

    @field_validator("preload", mode="before")
    @classmethod
    def _module_names(cls, value):
        if value is not None and not (isinstance(value, (list, tuple)) and all(
                isinstance(n, str) and n.isidentifier() for n in value)):
            raise ValueError("preload must be a list of module names, e.g. [numpy, IPython]")
        return value

    @field_validator("carry_forward", mode="before")
    @classmethod
    def _check_names(cls, value):
        if isinstance(value, bool) or (isinstance(value, (list, tuple)) and all(isinstance(n, str) for n in value)):
            return value
        raise ValueError("carry_forward must be true, false or a list of check names")


class Exercise(ExerciseEntry):
    """An exercise of the course being graded: its limits resolved, its folder found."""

    # The entry's overrides, resolved (a narrower type than the entry's field: pydantic allows it).
    limits: Limits = Limits()  # type: ignore[assignment]
    folder: Path

    @property
    def master(self) -> Path:
        return self.folder / f"{self.id}.ipynb"

    @property
    def trains(self) -> bool:
        """A timed training task (its model is trained in the sandbox, on the GPU where there is one)."""
        return self.training is not None


class CourseFile(Section):
    """course.yaml as written."""

    name: str = ""
    limits: LimitOverrides | None = None  # for every exercise, overridable per exercise
    exercises: tuple[ExerciseEntry, ...]
    publish: Publish | None = None
    lms: Lms = Lms()
    cluster: Cluster = Cluster()
    secret_file: str | None = None  # the course secret (build/variants.py), a file outside the repository
    handed_out: str | None = None  # the handed-out record (handout.py), relative to course.yaml

    @model_validator(mode="after")
    def _ids(self):
        ids = [e.id for e in self.exercises]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"exercise ids must be unique; listed more than once: {', '.join(twice)}")
        for setting, named in self.lms.exercise_ids().items():
            unknown = sorted(named - set(ids))
            if unknown:
                raise ValueError(f"{setting} names {unknown[0]!r}, which is not an exercise of the course")
        return self


class Course(CourseFile):
    """The course being graded: what build, run, judge and export are handed."""

    path: Path = Path("course.yaml")
    # The file's overrides, resolved (a narrower type than the file's field: pydantic allows it).
    limits: Limits = Limits()  # type: ignore[assignment]
    exercises: tuple[Exercise, ...] = ()

    def exercise(self, exercise_id: str) -> Exercise | None:
        return next((e for e in self.exercises if e.id == exercise_id), None)

    def known_exercise(self, exercise_id: str) -> Exercise:
        """The exercise of an id the caller has already checked (KeyError, with the id, if not)."""
        found = self.exercise(exercise_id)
        if found is None:
            raise KeyError(f"the course has no exercise {exercise_id!r}")
        return found

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.exercises]

    @property
    def trains(self) -> bool:
        return any(e.trains for e in self.exercises)

    def published_notebook(self, exercise_id: str) -> str | None:
        """The GitHub URL of the exercise's published student notebook, or None."""
        return self.publish.notebooks.replace("{id}", exercise_id) if self.publish else None

