"""Student notebooks opened as students open them: a copy alone under another name ("Copy of
<id>.ipynb"), run top to bottom in a real Jupyter kernel (nbclient), with nothing beside it.

The Colab kernel is a stand-in: an IPython kernel whose shell class lives in a `google.colab`
package, as Colab's does, so that `google.colab` is importable and Otter takes its Colab path
(it refuses tests from the notebook's metadata, and `export()`). Its working folder is empty
and does not hold the notebook, as on Colab. One exercise of each kind runs in it (numpy only,
torch, Keras, a timed training task with data), solution and blank version: each check cell
passes on the solution and fails on the blank, and no cell of either raises. Training notebooks
run with AUTOGRADER_GRADING=1, as the grader runs them (their exploring cells train for minutes
and skip themselves); their set-up cell runs in full.

Every exercise of the course is held to what makes those runs hold for it, on its built
notebooks (test_every_exercise_carries_its_public_checks_and_data): the set-up cell carries
exactly the exercise's public checks (Otter's own tests, case by case) and data, and its hand-in
cell is the one the runs reworded. That its public checks pass on its solution and fail on its
blank, and that both versions run without a failing cell, is tested for every exercise in this
process (tests/exercises/test_exercise_contract.py, and test_training.py for the training tasks).

The session's one build of the whole course is shared (conftest's built_course); every kernel
of the module runs in one batch, two at a time.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from autograder.build.setup_cell import EXPORT_COMMENT, HELPER, SETUP_TAG
from autograder.cli import main
from autograder.course import load_course
from autograder.exercises import data_files, max_score
from support.colab import CHECK_CALL, Kernels, check_results, copy_alone, errors, execute, otter_version, setup_output, text_of

pytestmark = pytest.mark.slow  # end to end: many sandboxes or kernels; CI runs them all the same

COURSE = load_course()
EXERCISES = COURSE.ids  # every exercise of course.yaml: new ones are tested as they are added
TRAINING = {e.id for e in COURSE.exercises if e.trains}
# Run in the Colab kernel: one exercise of each kind a student's runtime meets (numpy only; torch;
# Keras; a timed training task that ships data). What differs between exercises of one kind (their
# checks and data) is held for every exercise by test_every_exercise_carries_its_public_checks_and_data.
IN_KERNELS = ("sigmoid_probability", "backprop", "keras_params", "train_banknote")
VERSIONS = ("solution", "student")
COLAB_WORDS = "File → Download → Download .ipynb"
PDF_NOISE = ("xelatex", "pdf", "latex", "pandoc")
# Appended to each run: whether Otter itself took its Colab path, read back from the output.
PROBE_CELL = ("import json as _j, otter as _o\nfrom otter.check.utils import IPythonInterpreter as _I\n"
              "print('PROBE' + _j.dumps({'colab': grader.interpreter is _I.COLAB, 'otter': _o.__version__,"
              " 'is_otter_notebook': isinstance(grader, _o.Notebook)}))")


def probe(nb) -> dict:
    said = "".join(text_of(o) for o in nb.cells[-1].outputs)
    assert said.startswith("PROBE"), said
    return json.loads(said[len("PROBE"):])


@pytest.fixture(scope="module")
def dist(built_course) -> Path:
    return built_course


@pytest.fixture(scope="module")
def kernels(tmp_path_factory) -> Kernels:
    return Kernels(tmp_path_factory.mktemp("kernels"))


@pytest.fixture(scope="module")
def kernel_runs(dist, kernels, tmp_path_factory) -> dict:
    """Every kernel of the module, in one batch (two at a time, so both cores stay busy):

    (exercise, version): (executed notebook, its Colab working folder), for IN_KERNELS;
    "standin": Otter's own first cell in the Colab stand-in;
    "export": (executed notebook, its path) of a solution in plain Jupyter, whose kernel works in
    another folder than the notebook's (Jupyter Server names the notebook in JPY_SESSION_NAME)."""
    colab = kernels.spec("colab", colab=True)
    colab_grading = kernels.spec("colab-grading", colab=True, env={"AUTOGRADER_GRADING": "1"})
    jobs, keys = [], []
    for exercise in IN_KERNELS:
        for version in VERSIONS:
            base = tmp_path_factory.mktemp(f"{exercise}-{version}")
            path = copy_alone(dist / exercise / version / f"{exercise}.ipynb", base / "Drive")
            content = base / "content"  # Colab's working folder: the notebook is not in it
            content.mkdir()
            nb = nbformat.read(str(path), as_version=4)
            nb.cells.append(nbformat.v4.new_code_cell(PROBE_CELL))
            jobs.append((colab_grading if exercise in TRAINING else colab, nb, content))
            keys.append((exercise, version))
    standin = nbformat.v4.new_notebook()
    standin.cells = [nbformat.v4.new_code_cell('import otter\ngrader = otter.Notebook("sigmoid_probability.ipynb")')]
    jobs.append((colab, standin, tmp_path_factory.mktemp("standin")))
    keys.append("standin")
    base = tmp_path_factory.mktemp("export")
    exported = copy_alone(dist / "sigmoid_probability" / "solution" / "sigmoid_probability.ipynb", base / "notebooks")
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    session = kernels.spec("jupyter-session", colab=False, env={"JPY_SESSION_NAME": str(exported)})
    jobs.append((session, nbformat.read(str(exported), as_version=4), elsewhere))
    keys.append("export")
    done = dict(zip(keys, zip(execute(kernels, jobs), (job[2] for job in jobs))))
    done["standin"] = done["standin"][0]
    done["export"] = (done["export"][0], exported)
    return done


@pytest.fixture(scope="module")
def colab_runs(kernel_runs) -> dict:
    """{(exercise, version): (executed notebook, its Colab working folder)}, for IN_KERNELS."""
    return {key: run for key, run in kernel_runs.items() if isinstance(key, tuple)}


@pytest.mark.parametrize("exercise", IN_KERNELS)
def test_checks_on_colab_pass_for_the_solution_and_fail_for_the_blank(colab_runs, exercise):
    solution, _ = colab_runs[exercise, "solution"]
    blank, _ = colab_runs[exercise, "student"]
    assert errors(solution) == []
    assert errors(blank) == []
    passed, failed = check_results(solution), check_results(blank)
    questions = set(solution.metadata["otter"]["tests"])
    assert set(passed) == set(failed) == questions and questions
    assert all(passed.values()), passed
    assert not any(failed.values()), failed
    for nb in (solution, blank):
        assert probe(nb) == {"colab": True, "otter": otter_version(), "is_otter_notebook": True}
        assert "Installing otter-grader" not in setup_output(nb)  # otter is there: no install


@pytest.mark.parametrize("exercise", IN_KERNELS)
def test_colab_hand_in_and_data(colab_runs, dist, exercise):
    """The hand-in cell says how to download the notebook; a training notebook's data is written
    out where it reads it, byte for byte, and the set-up cell says which device trains."""
    nb, content = colab_runs[exercise, "solution"]
    [hand_in] = [c for c in nb.cells if c.cell_type == "code" and "grader.export(" in c.source]
    said = "".join(text_of(o) for o in hand_in.outputs)
    shipped = dist / exercise / "student" / "data"
    if exercise in TRAINING:
        assert said == ""  # the grader's run: handing in is not its business
        assert "Training runs on the CPU" in setup_output(nb) or "Training runs on the GPU" in setup_output(nb)
        files = sorted(p.relative_to(shipped) for p in shipped.rglob("*") if p.is_file())
        assert files and files == sorted(p.relative_to(content / "data") for p in (content / "data").rglob("*") if p.is_file())
        assert all((content / "data" / f).read_bytes() == (shipped / f).read_bytes() for f in files)
    else:
        assert COLAB_WORDS in said
        assert not shipped.exists() and not (content / "data").exists()


SETUP_CALL = re.compile(r'setup_notebook\(("[^"]*"), "([A-Za-z0-9+/=]*)"\)')


def carried(nb) -> tuple[dict, dict[str, bytes]]:
    """(the set-up cell's manifest, {file name: bytes} of its bundle), of a built notebook."""
    import io

    setup = [c for c in nb.cells if SETUP_TAG in c.metadata.get("tags", [])]
    codes = [c for c in nb.cells if c.cell_type == "code"]
    assert len(setup) == 1 and setup[0] is codes[0], "one set-up cell, the first code cell"
    [(exercise, bundle)] = SETUP_CALL.findall(setup[0].source)
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(bundle))) as z:
        files = {name: z.read(name) for name in z.namelist()}
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["exercise"] == json.loads(exercise)
    return manifest, files


def public_cases(source: bytes, folder: Path, name: str) -> list:
    """[(case name, code)] of the public cases of an Otter test file."""
    from otter.test_files.ok_test import OKTestFile

    path = folder / name
    path.write_bytes(source)
    return [(c.name, c.body) for c in OKTestFile.from_file(str(path)).test_cases if not c.hidden]


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_exercise_carries_its_public_checks_and_data(dist, exercise, tmp_path):
    """What the Colab runs above rely on, for every exercise: both versions' set-up cell carries
    the helper, the exercise's public checks (the same cases Otter's own autograder zip holds,
    which tests/exercises and test_training run on each solution and blank) and its data, byte for
    byte; a check cell for each question; the hand-in cell reworded for Colab."""
    folder = dist / exercise
    notebooks = {v: nbformat.read(str(folder / v / f"{exercise}.ipynb"), as_version=4) for v in VERSIONS}
    (manifest, files), (manifest_solution, files_solution) = (carried(notebooks[v]) for v in VERSIONS)
    assert manifest == manifest_solution == {"exercise": exercise, "training": exercise in TRAINING}
    assert files == files_solution  # the solution version carries the student version's checks
    assert files.pop("student_setup.py") == HELPER.read_bytes()
    with zipfile.ZipFile(folder / "autograder" / "otter_autograder.zip") as z:
        otter_tests = {Path(n).stem: z.read(n) for n in z.namelist() if n.startswith("tests/") and n.endswith(".py")}
    questions = set(notebooks["student"].metadata["otter"]["tests"])
    assert questions and questions == set(otter_tests)
    tests = {Path(n).stem: data for n, data in files.items() if n.startswith("tests/")}
    assert set(tests) == questions
    for question in questions:
        mine = public_cases(tests[question], tmp_path, f"carried_{question}.py")
        assert mine and mine == public_cases(otter_tests[question], tmp_path, f"otter_{question}.py"), question
    data = {n[len("data/"):]: b for n, b in files.items() if n.startswith("data/")}
    assert set(files) == {f"tests/{q}.py" for q in questions} | {f"data/{n}" for n in data}
    shipped = {name[len("data/"):]: content for name, content in data_files(COURSE.exercise(exercise).folder).items()}
    assert data == shipped and bool(data) == (exercise in TRAINING)
    for nb in notebooks.values():
        codes = [c.source for c in nb.cells if c.cell_type == "code" and SETUP_TAG not in c.metadata.get("tags", [])]
        assert {m for source in codes for m in CHECK_CALL.findall(source)} == questions
        [hand_in] = [source for source in codes if "grader.export(" in source]
        assert hand_in.startswith(EXPORT_COMMENT)


def test_the_standin_is_colab_to_otter(kernel_runs):
    """Otter's own first cell fails in the stand-in as it fails on Colab: the stand-in is real."""
    assert errors(kernel_runs["standin"]) == ["cell 0: ValueError: Tests directory ./tests does not exist"]


def test_jupyter_export_from_another_folder_writes_the_zip_without_pdf_noise(kernel_runs):
    """Plain Jupyter: the kernel's working folder is not the notebook's, whose name Jupyter
    Server gives in JPY_SESSION_NAME; grader.export() writes the zip beside the notebook and
    says nothing about PDFs or LaTeX. The zip is graded in test_handed_in_notebooks_get_full_marks."""
    exercise = "sigmoid_probability"
    nb, path = kernel_runs["export"]
    assert errors(nb) == []
    assert all(check_results(nb).values())
    [hand_in] = [c for c in nb.cells if c.cell_type == "code" and "grader.export(" in c.source]
    said = "\n".join(text_of(o) for o in hand_in.outputs)
    assert "Your submission received the following results" in said
    assert not [o for o in hand_in.outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not any(word in said.lower() for word in PDF_NOISE), said
    [zipped] = path.parent.glob("*.zip")
    assert zipped.name.startswith(f"Copy of {exercise}_")
    with zipfile.ZipFile(zipped) as z:
        assert path.name in z.namelist()
        assert not [n for n in z.namelist() if n.lower().endswith(".pdf")]


def colab_saved(nb) -> dict:
    """The executed notebook as Colab's File → Download writes it: its `colab`, `accelerator`
    and widget metadata, cell ids in cell metadata, an image output, a widget view, a
    kernelspec without `language`, nbformat 4.0."""
    raw = json.loads(nbformat.writes(nb))
    raw["nbformat_minor"] = 0
    raw["metadata"].update({
        "colab": {"provenance": [], "name": f"Copy of {raw['metadata']['autograder']['exercise']}.ipynb",
                  "gpuType": "T4", "toc_visible": True},
        "accelerator": "GPU",
        "kernelspec": {"display_name": "Python 3", "name": "python3"},
        "widgets": {"application/vnd.jupyter.widget-state+json": {"5f0c": {
            "model_module": "@jupyter-widgets/controls", "model_name": "HBoxModel",
            "model_module_version": "1.5.0", "state": {"children": []}}}},
    })
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
    for i, cell in enumerate(raw["cells"]):
        cell.pop("id", None)
        cell["metadata"].update({"id": f"c{i:04d}"})
        if cell["cell_type"] == "code":
            cell["metadata"].update({"colab": {"base_uri": "https://localhost:8080/", "height": 35},
                                     "outputId": f"0000-{i}"})
    first_code = next(c for c in raw["cells"] if c["cell_type"] == "code" and SETUP_TAG not in c["metadata"].get("tags", []))
    first_code["outputs"] += [
        {"output_type": "display_data", "metadata": {},
         "data": {"image/png": png, "text/plain": ["<Figure size 640x480 with 1 Axes>"]}},
        {"output_type": "display_data", "metadata": {},
         "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "5f0c", "version_major": 2, "version_minor": 0},
                  "text/plain": ["HBox(children=())"]}},
    ]
    return raw


def test_handed_in_notebooks_get_full_marks(colab_runs, kernel_runs, tmp_path):
    """What students hand in: the notebook as Colab saves it (renamed "Copy of ..."), and the
    zip of Jupyter's grader.export(), both graded by `autograder grade` like any other: full
    marks for a solution; a training notebook's set-up cell runs in the sandbox too."""
    subs = tmp_path / "subs"
    for student, exercise, version in (("alice", "sigmoid_probability", "solution"),
                                       ("carol", "train_banknote", "student")):
        nb, _ = colab_runs[exercise, version]
        nb = nbformat.from_dict(json.loads(json.dumps(nb)))
        nb.cells = nb.cells[:-1]  # the probe cell
        (subs / student).mkdir(parents=True)
        (subs / student / f"Copy of {exercise}.ipynb").write_text(json.dumps(colab_saved(nb), indent=2))
    # bob: the zip grader.export() wrote in Jupyter (test_jupyter_export_from_another_folder_...)
    nb, exported = kernel_runs["export"]
    assert errors(nb) == []
    [zipped] = exported.parent.glob("*.zip")
    (subs / "bob").mkdir()
    shutil.copy(zipped, subs / "bob" / zipped.name)

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["grade", str(subs), "--out", str(out), "--workers", "1", "--quiet"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = {r["student"]: r for r in _csv(out / "grades.csv")}
    assert set(rows) == {"alice", "bob", "carol"}
    for student in ("alice", "bob"):
        assert (rows[student]["status"], rows[student]["exercise"]) == ("graded", "sigmoid_probability")
        assert float(rows[student]["score"]) == float(rows[student]["max_score"]) == max_score("sigmoid_probability")
    assert (rows["carol"]["status"], rows["carol"]["exercise"], float(rows["carol"]["score"])) == ("graded", "train_banknote", 0.0)
    for document in (out / "results").glob("*.json"):
        result = json.loads(document.read_text())
        setup = result["run"]["cells"][0]  # the set-up cell, in the grader's sandbox
        assert (setup["index"], setup["status"]) == (0, "ok"), (result["student"], setup)


def _csv(path: Path) -> list[dict]:
    import csv

    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("name,student", [
    ("alice_Copy of sigmoid_probability.ipynb", "alice"),       # an LMS download: student, then Colab's name
    ("alice_Copy of sigmoid_probability (1).ipynb", "alice"),   # a browser's second download
    ("bob_Copy_of_sigmoid_probability_2026_12_01T22_43_31_125478.zip", "bob"),  # grader.export() of a copy
    ("Copy of sigmoid_probability.ipynb", "unknown"),           # no student in the name: as for the plain name
    ("macopy of_x_sigmoid_probability.ipynb", "macopy of_x"),   # "copy of" inside a name stays
])
def test_intake_names_the_student_of_a_renamed_copy(name, student):
    from autograder.intake.submissions import student_from_path

    base = Path("/submissions")
    assert student_from_path(base / name, base, "sigmoid_probability") == student


# --------------------------------------------------------------------------- the helper alone


def test_helper_says_why_otter_could_not_be_installed(monkeypatch, capsys):
    from autograder.student_python import student_setup

    calls = []

    def pip(argv, **kwargs):
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 1, "", "ERROR: Could not find a version that satisfies the requirement\n"
                                                        "ERROR: No matching distribution found for otter-grader==9.9.9\n")

    monkeypatch.setitem(sys.modules, "otter", None)  # `import otter` fails, as in a Python without it
    monkeypatch.setattr(student_setup.subprocess, "run", pip)
    with pytest.raises(RuntimeError, match=r"(?s)pip could not install otter-grader 9\.9\.9 .*No matching distribution found"):
        student_setup._otter("9.9.9")
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
                      "otter-grader==9.9.9"]]
    assert "Installing otter-grader 9.9.9" in capsys.readouterr().out


def test_helper_reports_data_it_cannot_write_and_keeps_files_it_has(tmp_path, monkeypatch, capsys):
    from autograder.student_python import student_setup

    bundle = tmp_path / "bundle.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr("data/x.npy", b"new bytes")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").write_text("a file where the folder should be")
    with zipfile.ZipFile(bundle) as z:
        student_setup._write_data(z)  # no exception: a message
    assert "Could not write data/x.npy" in capsys.readouterr().out
    (tmp_path / "data").unlink()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.npy").write_bytes(b"new bytes")
    before = (tmp_path / "data" / "x.npy").stat().st_mtime_ns
    with zipfile.ZipFile(bundle) as z:
        student_setup._write_data(z)
    assert (tmp_path / "data" / "x.npy").stat().st_mtime_ns == before  # the same bytes: left alone


def test_helper_finds_the_notebook_it_runs_in(tmp_path, monkeypatch):
    import os

    from autograder.student_python import student_setup

    def notebook(name, exercise, when):
        nb = nbformat.v4.new_notebook()
        nb.metadata["autograder"] = {"exercise": exercise}
        (tmp_path / name).write_text(nbformat.writes(nb))
        os.utime(tmp_path / name, (when, when))

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert student_setup.notebook_path("tiny") is None
    notebook("tiny.ipynb", "tiny", 1_000)
    notebook("Copy of tiny.ipynb", "tiny", 2_000)
    notebook("other.ipynb", "other", 3_000)
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert student_setup.notebook_path("tiny") == "Copy of tiny.ipynb"  # the last saved of this exercise
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "tiny.ipynb"))
    assert student_setup.notebook_path("tiny") == str(tmp_path / "tiny.ipynb")  # Jupyter Server names it
