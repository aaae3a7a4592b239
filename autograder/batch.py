"""A batch: intake, then every submission through the pipeline on this machine's workers (or a
cluster's), each result recorded in the gradebook as soon as it is complete, then exported.

    intake -> [run -> probe -> judge] (autograder/pipeline.py, in parallel) -> record -> export

This is the grading entry point that the CLI, `verify`, the demo and the cluster share. It is
the one place that joins the pipeline to export/: the pipeline itself never writes files.

The gradebook is the source of truth: each result is stored as a row first, then its files
are written; at the end every file a row lacks is written again (export/derived.py), so a
batch killed at any point loses nothing. A folder that cannot be written (a full disk, a
read-only mount) stops the batch with one line (OutputError); the rows stored stay, and the
same command completes the batch later. A path that does not exist stops it before anything
is graded (MissingInput).
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from autograder import figures
from autograder import handout as handouts
from autograder.course import Course
from autograder.exercises import load_checks
from autograder.export import write_result_json
from autograder.export.derived import (STORAGE_ERRORS, OutputError, bring_up_to_date, check_writable, output_error,
                                       title_of)
from autograder.export.pages import Drawer, FeedbackInBackground
from autograder.export.safe_text import terminal_text
from autograder.intake import Roster, Submission, intake
from autograder.intake.files import check_inputs
from autograder.intake.handed_in import HandInTimes
from autograder.pipeline import BatchStopped, failure_result, grade_submission
from autograder.record import Gradebook, Result, Status, row_key
from autograder.run import Runner, run_notebook
from autograder.run.preload import exercise_preload
from autograder.run.training import runs_per_submission
from autograder.run.warm import WarmPool


def _keep(result: Result, book: Gradebook, out: Path, course: Course, sub: Submission,
          pages: FeedbackInBackground) -> Result:
    """Record: the gradebook row first (what a resumed batch trusts), then the files: the result
    JSON here, the feedback (whose page draws figures) handed to `pages`. A result that cannot
    be stored (not JSON) still gets its row, as `error`; a folder that cannot be written raises
    one of STORAGE_ERRORS."""
    try:
        book.record(result)
    except STORAGE_ERRORS:
        raise
    except Exception as exc:  # noqa: BLE001 - a result we cannot store still gets its row
        result = failure_result(sub, exc)
        book.record(result)
    write_result_json(result, out / "results")
    pages.write(result, title_of(result, course))
    return result


def _stored_rows(out: Path) -> list[Result]:
    try:
        with Gradebook(out / "gradebook.sqlite") as book:
            return book.results()
    except STORAGE_ERRORS:
        return []


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
    handed_in: HandInTimes | None = None,
) -> list[Result]:
    """Grade every submission under `paths` into `out`; returns the results of this batch.

    `warm`: run notebooks forked from warm workers (at most one per worker thread) that have
    their exercise's libraries imported already (autograder/run/preload.py); False: fresh
    workers; None: AUTOGRADER_WARM, by default chosen per preload set from the start-up
    costs measured on this machine (autograder/run/startup.py). `handout`: the course's record of personal
    notebooks (default: read from the course); `verify` passes an empty one. `runner`: runs
    the notebooks instead of this machine's workers (autograder.cluster's ClusterRunner).
    `handed_in`: hand-in times from a roster or LMS download, over those the files say.
    """
    from tqdm import tqdm

    if handout is None:  # a broken record stops the batch: nobody may be graded by a guess
        handout = handouts.load(course)
    check_inputs(paths)  # a typo is not a student: MissingInput, before anything is read
    submissions: list[Submission] | None = None

    def stopped(exc: BaseException) -> OutputError:
        rows = _stored_rows(out)
        stored = {(row_key(r), r.student) for r in rows}
        ungraded = None if submissions is None else \
            sum((s.sha256 or s.path, s.student) not in stored for s in submissions)
        return output_error(exc, out, rows, ungraded, course)

    try:
        check_writable(out)
        book = Gradebook(out / "gradebook.sqlite")
    except STORAGE_ERRORS as exc:
        raise stopped(exc) from None
    with book:
        submissions = intake(paths, course.ids, roster, handed_in)
        results = _grade_into(book, submissions, course, out, stopped,
                              workers, regrade, progress, warm, handout, runner, tqdm)
        try:
            bring_up_to_date(book.results(), out, course)
        except STORAGE_ERRORS as exc:
            raise stopped(exc) from None
    return results


def _grade_into(book, submissions, course, out, stopped, workers, regrade, progress, warm,
                handout, runner, tqdm) -> list[Result]:
    """Grade what the gradebook has no row for, storing each result as it completes; a result
    that cannot be stored stops the batch with `stopped(exc)`."""
    for exercise in {s.exercise for s in submissions if not s.status}:
        ex = course.exercise(exercise)
        with contextlib.suppress(Exception):  # a broken checks.py gives its submissions `error` rows
            load_checks(ex)  # import once, before threads start
    results: list[Result] = []
    todo = []
    for sub in submissions:
        done = None if regrade else book.result(sub.sha256 or sub.path, sub.student)
        if done is not None and done.status != Status.ERROR:  # the grader's faults are retried
            results.append(done)
        else:
            todo.append(sub)
    runnable = [s for s in todo if not s.status]
    preloads = {e: exercise_preload(course.exercise(e)) for e in {s.exercise for s in runnable}}
    # A training task's submission runs twice: its notebook, then the trainer (run/training.py).
    runs = [preloads[s.exercise] for s in runnable for _ in range(runs_per_submission(course.exercise(s.exercise)))]
    warm_pool = WarmPool.for_batch(runs, workers, warm) \
        if runnable and runner is None else None
    # The pages' figures are drawn by a process of their own, forked now, while this process runs
    # no other thread (export/pages.py).
    drawer = Drawer() if figures.enabled() and runnable else None
    if drawer is not None:
        drawer.start()
    if warm_pool is not None:
        todo.sort(key=lambda s: warm_pool.rank(preloads.get(s.exercise)))  # each preload set's runs together

    def runner_of(sub) -> Runner:
        return runner or (warm_pool.runner(preloads.get(sub.exercise)) if warm_pool is not None else run_notebook)

    # disable=None: tqdm stays silent when its stream is no terminal (a log, a pipe, CI)
    bar = tqdm(total=len(todo), desc="grading", unit="sub", disable=True if not progress or not todo else None)
    try:
        if warm_pool is not None:
            warm_pool.warm_up()
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool, (warm_pool or contextlib.nullcontext()), \
                FeedbackInBackground(out / "feedback", course, drawer) as pages:
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
                try:
                    result = _keep(result, book, out, course, sub, pages)
                except STORAGE_ERRORS as exc:
                    for pending in futures:
                        pending.cancel()
                    raise stopped(exc) from None
                results.append(result)
                # A name is the student's: escaped, so that it cannot move the cursor over the bar.
                bar.set_postfix_str(terminal_text(f"{sub.student}: {result.status}")[:60])
                bar.update()
    except STORAGE_ERRORS as exc:  # a feedback page that could not be written (written in the background)
        raise stopped(exc) from None
    finally:
        bar.close()
        if drawer is not None:
            drawer.close()  # closed with the pages already, unless the batch stopped before them
    return results
