"""The first cell of a student notebook: it opens alone, on Colab, in Jupyter and in VS Code.

Otter assign's first cell is `grader = otter.Notebook("<id>.ipynb")`: it needs otter-grader
installed, the notebook's file under that name, and on Colab test files beside it. Students
open a copy ("Copy of <id>.ipynb") with nothing installed, so the build replaces that cell
with one that carries everything in a zip (the bundle, base64 on its last line):

    student_setup.py    the helper the cell imports from the zip (autograder/student_python/student_setup.py)
    manifest.json       {"exercise": id, "training": bool}
    tests/<question>.py the notebook's public checks as Otter test files (from its metadata)
    data/...            the exercise's data files, for training notebooks that read them

and rewrites the hand-in cell's words: Colab has no `grader.export()`, so there it says how to
download the notebook instead. Nothing is downloaded but otter-grader, pinned to the version
that built the course.
"""

from __future__ import annotations

import base64
import io
import json
import pprint
import re
import zipfile
from pathlib import Path

import nbformat

from autograder.build.master import MasterError
from autograder.course import Exercise

HELPER = Path(__file__).parent.parent / "student_python" / "student_setup.py"  # read as data: zipped, not imported
SETUP_TAG = "course_setup"  # the tag of the set-up cell (tests/support.py skips it)
MAX_BUNDLE_BYTES = 8 * 1024 * 1024  # the notebook must still open quickly in a browser
QUESTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

SETUP_SOURCE = '''\
# @title Set-up: run this cell first
# It installs otter-grader {otter} if this Python lacks it (the only download), writes out the
# public checks{and_data} this notebook carries (zipped in the string on the last line, with our
# small helper student_setup.py) and starts `grader`: grader.check("...") then works anywhere.
import base64, os, sys, tempfile

def setup_notebook(exercise, bundle, otter_version="{otter}"):
    handle, path = tempfile.mkstemp(prefix=exercise + "-", suffix=".zip")
    with os.fdopen(handle, "wb") as f:
        f.write(base64.b64decode(bundle))
    sys.path.insert(0, path)  # student_setup is imported from the zip
    import student_setup
    return student_setup.start(path, otter_version)

grader = setup_notebook({exercise}, "{bundle}")'''

EXPORT_COMMENT = (
    "# Hand in: in Jupyter or VS Code, save the notebook first; this cell then writes the zip to hand in.\n"
    "# On Colab it says how to download the notebook (File → Download → Download .ipynb) instead."
)
COLAB_SENTENCE = "**On Colab**, the cell below says how to download your notebook (File → Download → Download .ipynb) to hand it in."


def otter_version() -> str:
    import otter

    return otter.__version__


def test_files(nb) -> dict[str, str]:
    """{file name: source} of Otter test files for the notebook's public checks (Otter's OK
    format, as `otter assign` writes them into the autograder zip)."""
    otter_meta = nb.metadata.get("otter") or {}
    files = {}
    for question, test in (otter_meta.get("tests") or {}).items():
        if not QUESTION_NAME.match(str(question)):
            raise MasterError(f"question name {question!r} cannot name a test file")
        files[f"{question}.py"] = "OK_FORMAT = True\n\ntest = " + pprint.pformat(test, indent=4, width=100) + "\n"
    return files


def make_bundle(nb, exercise_id: str, data_folder: Path | None, training: bool) -> bytes:
    """The zip the set-up cell carries (see the module's docstring)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("student_setup.py", HELPER.read_text())
        zf.writestr("manifest.json", json.dumps({"exercise": exercise_id, "training": training}))
        for name, source in sorted(test_files(nb).items()):
            zf.writestr(f"tests/{name}", source)
        if data_folder is not None and data_folder.is_dir():
            for file in sorted(p for p in data_folder.rglob("*") if p.is_file()):
                if any(part.startswith(".") or part == "__pycache__" for part in file.relative_to(data_folder).parts):
                    continue
                zf.write(file, "data/" + file.relative_to(data_folder).as_posix())
    bundle = buffer.getvalue()
    if len(bundle) > MAX_BUNDLE_BYTES:
        raise MasterError(
            f"{exercise_id}: the checks and data/ come to {len(bundle) // 1024} KiB compressed, over the "
            f"{MAX_BUNDLE_BYTES // (1024 * 1024)} MiB a notebook can carry; ship smaller data"
        )
    return bundle


def setup_source(exercise_id: str, bundle: bytes, has_data: bool) -> str:
    return SETUP_SOURCE.format(
        otter=otter_version(), exercise=json.dumps(exercise_id), and_data=" and data" if has_data else "",
        bundle=base64.b64encode(bundle).decode("ascii"),
    )


def setup_cell(tests_from, exercise: Exercise):
    """The set-up cell for `exercise`, carrying the public checks of the notebook `tests_from`
    (the student version) and the exercise's data/."""
    data = exercise.folder / "data"
    has_data = data.is_dir() and any(p.is_file() for p in data.rglob("*"))
    bundle = make_bundle(tests_from, exercise.id, data if has_data else None, training=exercise.trains)
    cell = nbformat.v4.new_code_cell(setup_source(exercise.id, bundle, has_data))
    # Colab shows the title and hides the code (the long line); Otter's init cell was locked too.
    cell.metadata.update({"cellView": "form", "deletable": False, "editable": False, "tags": [SETUP_TAG]})
    return cell


def install_setup_cell(nb, cell) -> None:
    """Put `cell` in place of Otter's `otter.Notebook(...)` cell (or before the first code
    cell), and reword the hand-in cell for Colab. In place."""
    cell = nbformat.from_dict(json.loads(json.dumps(cell)))  # a copy: each notebook gets its own
    codes = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    otter_init = next((i for i in codes if "otter.Notebook(" in nb.cells[i].source
                       or SETUP_TAG in nb.cells[i].metadata.get("tags", [])), None)
    if otter_init is not None and otter_init == codes[0]:
        if "id" in nb.cells[otter_init]:
            cell["id"] = nb.cells[otter_init]["id"]
        nb.cells[otter_init] = cell
    else:
        if otter_init is not None:
            del nb.cells[otter_init]
        nb.cells.insert(codes[0] if codes else len(nb.cells), cell)
    _reword_hand_in(nb)


def _reword_hand_in(nb) -> None:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "grader.export(" not in cell.source:
            continue
        calls = [line for line in cell.source.splitlines() if not line.lstrip().startswith("#")]
        cell.source = EXPORT_COMMENT + "\n" + "\n".join(calls)
        before = nb.cells[i - 1] if i else None
        if (before is not None and before.cell_type == "markdown" and before.source.lstrip().startswith("## Submission")
                and COLAB_SENTENCE not in before.source):
            before.source = before.source.rstrip() + "\n\n" + COLAB_SENTENCE


def install_setup(exercise: Exercise, student: Path, *others: Path) -> None:
    """The set-up cell into the student notebook and `others` (the solution version), all with
    the student version's public checks."""
    nb = nbformat.read(str(student), as_version=4)
    cell = setup_cell(nb, exercise)
    install_setup_cell(nb, cell)
    nbformat.write(nb, str(student))
    for path in others:
        other = nbformat.read(str(path), as_version=4)
        install_setup_cell(other, cell)
        nbformat.write(other, str(path))
