"""`autograder new-exercise` in a course folder outside the repository: the exercise it writes
builds, verifies and grades (full marks for its solution, zero for its blank), with no
environment variables and no path tricks, and its own test passes."""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from autograder.cli import main
from autograder.exercises import REPO_ROOT


def invoke(*args, cwd=None):
    old = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        result = CliRunner().invoke(main, list(map(str, args)), env={"AUTOGRADER_SECRET": None,
                                                                    "AUTOGRADER_SECRET_FILE": None})
    finally:
        os.chdir(old)
    return result


def test_a_new_exercise_in_a_course_of_its_own_builds_verifies_and_grades(tmp_path):
    course = tmp_path / "my_course"
    course.mkdir()
    assert not course.resolve().is_relative_to(REPO_ROOT)
    result = invoke("new-exercise", "mean_of_values", "--title", "The mean", cwd=course)
    assert result.exit_code == 0, result.output
    data = yaml.safe_load((course / "course.yaml").read_text())
    assert data["exercises"] == [{"id": "mean_of_values", "title": "The mean"}]
    for rel in ("exercises/mean_of_values/mean_of_values.ipynb", "exercises/mean_of_values/checks.py",
                "solutions/mean_of_values.py", "tests/test_mean_of_values.py"):
        assert (course / rel).is_file(), rel
    again = invoke("new-exercise", "mean_of_values", cwd=course)
    assert again.exit_code != 0 and "exists already" in again.output
    assert invoke("new-exercise", "Bad-Id", cwd=course).exit_code != 0

    # Standing in the course folder, every command takes its course.yaml without --course, and says so.
    here = f"course: my_course ({course / 'course.yaml'}: the course.yaml of the current folder)"
    built = invoke("build", "--out", tmp_path / "dist", cwd=course)
    assert built.exit_code == 0, built.output
    assert built.output.splitlines()[0] == here, built.output
    verified = invoke("verify", cwd=course)
    assert verified.exit_code == 0 and "verify ok" in verified.output, verified.output
    assert here in verified.output.splitlines()

    subs = tmp_path / "subs"
    for who, version in (("solution", "solution"), ("blank", "student")):
        (subs / who).mkdir(parents=True)
        shutil.copy(tmp_path / "dist" / "mean_of_values" / version / "mean_of_values.ipynb", subs / who)
    graded = invoke("grade", subs, "--out", tmp_path / "out", "--quiet", cwd=course)
    assert graded.exit_code == 0, graded.output
    assert here in graded.output.splitlines()
    with open(tmp_path / "out" / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert (rows["solution"]["status"], rows["solution"]["score"], rows["solution"]["max_score"]) == ("graded", "1", "1")
    assert (rows["blank"]["status"], rows["blank"]["score"]) == ("graded", "0")

    reported = invoke("report", "--results", tmp_path / "out", "--no-feedback", cwd=course)
    assert reported.exit_code == 0 and here in reported.output.splitlines(), reported.output
    assert "<title>Grading report: my_course</title>" in (tmp_path / "out" / "report.html").read_text()
    # Elsewhere, the bundled course, and the command says so; --course overrides the folder's.
    elsewhere = invoke("report", "--results", tmp_path / "out", "--no-feedback", cwd=tmp_path)
    assert elsewhere.output.splitlines()[0].endswith(": the bundled course; no course.yaml in the current folder)")
    other = tmp_path / "other"
    other.mkdir()
    (other / "course.yaml").write_text("name: other\nexercises:\n  - id: sigmoid_probability\n")
    forced = invoke("report", "--results", tmp_path / "out", "--no-feedback", "--course", other / "course.yaml", cwd=course)
    assert forced.output.splitlines()[0] == f"course: other ({other / 'course.yaml'}: --course)", forced.output

    # The Gradescope bundle carries the course's own solution.
    import zipfile

    with zipfile.ZipFile(tmp_path / "dist" / "mean_of_values" / "autograder" / "gradescope.zip") as zf:
        names = zf.namelist()
    # Its own solution alone: nothing of the repository's exercises or data generator.
    assert [n for n in names if n.startswith("solutions/")] == ["solutions/mean_of_values.py"]
    assert not [n for n in names if n.startswith("exercises/") and not n.startswith("exercises/mean_of_values/")]

    # The test it wrote passes, run from the course folder.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=course,
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout


def test_new_exercise_appends_to_a_course_with_comments(tmp_path):
    from autograder.build.scaffold import new_exercise

    course = tmp_path / "course.yaml"
    course.write_text("# my course\nname: c\nexercises:\n  - id: first   # the first one\n    title: First\n"
                      "# after the list\nlms:\n  pick: best\n")
    (tmp_path / "exercises" / "first").mkdir(parents=True)
    new_exercise(course, "second")
    text = course.read_text()
    assert text.index("id: second") < text.index("# after the list") and "# my course" in text
    data = yaml.safe_load(text)
    assert [e["id"] for e in data["exercises"]] == ["first", "second"] and data["lms"] == {"pick": "best"}


@pytest.mark.parametrize("bad", ["1abc", "a", "with-dash", "Upper"])
def test_new_exercise_refuses_a_bad_id(tmp_path, bad):
    from autograder.build.scaffold import ScaffoldError, new_exercise

    with pytest.raises(ScaffoldError, match="not an exercise id"):
        new_exercise(tmp_path / "course.yaml", bad)


def test_verify_refuses_an_exercise_that_breaks_the_contract(tmp_path):
    """A master that states points (they live in checks.py), and a student version that gives
    the answer away: verify names the value and where it was found."""
    import nbformat

    course = tmp_path / "c"
    course.mkdir()
    assert invoke("new-exercise", "mean_of_values", cwd=course).exit_code == 0
    master = course / "exercises" / "mean_of_values" / "mean_of_values.ipynb"
    text = master.read_text()
    master.write_text(text.replace('name: mean"', 'name: mean\\npoints: 2"'))
    result = invoke("verify", "--course", course / "course.yaml")
    assert result.exit_code == 1
    assert "states 'points:'; points live in checks.py" in result.output, result.output

    # A mean that is no small whole number (those are in any text), and a sentence that gives it away.
    solution = course / "solutions" / "mean_of_values.py"
    solution.write_text(solution.read_text().replace("[2.0, 4.0, 9.0]", "[20.0, 40.0, 93.0]"))
    nb = nbformat.reads(text.replace("[2.0, 4.0, 9.0]", "[20.0, 40.0, 93.0]"), as_version=4)
    nb.cells.insert(2, nbformat.v4.new_markdown_cell("(You should find 51.)"))
    master.write_text(nbformat.writes(nb))
    result = invoke("verify", "--course", course / "course.yaml")
    assert result.exit_code == 1, result.output
    assert "contract: mean_of_values: the student version gives an answer away" in result.output, result.output
    assert "answer mean as '51' in ..." in result.output and "You should find 51." in result.output, result.output


def test_personal_numbers_come_from_the_courses_own_solution(tmp_path):
    """A varying exercise in a course of its own takes its default numbers (and each student's)
    from that course's solutions/<id>.py, not from the repository's."""
    import nbformat

    from autograder.build import build_course
    from autograder.course import load_course
    from autograder.exercises import EXERCISES_DIR

    course = tmp_path / "c"
    shutil.copytree(EXERCISES_DIR / "sigmoid_probability", course / "exercises" / "sigmoid_probability",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (course / "solutions").mkdir()
    text = (REPO_ROOT / "solutions" / "sigmoid_probability.py").read_text()
    assert '"w1": 0.3' in text
    (course / "solutions" / "sigmoid_probability.py").write_text(text.replace('"w1": 0.3', '"w1": 0.7', 1))
    (course / "course.yaml").write_text("name: c\nexercises:\n  - id: sigmoid_probability\n    varies: true\n")
    import warnings
    import zipfile

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # zipfile's "Duplicate name" warning included
        [built] = build_course(load_course(course / "course.yaml"), tmp_path / "dist")
    with zipfile.ZipFile(built.autograder / "gradescope.zip") as zf:
        names = zf.namelist()
        assert b'"w1": 0.7' in zf.read("solutions/sigmoid_probability.py")  # the course's own, once
    assert len(names) == len(set(names)) and "solutions/sigmoid_probability.py" in names
    given = "\n".join(c.source for c in nbformat.read(str(built.student), as_version=4).cells if c.cell_type == "code")
    assert "w1, w2, b = 0.7, 0.1, 1.0" in given


def test_the_scaffolded_test_keeps_passing_when_the_example_check_is_replaced(tmp_path):
    """The author replaces the one example check by two others (a value and a function, each with
    a mistake): the scaffolded tests still pass, and they catch a check that is wrong."""
    import nbformat

    course = tmp_path / "c"
    course.mkdir()
    assert invoke("new-exercise", "spread_of_values", cwd=course).exit_code == 0
    (course / "solutions" / "spread_of_values.py").write_text(
        "import numpy as np\n\nVALUES = np.array([2.0, 4.0, 9.0])\nMEAN = float(VALUES.mean())\n\n\n"
        "def spread(values):\n    return float(np.max(values) - np.min(values))\n\n\n"
        "def spread_backwards(values):\n    return float(np.min(values) - np.max(values))\n")
    (course / "exercises" / "spread_of_values" / "checks.py").write_text(
        "import numpy as np\n\nfrom autograder.exercises import load_solution\n"
        "from autograder.judge import FunctionCheck, ValueCheck\n\nsol = load_solution(__file__)\n\n"
        "CHECKS = [\n"
        "    ValueCheck('mean', var='mean', expected=sol.MEAN, points=1, mistakes={'not divided': 15.0}),\n"
        "    FunctionCheck('spread', function='spread', points=2, reference=sol.spread,\n"
        "                  cases=lambda rng: [(rng.normal(size=5),) for _ in range(3)],\n"
        "                  mistakes={'min minus max, the wrong way round': sol.spread_backwards}),\n"
        "]\nQUESTIONS = {'mean': ['mean', 'spread']}\n")
    master = course / "exercises" / "spread_of_values" / "spread_of_values.ipynb"
    nb = nbformat.read(str(master), as_version=4)
    cell = next(c for c in nb.cells if "# SOLUTION" in c.source)
    cell.source = ("mean = values.sum() / len(values)  # SOLUTION\n\ndef spread(v):\n"
                   "    # BEGIN SOLUTION\n    return float(v.max() - v.min())\n    # END SOLUTION")
    nbformat.write(nb, str(master))

    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_")}

    def scaffolded_tests():
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=course,
                              capture_output=True, text=True, env=env, timeout=300)

    run = scaffolded_tests()
    assert run.returncode == 0 and "3 passed" in run.stdout, run.stdout + run.stderr
    # A check whose reference is wrong fails the test of the solution (and its mistake is no longer one).
    checks = course / "exercises" / "spread_of_values" / "checks.py"
    checks.write_text(checks.read_text().replace("reference=sol.spread,", "reference=sol.spread_backwards,"))
    run = scaffolded_tests()
    assert run.returncode == 1 and "2 failed, 1 passed" in run.stdout, run.stdout
    assert "test_the_solution_gets_full_marks" in run.stdout


# --------------------------------------------------------------------------- the minimal way (exercises/README.md)

NEURON_SOLUTION = '''"""Reference solution of `neuron`: the values every check compares with."""
import math

DEFAULT_VARIANT = {"w": 0.5, "x": 2.0, "b": 1.0}  # the slides' numbers


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def expected(params=None):
    """Every value the checks compare with, or name as a mistake, for a student's numbers."""
    v = params or DEFAULT_VARIANT
    z = v["w"] * v["x"] + v["b"]
    return {"Z": z, "Z_WITHOUT_BIAS": v["w"] * v["x"], "P": sigmoid(z)}
'''

NEURON_CHECKS = '''from autograder.exercises import load_solution
from autograder.judge import Upstream, ValueCheck

sol = load_solution(__file__)

CHECKS = [
    ValueCheck("z", expected=sol.for_student("Z"), description="the net input w*x + b",
               mistakes={"the bias b was forgotten: z = w*x + b": sol.for_student("Z_WITHOUT_BIAS")}),
    ValueCheck("p", expected=sol.for_student("P"), description="the probability sigmoid(z)",
               upstream=Upstream(rule=sol.sigmoid, hint="p = sigmoid(z) is right for your z, but z is not")),
]
'''


def _neuron_course(tmp_path, carry_forward=None):
    """A course with one exercise written the minimal way: no QUESTIONS (each check grades the
    question of its name), no `var=` (the check's name), the solution loaded by the folder."""
    import nbformat

    from autograder.build.scaffold import new_exercise

    course = tmp_path / "course.yaml"
    new_exercise(course, "neuron")
    if carry_forward is not None:
        course.write_text(course.read_text() + f"    carry_forward: {carry_forward}\n")
    (tmp_path / "solutions" / "neuron.py").write_text(NEURON_SOLUTION)
    (tmp_path / "exercises" / "neuron" / "checks.py").write_text(NEURON_CHECKS)
    master = tmp_path / "exercises" / "neuron" / "neuron.ipynb"
    nb = nbformat.read(str(master), as_version=4)
    raw, code = nbformat.v4.new_raw_cell, nbformat.v4.new_code_cell
    nb.cells = nb.cells[:2] + [code("import numpy as np\n\nw, x, b = 0.5, 2.0, 1.0")]
    for name, answer in (("z", "z = w * x + b  # SOLUTION"), ("p", "p = 1 / (1 + np.exp(-z))  # SOLUTION")):
        nb.cells += [raw(f"# BEGIN QUESTION\nname: {name}"), raw("# BEGIN SOLUTION"), code(answer),
                     raw("# END SOLUTION"), raw("# BEGIN TESTS"),
                     code(f'assert {name} is not ..., "replace `...` by a number"'), raw("# END TESTS"),
                     raw("# END QUESTION")]
    nbformat.write(nb, str(master))
    return course


def test_an_exercise_written_the_minimal_way_grades_hints_varies_and_carries_forward(tmp_path):
    import nbformat

    from autograder.build.hidden_tests import write_generated_master
    from autograder.testing import exercise_of, full_points, judge, solution_answers

    course = _neuron_course(tmp_path, carry_forward="[p]")
    assert full_points(course, "neuron") == {"z": 1.0, "p": 1.0}
    solution = solution_answers(course, "neuron")
    assert {k: v.points for k, v in judge(course, "neuron", solution).items()} == {"z": 1.0, "p": 1.0}
    blank = judge(course, "neuron", {})
    assert [v.points for v in blank.values()] == [0.0, 0.0] and "not defined" in blank["z"].message
    # A listed mistake gets its hint; p computed right from that wrong z gets the points carried forward.
    wrong_z = 0.5 * 2.0
    mistaken = judge(course, "neuron", {"z": wrong_z, "p": 1 / (1 + math.exp(-wrong_z))})
    assert (mistaken["z"].points, mistaken["z"].hint) == (0.0, "the bias b was forgotten: z = w*x + b")
    assert mistaken["p"].points == 1.0 and mistaken["p"].details["carried_forward"] is True
    assert mistaken["p"].hint == "p = sigmoid(z) is right for your z, but z is not"
    # Without carry_forward the same p gets the hint and no points.
    plain = _neuron_course(tmp_path / "plain")
    assert judge(plain, "neuron", {"z": wrong_z, "p": 1 / (1 + math.exp(-wrong_z))})["p"].points == 0.0
    # A student's own numbers: the expected values follow them, the slides' answers no longer pass.
    own = {"w": 2.0, "x": 3.0, "b": -1.0}
    right = {"z": 5.0, "p": 1 / (1 + math.exp(-5.0))}
    assert [v.points for v in judge(course, "neuron", right, params=own).values()] == [1.0, 1.0]
    assert judge(course, "neuron", solution, params=own)["z"].points == 0.0
    # The build gives each question the points and the hidden test of the check of its name.
    generated = tmp_path / "generated.ipynb"
    write_generated_master(tmp_path / "exercises" / "neuron" / "neuron.ipynb", generated,
                           exercise_of(course, "neuron"))
    cells = [c.source for c in nbformat.read(str(generated), as_version=4).cells]
    for name in ("z", "p"):
        assert f"# BEGIN QUESTION\nname: {name}\npoints: [0, 1]" in cells
        assert any(f"judge_check(globals(), 'neuron', '{name}')" in c for c in cells), cells


def _write_checks(tmp_path, body: str):
    from autograder.course import Exercise

    folder = tmp_path / "exercises" / "ex"
    folder.mkdir(parents=True)
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "ex.py").write_text("Z = 1.5\n\ndef f(x):\n    return x\n\n"
                                                  "def expected(params=None):\n    return {'Z': Z}\n")
    (folder / "checks.py").write_text(
        "from autograder.exercises import load_solution\n"
        "from autograder.judge import BuildsOn, FunctionCheck, Upstream, ValueCheck\n\n"
        "sol = load_solution(__file__)\n\n"
        f"CHECKS = [\n    {body},\n]\n")
    return Exercise(id="ex", folder=folder), folder / "checks.py"


@pytest.mark.parametrize("body, says", [
    ('ValueCheck("z", expected=sol.Z, fom="array")', "unknown option 'fom' (did you mean 'form'?)"),
    ('ValueCheck("z", expected=sol.Z, points="2")', "option points= should be int | float, got '2' (str)"),
    ('ValueCheck("z", expected=sol.Z, mistakes=["z"])', "option mistakes= should be Mapping[str, Any] | None"),
    ('ValueCheck("z", expected=sol.Z, form="arrray")', "unknown form 'arrray'; the forms are array, bool,"),
    ('ValueCheck("z")', "option 'expected' is missing"),
    ('ValueCheck("z", expected=sol.for_student("ZZ"))', "sol.for_student('ZZ'): expected() of "),
    ('ValueCheck("z", expected=sol.for_student("ZZ"))', "has no 'ZZ' (did you mean 'Z'?)"),
    ('FunctionCheck("f", cases=[(1,)], reference=sol.f)', "option cases= should be Callable"),
    ('FunctionCheck("f", cases=lambda rng: [(1,)], refrence=sol.f)', "unknown option 'refrence' (did you mean 'reference'?)"),
    ('FunctionCheck("f", cases=lambda rng: [(1,)], reference=sol.f, builds_on=BuildsOn("g", 3, "h"))',
     "BuildsOn 'g': option rule= should be Callable[..., Any], got 3 (int)"),
    ('ValueCheck("z", expected=sol.Z, upstream=Upstream(rule=lambda y: y, hnt="h"))',
     "Upstream: option 'hint' is missing; unknown option 'hnt' (did you mean 'hint'?)"),
])
def test_a_check_option_with_a_typo_or_the_wrong_type_fails_where_it_is_written(tmp_path, body, says):
    from autograder.exercises import load_checks
    from autograder.judge.options import CheckOptionError

    exercise, checks = _write_checks(tmp_path, body)
    with pytest.raises(CheckOptionError) as raised:
        load_checks(exercise)
    assert str(raised.value).startswith(f"{checks}:7: "), str(raised.value)  # the file and the line
    assert says in str(raised.value), str(raised.value)


def test_every_bundled_checks_py_says_only_what_is_its_own():
    """The framework loads the solution, looks values up for the student's own numbers, makes the
    training tasks' checks and applies carry_forward: no checks.py repeats any of it."""
    import ast

    from autograder.course import DEFAULT_COURSE, load_course

    course = load_course(DEFAULT_COURSE)
    for exercise in course.exercises:
        source = (exercise.folder / "checks.py").read_text()
        tree = ast.parse(source)
        imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
        assert not [n for n in imports if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("solutions")
                    or isinstance(n, ast.Import) and any(a.name.startswith("solutions") for a in n.names)], exercise.id
        defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        assert not defined & {"mine", "make_checks"}, exercise.id
        assert "FromVariant(sol.expected" not in source and "with_carry_forward" not in source, exercise.id
        if exercise.training is not None:  # the framework's checks, one per task; the file names questions only
            assert [type(n).__name__ for n in tree.body] == ["Expr", "Assign"], exercise.id
            graded = ast.literal_eval(tree.body[1].value)
            assert sorted(n for names in graded.values() for n in names) == sorted(exercise.training.tasks)
        else:
            assert "sol = load_solution(__file__)" in source, exercise.id


def _readme_minimal_path() -> list[str]:
    """The Python blocks of exercises/README.md's minimal path: the solution, then checks.py."""
    import re
    import textwrap

    text = (REPO_ROOT / "exercises" / "README.md").read_text()
    section = text.split("## Writing an exercise: the minimal path", 1)[1].split("\n## ", 1)[0]
    return [textwrap.dedent(block) for block in re.findall(r"```python\n(.*?)\n\s*```", section, re.S)]


def test_the_readmes_minimal_example_gets_full_marks_zero_and_its_hint(tmp_path):
    """What the teacher's guide shows first works as it is shown."""
    import nbformat

    from autograder.build.scaffold import new_exercise
    from autograder.testing import declared_mistakes, full_points, judge, solution_answers

    solution, checks = _readme_minimal_path()
    course = tmp_path / "course.yaml"
    new_exercise(course, "net_input")
    (tmp_path / "solutions" / "net_input.py").write_text(solution)
    (tmp_path / "exercises" / "net_input" / "checks.py").write_text(checks)
    master = tmp_path / "exercises" / "net_input" / "net_input.ipynb"
    nb = nbformat.read(str(master), as_version=4)
    raw, code = nbformat.v4.new_raw_cell, nbformat.v4.new_code_cell
    nb.cells = nb.cells[:2] + [code("w, x, b = 0.5, 2.0, 1.0"), raw("# BEGIN QUESTION\nname: z"),
                               raw("# BEGIN SOLUTION"), code("z = w * x + b  # SOLUTION"), raw("# END SOLUTION"),
                               raw("# BEGIN TESTS"), code('assert z is not ..., "replace ... by a number"'),
                               raw("# END TESTS"), raw("# END QUESTION")]
    nbformat.write(nb, str(master))
    assert full_points(course, "net_input") == {"z": 1.0}
    assert judge(course, "net_input", solution_answers(course, "net_input"))["z"].points == 1.0
    assert judge(course, "net_input", {})["z"].points == 0.0
    [case] = declared_mistakes(course, "net_input")
    verdict = judge(course, "net_input", case.answers)["z"]
    assert (verdict.points, verdict.hint) == (0.0, "the bias b was forgotten: z = w*x + b")
