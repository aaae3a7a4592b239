"""Test helper: a result document with figure data, judged in this process (no sandbox).

The checks' probes and their figures' extra calls are answered by the sandbox's own responder
and wire format (trusted code only), then judged and collected as autograder/pipeline.py does.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from autograder import figures
from autograder.exercises import load_checks
from autograder.judge import using_variant
from autograder.probe import encode_requests, read_answers
from autograder.sandbox.responder import answer


def result_in_process(exercise_id: str, namespace: dict, seed: int = 0, params: dict | None = None,
                      checks=None, student: str = "ada", folder: Path | None = None) -> dict:
    """The result document of `namespace` (trusted code) judged by the exercise's checks; `folder`:
    the working folder the probes are answered in (a training task reads its data/ there)."""
    checks = load_checks(exercise_id) if checks is None else checks
    rng = np.random.default_rng(seed)
    with using_variant(params):
        asked = {c.name: c.probes(rng) for c in checks}
        extra = {c.name: figures.extra_probes(c, asked[c.name]) for c in checks}
    flat = {f"{n}/{k}": p for n, probes in asked.items() for k, p in probes.items()}
    flat |= {f"{n}/fig:{k}": p for n, probes in extra.items() for k, p in probes.items()}
    document = json.loads(json.dumps(encode_requests(flat)))
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as replies:
        os.chdir(folder or cwd)
        try:
            answer(namespace, document, replies)
        finally:
            os.chdir(cwd)
        answers = read_answers(replies, flat)
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
