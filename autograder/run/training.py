"""The trainer's sandbox: the models a notebook declared, trained where no student code ever ran.

    train_declared(checks, asked, run, runner, limits, files)    # between the run and judging

A timed training task has two runs. The notebook's run (any `Runner`) answers the `Train`
probes with data only: each model's configuration and its training settings
(autograder/sandbox/trainer.py: declare). Each check that trains (`fit_request`, see
autograder/judge/training.py) checks that data on the grader's side and turns it into a `Fit`
request; this module then runs those requests in a run of their own, on the same runner:

* no cells: the trainer's process never runs a line of the notebook. On a warm pool it is a
  fresh child of a zygote of the exercise's preload set (torch and Keras already imported, so it
  starts as fast as the notebook's own run), with the same isolation and limits; with a GPU it
  is a fresh worker with the GPU bound in; on a Dask cluster it is a task of its own, sent to a
  GPU worker when `limits.gpu` says so;
* only data crosses (`trainer_job`): the `Fit` requests are plain JSON (a configuration
  string, numbers, file names), the training files are the exercise's own, and nothing of the
  notebook's process (its weights, callbacks, optimizer objects, files, environment) is sent;
* the epochs and seconds come from the trainer's process and the supervisor's clock for its
  probe (`supervisor_seconds`), never from the notebook.

The trained answers replace the `Train` answers in the notebook's RunResult, so judging reads
them as before; what the trainer's run was (isolation, warm, seconds, where) is kept in
`run.trainer`. A check whose declaration was refused gets its reason as an error answer.
"""

from __future__ import annotations

import dataclasses
import json
import math

from autograder.probe import Answer, Fit, encode_requests
from autograder.run.limits import Limits
from autograder.run.results import RunResult
from autograder.run.states import RunStatus

START_ALLOWANCE = 60.0  # seconds of the trainer's run beyond its budgets: start-up, loading, sending weights


class NotData(ValueError):
    """A trainer job that would carry something other than plain data (a grader bug)."""


def runs_per_submission(exercise) -> int:
    """Runs of an exercise's submission on a runner: the notebook's, and the trainer's if it trains
    (a warm pool plans its zygotes by this)."""
    return 2 if getattr(exercise, "trains", False) else 1


def trainer_job(fits: dict[str, Fit], limits: Limits) -> tuple[list, dict, Limits]:
    """(cells, probes, limits) of the trainer's run: no cells, `Fit` requests only, and limits
    that leave each budget its time. Raises NotData for anything else."""
    for key, fit in fits.items():
        if type(fit) is not Fit:
            raise NotData(f"{key}: a trainer job carries Fit requests only, not {type(fit).__name__}")
    document = encode_requests(fits)
    try:
        plain = json.loads(json.dumps(document, allow_nan=False)) == document
    except (TypeError, ValueError):  # NaN, infinity, an object json cannot write
        plain = False
    if not plain:
        raise NotData("a trainer job's requests must be plain JSON")
    budgets = sum(float(f.budget_s) for f in fits.values())
    if not math.isfinite(budgets):
        raise NotData("a trainer job's budgets must be numbers of seconds")
    needed = START_ALLOWANCE + len(fits) * limits.probe_seconds() + 1.25 * budgets
    return [], dict(fits), dataclasses.replace(limits, total_timeout=max(limits.total_timeout, needed))


def train_declared(checks, asked: dict, run: RunResult, runner, limits: Limits, files: dict[str, bytes]) -> None:
    """Replace the answer of every `Train` probe in `run.answers` by the model the trainer's
    sandbox trained from it (or by the reason it was refused). `asked`: {check name: {key: probe}}
    as the pipeline made them; `files`: the exercise's data files."""
    fits: dict[str, Fit] = {}
    for check in checks:
        fit_request = getattr(check, "fit_request", None)
        if fit_request is None:
            continue
        for key in asked.get(check.name, {}):
            full = f"{check.name}/{key}"
            try:
                fits[full] = fit_request(run.answers[full], files)
            except Exception as exc:  # noqa: BLE001 - ModelRefused, TrainingError: the student's answer
                run.answers[full] = Answer(full, error=str(exc)[:2000])
    if not fits:
        return
    cells, probes, trainer_limits = trainer_job(fits, limits)
    trained = runner(cells, probes, trainer_limits, files=files)
    for key in fits:
        answer = trained.answers.get(key) or Answer(key, error="the trainer's sandbox sent no reply")
        if answer.error is None and isinstance(answer.value, dict):
            answer.value["supervisor_seconds"] = float(trained.probe_durations.get(key, trained.seconds))
        elif answer.error is None:
            answer = Answer(key, error="the trainer's sandbox sent no trained model")
        elif trained.status != RunStatus.FINISHED and trained.message:
            answer = Answer(key, error=f"the trainer's sandbox stopped: {trained.message}")
        run.answers[key] = answer
    run.trainer = {
        "isolation": trained.isolation, "status": trained.status, "seconds": round(trained.seconds, 3),
        "probe_seconds": round(trained.probe_seconds, 3), "warm": bool(getattr(trained, "warm", False)),
        **getattr(trained, "placement", {}),
    }
