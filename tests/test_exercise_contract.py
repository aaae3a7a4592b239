"""The contract every pen-and-paper exercise keeps, tested once over the six.

Each exercise's master, once Otter has assigned it, has one Otter question per group of hidden
checks with the same points; its student version shows the blanks and none of the answers; its
solution passes every Otter test and gets full marks from the checks; its blank fails them all
and gets zero. What differs between exercises is in the table below; what is particular to one
exercise (the slides' numbers, hints for typical mistakes, answer forms, variants) is tested in
its own module, tests/test_<id>.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import nbformat
import pytest

from autograder.exercises import checks_module, load_checks, master_notebook, max_score
from support import assert_otter_tests_pass, judge_namespace, run_otter_test, total


@dataclass(frozen=True)
class Contract:
    questions: dict[str, list[str]]  # Otter question -> the hidden checks that grade the same answers
    max_score: float
    blanks: tuple[str, ...]  # answers the student version leaves as `name = ...`
    shown: tuple[str, ...]  # more text the student version must show: signatures, given numbers
    leaks: tuple[str, ...]  # text of the solution that the student version must not show
    blank_says: dict[str, str]  # check -> words of its message on the blank notebook
    cells: tuple[str, ...] = field(default=())  # in the student's cell sources: the slides' numbers, filled in


# In every student version: no solution, no hidden test, no test config.
COMMON_LEAKS = ("# SOLUTION", "hidden\": true", "BEGIN TEST CONFIG")
MASTER_CONFIG = ("init_cell: true", "check_all_cell: false", "export_cell: true", "generate: true", "run_tests: false")
SEEDS = range(5)  # the checks draw their own inputs: the solution gets full marks whatever they are

EXERCISES = {
    "sigmoid_probability": Contract(
        questions={
            "q1_net_input": ["z"],
            "q2_sigmoid": ["sigmoid"],
            "q3_probability": ["p"],
            "q4_decision": ["is_fake"],
            "q5_vector_form": ["X", "W", "p_vec"],
        },
        max_score=6,
        blanks=("z", "p", "is_fake", "X", "W", "p_vec"),
        shown=("def sigmoid(z):",),
        leaks=("1.52", "0.8205", "is_fake = p", "np.exp(-z)", "np.array([[x1, x2]])"),
        blank_says={"z": "not answered yet"},
    ),
    "decision_line": Contract(
        questions={
            "q1_log_odds": ["log_odds_at_half"],
            "q2_line": ["intercept", "slope"],
            "q3_formula": ["line_formula"],
            "q4_general_line": ["decision_line"],
        },
        max_score=6,
        blanks=("log_odds_at_half", "intercept", "slope", "line_formula"),
        shown=("def decision_line(b0, b1, b2):", "b0, b1, b2 = 1.0, 2.0, 0.5"),
        leaks=("-b0 / b2", "-b1 / b2", "-2.0", "-4.0", "np.log(0.5", "x2 = -("),
        blank_says={"slope": "not answered yet", "decision_line": "got None", "line_formula": "not answered yet"},
    ),
    "matrix_multiplication": Contract(
        questions={
            "q1_shapes": ["product_shape"],
            "q2_product": ["AB"],
            "q3_matmul": ["matmul"],
            "q4_two_layers": ["V"],
        },
        max_score=6,
        blanks=("AB", "V"),
        shown=("def product_shape(shape_a, shape_b):", "def matmul(A, B):", "U = np.array("),
        leaks=("14, 4, 18", "2 * 3 + 1 * 8", "A[i, 0] * B[0, j]", "W @ U", "[[-1, 5]", "C[i, j] +=",
               "raise ValueError(f"),
        blank_says={"AB": "not answered yet"},
        cells=("A = np.array([[2, 1],\n              [0, 3]])",
               "\\begin{pmatrix} 3 & 1 & 7 \\\\ 8 & 2 & 4 \\end{pmatrix}"),
    ),
    "forward_pass": Contract(
        questions={
            "q1_sigmoid": ["sigmoid"],
            "q2_no_hidden": ["predict_no_hidden", "p_no_hidden"],
            "q3_one_hidden": ["predict_hidden", "p_hidden"],
            "q4_shapes": ["shape_W1", "shape_W2", "shape_W3"],
            "q5_two_hidden": ["predict_two_hidden", "p_two_hidden"],
        },
        max_score=12,
        blanks=("p_no_hidden", "p_hidden", "p_two_hidden", "shape_W1", "shape_W3"),
        shown=("def sigmoid(z):", "def predict_hidden(X, W1, b1, W2, b2):",
               "def predict_two_hidden(X, W1, b1, W2, b2, W3, b3):", "SEED = 22", "np.random.seed(SEED)"),
        leaks=("0.4486", "0.6421", "0.8205", "hidden1 @ W2", "np.exp(-z)", "(8, 8)", "draw_normal(shape_W1)"),
        blank_says={"p_hidden": "not answered yet", "shape_W2": "not answered yet"},
    ),
    "backprop": Contract(
        questions={
            "q1_forward": ["q", "f"],
            "q2_backward": ["df_dq", "df_dx", "df_dy", "df_dz"],
            "q3_autograd": ["grad_x", "grad_y", "grad_z"],
            "q4_grad_f": ["grad_f"],
        },
        max_score=11,
        blanks=("q", "f", "df_dq", "df_dx", "df_dy", "df_dz", "xt", "grad_x", "grad_z"),
        shown=("def grad_f(x, y, z):",),
        leaks=("-12", "3.0, -4.0", "df_dq = z", "df_dz = q", "requires_grad=True)  #", "ft.backward()\\n",
               "return df_dq"),
        blank_says={"df_dz": "not answered yet"},
        cells=("x, y, z = -2.0, 5.0, -4.0", "x = -2,\\; y = 5,\\; z = -4."),
    ),
    "keras_params": Contract(
        questions={
            "q1_dense_10_20_30": ["params_layer1", "params_layer2", "params_10_20_30"],
            "q2_more_stacks": ["params_10_100_100_1", "params_2_8_1"],
            "q3_count_function": ["count_dense_params"],
            "q4_batchnorm": ["trainable_params", "non_trainable_params"],
            "q5_keras_count": ["n_params_keras"],
            "q6_functional_bug": ["bug_answer", "n_params_fixed"],
        },
        max_score=12,
        blanks=("params_layer1", "params_10_20_30", "params_2_8_1", "trainable_params", "non_trainable_params",
                "n_params_keras", "bug_answer", "n_params_fixed"),
        shown=("def count_dense_params(layer_sizes):",),
        leaks=("419160", "419,160", "420260", "11301", "1100", "\"B\"", "(inputs)", "n_in * n_out + n_out"),
        blank_says={"trainable_params": "not answered yet"},
    ),
}

pytestmark = pytest.mark.parametrize("exercise_id", list(EXERCISES))  # the conftest fixtures follow it


@pytest.fixture
def contract(exercise_id) -> Contract:
    return EXERCISES[exercise_id]


# --------------------------------------------------------------------------- the master


def test_questions_and_points_match_the_checks(exercise_id, contract, built):
    """The points and hidden tests Otter gets are written from checks.py: one hidden test per
    check, with that check's points; the public test (the form) is worth nothing."""
    _, _, tests = built
    assert set(tests) == set(contract.questions)
    assert checks_module(exercise_id).QUESTIONS == contract.questions
    checks = {c.name: c for c in load_checks(exercise_id)}
    assert sorted(checks) == sorted(n for names in contract.questions.values() for n in names)
    for question, names in contract.questions.items():
        assert tests[question].possible == pytest.approx(sum(checks[n].points for n in names))
        cases = tests[question].test_cases
        assert [c.hidden for c in cases] == [False] + [True] * len(names)
        assert [c.points for c in cases] == pytest.approx([0] + [checks[n].points for n in names])
        assert [repr(n) in c.body for c, n in zip(cases[1:], names)] == [True] * len(names)
    assert max_score(exercise_id) == contract.max_score


def test_the_master_states_no_points_and_no_hidden_test(exercise_id):
    nb = nbformat.read(str(master_notebook(exercise_id)), as_version=4)
    sources = "\n".join(c.source for c in nb.cells)
    assert "points:" not in sources and "BEGIN TEST CONFIG" not in sources


def test_master_config_and_metadata(exercise_id):
    nb = nbformat.read(str(master_notebook(exercise_id)), as_version=4)
    for line in (f"name: {exercise_id}",) + MASTER_CONFIG:
        assert line in nb.cells[0].source, line
    assert nb.metadata.kernelspec.name == "python3" and nb.metadata.language_info.name == "python"


# --------------------------------------------------------------------------- the student version


def test_student_version_has_no_answers(contract, built):
    student, _, _ = built
    text = student.read_text()
    for leak in contract.leaks + COMMON_LEAKS:
        assert leak not in text, leak
    for shown in tuple(f"{name} = ..." for name in contract.blanks) + contract.shown:
        assert shown in text, shown
    nb = nbformat.read(str(student), as_version=4)
    assert nb.metadata.kernelspec.name == "python3" and nb.metadata.language_info.name == "python"
    sources = "\n".join(cell.source for cell in nb.cells)  # placeholders filled with the slides' numbers
    for shown in contract.cells:
        assert shown in sources, shown
    assert "{{" not in sources


# --------------------------------------------------------------------------- Otter's tests


def test_otter_tests_pass_on_the_solution(built, solution_ns):
    _, _, tests = built
    assert_otter_tests_pass(tests, solution_ns)


def test_otter_tests_fail_on_the_blank(built, blank_ns):
    _, _, tests = built
    for question, test in tests.items():
        assert not any(run_otter_test(test, blank_ns, hidden=False)), question
        assert not any(run_otter_test(test, blank_ns, hidden=True)), question


# --------------------------------------------------------------------------- the hidden checks


def test_checks_give_full_marks_to_the_solution_notebook(exercise_id, solution_ns):
    for seed in SEEDS:
        verdicts = judge_namespace(exercise_id, solution_ns, seed=seed)
        wrong = {k: (v.message, v.hint) for k, v in verdicts.items() if v.message}
        assert total(verdicts) == max_score(exercise_id), wrong


def test_checks_give_zero_to_the_blank_notebook(exercise_id, contract, blank_ns):
    verdicts = judge_namespace(exercise_id, blank_ns)
    assert total(verdicts) == 0
    assert all(v.message for v in verdicts.values())
    for check, words in contract.blank_says.items():
        assert words in verdicts[check].message, (check, verdicts[check].message)
