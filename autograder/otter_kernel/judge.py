"""What the generated hidden Otter tests call: one check judges the notebook's namespace.

    judge_check(globals(), "sigmoid_probability", "z")

runs inside the notebook's kernel during Otter's grading (build/hidden_tests.py writes the call). The
check asks its probes of the namespace through the sandbox's own responder and wire format,
in this process, and judges the answers exactly as the grader does (judge.in_process's
judge_in_process), for the notebook's own numbers: a varying exercise's checks.py reads them
from the notebook's given variables with `notebook_variant(namespace)`. A check below its full
points fails the test with the check's message and hint.

The checks come from `autograder_course/` in the working folder (the zip's files/, which Otter
copies beside the submission); without it (a test running Otter's test files in-process on the
bundled course) from the bundled exercises. Otter's grading has no course.yaml, so checks are
built without course settings: no error-carried-forward credit there.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import numpy as np


SHIPPED = "autograder_course"  # the folder of checks and solutions in the zip's files/ (build/hidden_tests.py)


def _plain(value):
    """A variant read from the notebook, as the JSON types the solution's expected() takes."""
    def default(obj):
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        if isinstance(obj, np.generic):
            return obj.item()
        raise TypeError(f"a given number of type {type(obj).__name__}")

    return json.loads(json.dumps(value, default=default))


def exercises_root() -> Path:
    from autograder.exercises import EXERCISES_DIR

    shipped = Path.cwd() / SHIPPED / "exercises"
    return shipped if shipped.is_dir() else EXERCISES_DIR


class _NotGivenYet:
    """A given variable the notebook defines only further down (Otter runs each question's
    tests where its check cell is): anything read from it is not given yet either."""

    def __getitem__(self, key):
        return self

    def __getattr__(self, name):
        return self


NOT_GIVEN_YET = _NotGivenYet()


class _Given(dict):
    def __missing__(self, key):
        return NOT_GIVEN_YET


def notebook_params(module, namespace: dict, default: dict | None):
    """The notebook's own numbers (None for an exercise without variants). A number the notebook
    gives only further down is taken from `default` (the slides'): no check before it uses it."""
    read = getattr(module, "notebook_variant", None)
    if read is None:
        return None
    try:
        params = read(_Given(namespace))
        params = {k: (default or {}).get(k) if v is NOT_GIVEN_YET else v for k, v in params.items()}
        return _plain(params)
    except Exception as exc:  # noqa: BLE001 - a given cell deleted or changed in the notebook
        raise AssertionError(f"the notebook's given numbers cannot be read ({type(exc).__name__}: {exc}); "
                             "run the notebook's given cells as handed out") from None


def judge_check(namespace: dict, exercise_id: str, check_name: str) -> None:
    """Pass silently when the check gives full points; else fail with its message and hint."""
    from autograder.exercises import checks_module, load_checks, solution_for
    from autograder.judge.in_process import judge_in_process

    root = exercises_root()
    checks = [c for c in load_checks(exercise_id, root) if c.name == check_name]
    if not checks:
        raise AssertionError(f"{exercise_id} has no check {check_name!r}")
    try:
        default = getattr(solution_for(root / exercise_id), "DEFAULT_VARIANT", None)
    except FileNotFoundError:
        default = None
    params = notebook_params(checks_module(exercise_id, root), namespace, default)
    verdict = judge_in_process(checks, namespace, seed=secrets.randbits(32), params=params)[check_name]
    if verdict.points < checks[0].points - 1e-9:
        said = verdict.message or f"{check_name} is not right"
        raise AssertionError(said + (f". Hint: {verdict.hint}" if verdict.hint else ""))
