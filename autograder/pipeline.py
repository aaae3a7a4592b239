"""One submission through the grading pipeline: run in the sandbox -> probe -> judge.

`grade_submission` turns one submission (from intake) into a `Result` (autograder/record/result.py),
never raising for anything the submission does. Recording and exporting it is the batch's
job (autograder/batch.py), so this module knows nothing of the gradebook's files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import time

import numpy as np

from autograder import figures
from autograder import handout as handouts
from autograder.course import Course
from autograder.exercises import data_files, load_checks
from autograder.intake import Submission
from autograder.judge import Verdict, using_variant
from autograder.record.result import CellInfo, CheckResult, Result, RunInfo, Status
from autograder.run.device import device_class
from autograder.run import Limits as RunLimits
from autograder.run import Runner, run_notebook
from autograder.run.states import RunStatus
from autograder.run.training import train_declared



# How a run that got as far as running ended, as the submission's status.
RUN_TO_STATUS = {RunStatus.FINISHED: Status.GRADED, RunStatus.TIMEOUT: Status.TIMEOUT, RunStatus.CRASHED: Status.CRASHED}


class BatchStopped(RuntimeError):
    """Raised by a runner that can run nothing more (its Dask scheduler is gone): the batch
    stops, the rows recorded so far stay, and the same command grades the rest."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _base_result(sub: Submission, max_score: float) -> Result:
    return Result(
        submission=sub.path,
        student=sub.student,
        exercise=sub.exercise,
        sha256=sub.sha256,
        status=Status(sub.status or Status.GRADED),
        score=0.0,
        max_score=max_score,
        message=sub.message,
        checks=[],
        graded_at=_now(),
        handed_in_at=sub.handed_in_at,  # decides which hand-in is the latest (export/lms.py)
        seconds=0.0,
    )


def run_limits(course: Course, exercise_id: str) -> RunLimits:
    exercise = course.known_exercise(exercise_id)
    # A training task trains on the GPU when this machine has one (its devices are then bound
    # into the trainer's sandbox, run/training.py); everything else stays on the CPU.
    return dataclasses.replace(exercise.limits, gpu=exercise.trains and device_class() == "gpu")


def variant_of(sub: Submission, course: Course, handout: handouts.Handout) -> tuple[dict | None, str]:
    """The student's own numbers for a varying exercise, or the reason the submission is tampered.

    Whether a variant block is required is the course's fact (its handed-out record), not a
    flag of this grading: a course that handed out personal notebooks requires them always."""
    exercise = course.exercise(sub.exercise) if sub.exercise else None
    if exercise is None or not exercise.varies:
        return None, ""
    return handouts.check_variant(sub.metadata, exercise.id, sub.student, handout)


def _grader_fault(where: str, exc: BaseException) -> str:
    return f"the grader failed while {where} ({type(exc).__name__}: {str(exc)[:300]}); not the student's fault, a rerun grades it again"


def grade_submission(sub: Submission, course: Course, seed: int | None = None,
                     handout: handouts.Handout | None = None, runner: Runner = run_notebook) -> Result:
    """The result of one submission. Never raises for anything the submission does;
    a failure of the grader's own gives status `error` with the reason.

    `handout` is the course's record of personal notebooks (read from the course when None):
    it verifies variant blocks and says where one is required. `runner` runs the notebook: any
    `autograder.run.Runner` (a fresh worker, a warm pool's runner, a Dask cluster).
    """
    started = time.perf_counter()
    exercise = course.exercise(sub.exercise) if sub.exercise else None
    result = _base_result(sub, 0.0)
    try:
        checks = load_checks(exercise) if exercise and not sub.status else ()
    except Exception as exc:  # noqa: BLE001 - a broken checks.py is the course's fault, not the student's
        result.status, result.message = Status.ERROR, _grader_fault("loading the exercise's checks", exc)
        return result
    result.max_score = float(sum(c.points for c in checks))
    decided = sub.status
    if not decided:
        try:
            handout = handouts.load(course) if handout is None else handout
            params, reason = variant_of(sub, course, handout)
        except Exception as exc:  # noqa: BLE001 - an unreadable record must not pass or fail anyone
            params, reason, decided = None, "", Status.ERROR
            result.status, result.message = Status.ERROR, _grader_fault("checking the personal variant", exc)
        if reason:
            decided = Status.TAMPERED
            result.status, result.message = Status.TAMPERED, reason
        result.variant = params
    if decided or exercise is None:  # decided before running: invalid, unknown exercise, tampered, error
        result.seconds = time.perf_counter() - started
        return result

    # Probe: every check says what it needs; inputs are drawn fresh for this grading.
    seed = secrets.randbits(63) if seed is None else seed
    rng = np.random.default_rng(seed)
    drawing = figures.enabled()
    with using_variant(result.variant):  # a probe may ask about the student's own numbers
        asked = {check.name: check.probes(rng) for check in checks}
        # A figure's own calls are asked after every graded probe (autograder/figures/).
        for_figures = {c.name: figures.extra_probes(c, asked[c.name]) for c in checks} if drawing else {}
    flat = {f"{name}/{key}": probe for name, probes in asked.items() for key, probe in probes.items()}
    flat |= {f"{name}/fig:{key}": probe for name, probes in for_figures.items() for key, probe in probes.items()}

    limits, files = run_limits(course, exercise.id), data_files(exercise.folder)
    # The notebook's run trains nothing, so it never gets the GPU (on a cluster it goes to any
    # worker). A timed training task's declared models (data) are checked here and trained in a
    # sandbox of their own that runs no student code, on the same runner, with the GPU if any.
    run = runner(sub.cells, flat, dataclasses.replace(limits, gpu=False), files=files)
    train_declared(checks, asked, run, runner, limits, files)

    # Judge, in this process, against solutions/ (with the student's own numbers, if any).
    faults = []
    outcomes = [("not run", "")] * len(sub.cells)  # (status, error) per code cell: why an answer is missing
    for cell in run.cells:
        if 0 <= cell.index < len(outcomes):
            outcomes[cell.index] = (cell.status, cell.error)
    for check in checks:
        keys = [f"{check.name}/{key}" for key in asked[check.name]]
        judged = time.perf_counter()
        try:
            answers = {key: run.answers[full] for key, full in zip(asked[check.name], keys)}
            with using_variant(result.variant):
                verdict = check.run(answers, asked[check.name], sub.cells, outcomes)
        except Exception as exc:  # noqa: BLE001 - our fault: the check scores nothing and the row is `error`
            faults.append(f"{check.name}: {type(exc).__name__}: {str(exc)[:200]}")
            verdict = Verdict(0.0, "this check could not be judged (the grader failed; a rerun judges it again)")
            answers = None
        figure = None
        if drawing and answers is not None:
            extra = for_figures.get(check.name, {})
            with using_variant(result.variant):
                figure = figures.figure_data(check, verdict, answers, asked[check.name],
                                             {k: run.answers.get(f"{check.name}/fig:{k}") for k in extra}, extra)
        result.checks.append(CheckResult(
            name=check.name,
            description=check.description,
            points=verdict.points,
            max_points=float(check.points),
            message=verdict.message,
            hint=verdict.hint,
            # Time asking the sandbox (its student code included) and judging here.
            probe_seconds=round(sum(run.probe_durations.get(k, 0.0) for k in keys), 4),
            judge_seconds=round(time.perf_counter() - judged, 4),
            # Written only when there are any (a field not given is not in the document).
            **({"details": verdict.details} if verdict.details else {}),
            **({"figure": figure} if figure else {}),
        ))
    result.score = round(sum(c.points for c in result.checks), 4)
    result.status = RUN_TO_STATUS[run.status]
    result.message = run.message
    if faults:
        result.status = Status.ERROR
        result.message = "the grader failed while judging " + "; ".join(faults) + \
            " (not the student's fault, a rerun grades it again)" + (f"; the run: {run.message}" if run.message else "")
    result.seed = seed
    result.run = run_info(run)
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def run_info(run) -> RunInfo:
    """What the result keeps of the sandbox's run (a RunResult, or a cluster's PlacedRunResult:
    its placement is plain data from the worker, checked here, where it becomes typed)."""
    trainer = getattr(run, "trainer", None)
    return RunInfo(
        # A sandbox without a control group says so: its limits held per process only.
        isolation=run.isolation + (", no control group" if run.boundary == "no control group" else ""),
        boundary=run.boundary,
        resources=run.resources,  # from its control group: memory_mb peak, CPU seconds, tasks
        seconds=round(run.seconds, 3),
        code_seconds=round(run.code_seconds, 3),
        cells=[CellInfo(index=c.index, status=c.status, seconds=round(c.seconds, 3), error=c.error) for c in run.cells],
        output=run.output[-20_000:],
        warm=getattr(run, "warm", False),  # forked from a warm worker, or a fresh one
        **getattr(run, "placement", {}),  # a run on a Dask worker: which worker, which device
        **({"trainer": trainer} if trainer else {}),
    )


def failure_result(sub: Submission, exc: BaseException) -> Result:
    """A grader-side failure still leaves a row: status `error`, with the reason."""
    result = _base_result(sub, 0.0)
    result.status = Status.ERROR
    result.message = _grader_fault("grading this submission", exc)
    return result
