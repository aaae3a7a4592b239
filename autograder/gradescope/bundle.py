"""The Gradescope bundle: `dist/<id>/autograder/gradescope.zip`, per Gradescope's autograder
specification (setup.sh and run_autograder at the root of the zip).

What the zip holds (Gradescope unpacks it into /autograder/source):

    setup.sh            run once when Gradescope builds the image: apt bubblewrap and a Python
                        >= 3.11, a venv in /autograder/venv, the pinned CPU torch, then this
                        project (pip install -e /autograder/source)
    run_autograder      run for every submission: python -m autograder.gradescope
    gradescope.json     {"exercise": <id>, ...}: what this bundle grades
    course.yaml         the course model reduced to this exercise (its limits and settings, `lms:`)
    handed_out.json     only for a varying exercise whose personal notebooks were handed out
                        (`build --roster`): the record of autograder/handout.py, reduced to this
                        exercise. It holds the public key that verifies the students' signed
                        variants; the course secret, which could sign one, never ships.
    pyproject.toml, README.md, autograder/, solutions/
    exercises/<id>/     checks.py, data and any other file of the exercise; the master
                        notebook is replaced by the student version (no solutions in it)

Choose Gradescope's Ubuntu 22.04 or 24.04 base image; setup.sh installs python3.11 where the
image's python3 is older.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
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
apt-get install -y -qq bubblewrap python3 python3-venv python3-pip ca-certificates >/dev/null
PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  apt-get install -y -qq python3.11 python3.11-venv >/dev/null
  PYTHON=python3.11
fi
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
# The pinned CPU build of torch first: a bare `torch` requirement would pull the CUDA packages.
"$VENV/bin/python" -m pip install -q torch==2.13.0 --index-url "$TORCH_INDEX_URL"
"$VENV/bin/python" -m pip install -q -e "$SOURCE"
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


def write_gradescope_zip(exercise: Exercise, autograder_dir: Path, student_notebook: Path | None = None,
                         course: Course | None = None, record=None) -> Path:
    """Write `autograder_dir/gradescope.zip` for `exercise` of `course`; returns its path.
    `record` is the course's handed-out record (autograder/handout.py), shipped when it lists
    the exercise."""
    autograder_dir = Path(autograder_dir)
    autograder_dir.mkdir(parents=True, exist_ok=True)
    target = autograder_dir / BUNDLE_NAME
    tmp = target.with_suffix(".part")
    config = {
        "exercise": exercise.id,
        "title": exercise.title,
        "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "entry": "python -m autograder.gradescope",
    }
    with zipfile.ZipFile(tmp, "w") as zf:
        _add(zf, "setup.sh", SETUP_SH.encode(), executable=True)
        _add(zf, "run_autograder", RUN_AUTOGRADER.encode(), executable=True)
        _add(zf, "gradescope.json", json.dumps(config, indent=2).encode())
        _add(zf, "course.yaml", yaml.safe_dump(bundle_course(exercise, course), sort_keys=False).encode())
        shipped = _handout(exercise, record)
        if shipped:
            from autograder.handout import RECORD_NAME

            _add(zf, RECORD_NAME, shipped.encode())
        for name in ("pyproject.toml", "README.md"):
            if (REPO_ROOT / name).is_file():
                _add(zf, name, (REPO_ROOT / name).read_bytes())
        for package in ("autograder", "solutions"):
            for path, rel in _files(REPO_ROOT / package):
                _add(zf, f"{package}/{rel.as_posix()}", path.read_bytes())
        # A course of its own keeps its reference solution beside its exercises/ folder.
        own = exercise.folder.parent.parent / "solutions" / f"{exercise.id}.py"
        if own.is_file() and not own.resolve().is_relative_to(REPO_ROOT / "solutions"):
            _add(zf, f"solutions/{exercise.id}.py", own.read_bytes())
        master = f"{exercise.id}.ipynb"
        for path, rel in _files(exercise.folder):
            if rel.as_posix() != master:
                _add(zf, f"exercises/{exercise.id}/{rel.as_posix()}", path.read_bytes())
        # load_course wants a notebook in the exercise's folder; the student version has no answers.
        stand_in = student_notebook if student_notebook and Path(student_notebook).is_file() else exercise.master
        _add(zf, f"exercises/{exercise.id}/{master}", Path(stand_in).read_bytes())
    tmp.replace(target)
    return target
