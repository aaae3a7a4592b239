"""A batch: intake, then every submission through the pipeline on this machine's workers (or a
cluster's), each result recorded in the gradebook as soon as it is complete, then exported.

    intake -> [run -> probe -> judge] (autograder/pipeline.py, in parallel) -> record -> export

This is the grading entry point that the CLI, `verify`, the demo and the cluster share. It is
the one place that joins the pipeline to export/: the pipeline itself never writes files.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from autograder import handout as handouts
from autograder.course import Course
from autograder.exercises import load_checks
from autograder.export import write_grades_csv, write_result_json
from autograder.export.feedback import write_feedback
from autograder.intake import Roster, Submission, intake
from autograder.pipeline import BatchStopped, failure_result, grade_submission
from autograder.record import Gradebook
from autograder.run import Runner, run_notebook
from autograder.run.preload import exercise_preload
from autograder.run.training import runs_per_submission
from autograder.run.warm import WarmPool


def _keep(result: dict, book: Gradebook, out: Path, course: Course, sub: Submission) -> None:
    """Record: the gradebook row first (what a resumed batch trusts), then the files."""
    book.record(result)
    write_result_json(result, out / "results")
    exercise = course.exercise(sub.exercise) if sub.exercise else None
    write_feedback(result, out / "feedback", exercise.title if exercise else None, course)


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
    runner: Runner | None = None,
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
        # disable=None: tqdm stays silent when its stream is no terminal (a log, a pipe, CI)
        bar = tqdm(total=len(todo), desc="grading", unit="sub", disable=True if not progress or not todo else None)
        runnable = [s for s in todo if not s.status]
        kinds = {e: exercise_preload(course.exercise(e)) for e in {s.exercise for s in runnable}}
        # A training task's submission runs twice: its notebook, then the trainer (run/training.py).
        runs = [kinds[s.exercise] for s in runnable for _ in range(runs_per_submission(course.exercise(s.exercise)))]
        warm_pool = WarmPool.for_batch(runs, workers, warm) \
            if runnable and runner is None else None
        if warm_pool is not None:
            todo.sort(key=lambda s: warm_pool.rank(kinds.get(s.exercise)))  # each kind's runs together
            warm_pool.warm_up()

        def runner_of(sub) -> Runner:
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
                    result = failure_result(sub, exc)
                if not result["sha256"]:
                    result["sha256"] = sub.path  # unreadable file: keyed by its path
                try:
                    _keep(result, book, out, course, sub)
                except Exception as exc:  # noqa: BLE001 - a result we cannot store still gets its row
                    result = failure_result(sub, exc)
                    result["sha256"] = result["sha256"] or sub.path
                    _keep(result, book, out, course, sub)
                results.append(result)
                bar.set_postfix_str(f"{sub.student}: {result['status']}")
                bar.update()
        bar.close()
        write_grades_csv(book.results(), out / "grades.csv")
    return results
