"""Where an exercise lives and how its hidden checks are loaded, with the course they belong to.

Exercises are folders, not packages: `exercises/<id>/checks.py` is loaded by path, so a
teacher can add one without touching the Python package. A checks.py says only what is the
exercise's own:

    sol = load_solution(__file__)        # solutions/<id>.py, with sol.for_student(key)
    CHECKS = [...]                       # its checks
    QUESTIONS = {...}                    # which checks grade which Otter question

and the framework adds what every exercise would otherwise repeat, here, when it loads:
the checks of a timed training task (one per task of the exercise's `training:` settings in
course.yaml, judged on the held-out set of its solution's `heldout_data`), the course's
`carry_forward` setting, and the validation of every check (a check's options are checked
where checks.py writes them, judge/options.py). A checks.py that needs the course's settings
for checks of its own defines `make_checks(exercise)` instead of CHECKS.

The grader always passes the `Exercise` of the course being graded (autograder/course: its
id, folder and typed settings), so a course anywhere on disk grades with its own settings; a
bare exercise id (tests, the REPL) stands for the bundled course's exercise, the one place the
bundled course.yaml is read here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from autograder.judge import Check, with_carry_forward
from autograder.judge.solution import Solution

if TYPE_CHECKING:
    from autograder.course import Exercise

from autograder.paths import EXERCISES_DIR, REPO_ROOT  # REPO_ROOT re-exported

_checks_cache: dict[tuple, tuple[Check, ...]] = {}
_checks_lock = threading.RLock()


def exercise_dir(exercise_id: str, root: Path = EXERCISES_DIR) -> Path:
    return root / exercise_id


def master_notebook(exercise_id: str, root: Path = EXERCISES_DIR) -> Path:
    return exercise_dir(exercise_id, root) / f"{exercise_id}.ipynb"


@lru_cache(maxsize=1)
def _bundled_course():
    from autograder.course import DEFAULT_COURSE, load_course

    return load_course(DEFAULT_COURSE)


def _exercise_of(exercise_id: str, root: Path) -> "Exercise":
    """The Exercise a bare id stands for: the bundled course's for the bundled exercises/
    folder; elsewhere an exercise without course settings (checks that need them say so)."""
    from autograder.course import Exercise

    if Path(root).resolve() == EXERCISES_DIR.resolve():
        found = _bundled_course().exercise(exercise_id)
        if found is not None:
            return found
    return Exercise(id=exercise_id, folder=Path(root) / exercise_id)


@lru_cache(maxsize=None)
def _module_from_file(path: Path, kind: str):
    """A course's Python file (its checks.py, its solution) imported by path, once per process:
    a course anywhere on disk needs no package of its own and no change to sys.path."""
    name = f"autograder_{kind}_{path.stem}_{path.parent.name}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # a path Python cannot load as a module
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    spec.loader.exec_module(module)
    return module


def load_checks(exercise: "Exercise | str", root: Path = EXERCISES_DIR) -> tuple[Check, ...]:
    """The checks of `exercise`: the `Exercise` of the course being graded, whose folder holds
    checks.py and whose settings configure them. A bare id means the bundled course's exercise
    (under `root`, when given, an exercise without course settings)."""
    if isinstance(exercise, str):
        exercise = _exercise_of(exercise, root)
    folder = Path(exercise.folder)
    # Keyed by everything the course says of the exercise: a course with other tiers or
    # carry_forward gets checks of its own.
    key = (exercise.id, str(folder.resolve()), exercise.model_dump_json())
    with _checks_lock:
        if key not in _checks_cache:
            _checks_cache[key] = _make_checks(exercise, folder / "checks.py")
        return _checks_cache[key]


def checks_module(exercise: "Exercise | str", root: Path = EXERCISES_DIR):
    """The exercise's checks.py as a module (the one load_checks reads): its QUESTIONS, and a
    varying exercise's notebook_variant (build/hidden_tests.py, otter_kernel/judge.py)."""
    if isinstance(exercise, str):
        exercise = _exercise_of(exercise, root)
    return _module_from_file((Path(exercise.folder) / "checks.py").resolve(), "checks")


def questions(exercise: "Exercise | str", root: Path = EXERCISES_DIR) -> dict[str, list[str]]:
    """{Otter question: [check names]} of the exercise (build/hidden_tests.py checks it against
    the master)."""
    return question_map(checks_module(exercise, root), load_checks(exercise, root))


def question_map(module, checks) -> dict[str, list[str]]:
    """checks.py's QUESTIONS, or without it each check grading the question of its own name."""
    mapping = getattr(module, "QUESTIONS", None)
    return {c.name: [c.name] for c in checks} if mapping is None else mapping


def _make_checks(exercise: "Exercise", path: Path) -> tuple[Check, ...]:
    if not path.is_file():
        raise FileNotFoundError(f"exercise {exercise.id!r} has no checks.py at {path}")
    module = _module_from_file(path.resolve(), "checks")
    make = getattr(module, "make_checks", None)
    checks = tuple(make(exercise) if callable(make) else getattr(module, "CHECKS", ()))
    if getattr(exercise, "training", None) is not None:
        checks += tuple(_training_checks(exercise))
    if not checks:
        raise ValueError(f"{path}: exercise {exercise.id!r} has no checks: its checks.py defines no CHECKS "
                         "(nor make_checks) and the course gives it no training tasks")
    names = [c.name for c in checks]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: check names must be unique, got {names}")
    # carry_forward is the course's setting, applied here to every exercise's checks, so that no
    # checks.py can forget it; a name that is no check building on an earlier answer is an error.
    try:
        checks = tuple(with_carry_forward(checks, exercise))
    except ValueError as exc:
        from autograder.course import CourseError

        raise CourseError(f"course: exercise {exercise.id!r}: {exc}") from None
    for check in checks:
        _validate(check, path)
        check.exercise_checks = checks  # the other questions' answers, for derived hints
    return checks


def _training_checks(exercise: "Exercise") -> Sequence[Check]:
    """One TrainCheck per task of the exercise's `training:` settings, judged on the held-out
    set that its solution's `heldout_data(exercise_id, seeds, data)` makes."""
    from autograder.judge.training import training_checks

    heldout = getattr(solution_for(exercise.folder), "heldout_data", None)
    if not callable(heldout):
        raise ValueError(f"exercise {exercise.id!r} is a training task, but its solution defines no "
                         "heldout_data(exercise_id, seeds, data): the held-out set its models are judged on")
    return training_checks(exercise, heldout)


def _validate(check, path: Path) -> None:
    """A check's options, checked when its checks.py loads: a typo (form="arrray") is a clear
    error at build and verify, never a crash when the first submission is judged."""
    from autograder.judge.checks import FORMS

    where = f"{path}: check {getattr(check, 'name', '?')!r}"
    if not isinstance(check, Check):
        raise ValueError(f"{where} is a {type(check).__name__}, not an autograder.judge.Check")
    if not isinstance(check.name, str) or not check.name:
        raise ValueError(f"{where} needs a name")
    points = check.points
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
        raise ValueError(f"{where}: points should be a positive number, got {points!r}")
    form = getattr(check, "form", None)
    forms = [form] if isinstance(form, str) else []
    forms += [f for f in (getattr(check, "forms", None) or {}).values() if isinstance(f, str)]
    unknown = sorted({f for f in forms if f not in FORMS})
    if unknown:
        raise ValueError(f"{where}: unknown form {unknown[0]!r}; the forms are {', '.join(sorted(FORMS))}")
    for name in ("rtol", "atol"):
        value = getattr(check, name, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{where}: {name} should be a number of at least 0, got {value!r}")


@lru_cache(maxsize=None)
def data_files(folder: Path) -> dict[str, bytes]:
    """{"data/...": bytes} of an exercise's data/ folder, read once: the files its notebook
    reads, placed in every sandbox's working folder as they are shipped to students."""
    data = Path(folder) / "data"
    if not data.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(data.rglob("*")) if p.is_file()}


def max_score(exercise: "Exercise | str") -> float:
    return float(sum(c.points for c in load_checks(exercise)))


def solution_for(folder: str | Path):
    """The reference solution of the exercise in `folder` (exercises/<id>/), loaded by path:
    `<course>/solutions/<id>.py` beside the course's exercises/ folder, else the bundled
    `solutions/<id>.py` (a course that reuses this repository's exercises, as their checks'
    `from solutions import <id>` does)."""
    folder = Path(folder).resolve()
    own = folder.parent.parent / "solutions" / f"{folder.name}.py"
    bundled = REPO_ROOT / "solutions" / f"{folder.name}.py"
    for path in (own, bundled):
        if path.is_file():
            return _module_from_file(path, "solution")
    raise FileNotFoundError(f"exercise {folder.name!r} has no reference solution at {own}")


def load_solution(checks_file: str | Path) -> Solution:
    """The reference solution of the exercise whose checks.py is `checks_file`, so a course
    anywhere on disk needs no package of its own and no change to sys.path:

        sol = load_solution(__file__)      # in exercises/<id>/checks.py

    Its names read as `sol.NAME`; `sol.for_student(key)` is a value for the student's own
    numbers (autograder/judge/solution.py)."""
    return Solution(solution_for(Path(checks_file).resolve().parent))
