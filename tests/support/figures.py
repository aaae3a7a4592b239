"""Test helper: a result document with figure data, judged in this process (no sandbox).

The checks' probes and their figures' extra calls are answered by the sandbox's own responder
and wire format (trusted code only, autograder.probe.answer_in_process); a training task's
declared model is then trained by the trainer's half in this process, as tests/exercises/test_training.py
does; everything is judged and collected as autograder/pipeline.py does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from autograder import figures
from autograder.exercises import data_files, load_checks
from autograder.judge import using_variant
from autograder.probe import answer_in_process


def result_in_process(exercise_id: str, namespace: dict, seed: int = 0, params: dict | None = None,
                      checks=None, student: str = "ada", folder: Path | None = None) -> dict:
    """The result document of `namespace` (trusted code) judged by the exercise's checks; `folder`:
    the exercise's folder, for a training task (its data/ and its trainer's run)."""
    checks = load_checks(exercise_id) if checks is None else checks
    rng = np.random.default_rng(seed)
    with using_variant(params):
        asked = {c.name: c.probes(rng) for c in checks}
        extra = {c.name: figures.extra_probes(c, asked[c.name]) for c in checks}
    flat = {f"{n}/{k}": p for n, probes in asked.items() for k, p in probes.items()}
    flat |= {f"{n}/fig:{k}": p for n, probes in extra.items() for k, p in probes.items()}
    answers = answer_in_process(namespace, flat, folder or Path.cwd())
    if folder is not None and any(getattr(c, "fit_request", None) for c in checks):
        from autograder.run import Limits, RunResult
        from autograder.run.training import train_declared
        from support.training import InProcessRunner

        run = RunResult("finished", "", [], answers, "", 0.0, 0.0, "in-process")
        train_declared(checks, asked, run, InProcessRunner(exercise_id), Limits(), data_files(folder))
        answers = run.answers
    rows = []
    for check in checks:
        mine = {k: answers[f"{check.name}/{k}"] for k in asked[check.name]}
        with using_variant(params):
            verdict = check.run(mine, asked[check.name])
            figure = figures.figure_data(check, verdict, mine, asked[check.name],
                                         {k: answers[f"{check.name}/fig:{k}"] for k in extra[check.name]},
                                         extra[check.name])
        rows.append({"name": check.name, "description": check.description, "points": verdict.points,
                     "max_points": float(check.points), "message": verdict.message, "hint": verdict.hint,
                     **({"details": verdict.details} if verdict.details else {}),
                     **({"figure": figure} if figure else {})})
    return {"submission": f"{student}.ipynb", "student": student, "exercise": exercise_id, "sha256": "0" * 64,
            "status": "graded", "score": round(sum(r["points"] for r in rows), 4),
            "max_score": float(sum(c.points for c in checks)), "message": "", "checks": rows}
