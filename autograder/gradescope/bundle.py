"""The Gradescope bundle: `dist/<id>/autograder/gradescope.zip`, per Gradescope's autograder
specification (setup.sh and run_autograder at the root of the zip).

What the zip holds (Gradescope unpacks it into /autograder/source):

    setup.sh            run once when Gradescope builds the image: apt bubblewrap, libseccomp2
                        (the sandbox's system call filter) and a Python >= 3.11, a venv in
                        /autograder/venv, the pinned CPU torch, then this project
                        (pip install -c constraints.txt -e /autograder/source)
    constraints.txt     every dependency pinned to the version of the environment that built
                        the course (gradescope/pins.py)
    run_autograder      run for every submission: python -m autograder.gradescope
    gradescope.json     {"exercise": <id>, ...}: what this bundle grades
    course.yaml         the course model reduced to this exercise (its limits and settings, `lms:`)
    handed_out.json     only for a varying exercise whose personal notebooks were handed out
                        (`build --roster`): the record of autograder/handout.py, reduced to this
                        exercise. It holds the public key that verifies the students' signed
                        variants; the course secret, which could sign one, never ships.
    pyproject.toml, README.md, autograder/
    solutions/          this exercise's reference solution (the course's own, else the bundled
                        one) and the solution modules its checks import (solutions.datasets
                        for a training task), nothing of other exercises
    exercises/<id>/     checks.py, data and any other file of the exercise; the master
                        notebook is replaced by the student version (no solutions in it)

Each name is in the zip once (the entries are collected by name first, the course's own
files over the bundled ones).

Choose Gradescope's Ubuntu 22.04 or 24.04 base image; setup.sh installs python3.11 where the
image's python3 is older.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import json
import platform
import zipfile
from pathlib import Path

import yaml

from autograder.course import Course, Exercise
from autograder.exercises import REPO_ROOT

BUNDLE_NAME = "gradescope.zip"
SKIP_PARTS = ("__pycache__", ".ipynb_checkpoints", ".pytest_cache")
SKIP_SUFFIXES = (".pyc", ".pyo", ".part")

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
SOURCE="${AUTOGRADER_SOURCE:-/autograder/source}"
VENV="${AUTOGRADER_VENV:-/autograder/venv}"
TORCH_INDEX_URL="${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}"

# bubblewrap isolates the student's notebook (no network, nothing of /autograder visible).
apt-get update -qq
# libseccomp2: the library of the sandbox's system call filter (pyseccomp binds it).
apt-get install -y -qq bubblewrap libseccomp2 python3 python3-venv python3-pip ca-certificates >/dev/null
PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  apt-get install -y -qq python3.11 python3.11-venv >/dev/null
  PYTHON=python3.11
fi
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# Every version as the course was built and verified with (constraints.txt, written by the build).
# The pinned CPU build of torch first, from PyTorch's index: PyPI's torch pulls the CUDA packages.
TORCH="$(grep -i '^torch==' "$SOURCE/constraints.txt" || echo torch)"
"$VENV/bin/python" -m pip install -q -c "$SOURCE/constraints.txt" "$TORCH" \
  --index-url "$TORCH_INDEX_URL" --extra-index-url https://pypi.org/simple
"$VENV/bin/python" -m pip install -q -c "$SOURCE/constraints.txt" -e "$SOURCE"
"$VENV/bin/python" -c "import autograder.gradescope.entry"
# The solutions and the hidden checks are for the grader (root) alone: if
# bubblewrap cannot start in this container, the notebook runs as `nobody` with rlimits only,
# and must not be able to read them.
chmod -R go-rwx "$SOURCE"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission (working directory /autograder): it grades the
# files in $ROOT/submission with our engine and writes $ROOT/results/results.json.
# GRADESCOPE_ROOT, AUTOGRADER_SOURCE and AUTOGRADER_PYTHON override the paths (tests use them).
set -uo pipefail
ROOT="${GRADESCOPE_ROOT:-/autograder}"
SOURCE="${AUTOGRADER_SOURCE:-$ROOT/source}"
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
if [ ! -x "$PYTHON" ]; then PYTHON="$(command -v python3)"; fi
cd "$SOURCE" || exit 1
exec "$PYTHON" -m autograder.gradescope --root "$ROOT" --source "$SOURCE" "$@"
"""


# Nothing of the teacher's machine: the secret's file and the handed-out record's place mean
# nothing on Gradescope (the record ships as handed_out.json beside course.yaml).
NOT_SHIPPED = {"path", "limits", "exercises", "secret_file", "handed_out"}


def bundle_course(exercise: Exercise, course: Course | None) -> dict:
    """course.yaml for the bundle, serialised from the course model: the course's settings
    and this exercise alone, its limits written out in full (the device sets `gpu`), and the
    LMS settings reduced to it. Loading it gives the same exercise back."""
    course = course or Course(name=exercise.id, exercises=(exercise,))
    data = course.model_dump(mode="json", exclude=NOT_SHIPPED, exclude_defaults=True)
    data["name"] = course.name or exercise.id
    lms = course.lms.model_dump(mode="json")
    for section, key in (("gradescope", "hidden_checks"), ("canvas", "assignments"), ("moodle", "items")):
        lms[section][key] = {k: v for k, v in lms[section][key].items() if k == exercise.id}
    data["lms"] = lms
    entry = exercise.model_dump(mode="json", exclude={"folder", "limits"}, exclude_defaults=True)
    entry["id"], entry["title"] = exercise.id, exercise.title
    entry["limits"] = {k: v for k, v in dataclasses.asdict(exercise.limits).items() if k != "gpu"}
    data["exercises"] = [entry]
    return data


def _handout(exercise: Exercise, record) -> str | None:
    """The course's handed-out record reduced to `exercise`, when it lists it."""
    from autograder import handout

    if record is None or not exercise.varies or not record.requires_variant(exercise.id):
        return None
    return handout.Handout(record.public_key, {exercise.id: record.exercises[exercise.id]}).to_json()


def _files(folder: Path):
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not any(p in SKIP_PARTS for p in rel.parts) and path.suffix not in SKIP_SUFFIXES:
            yield path, rel


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100000 | (0o755 if executable else mode)) << 16
    zf.writestr(info, data)


def _solutions_imported(source: str) -> set[str]:
    """The modules of the `solutions` package that Python source imports (`from solutions
    import datasets`, `from solutions.forward_pass import f`, `import solutions.x`)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "solutions":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("solutions."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("solutions.")}
    return found


def solution_files(exercise: Exercise) -> dict[str, Path]:
    """{name in the zip: file} of the solutions this exercise's grading reads: its own (beside
    the course's exercises/ folder, else the bundled one), and every solution module its checks
    and those modules import, transitively, with the package's __init__.py when one is imported."""
    own_dir = exercise.folder.parent.parent / "solutions"
    bundled_dir = REPO_ROOT / "solutions"

    def find(module: str) -> Path | None:
        return next((d / f"{module}.py" for d in (own_dir, bundled_dir) if (d / f"{module}.py").is_file()), None)

    files: dict[str, Path] = {}
    todo = [exercise.folder / "checks.py"]
    first = find(exercise.id)
    if first is not None:
        files[f"solutions/{exercise.id}.py"] = first
        todo.append(first)
    while todo:
        path = todo.pop()
        if not path.is_file():
            continue
        imported = _solutions_imported(path.read_text(encoding="utf-8", errors="replace"))
        if imported:
            init = find("__init__")
            if init is not None:
                files.setdefault("solutions/__init__.py", init)
        for module in sorted(imported):
            found = find(module)
            if found is not None and f"solutions/{module}.py" not in files:
                files[f"solutions/{module}.py"] = found
                todo.append(found)
    return files


def bundle_entries(exercise: Exercise, student_notebook: Path | None, course: Course | None,
                   record) -> dict[str, tuple[bytes, bool]]:
    """{name in the zip: (bytes, executable)}: every entry once, by name."""
    from autograder.gradescope.pins import CONSTRAINTS_NAME, constraints_text

    config = {
        "exercise": exercise.id,
        "title": exercise.title,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "entry": "python -m autograder.gradescope",
    }
    entries: dict[str, tuple[bytes, bool]] = {
        "setup.sh": (SETUP_SH.encode(), True),
        "run_autograder": (RUN_AUTOGRADER.encode(), True),
        "gradescope.json": (json.dumps(config, indent=2).encode(), False),
        "course.yaml": (yaml.safe_dump(bundle_course(exercise, course), sort_keys=False).encode(), False),
        CONSTRAINTS_NAME: (constraints_text().encode(), False),
    }
    shipped = _handout(exercise, record)
    if shipped:
        from autograder.handout import RECORD_NAME

        entries[RECORD_NAME] = (shipped.encode(), False)
    for name in ("pyproject.toml", "README.md"):
        if (REPO_ROOT / name).is_file():
            entries[name] = ((REPO_ROOT / name).read_bytes(), False)
    for path, rel in _files(REPO_ROOT / "autograder"):
        entries[f"autograder/{rel.as_posix()}"] = (path.read_bytes(), False)
    for name, path in solution_files(exercise).items():
        entries[name] = (path.read_bytes(), False)
    master = f"{exercise.id}.ipynb"
    for path, rel in _files(exercise.folder):
        if rel.as_posix() != master:
            entries[f"exercises/{exercise.id}/{rel.as_posix()}"] = (path.read_bytes(), False)
    # load_course wants a notebook in the exercise's folder; the student version has no answers.
    stand_in = student_notebook if student_notebook and Path(student_notebook).is_file() else exercise.master
    entries[f"exercises/{exercise.id}/{master}"] = (Path(stand_in).read_bytes(), False)
    return entries


def write_gradescope_zip(exercise: Exercise, autograder_dir: Path, student_notebook: Path | None = None,
                         course: Course | None = None, record=None) -> Path:
    """Write `autograder_dir/gradescope.zip` for `exercise` of `course`; returns its path.
    `record` is the course's handed-out record (autograder/handout.py), shipped when it lists
    the exercise."""
    autograder_dir = Path(autograder_dir)
    autograder_dir.mkdir(parents=True, exist_ok=True)
    target = autograder_dir / BUNDLE_NAME
    tmp = target.with_suffix(".part")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name, (data, executable) in bundle_entries(exercise, student_notebook, course, record).items():
            _add(zf, name, data, executable=executable)
    tmp.replace(target)
    return target
