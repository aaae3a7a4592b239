"""The course model: course.yaml parsed and validated once, every mistake a CourseError that
names the file, the exercise and the field; the Gradescope bundle's course.yaml round-trips."""

from __future__ import annotations

import copy
import re
from dataclasses import fields

import pytest
import yaml

from autograder.course import DEFAULT_COURSE, CourseError, LimitOverrides, Limits, load_course
from autograder.exercises import EXERCISES_DIR
from autograder.gradescope.bundle import bundle_course

BUNDLED = yaml.safe_load(DEFAULT_COURSE.read_text())


def write(folder, data) -> object:
    if not (folder / "exercises").exists():
        (folder / "exercises").symlink_to(EXERCISES_DIR)
    (folder / "course.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder / "course.yaml"


def entry(data, exercise_id):
    return next(e for e in data["exercises"] if isinstance(e, dict) and e["id"] == exercise_id)


def test_the_bundled_course_parses_into_typed_parts():
    course = load_course()
    assert course.name == "Deep Learning, week 1" and len(course.ids) == 15
    sin = course.exercise("train_sin")
    assert sin.trains and not sin.varies and course.exercise("backprop").varies
    regression = sin.training.tasks["regression"]
    assert (regression.metric, regression.build, regression.settings) == ("mse", "build_model", "TRAINING")
    assert [(t.threshold, t.points) for t in regression.ranked_tiers] == [(0.04, 3), (0.08, 2), (0.2, 1)]
    assert (regression.budget_s.gpu, regression.budget_s.cpu) == (45, 60)
    assert sin.training.seeds.heldout == 11 and course.exercise("train_digits").training.data.source == "sklearn"
    assert course.exercise("keras_params").limits.cell_timeout == 90
    assert course.exercise("sigmoid_probability").limits.output_bytes == 256 * 1024
    assert course.lms.gradescope.hidden_visibility == "after_due_date" and course.lms.moodle.identifier == "email"
    assert course.cluster.jobs == 2 and course.cluster.slurm["queue"] == "gpu"
    assert course.publish is None and course.secret_file is None and course.handed_out is None
    assert course.trains and course.exercise("sigmoid_probability").preload is None


def test_the_limit_names_are_the_sandbox_s_own():
    assert set(LimitOverrides.model_fields) == {f.name for f in fields(Limits)} - {"gpu"} | {"output_kb"}


def _set(*keys, value):
    """A mutation of the bundled course: `value` at the path `keys` (an exercise id picks its entry)."""
    def mutate(data):
        node = data
        for key in keys[:-1]:
            node = entry(data, key) if node is data and key in {e["id"] for e in data["exercises"]} else node[key]
        node[keys[-1]] = value
    return mutate


TIERS = ("train_sin", "training", "tasks", "regression", "tiers")
BAD = [
    (_set("nmae", value="x"), "course.yaml: unknown key 'nmae' (did you mean 'name'?); known: cluster, exercises, handed_out, limits, lms, name"),
    (_set("backprop", "vaires", value=True), "exercise 'backprop': unknown key 'vaires' (did you mean 'varies'?); known: carry_forward, figure_reference, id"),
    (_set("train_sin", "training", "tasks", "regression", "budget", value={"gpu": 1}),
     "exercise 'train_sin', training.tasks.regression: unknown key 'budget' (did you mean 'budget_s'?); known: budget_s, build, classes"),
    (_set("train_sin", "training", "seed", value={}), "exercise 'train_sin', training: unknown key 'seed'"),
    (_set("train_sin", "training", "tasks", value={}), "exercise 'train_sin', training.tasks must not be empty"),
    (_set("backprop", "limits", value={"cell_timeout": "fast"}),
     "exercise 'backprop', limits: bad value for limit cell_timeout: 'fast'"),
    (_set("limits", value={"memory_mb": -1}), "course.yaml: limits: limit memory_mb cannot be negative"),
    (_set("limits", value={"cell_timeout": float("inf")}), "limits: bad value for limit cell_timeout: inf (a finite number)"),
    (_set("backprop", "limits", value={"memory_mb": float("nan")}),
     "exercise 'backprop', limits: bad value for limit memory_mb: nan (a finite number)"),
    (_set("limits", value={"cell_timeout": True}), "limits: bad value for limit cell_timeout: True"),
    (_set("limits", value={"cel_timeout": 3}), "limits: unknown limit 'cel_timeout' (did you mean 'cell_timeout'?); known: cell_timeout"),
    (_set("limits", value=[1, 2]), "course.yaml: limits must be a mapping"),
    (_set(*TIERS, value=[{"at_most": 0.2, "points": 3}, {"at_most": 0.04, "points": 1}]),
     "exercise 'train_sin', training.tasks.regression: tiers: a tier with more points must ask for a better mse"),
    (_set(*TIERS, value=[{"at_most": 0.2, "points": -1}]),
     "exercise 'train_sin', training.tasks.regression.tiers[0].points should be greater than 0 (got -1)"),
    (_set(*TIERS, value=[{"at_least": 0.9, "points": 3}]),
     "training.tasks.regression: each tier of a mse task needs 'at_most' and 'points' (not 'at_least')"),
    (_set(*TIERS, value=[]), "exercise 'train_sin', training.tasks.regression.tiers must not be empty"),
    (_set("train_sin", "training", "tasks", "regression", "metric", value="f1"),
     "training.tasks.regression.metric should be 'accuracy' or 'mse' (got 'f1')"),
    (_set("train_banknote", "training", "tasks", "model", "classes", value=None),
     "exercise 'train_banknote', training.tasks.model: an accuracy task needs classes (2 or more)"),
    (_set("train_banknote", "training", "tasks", "model", "budget_s", value={"gpu": 45}),
     "exercise 'train_banknote', training.tasks.model.budget_s.cpu is missing"),
    (_set("lms", "gradescope", "visibility", value="after_lunch"),
     "course.yaml: lms.gradescope.visibility should be 'hidden', 'after_due_date', 'after_published' or 'visible' "
     "(got 'after_lunch')"),
    (_set("lms", "gradescope", "hidden_checks", value={"bakprop": "all"}),
     "lms.gradescope.hidden_checks names 'bakprop', which is not an exercise of the course"),
    (_set("lms", "gradescope", "hidden_checks", value={"backprop": 3}),
     "hidden_checks of 'backprop' must be a list of check names, or all"),
    (_set("lms", "moodle", "identifier", value="shoe size"), "lms.moodle.identifier should be 'email', 'username' or"),
    (_set("lms", "pick", value="worst"), "lms.pick should be 'best' or 'latest' (got 'worst')"),
    (_set("publish", value={"notebooks": "https://gitlab.com/x/{id}.ipynb"}),
     "course.yaml: publish.notebooks must be a GitHub file URL with {id} for the exercise id"),
    (_set("backprop", "preload", value="numpy; import os"),
     "exercise 'backprop': preload must be a list of module names, e.g. [numpy, IPython]"),
    (_set("backprop", "preload", value=["numpy", "os.path"]), "exercise 'backprop': preload must be a list of module"),
    (_set("backprop", "carry_forward", value="yes"), "exercise 'backprop': carry_forward must be true, false or a list"),
    (_set("cluster", "jobs", value=0), "course.yaml: cluster.jobs should be greater than 0 (got 0)"),
    (lambda data: data.__setitem__("exercices", data.pop("exercises")),
     "course.yaml: unknown top-level key 'exercices' (did you mean 'exercises'?); known: cluster, exercises,"),
    (lambda data: data["exercises"].append({"id": "backprop"}),
     "course.yaml: exercise ids must be unique; listed more than once: backprop"),
    (lambda data: data["exercises"].append({"id": "ghost"}), "exercise 'ghost' has no master notebook at"),
    (lambda data: data["exercises"].append({"title": "no id"}), "course.yaml: exercise #16, id is missing"),
]


@pytest.mark.parametrize("mutate,words", BAD, ids=[w[:40] for _, w in BAD])
def test_a_bad_course_yaml_is_a_clear_error(tmp_path, mutate, words):
    data = copy.deepcopy(BUNDLED)
    mutate(data)
    with pytest.raises(CourseError) as caught:
        load_course(write(tmp_path, data))
    message = str(caught.value)
    assert words.removeprefix("course.yaml: ") in message
    assert re.match(re.escape(str(tmp_path / "course.yaml")) + r"(, line \d+)?: ", message), message
    assert "pydantic" not in message and "errors.pydantic.dev" not in message and "\n" not in message


LINES = [  # (mutation, the text of the line the message must name)
    (_set("nmae", value="x"), "nmae: x"),
    (_set("backprop", "vaires", value=True), "vaires: true"),
    (_set(*TIERS, value=[{"at_most": 0.2, "points": -1}]), "points: -1"),
    (_set("lms", "gradescope", "visibility", value="after_lunch"), "visibility: after_lunch"),
    (_set("limits", value={"cel_timeout": 3}), "cel_timeout: 3"),
    (_set("train_banknote", "training", "tasks", "model", "budget_s", value={"gpu": 45}), "budget_s:"),
    (lambda data: data["exercises"].append({"title": "no id"}), "- title: no id"),
]


@pytest.mark.parametrize("mutate,text", LINES, ids=[t for _, t in LINES])
def test_a_course_yaml_error_names_the_line_it_is_about(tmp_path, mutate, text):
    data = copy.deepcopy(BUNDLED)
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(CourseError) as caught:
        load_course(path)
    line = int(re.match(re.escape(str(path)) + r", line (\d+): ", str(caught.value)).group(1))
    assert path.read_text().splitlines()[line - 1].strip() == text


def test_quoted_numbers_and_bare_ids_are_accepted(tmp_path):
    data = {"name": "c", "limits": {"cell_timeout": "12", "output_kb": 8},
            "exercises": ["backprop", {"id": "decision_line", "limits": {"output_bytes": 100}}]}
    course = load_course(write(tmp_path, data))
    backprop, line = course.exercise("backprop"), course.exercise("decision_line")
    assert backprop.title == "backprop" and backprop.limits.cell_timeout == 12.0 and backprop.limits.output_bytes == 8192
    assert line.limits.output_bytes == 100 and line.limits.cell_timeout == 12.0


@pytest.mark.parametrize("exercise_id", ["backprop", "train_sin", "keras_params"])
def test_the_bundle_course_yaml_round_trips(tmp_path, exercise_id):
    data = copy.deepcopy(BUNDLED)
    data["lms"]["gradescope"]["hidden_checks"] = {exercise_id: "all", "softmax": ["s"]}
    data["lms"]["canvas"]["assignments"] = {exercise_id: "Week 1 (4711)"}
    data["secret_file"] = "/home/teacher/secret"
    course = load_course(write(tmp_path, data))
    exercise = course.exercise(exercise_id)
    shipped = bundle_course(exercise, course)
    assert "secret_file" not in shipped and "handed_out" not in shipped
    assert shipped["lms"]["gradescope"]["hidden_checks"] == {exercise_id: "all"}  # reduced to its exercise
    (tmp_path / "bundle").mkdir()
    again = load_course(write(tmp_path / "bundle", shipped))
    assert again.ids == [exercise_id]
    assert again.exercise(exercise_id).model_dump(exclude={"folder"}) == exercise.model_dump(exclude={"folder"})
    assert again.lms.gradescope == course.lms.gradescope.model_copy(update={"hidden_checks": {exercise_id: "all"}})
    assert again.lms.canvas.assignments == {exercise_id: "Week 1 (4711)"} and again.cluster == course.cluster
    assert again.name == course.name
