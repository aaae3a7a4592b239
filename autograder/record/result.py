"""The result of grading one submission, as typed models: what the pipeline builds, the gradebook
stores, and every export reads.

    Result           one submission: who, which exercise, status, score, why, when
      checks: [CheckResult]   each check's points, message, hint, timings, details, figure data
      run: RunInfo            the sandbox's run: isolation, resources, cells, output, where it ran
        cells: [CellInfo]
        trainer: TrainerRun   a timed training task: the trainer's own run

`Status` is the one list of the seven statuses a result can have. It is a `str` enum, so a
status is stored, compared and written as its plain text (`"graded"`), byte for byte as before.

The result document (results/<name>.json, the gradebook's `result` column) is
`result.document()`: the fields in their declared order, and only the fields the result was
given. That is how a result that never ran has no `run`, a check without details has no
`details`, and an older document read back is written back exactly as it was (a field it
lacks stays absent; a key this model does not know is kept). `schemas/result.schema.json` is
this model's JSON schema (write it again with `python -m autograder.record > schemas/result.schema.json`).

`Result.read(data, where)` reads a document that may be malformed or hand-edited: it never
raises, and gives a result of status `error` whose message names `where` and what is wrong.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Union

from pydantic import BaseModel, ConfigDict, ValidationError

from autograder.run.states import CellStatus, RunStatus

# A number as it was given: an int stays an int and a float a float, so that a document read and
# written again keeps its exact text (0 is not 0.0 in the JSON).
Number = Union[float, int]


class Status(StrEnum):
    """What became of a submission (the README's table of statuses)."""

    GRADED = "graded"  # the notebook ran and every check was judged
    TIMEOUT = "timeout"  # a cell or the whole notebook ran past its limit; earlier answers count
    CRASHED = "crashed"  # the notebook's process died before the grader could ask anything
    INVALID = "invalid"  # not a readable notebook
    UNKNOWN_EXERCISE = "unknown_exercise"  # the notebook names no exercise of this course
    TAMPERED = "tampered"  # a personal notebook that is not the student's own
    ERROR = "error"  # the grader's own fault: never blamed on the student, regraded by a rerun


# The statuses a teacher looks at (the report's list of problems), in the order it shows them.
PROBLEMS = (Status.ERROR, Status.TIMEOUT, Status.CRASHED, Status.INVALID, Status.UNKNOWN_EXERCISE, Status.TAMPERED)


class _Document(BaseModel):
    # extra="allow": a key written by another version of the package is kept, never lost. A field's
    # docstring is its description in the published schema.
    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)

    def document(self) -> dict:
        """Its part of the result document: plain JSON data, the fields it was given, in order."""
        return self.model_dump(exclude_unset=True)

    if not TYPE_CHECKING:
        # The document's view, read-only, for code written against the JSON (scripts, tests, notebooks):
        # `result["checks"][0]["hint"]` is what results/<name>.json holds. The package reads
        # attributes: the type checker does not see this view, so `result["score"]` in autograder/
        # fails mypy (tests/test_lint.py).
        def __getitem__(self, key: str) -> Any:
            return self.document()[key]

        def get(self, key: str, default: Any = None) -> Any:
            return self.document().get(key, default)

        def __contains__(self, key: object) -> bool:
            return key in self.document()


class CellInfo(_Document):
    """One code cell's run."""

    index: int
    """Its place among the notebook's code cells, from 0."""
    status: CellStatus = CellStatus.NOT_RUN
    """How the cell ended: 'ok', 'error', 'timeout', 'not run'."""
    seconds: Number = 0.0
    """The cell's wall time."""
    error: str | None = ""
    """What it raised, or why it stopped."""


class _Placement(_Document):
    """Where a run went when a Dask worker ran it (autograder/cluster/worker.py); absent otherwise."""

    worker: str | None = None
    """The Dask worker's name."""
    host: str | None = None
    """Its host."""
    device: str | None = None
    """'cpu' or 'gpu'."""
    device_name: str | None = None
    """The device's own name."""
    worker_seconds: Number | None = None
    """The task's time on the worker."""
    dispatch_seconds: Number | None = None
    """What Dask added: sending the task and its result, scheduling, waiting for a free worker."""


class _TrainerCore(_Document):
    isolation: str = ""
    """The trainer's sandbox: 'bubblewrap' or 'rlimits'."""
    status: RunStatus = RunStatus.FINISHED
    """How the trainer's run ended: 'finished', 'timeout', 'crashed'."""
    seconds: Number = 0.0
    """Its wall time."""
    probe_seconds: Number = 0.0
    """The time it spent training and answering."""
    warm: bool = False
    """Forked from a warm worker."""


class TrainerRun(_Placement, _TrainerCore):
    """A timed training task's second run: the trainer's (autograder/run/training.py)."""


class _RunCore(_Document):
    isolation: str = ""
    """'bubblewrap' or 'rlimits', and ', no control group' without one."""
    boundary: str = ""
    """'cgroup v1', 'cgroup v2' or 'no control group'."""
    resources: dict[str, Number | None] = {}
    """From the control group: memory_peak_mb, cpu_seconds, ..."""
    seconds: Number = 0.0
    """The run's wall time."""
    code_seconds: Number = 0.0
    """The time the notebook's own cells took."""
    cells: list[CellInfo] = []
    """Each code cell that ran."""
    output: str = ""
    """The notebook's output, its last 20,000 characters."""
    warm: bool = False
    """Forked from a warm worker."""


class RunInfo(_Placement, _RunCore):
    """The sandbox's run of the notebook, as the supervisor measured it."""

    trainer: TrainerRun | None = None
    """A timed training task: the trainer's own run."""


class CheckResult(_Document):
    """One check's verdict."""

    name: str
    """The check's name (a question of the exercise)."""
    description: str = ""
    """What the check expects, for the student."""
    points: Number = 0.0
    """The points it gave."""
    max_points: Number = 0.0
    """The points it is worth."""
    message: str = ""
    """What was expected, never the answer."""
    hint: str = ""
    """The mistake that explains the answer, when one does."""
    probe_seconds: Number = 0.0
    """Asking the sandbox (the student's code included)."""
    judge_seconds: Number = 0.0
    """Judging in the grader."""
    details: dict[str, Any] | None = None
    """Check-specific data (a training check's metric, ...)."""
    figure: dict[str, Any] | None = None
    """The data its figure is drawn from (autograder/figures/)."""

    @property
    def passed(self) -> bool:
        return bool(self.max_points) and self.points >= self.max_points


# Written in every result document; the others only where they apply.
ALWAYS_WRITTEN = ("submission", "student", "exercise", "sha256", "status", "score", "max_score", "message",
                  "checks", "graded_at", "handed_in_at", "seconds")


def _required_when_written(schema: dict) -> None:
    schema["required"] = list(ALWAYS_WRITTEN)


class Result(_Document):
    """One submission's result (see the module's text)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_required_when_written,
                              title="Result of grading one submission (results/<name>.json)")

    submission: str
    """The file as given, or zip!member."""
    student: str
    """The student's id (from the roster, the folder or the file name)."""
    exercise: str | None = None
    """The exercise the notebook names; None when it names none."""
    sha256: str = ""
    """Of the submitted bytes (the gradebook's key); "" for a file that could not be read."""
    status: Status
    """What became of the submission (the README's table of statuses)."""
    score: Number
    """The points its checks gave."""
    max_score: Number
    """The points the exercise is worth (0 where no check was reached)."""
    message: str = ""
    """Why, for a submission not (fully) graded."""
    checks: list[CheckResult] = []
    """Every check's verdict, in the exercise's order."""
    graded_at: str = ""
    """When it was graded (UTC, ISO 8601)."""
    handed_in_at: str | None = None
    """When it was handed in (UTC, ISO 8601): decides which hand-in is the latest (export/lms.py)."""
    seconds: Number = 0.0
    """The grading's wall time."""
    variant: dict[str, Any] | None = None
    """The student's own numbers, for a personal notebook."""
    seed: int | None = None
    """The seed of the probes' inputs, drawn for this grading."""
    run: RunInfo | None = None
    """The sandbox's run, for a submission that ran."""
    attempt: str | None = None
    """`autograder serve`: the attempt this grading was of."""

    def to_json(self) -> str:
        """The text of results/<name>.json and of the gradebook's `result` column."""
        return json.dumps(self.document(), indent=2)

    @property
    def unreadable(self) -> bool:
        """This result stands for a document that could not be read (`Result.read`)."""
        return self.status == Status.ERROR and self.message.endswith(UNREADABLE)

    @property
    def cell_errors(self) -> list[CellInfo]:
        return [c for c in (self.run.cells if self.run else []) if c.error]

    @classmethod
    def read(cls, data: Any, where: str, fallback: dict | None = None) -> Result:
        """The result in `data` (a parsed document), or, when it is not one, a result of status
        `error` that says so (`where`: the file or row it came from, for the message; `fallback`:
        what else is known of the row, e.g. the gradebook's columns). Never raises."""
        if isinstance(data, Result):
            return data
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            why = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'the document'}: {e['msg']}" for e in exc.errors()[:5])
        return _unreadable(data, f"{where}: not a readable result ({why[:600]})", where, fallback)

    @classmethod
    def parse(cls, text: str | bytes, where: str, fallback: dict | None = None) -> Result:
        """`read` of a document's JSON text; text that is not JSON gives an `error` result too."""
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            return _unreadable(None, f"{where}: not JSON ({str(exc)[:200]})", where, fallback)
        return cls.read(data, where, fallback)


def _unreadable(data: Any, why: str, where: str, fallback: dict | None) -> Result:
    """The `error` result of a document that could not be read: as much of its row as is known."""
    known = dict(fallback or {})
    if isinstance(data, dict):
        known.update({k: v for k, v in data.items() if k in ("submission", "student", "exercise", "sha256")
                      and isinstance(v, str)})
    return Result(submission=str(known.get("submission") or where), student=str(known.get("student") or "unknown"),
                  exercise=known.get("exercise") if isinstance(known.get("exercise"), str) else None,
                  sha256=str(known.get("sha256") or ""), status=Status.ERROR, score=0.0, max_score=0.0,
                  message=f"{why}{UNREADABLE}")


UNREADABLE = "; not the student's fault, grading the submission again replaces it"


def results_of(items) -> list[Result]:
    """Results from results or result documents (dicts), for callers that hold either."""
    return [Result.read(item, "a result document") for item in items]


def schema() -> dict:
    return Result.model_json_schema()


def schema_text() -> str:
    """The text of schemas/result.schema.json."""
    return json.dumps(schema(), indent=2, sort_keys=True) + "\n"
