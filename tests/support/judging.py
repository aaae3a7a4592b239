"""Test helpers: judge an exercise's checks on a namespace evaluated in this process.

This is for testing checks and solutions quickly, without a sandbox: the namespace comes from
trusted code (a solution or a hand-made mistake), or from a trusted notebook run by the
sandbox's own cell runner in this process (autograder/sandbox/cells.run_trusted), answered
through the same responder and wire format the sandbox uses, then judged exactly as the
engine judges. A test that needs the isolation itself grades through the run stage
(autograder.pipeline.grade_submission) instead.
"""

from __future__ import annotations

from autograder.exercises import checks_module, load_checks
from autograder.judge.in_process import judge_in_process


def judge_namespace(exercise_id: str, namespace: dict, seed: int = 0, params: dict | None = None) -> dict:
    """{check name: Verdict} for the exercise's checks against `namespace`, judged for the
    variant `params` (a student's own numbers; None: the slides' numbers)."""
    return judge_in_process(load_checks(exercise_id), namespace, seed, params)


def notebook_namespace(path, params: dict | None = None, files: dict | None = None) -> dict:
    """The namespace of a (trusted) notebook run as the grader runs a submission: every code
    cell, as intake reads them, through the sandbox's own shell and cell runner (Otter is the
    sandbox's stand-in, magics are refused alike), in this process and in a working folder
    holding `files` ({"data/x.npy": bytes}, see exercises.data_files). A cell that fails fails
    the test: these notebooks are ours.

    With `params`, the `{{ name }}` placeholders of a varying exercise (a master, or the
    template of the personalised notebooks) are filled with them first, as the build does.
    """
    import nbformat

    from autograder.build.variants import render
    from autograder.intake.notebook import read_notebook
    from autograder.sandbox.cells import run_trusted

    nb = nbformat.read(str(path), as_version=4)
    if params is not None:
        render(nb, params, str(path))
    sources, _ = read_notebook(nbformat.writes(nb).encode("utf-8"))
    namespace, outcomes = run_trusted(sources, files)
    failed = [f"cell {i}: {error}" for i, (status, error) in enumerate(outcomes) if status != "ok"]
    assert not failed, f"{path}: " + "; ".join(failed)
    return namespace


def assign_master(exercise_id: str, folder) -> tuple:
    """Otter assign on an exercise's master, as the build runs it: (student notebook, solution
    notebook, {question: OKTestFile} from Otter's autograder zip). Placeholders are filled
    with the slides' numbers, as the build fills them."""
    import zipfile
    from pathlib import Path

    from otter.test_files.ok_test import OKTestFile

    from autograder.build.assign import run_otter_assign
    from autograder.build.master import read_master
    from autograder.build.variants import default_variant, has_placeholders, render_file
    from autograder.exercises import master_notebook

    read_master(master_notebook(exercise_id), exercise_id)
    out = run_otter_assign(master_notebook(exercise_id), Path(folder))
    student = out / "student" / f"{exercise_id}.ipynb"
    solution = out / "autograder" / f"{exercise_id}.ipynb"
    if has_placeholders(student):
        for notebook in (student, solution):
            render_file(notebook, default_variant(exercise_id))
    [bundle] = (out / "autograder").glob("*.zip")
    tests = {}
    with zipfile.ZipFile(bundle) as z:
        for name in z.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                path = out / name.replace("/", "_")
                path.write_bytes(z.read(name))
                tests[Path(name).stem] = OKTestFile.from_file(str(path))
    return student, solution, tests


def run_otter_test(test, namespace: dict, hidden: bool) -> list[bool]:
    """Whether each public (hidden=False) or hidden case of an Otter test passes in `namespace`."""
    test.run(dict(namespace))
    return [r.passed for r in test.test_case_results if r.test_case.hidden == hidden]


def assert_otter_tests_pass(tests: dict, namespace: dict) -> None:
    """Every public and every hidden case of every Otter test passes in `namespace`."""
    for question, test in tests.items():
        assert all(run_otter_test(test, namespace, hidden=False)), question
        assert all(run_otter_test(test, namespace, hidden=True)), question


def assert_slides_answers_fail_their_hidden_tests(exercise_id: str, tests: dict, namespace: dict, slides: dict,
                                                  names: tuple[str, ...], questions: tuple[str, ...]) -> None:
    """`namespace` (a personal variant's answers) with `names` replaced by the slides' answers
    (`slides`): in each of `questions`, the hidden test of each replaced check fails, the others
    still pass (one hidden test per check)."""
    wrong = namespace | {name: slides[name] for name in names}
    for question in questions:
        checks = checks_module(exercise_id).QUESTIONS[question]
        replaced = [n for n in checks if wrong[n] is not namespace.get(n)]
        assert replaced, question
        assert run_otter_test(tests[question], wrong, hidden=True) == [n not in replaced for n in checks], question


def total(verdicts: dict) -> float:
    """The points of a judge_namespace answer, all checks together."""
    return sum(v.points for v in verdicts.values())
