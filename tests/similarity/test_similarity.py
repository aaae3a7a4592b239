"""The similarity report: planted copies in a synthetic class found above every honest pair,
the handed-out code left out, the course signals, and hostile strings kept inert."""

from __future__ import annotations

import csv
import json

import nbformat
import pytest
from click.testing import CliRunner


from support.similarity_class import make_class, master_layout, write_class

from autograder.cli import main
from autograder.course import load_course
from autograder.intake.notebook import read_notebook
from autograder.similarity import THRESHOLD, Submitted, compare_class
from autograder.similarity.own_code import handout_of, own_code, own_names

COURSE = load_course(None)


def submitted(klass) -> list[Submitted]:
    out = []
    for (exercise, student), nb in klass.notebooks.items():
        cells, metadata = read_notebook(nbformat.writes(nb).encode())
        out.append(Submitted(f"{student}/{exercise}.ipynb", student, exercise, cells, metadata))
    return out


@pytest.fixture(scope="module", params=[2026, 7, 99])
def synthetic(request):
    """One synthetic class per seed: a planted copy must beat every honest pair in each."""
    klass = make_class(honest=32, seed=request.param)
    reports = compare_class(submitted(klass), COURSE, top=10)
    return klass, {r.exercise: r for r in reports}


def test_every_planted_copy_ranks_above_every_honest_pair(synthetic):
    klass, reports = synthetic
    for exercise, honest in klass.honest.items():
        assert len(honest) >= 30
        report = reports[exercise]
        planted = {frozenset((a, b)): label for e, a, b, label in klass.planted if e == exercise}
        listed = {frozenset((p.a.student, p.b.student)): p for p in report.pairs}
        missing = [label for pair, label in planted.items() if pair not in listed]
        assert not missing, f"{exercise}: planted copies not among the report's pairs: {missing}"
        weakest = min(listed[pair].score for pair in planted)
        honest_scores = [p.score for key, p in listed.items() if key not in planted]
        # the listed pairs are the highest: the first honest one listed is the highest honest score
        assert max(honest_scores) < weakest, (exercise, weakest, max(honest_scores))
        assert weakest >= THRESHOLD
        assert report.flagged >= len(planted)


@pytest.fixture(scope="module", params=[2026, 99])
def boundaries(request):
    """The same honest students with copies that move the cell boundaries and keep the code
    (similarity_class.BOUNDARY_DISGUISES). Seed 7 is left out: its sigmoid_probability class holds
    two honest students alike in all five answers (0.69), above the copy with a line added to every
    answer (0.66), which no view of the cells tells apart; benchmarks/similarity.py --boundaries
    measures all of them over fresh seeds."""
    klass = make_class(honest=32, seed=request.param, disguises="boundaries")
    reports = compare_class(submitted(klass), COURSE, top=10**6, passages=False)
    return klass, {r.exercise: r for r in reports}


def test_copies_that_merge_split_or_add_to_cells_rank_above_every_honest_pair(boundaries):
    """Answers merged into one cell, a line added to every answer, an answer split over two cells,
    prints merged into the answers, a line moved into the next cell: the statements are the same,
    so each copy is found as its source's cells are, whatever the cells around them."""
    klass, reports = boundaries
    labels = set()
    for exercise in klass.honest:
        planted = {frozenset((a, b)): label for e, a, b, label in klass.planted if e == exercise}
        scores = {frozenset((p.a.student, p.b.student)): p.score for p in reports[exercise].pairs}
        highest_honest = max(score for pair, score in scores.items() if pair not in planted)
        below = {label: round(scores[pair], 3) for pair, label in planted.items() if scores[pair] <= highest_honest}
        assert not below, (exercise, round(highest_honest, 3), below)
        labels |= set(planted.values())
    assert len(labels) == 6


def test_the_training_copy_is_found_by_its_recipe_not_its_code(synthetic):
    klass, reports = synthetic
    (source, copier), = [(a, b) for e, a, b, label in klass.planted if label == "same recipe, own code"]
    pair = next(p for p in reports["train_banknote"].pairs if {p.a.student, p.b.student} == {source, copier})
    assert pair.code < THRESHOLD <= pair.signals
    assert any(s.startswith("the whole training recipe") for s in pair.shared)


def test_passages_mark_the_shared_code_of_a_copy(synthetic):
    klass, reports = synthetic
    (source, copier), = [(a, b) for e, a, b, label in klass.planted if e == "sigmoid_probability" and label == "renamed"]
    pair = next(p for p in reports["sigmoid_probability"].pairs if {p.a.student, p.b.student} == {source, copier})
    marked = sum(len(t) for t, m in pair.left if m)
    assert marked > 0.5 * sum(len(t) for t, _ in pair.left)


def blank_notebook(exercise: str) -> list[str]:
    """The student version as handed out: given cells, `...` answers, Otter's checks."""
    cells = ["# @title Set-up: run this cell first\n_bundle = 'UEsDB'"]
    nb = nbformat.read(str(COURSE.exercise(exercise).master), as_version=4)
    stubs = {"sigmoid_probability": ["z = ...", 'def sigmoid(z):\n    """The logistic function 1 / (1 + exp(-z)), element by element."""\n    ...',
                                     "p = ...", "is_fake = ...", "X = ...\nW = ...\np_vec = ..."]}[exercise]
    answers = iter(stubs)
    for kind, value in master_layout(exercise):
        cells.append(next(answers) if kind == "answer" else value)
    assert nb.cells
    return cells + ["grader.export(pdf=False)"]


def test_the_handed_out_code_is_not_the_students():
    handout = handout_of(COURSE.exercise("sigmoid_probability").master)
    assert own_code(blank_notebook("sigmoid_probability"), handout) == ""
    # personal numbers in the given cell, re-indented and re-commented given lines: still handed out
    cells = ["import numpy as np\nw1, w2, b = 0.7, -0.2, 1.3   # mine\nx1, x2 = 2, 5",
             "z = w1*x1 + w2*x2 + b  # my answer", "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))"]
    assert own_code(cells, handout).split("\n\n") == ["    return 1 / (1 + np.exp(-z))", "z = w1*x1 + w2*x2 + b  # my answer"]


def test_handed_out_names_are_not_the_students_own():
    """`import numpy as np` is handed out: its `np` (and the given `sigmoid`) are not names a
    copier renames, so they are not written `V`; only what the student bound themselves is."""
    handout = handout_of(COURSE.exercise("sigmoid_probability").master)
    assert {"np", "numpy", "sigmoid", "x1", "w1"} <= handout.names
    cells = ["import numpy as np", "my_z = w1*x1 + w2*x2 + b\np = sigmoid(my_z)", "for k in range(3):\n    print(k)"]
    assert own_names(cells, handout) == {"my_z", "k"}


def pair_of(subs, exercise="sigmoid_probability"):
    report, = compare_class(subs, COURSE)
    return report


def _result(student, checks):
    return {"student": student, "exercise": "sigmoid_probability", "status": "graded",
            "checks": [{"name": n, "points": pts, "max_points": 1.0, "hint": h, "message": "m"} for n, pts, h in checks]}


def test_the_same_rare_wrong_answer_is_a_signal_and_right_answers_are_not():
    right = [("z", 1.0, ""), ("p", 1.0, "")]
    subs = [Submitted(f"s{i}", f"s{i}", "sigmoid_probability", result=_result(f"s{i}", right)) for i in range(20)]
    wrong = [("z", 0.0, "the bias is missing"), ("p", 0.0, "the sign of the exponent is flipped")]
    subs[3].result = _result("s3", wrong)
    subs[11].result = _result("s11", wrong)
    report = pair_of(subs)
    top = report.pairs[0]
    assert {top.a.student, top.b.student} == {"s3", "s11"}
    assert top.signals > 0.5 and any("the bias is missing" in s for s in top.shared)
    # the other pairs share only right answers: no evidence
    assert report.pairs[1].score == 0.0


def test_the_same_signed_variant_block_is_certain_and_one_students_two_hand_ins_are_no_pair():
    block = {"autograder": {"exercise": "sigmoid_probability",
                            "variant": {"student": "ann", "params": {"w1": 0.2}, "signature": "c2lnbmVk"}}}
    subs = [Submitted("ann.ipynb", "ann", "sigmoid_probability", metadata=block),
            Submitted("bob.ipynb", "bob", "sigmoid_probability", metadata=block),
            Submitted("ann2.ipynb", "ann", "sigmoid_probability", metadata=block)]
    report = pair_of(subs)
    assert [{p.a.student, p.b.student} for p in report.pairs] == [{"ann", "bob"}, {"ann", "bob"}]
    assert report.pairs[0].score == 1.0 and "made for 'ann'" in report.pairs[0].shared[0]


HOSTILE = '</pre><script>alert("x")</script>'


def test_cli_from_results_and_the_report_section(tmp_path, monkeypatch):
    """`similarity --results` reads the gradebook's rows and their files; students' strings are
    escaped in both pages and inert in the CSV; `report` then shows the section."""
    klass = make_class(honest=30, exercises=("sigmoid_probability",))
    write_class(klass, tmp_path / "class")
    source, copier = next((a, b) for e, a, b, label in klass.planted if label == "renamed")
    # a hostile student name and hostile code in the copy (a string the copy shares with its source)
    hostile = "=HYPERLINK(\"http://x\")" + HOSTILE
    (tmp_path / "class" / copier / "sigmoid_probability.ipynb").rename(tmp_path / "class" / copier / "x.ipynb")
    nb = klass.notebooks[("sigmoid_probability", copier)]
    nb.cells.append(nbformat.v4.new_code_cell(f"note = {HOSTILE!r}"))
    nbformat.write(nb, str(tmp_path / "class" / copier / "x.ipynb"))
    results = tmp_path / "results"
    (results / "results").mkdir(parents=True)
    from autograder.record import Gradebook

    with Gradebook(results / "gradebook.sqlite") as book:
        for i, folder in enumerate(sorted((tmp_path / "class").iterdir())):
            file = next(folder.glob("*.ipynb"))
            student = hostile if folder.name == copier else folder.name
            book.record({"submission": str(file), "student": student, "exercise": "sigmoid_probability",
                         "sha256": f"{i:064x}", "status": "graded", "score": 5.0, "max_score": 5.0,
                         "graded_at": "2026-01-01T00:00:00+00:00", "checks": [], "message": ""})
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke(main, ["similarity", "--results", str(results)])
    assert run.exit_code == 0, run.output
    assert "sigmoid_probability" in run.output and "not a verdict" in run.output
    page = (results / "similarity.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "not a verdict" in page
    rows = list(csv.DictReader((results / "similarity.csv").open()))
    copy_row, = [r for r in rows if {r["student_a"], r["student_b"]} == {source, "'" + hostile}]
    assert float(copy_row["score"]) >= THRESHOLD
    # the count a teacher can check: a renamed copy has every own cell the same as its source
    assert int(copy_row["own_cells_same"]) >= int(copy_row["own_cells"]) - 1 >= 4
    assert f"{copy_row['own_cells_same']} of {copy_row['own_cells']} own cells the same" in page
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    data = json.loads((results / "similarity.json").read_text())
    assert data["exercises"][0]["submissions"] == len(klass.notebooks) == 35
    run = CliRunner().invoke(main, ["report", "--results", str(results), "--no-feedback"])
    assert run.exit_code == 0, run.output
    report = (results / "report.html").read_text()
    assert 'id="similarity"' in report and "<script>" not in report and "&lt;/pre&gt;" in report


def test_cli_needs_paths_or_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke(main, ["similarity"])
    assert run.exit_code != 0 and "--results" in run.output


def test_hostile_notebooks_and_results_are_compared_without_a_traceback():
    """Code that no parser takes, a NUL byte, a megabyte of code, results of the wrong types:
    each is compared (or left out of a signal), and the honest copy among them is still found."""
    import time

    honest = ["z = w1 * x1 + w2 * x2 + b", "def sigmoid(z):\n    return np.reciprocal(1 + np.exp(np.negative(z)))",
              'print("my own words", z)\nzs = np.linspace(-7, 3, 17)']
    junk_results = [{"checks": "nope"}, {"checks": [{"name": ["x"], "points": "1", "max_points": None}]},
                    {"checks": [{"name": "z", "points": float("nan"), "max_points": 1.0, "details": [1]}]}]
    subs = [
        Submitted("deep", "deep", "sigmoid_probability", ["x = " + "(" * 5000 + "1" + ")" * 5000], result=junk_results[0]),
        Submitted("nul", "nul", "sigmoid_probability", ["z = 1\x00\nprint('\x00')"], result=junk_results[1]),
        Submitted("big", "big", "sigmoid_probability", ["y = [" + ", ".join(["1.5"] * 300_000) + "]",
                                                         "\n".join(f"v{i} = {i} * q" for i in range(40_000))],
                  result=junk_results[2]),
        Submitted("half", "half", "sigmoid_probability", ["def broken(:\n    return 1 +", "if True:\n  x = (1,"]),
        Submitted("ann", "ann", "sigmoid_probability", honest),
        Submitted("ann_copy", "bob", "sigmoid_probability", [c.replace("zs", "grid") for c in honest]),
    ] + [Submitted(f"o{i}", f"o{i}", "sigmoid_probability", [f"z = {i} * w1 + b", f"print({i})"]) for i in range(8)]
    started = time.process_time()
    report = pair_of(subs)
    assert time.process_time() - started < 30
    assert {report.pairs[0].a.student, report.pairs[0].b.student} == {"ann", "bob"}
    assert report.pairs[0].score >= THRESHOLD
    # ann's three own cells, all the same in bob's (his own name for the grid aside); none common
    assert (report.pairs[0].cells_same, report.pairs[0].cells, report.pairs[0].cells_common) == (3, 3, 0)


def test_the_same_wrong_number_is_a_stronger_sign_than_the_same_kind_of_mistake():
    """The judge records a digest of a wrong value; two students with the same wrong number
    share a rarer signal than two with wrong numbers that the same hint explains."""
    from autograder.judge import ValueCheck
    from autograder.probe.answers import Answer
    from autograder.similarity.signals import SignalWeights, result_signals, shared

    check = ValueCheck("z", var="z", expected=1.52, points=1, mistakes={"the bias is missing": 0.52})

    def result(value):
        verdict = check.judge({"value": Answer("z", value)}, {})
        return {"checks": [{"name": "z", "points": verdict.points, "max_points": 1.0, "hint": verdict.hint,
                            "message": verdict.message, "details": verdict.details}]}

    assert check.judge({"value": Answer("z", 1.52)}, {}).details == {}
    same_a, same_b, other = result(0.97), result(0.97000001), result(2.3)
    assert same_a["checks"][0]["details"]["answer"] == same_b["checks"][0]["details"]["answer"]
    assert other["checks"][0]["details"]["answer"] != same_a["checks"][0]["details"]["answer"]
    class_ = [same_a, same_b, other] + [result(1.52) for _ in range(20)]
    signals = [result_signals(r) for r in class_]
    weights = SignalWeights(signals)
    score, said = shared(signals[0], signals[1], weights)
    assert score > 0.3 and "the same wrong value" in said[0]
    assert shared(signals[0], signals[2], weights)[0] == 0.0  # wrong differently: nothing shared
    assert shared(signals[3], signals[4], weights)[0] == 0.0  # right, like most of the class


def test_the_same_file_handed_in_by_two_students_scores_one(tmp_path):
    """Byte-identical hand-ins of two students in a small class: the very same file, score 1."""
    from autograder.similarity.sources import from_paths

    klass = make_class(honest=6, exercises=("sigmoid_probability",))
    write_class(klass, tmp_path)
    copied = {a for _, a, _, _ in klass.planted}
    source = next(s for s in sorted(klass.honest["sigmoid_probability"]) if s not in copied)
    (tmp_path / "twin").mkdir()
    (tmp_path / "twin" / "sigmoid_probability.ipynb").write_bytes((tmp_path / source / "sigmoid_probability.ipynb").read_bytes())
    report, = compare_class(from_paths([str(tmp_path)], COURSE), COURSE)
    top = report.pairs[0]
    assert {top.a.student, top.b.student} == {source, "twin"}
    assert top.score == 1.0 and top.shared[0] == "the very same file, byte for byte"


def test_a_copy_with_one_answer_rewritten_outranks_two_students_who_share_their_unusual_forms():
    """Two honest students who both chose the two unusual forms of the class, each with their own
    prints and checks, against a copy of a student who writes the common forms, one answer
    rewritten, the source's exploration and comments kept: the copy scores higher, and the
    report says which comments they share and how many own cells are the same."""
    common = ["z = w1 * x1 + w2 * x2 + b", "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))", "p = sigmoid(z)",
              "is_fake = p > 0.5", "X = np.array([[x1, x2]])\nW = np.array([[w1], [w2]])\np_vec = sigmoid(X @ W + b)"]
    odd_sigmoid = "def sigmoid(z):\n    return np.reciprocal(1 + np.exp(np.negative(z)))"
    odd_vector = "X = np.atleast_2d([x1, x2])\nW = np.atleast_2d([w1, w2]).T\np_vec = sigmoid(X.dot(W) + b)"
    words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa", "lam", "mu", "nu",
             "xi", "omi", "pi", "rho", "sig", "tau", "ups"]
    subs = [Submitted(f"o{i}", f"o{i}", "sigmoid_probability", [*common, f'print("{w}", p)'])
            for i, w in enumerate(words)]
    honest_a = [common[0], odd_sigmoid, common[2], common[3], odd_vector, 'print("mine", z)', "assert p is not None"]
    honest_b = [common[0], odd_sigmoid, "p = float(sigmoid(z))", common[3], odd_vector, "print(type(p_vec))",
                "print(sigmoid(np.array([-3, 0, 8])))", 'print(f"fake? {is_fake}")']
    source = [common[0] + "  # net input", common[1], common[2] + "  # from the slides", common[3],
              common[4], "grid = np.linspace(-6, 11, 24)\nprint(sigmoid(grid))", 'print("so final", p_vec)']
    copied = [*source]
    copied[1] = "def sigmoid(z):\n    e = np.exp(-np.asarray(z, dtype=float))\n    return 1 / (1 + e)"
    subs += [Submitted("ha", "ha", "sigmoid_probability", honest_a), Submitted("hb", "hb", "sigmoid_probability", honest_b),
             Submitted("src", "src", "sigmoid_probability", source), Submitted("cp", "cp", "sigmoid_probability", copied)]
    pairs = {frozenset((p.a.student, p.b.student)): p for p in compare_class(subs, COURSE, top=10**6)[0].pairs}
    copy, honest = pairs[frozenset(("src", "cp"))], pairs[frozenset(("ha", "hb"))]
    assert copy.score > honest.score, (copy.score, honest.score)
    assert (copy.cells_same, copy.cells) == (6, 7) and (honest.cells_same, honest.cells) == (4, 8)
    assert "the same comment on 2 of their lines" in copy.shared and not honest.shared


def test_a_renamed_loop_variable_is_the_same_unit():
    """Names are made anonymous before the spaces go: `for acc in` and `for total in` are one line."""
    from autograder.similarity.answers import cell_units

    a = cell_units([[["for acc in range(len(w)):", "    g[acc] = acc * 2"]]], {"acc", "g"})
    b = cell_units([[["for total in range(len(w)):  # mine", "    out[total] = total*2"]]], {"total", "out"})
    assert a == b == {frozenset({"forVinrange(len(w)):\nV[V]=V*2"})}


def test_a_training_recipe_shared_in_part_counts_far_less_than_the_whole():
    """A recipe is one joint choice: 7 of 10 settings alike (honest students who draw from the
    same textbook settings) weigh a small fraction of the whole recipe alike."""
    from autograder.similarity.signals import Signal, SignalWeights, recipe_match

    def recipe(parts):
        return Signal("recipe:" + "\n".join(parts), "the same training recipe", tuple(parts), graded=True,
                      part_texts=tuple(parts))

    mine = [f"setting:{i}" for i in range(10)]
    other = mine[:7] + ["setting:x", "setting:y", "setting:z"]
    signals = [[recipe(mine)], [recipe(mine)], [recipe(other)], [recipe(other)]] + [[] for _ in range(16)]
    weights = SignalWeights(signals)
    whole, text_whole = recipe_match(signals[0][0], signals[1][0], weights)
    part, text_part = recipe_match(signals[0][0], signals[2][0], weights)
    assert whole > 0 and part < 0.15 * whole
    assert text_whole.startswith("the whole training recipe") and "in 7 of 13 parts" in text_part


def test_common_forms_alike_are_a_likely_accident_and_a_copy_alike_in_all_but_one_cell_is_not():
    """Scored by how unlikely it is for two independent writers: two students alike only in the
    forms about half the class wrote rank low however many cells they share, while a copy with
    its longest answer rewritten, which shares one unusual form beside three common ones,
    outranks two honest students who share two unusual forms beside four cells written
    differently."""
    forms = [  # per question: the common form first, then the others
        ["z = w1 * x1 + w2 * x2 + b", "z = x1 * w1 + x2 * w2 + b", "z = b + w1 * x1 + w2 * x2",
         "z = np.dot([w1, w2], [x1, x2]) + b"],
        ["def sigmoid(z):\n    return 1 / (1 + np.exp(-z))", "def sigmoid(z):\n    return np.exp(z) / (1 + np.exp(z))",
         "def sigmoid(z):\n    return 0.5 * (1 + np.tanh(z / 2))", "def sigmoid(z):\n    return 1.0 / (1.0 + np.exp(-z))"],
        ["p = sigmoid(z)", "p = float(sigmoid(z))", "p = sigmoid(np.array(z)).item()", "p = round(float(sigmoid(z)), 4)"],
        ["is_fake = p > 0.5", "is_fake = bool(p > 0.5)", "is_fake = z > 0", "is_fake = bool(round(p))"],
        ["X = np.array([[x1, x2]])\nW = np.array([[w1], [w2]])\np_vec = sigmoid(X @ W + b)",
         "X = np.array([[x1, x2]])\nW = np.array([[w1, w2]]).T\np_vec = sigmoid(np.matmul(X, W) + b)",
         "X = np.atleast_2d([x1, x2])\nW = np.atleast_2d([w1, w2]).T\np_vec = sigmoid(X.dot(W) + b)",
         "X = np.array([x1, x2])[None, :]\nW = np.array([w1, w2])[:, None]\np_vec = sigmoid(X @ W + b)"],
    ]
    # 30 students: each question's common form for about half of them, one of the others for the rest
    class_ = [[forms[q][0 if (3 * i + 7 * q) % 10 < 5 else 1 + (i + q) % 3] for q in range(5)] for i in range(30)]
    subs = [Submitted(f"o{i}", f"o{i}", "sigmoid_probability", [*cells, f"print({i}, p)"])
            for i, cells in enumerate(class_)]
    twin = [f[0] for f in forms]  # the common form in every cell, no print: two honest students write this
    odd_sigmoid = "def sigmoid(z):\n    return np.reciprocal(1 + np.exp(np.negative(z)))"
    odd_vector = "X = np.zeros((1, 2))\nX[0, 0], X[0, 1] = x1, x2\nW = np.zeros((2, 1))\nW[:, 0] = [w1, w2]\np_vec = sigmoid(X @ W + b)"
    honest_a = [forms[0][1], odd_sigmoid, forms[2][0], forms[3][2], odd_vector, 'print("mine", z)']
    honest_b = [forms[0][3], odd_sigmoid, forms[2][3], forms[3][0], odd_vector, "print(type(p_vec))"]
    own_sigmoid = "def sigmoid(z):\n    return np.exp(-np.logaddexp(0, -z))"
    source = [twin[0], own_sigmoid, *twin[2:4],
              "X = np.array([x1, x2]).reshape(1, 2)\nW = np.array([w1, w2]).reshape(2, 1)\np_vec = sigmoid(X @ W + b)"]
    copied = [*source[:4], odd_vector.replace("X @ W", "np.dot(X, W)")]  # the longest answer rewritten
    subs += [Submitted(n, n, "sigmoid_probability", cells) for n, cells in
             [("t1", twin), ("t2", twin), ("ha", honest_a), ("hb", honest_b), ("src", source), ("cp", copied)]]
    pairs = {frozenset((p.a.student, p.b.student)): p for p in compare_class(subs, COURSE, top=10**6)[0].pairs}
    copy, honest, twins = pairs[frozenset(("src", "cp"))], pairs[frozenset(("ha", "hb"))], pairs[frozenset(("t1", "t2"))]
    assert copy.score > honest.score, (copy.score, honest.score)
    assert (copy.cells_same, copy.cells, copy.cells_common) == (4, 5, 3)
    assert twins.score < THRESHOLD and twins.score < honest.score and (twins.cells_same, twins.cells_common) == (5, 5)


def test_a_cell_alike_but_for_its_numbers_counts_by_how_rare_its_form_is_and_never_twice():
    """A copier who changed the epochs keeps the cell's form: it counts log(N / df) over the
    cells alike but for their numbers (and, its numbers differing, as a cell written differently
    too); an exact match counts once, not again as a near one."""
    import math

    from autograder.similarity.answers import DIFFER, answer_evidence

    def cell(*statements):
        return frozenset(statements)

    others = [{cell(f"c = {i}")} for i in range(18)]  # one form, 18 numbers: common but for its numbers
    near = answer_evidence([{cell("model.add(Dense(16))", "epochs = 60")}, {cell("model.add(Dense(16))", "epochs = 77")},
                            *others])
    same = answer_evidence([{cell("model.add(Dense(16))")}, {cell("model.add(Dense(16))")}, *others])
    assert near[0, 1] == pytest.approx(math.log(20 / 2) - DIFFER) and same[0, 1] == pytest.approx(math.log(20 / 2))
    assert near[2, 3] == pytest.approx(math.log(20 / 18) - DIFFER)  # the same common form with other numbers
    assert near[0, 2] == pytest.approx(-DIFFER)  # nothing alike, one cell each written differently


def test_a_cell_is_found_by_its_statements_in_whatever_cells_they_are():
    """The source's cells merged into one, one of them split, a line added to each: every
    statement is still there, so the evidence is the plain copy's (each added line -STRAY, a
    split cell's halves two cells found); a cell whose statements are spread over cells of
    someone who also wrote others is found too, and their other cells count against it."""
    import math

    from autograder.similarity.answers import DIFFER, STRAY, answer_evidence

    def cells(*groups):
        return {frozenset(g) for g in groups}

    source = cells(["a"], ["b"], ["c", "d"])
    others = [cells([f"o{i}"]) for i in range(20)]
    n = 22

    def evidence(other):
        return answer_evidence([source, other, *others])[0, 1]

    plain = evidence(cells(["a"], ["b"], ["c", "d"]))
    assert plain == pytest.approx(3 * math.log(n / 2))
    assert evidence(cells(["a", "b", "c", "d"])) == pytest.approx(plain)  # merged into one cell
    assert evidence(cells(["a", "x"], ["b", "y"], ["c", "d", "z"])) == pytest.approx(plain - 3 * STRAY)  # a line added
    assert evidence(cells(["a"], ["b"], ["c"], ["d"])) == pytest.approx(4 * math.log(n / 2))  # split: four cells found
    assert evidence(cells(["a"], ["b", "c"], ["d"])) == pytest.approx(plain - DIFFER)  # a line moved: one cell differs
    assert evidence(cells(["a", "b"], ["q"], ["r"])) == pytest.approx(2 * math.log(n / 2) - 2 * DIFFER)


def test_the_plain_count_finds_the_cells_of_a_copy_that_merged_them():
    """The count beside a score is of the cells of the one who wrote more that the other also
    wrote, in whatever cells: a copy that merged three answers into one cell is 3 of 3, not 0 of 3."""
    from autograder.similarity.answers import cell_units, cells_found, cells_same

    source = [[["z = w1 * x1 + w2 * x2 + b"]], [["p = 1 / (1 + np.exp(-z))"]], [["label = int(p > 0.5)"]]]
    merged = [[["z = w1*x1 + w2*x2 + b"], ["p = 1/(1 + np.exp(-z))  # the sigmoid"], ["label = int(p > 0.5)"]]]
    honest = [[["z = np.dot([w1, w2], [x1, x2]) + b"]], [["p = 1 / (1 + np.exp(-z))"]], [["label = 1 if p > 0.5 else 0"]]]
    units = [cell_units(cells, set()) for cells in (source, merged, honest)]
    found, common, cells_of = cells_found(units)
    assert list(cells_of) == [3, 1, 3]
    # the sigmoid line, written by all three (more than the class's cap of 2), is common
    assert cells_same(0, 1, found, common, cells_of) == (3, 3, 1)
    assert cells_same(1, 0, found, common, cells_of) == (3, 3, 1)
    assert cells_same(0, 2, found, common, cells_of) == (1, 3, 1)
