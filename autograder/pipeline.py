"""The grading pipeline: intake -> run in the sandbox -> probe -> judge -> record -> export.

`grade_submission` turns one submission into a result document (plain JSON); `grade_batch`
does it for many, in parallel, records every result in the gradebook as soon as it is
complete, and writes grades.csv and the per-submission JSON files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from autograder import handout as handouts
from autograder.course import Course
from autograder.exercises import data_files, load_checks
from autograder.export import write_grades_csv, write_result_json
from autograder.export.feedback import write_feedback
from autograder.intake import Roster, Submission, intake
from autograder.judge import Verdict, using_variant
from autograder.run.device import device_class
from autograder.record import Gradebook
from autograder.run import Limits as RunLimits
from autograder.run import run_notebook
from autograder.run.preload import exercise_preload
from autograder.run.warm import WarmPool



class BatchStopped(RuntimeError):
    """Raised by a runner that can run nothing more (its Dask scheduler is gone): the batch
    stops, the rows recorded so far stay, and the same command grades the rest."""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _base_result(sub: Submission, max_score: float) -> dict:
    return {
        "submission": sub.path,
        "student": sub.student,
        "exercise": sub.exercise,
        "sha256": sub.sha256,
        "status": sub.status or "graded",
        "score": 0.0,
        "max_score": max_score,
        "message": sub.message,
        "checks": [],
        "graded_at": _now(),
        "seconds": 0.0,
    }


def run_limits(course: Course, exercise_id: str) -> RunLimits:
    exercise = course.exercise(exercise_id)
    limits = exercise.limits
    return RunLimits(
        cell_timeout=limits.cell_timeout,
        total_timeout=limits.total_timeout,
        memory_mb=limits.memory_mb,
        output_bytes=limits.output_kb * 1024,
        # A training task trains on the GPU when this machine has one (its devices are then
        # bound into the sandbox); everything else stays on the CPU.
        gpu="training" in exercise.settings and device_class() == "gpu",
    )


def variant_of(sub: Submission, course: Course, handout: handouts.Handout) -> tuple[dict | None, str]:
    """The student's own numbers for a varying exercise, or the reason the submission is tampered.

    Whether a variant block is required is the course's fact (its handed-out record), not a
    flag of this grading: a course that handed out personal notebooks requires them always."""
    if not course.exercise(sub.exercise).varies:
        return None, ""
    return handouts.check_variant(sub.metadata, sub.exercise, sub.student, handout)


def _grader_fault(where: str, exc: BaseException) -> str:
    return f"the grader failed while {where} ({type(exc).__name__}: {str(exc)[:300]}); not the student's fault, a rerun grades it again"


def grade_submission(sub: Submission, course: Course, seed: int | None = None,
                     handout: handouts.Handout | None = None, runner=run_notebook) -> dict:
    """The result document of one submission. Never raises for anything the submission does;
    a failure of the grader's own gives status `error` with the reason.

    `handout` is the course's record of personal notebooks (read from the course when None):
    it verifies variant blocks and says where one is required. `runner` runs the notebook:
    `run_notebook` (a fresh worker) or a warm pool's `run`.
    """
    started = time.perf_counter()
    exercise = course.exercise(sub.exercise) if sub.exercise else None
    result = _base_result(sub, 0.0)
    try:
        checks = load_checks(exercise) if exercise and not sub.status else ()
    except Exception as exc:  # noqa: BLE001 - a broken checks.py is the course's fault, not the student's
        result.update(status="error", message=_grader_fault("loading the exercise's checks", exc))
        return result
    result["max_score"] = float(sum(c.points for c in checks))
    decided = sub.status
    if not decided:
        try:
            handout = handouts.load(course) if handout is None else handout
            params, reason = variant_of(sub, course, handout)
        except Exception as exc:  # noqa: BLE001 - an unreadable record must not pass or fail anyone
            params, reason, decided = None, "", "error"
            result.update(status="error", message=_grader_fault("checking the personal variant", exc))
        if reason:
            decided = "tampered"
            result.update(status=decided, message=reason)
        result["variant"] = params
    if decided:  # decided before running: invalid, unknown exercise, tampered, error
        result["seconds"] = time.perf_counter() - started
        return result

    # Probe: every check says what it needs; inputs are drawn fresh for this grading.
    seed = secrets.randbits(63) if seed is None else seed
    rng = np.random.default_rng(seed)
    with using_variant(result["variant"]):  # a probe may ask about the student's own numbers
        asked = {check.name: check.probes(rng) for check in checks}
    flat = {f"{name}/{key}": probe for name, probes in asked.items() for key, probe in probes.items()}

    run = runner(sub.cells, flat, run_limits(course, sub.exercise), files=data_files(exercise.folder))

    # Judge, in this process, against solutions/ (with the student's own numbers, if any).
    faults = []
    for check in checks:
        keys = [f"{check.name}/{key}" for key in asked[check.name]]
        judged = time.perf_counter()
        try:
            answers = {key: run.answers[full] for key, full in zip(asked[check.name], keys)}
            with using_variant(result["variant"]):
                verdict = check.run(answers, asked[check.name])
        except Exception as exc:  # noqa: BLE001 - our fault: the check scores nothing and the row is `error`
            faults.append(f"{check.name}: {type(exc).__name__}: {str(exc)[:200]}")
            verdict = Verdict(0.0, "this check could not be judged (the grader failed; a rerun judges it again)")
        result["checks"].append({
            "name": check.name,
            "description": check.description,
            "points": verdict.points,
            "max_points": float(check.points),
            "message": verdict.message,
            "hint": verdict.hint,
            # Time asking the sandbox (its student code included) and judging here.
            "probe_seconds": round(sum(run.probe_durations.get(k, 0.0) for k in keys), 4),
            "judge_seconds": round(time.perf_counter() - judged, 4),
            **({"details": verdict.details} if verdict.details else {}),
        })
    result["score"] = round(sum(c["points"] for c in result["checks"]), 4)
    result["status"] = {"finished": "graded"}.get(run.status, run.status)
    result["message"] = run.message
    if faults:
        result["status"] = "error"
        result["message"] = "the grader failed while judging " + "; ".join(faults) + \
            " (not the student's fault, a rerun grades it again)" + (f"; the run: {run.message}" if run.message else "")
    result["seed"] = seed
    result["run"] = {
        "isolation": run.isolation,
        "seconds": round(run.seconds, 3),
        "code_seconds": round(run.code_seconds, 3),
        "cells": [
            {"index": c.index, "status": c.status, "seconds": round(c.seconds, 3), "error": c.error}
            for c in run.cells
        ],
        "output": run.output[-20_000:],
        "warm": getattr(run, "warm", False),  # forked from a warm worker, or a fresh one
        **getattr(run, "placement", {}),  # a run on a Dask worker: which worker, which device
    }
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def _failure_result(sub: Submission, exc: BaseException) -> dict:
    """A grader-side failure still leaves a row: status `error`, with the reason."""
    result = _base_result(sub, 0.0)
    result["status"] = "error"
    result["message"] = _grader_fault("grading this submission", exc)
    return result


def _keep(result: dict, book: Gradebook, out: Path, course: Course, sub: Submission) -> None:
    """Record: the gradebook row first (what a resumed batch trusts), then the files."""
    book.record(result)
    write_result_json(result, out / "results")
    exercise = course.exercise(sub.exercise) if sub.exercise else None
    write_feedback(result, out / "feedback", exercise.title if exercise else None)


def grade_batch(
    paths: list[str],
    course: Course,
    out: Path,
    workers: int = 1,
    roster: Roster | None = None,
    regrade: bool = False,
    progress: bool = True,
    warm: bool | None = None,
    handout: handouts.Handout | None = None,
    runner=None,
) -> list[dict]:
    """Grade every submission under `paths` into `out`; returns the results of this batch.

    `warm`: run notebooks forked from warm workers (at most one per worker thread) that have
    their exercise's libraries imported already (autograder/run/preload.py); False: fresh
    workers; None: AUTOGRADER_WARM, by default chosen per kind of worker from the start-up
    costs measured on this machine (autograder/run/startup.py). `handout`: the course's record of personal
    notebooks (default: read from the course); `verify` passes an empty one. `runner`: runs
    the notebooks instead of this machine's workers (autograder.cluster's ClusterRunner).
    """
    from tqdm import tqdm

    out.mkdir(parents=True, exist_ok=True)
    if handout is None:  # a broken record stops the batch: nobody may be graded by a guess
        handout = handouts.load(course)
    submissions = intake(paths, course.ids, roster)
    for exercise in {s.exercise for s in submissions if not s.status}:
        ex = course.exercise(exercise)
        with contextlib.suppress(Exception):  # a broken checks.py gives its submissions `error` rows
            load_checks(ex)  # import once, before threads start
    results: list[dict] = []
    with Gradebook(out / "gradebook.sqlite") as book:
        todo = []
        for sub in submissions:
            done = None if regrade else book.result(sub.sha256 or sub.path, sub.student)
            if done is not None and done.get("status") != "error":  # the grader's faults are retried
                results.append(done)
            else:
                todo.append(sub)
        bar = tqdm(total=len(todo), desc="grading", unit="sub", disable=not progress or not todo)
        runnable = [s for s in todo if not s.status]
        kinds = {e: exercise_preload(course.exercise(e)) for e in {s.exercise for s in runnable}}
        warm_pool = WarmPool.for_batch([kinds[s.exercise] for s in runnable], workers, warm) \
            if runnable and runner is None else None
        if warm_pool is not None:
            todo.sort(key=lambda s: warm_pool.rank(kinds.get(s.exercise)))  # each kind's runs together
            warm_pool.warm_up()

        def runner_of(sub):
            return runner or (warm_pool.runner(kinds.get(sub.exercise)) if warm_pool is not None else run_notebook)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool, (warm_pool or contextlib.nullcontext()):
            futures = {
                pool.submit(grade_submission, sub, course, None, handout, runner_of(sub)): sub
                for sub in todo
            }
            for future in as_completed(futures):
                sub = futures[future]
                try:
                    result = future.result()
                except BatchStopped:
                    for pending in futures:
                        pending.cancel()
                    raise
                except Exception as exc:  # noqa: BLE001 - a bug of ours must not lose the row
                    result = _failure_result(sub, exc)
                if not result["sha256"]:
                    result["sha256"] = sub.path  # unreadable file: keyed by its path
                try:
                    _keep(result, book, out, course, sub)
                except Exception as exc:  # noqa: BLE001 - a result we cannot store still gets its row
                    result = _failure_result(sub, exc)
                    result["sha256"] = result["sha256"] or sub.path
                    _keep(result, book, out, course, sub)
                results.append(result)
                bar.set_postfix_str(f"{sub.student}: {result['status']}")
                bar.update()
        bar.close()
        write_grades_csv(book.results(), out / "grades.csv")
    return results
