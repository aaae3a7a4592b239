"""Shared fixtures: the bundled course built once per test session, and each exercise's master
assigned by Otter once per session."""

from __future__ import annotations


import os

# Keras 3 runs on torch in this course (as in the slides); without this, a test module that
# imports keras first would pick Keras' default backend, TensorFlow, which is not installed.
os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest

pytest.register_assert_rewrite("support")

from support.courses import course_of_six  # noqa: E402
from support.environment import require_bubblewrap  # noqa: E402


@pytest.fixture(scope="session")
def record_beside_the_bundled_course():
    """(its path, whether it was there before the tests): see no_record_beside_the_bundled_course."""
    from autograder.exercises import REPO_ROOT

    record = REPO_ROOT / "handed_out.json"
    return record, record.exists()


@pytest.fixture(autouse=True)
def no_record_beside_the_bundled_course(record_beside_the_bundled_course):
    """A roster build on the bundled course writes handed_out.json beside course.yaml, and from
    then on every grading of the repository's course requires personal variants. A test (or a
    fixture it uses) must keep that record in its own folder (course.yaml `handed_out:`)."""
    record, existed = record_beside_the_bundled_course
    yield
    if not existed and record.exists():
        record.unlink()
        pytest.fail("this test (or one of its fixtures) wrote handed_out.json beside the repository's "
                    "course.yaml; give its course a `handed_out:` path in a temporary folder")


@pytest.fixture
def bwrap(monkeypatch):
    """The test runs its notebooks under bubblewrap (required: see require_bubblewrap)."""
    require_bubblewrap()
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "bubblewrap")
    return "bubblewrap"


@pytest.fixture(params=["bubblewrap", "rlimits"])
def mode(request, monkeypatch):
    """The test runs once under bubblewrap (required) and once under the rlimits fallback."""
    if request.param == "bubblewrap":
        require_bubblewrap()
    monkeypatch.setenv("AUTOGRADER_SANDBOX", request.param)
    return request.param


@pytest.fixture(scope="session")
def built_course(tmp_path_factory):
    """dist/ of the whole bundled course (student, solution, autograder versions), built once a
    session: the pen-and-paper tests use their six, the Colab and clean-Python tests every one."""
    from autograder.build import build_course
    from autograder.course import load_course

    out = tmp_path_factory.mktemp("dist")
    build_course(load_course(), out)
    return out


@pytest.fixture(scope="session")
def written_course(tmp_path_factory):
    """The bundled course without its timed training tasks: every pen-and-paper and Keras exercise."""
    import yaml

    from autograder.course import DEFAULT_COURSE
    from autograder.exercises import EXERCISES_DIR

    folder = tmp_path_factory.mktemp("course")
    data = yaml.safe_load(DEFAULT_COURSE.read_text())
    data["exercises"] = [e for e in data["exercises"] if "training" not in e]
    (folder / "course.yaml").write_text(yaml.safe_dump(data))
    (folder / "exercises").symlink_to(EXERCISES_DIR)
    return folder / "course.yaml"


@pytest.fixture(scope="session")
def six_course(tmp_path_factory):
    """The bundled course without its training tasks (those have tests of their own)."""
    return course_of_six(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="session")
def fast_course(tmp_path_factory):
    """The six pen-and-paper exercises with short limits, so that hostile notebooks end quickly."""
    limits = {"cell_timeout": 3, "total_timeout": 30, "memory_mb": 2048, "output_kb": 64}
    return course_of_six(tmp_path_factory.mktemp("course"), limits)


class Masters:
    """Otter assign on each exercise's master, at most once a session, and its two notebooks
    run at most once: test modules and the contract test share them, so a test must not change
    a namespace (it judges `namespace | {...}` instead)."""

    def __init__(self, tmp_path_factory):
        self._tmp = tmp_path_factory
        self._built: dict = {}
        self._namespaces: dict = {}

    def built(self, exercise_id: str) -> tuple:
        """(student notebook, solution notebook, {question: Otter test}), as support.assign_master."""
        from support import assign_master

        if exercise_id not in self._built:
            self._built[exercise_id] = assign_master(exercise_id, self._tmp.mktemp(exercise_id))
        return self._built[exercise_id]

    def namespace(self, exercise_id: str, version: str) -> dict:
        """The namespace of the "solution" or the "student" (blank) notebook, run once."""
        from support import notebook_namespace

        if (exercise_id, version) not in self._namespaces:
            student, solution, _ = self.built(exercise_id)
            notebook = {"student": student, "solution": solution}[version]
            self._namespaces[exercise_id, version] = notebook_namespace(notebook)
        return self._namespaces[exercise_id, version]


@pytest.fixture(scope="session")
def masters(tmp_path_factory) -> Masters:
    return Masters(tmp_path_factory)


@pytest.fixture
def exercise_id(request) -> str:
    """The exercise a test is about: its module's ID (test_exercise_contract parametrizes it)."""
    return request.module.ID


@pytest.fixture
def built(masters, exercise_id) -> tuple:
    """Otter assign on the master: (student notebook, solution notebook, every Otter test)."""
    return masters.built(exercise_id)


@pytest.fixture
def solution_ns(masters, exercise_id) -> dict:
    """The solution notebook run once a session (keras_params imports Keras there: seconds)."""
    return masters.namespace(exercise_id, "solution")


@pytest.fixture
def blank_ns(masters, exercise_id) -> dict:
    """The student (blank) notebook run once a session."""
    return masters.namespace(exercise_id, "student")
