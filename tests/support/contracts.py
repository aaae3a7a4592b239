"""What each written exercise's student version must show and hide, and what its blank must say:
the data of tests/exercises/test_exercise_contract.py, one entry per exercise of the course.

Only what is the exercise's own and cannot be read elsewhere is written here. Its Otter questions,
the checks that grade each one and their points are read from its checks.py (QUESTIONS, each
check's points); the exercises are course.yaml's (support.courses.WRITTEN). An exercise added to
the course without an entry here fails test_every_written_exercise_has_a_contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Contract:
    blanks: tuple[str, ...]  # answers the student version leaves as `name = ...`
    shown: tuple[str, ...]  # more text the student version must show: signatures, given numbers
    leaks: tuple[str, ...]  # text of the solution that the student version must not show
    blank_says: dict[str, str]  # check -> words of its message on the blank notebook
    cells: tuple[str, ...] = field(default=())  # in the student's cell sources: the slides' numbers, filled in


# In every student version: no solution, no hidden test, no test config.
COMMON_LEAKS = ("# SOLUTION", "hidden\": true", "BEGIN TEST CONFIG")

CONTRACTS = {
    "sigmoid_probability": Contract(
        blanks=("z", "p", "is_fake", "X", "W", "p_vec"),
        shown=("def sigmoid(z):",),
        leaks=("1.52", "0.8205", "is_fake = p", "np.exp(-z)", "np.array([[x1, x2]])"),
        blank_says={"z": "not answered yet"},
    ),
    "decision_line": Contract(
        blanks=("log_odds_at_half", "intercept", "slope", "line_formula"),
        shown=("def decision_line(b0, b1, b2):", "b0, b1, b2 = 1.0, 2.0, 0.5"),
        leaks=("-b0 / b2", "-b1 / b2", "-2.0", "-4.0", "np.log(0.5", "x2 = -("),
        blank_says={"slope": "not answered yet", "decision_line": "got None", "line_formula": "not answered yet"},
    ),
    "matrix_multiplication": Contract(
        blanks=("AB", "V"),
        shown=("def product_shape(shape_a, shape_b):", "def matmul(A, B):", "U = np.array("),
        leaks=("14, 4, 18", "2 * 3 + 1 * 8", "A[i, 0] * B[0, j]", "W @ U", "[[-1, 5]", "C[i, j] +=",
               "raise ValueError(f"),
        blank_says={"AB": "not answered yet"},
        cells=("A = np.array([[2, 1],\n              [0, 3]])",
               "\\begin{pmatrix} 3 & 1 & 7 \\\\ 8 & 2 & 4 \\end{pmatrix}"),
    ),
    "forward_pass": Contract(
        blanks=("p_no_hidden", "p_hidden", "p_two_hidden", "shape_W1", "shape_W3"),
        shown=("def sigmoid(z):", "def predict_hidden(X, W1, b1, W2, b2):",
               "def predict_two_hidden(X, W1, b1, W2, b2, W3, b3):", "SEED = 22", "np.random.seed(SEED)"),
        leaks=("0.4486", "0.6421", "0.8205", "hidden1 @ W2", "np.exp(-z)", "(8, 8)", "draw_normal(shape_W1)"),
        blank_says={"p_hidden": "not answered yet", "shape_W2": "not answered yet"},
    ),
    "backprop": Contract(
        blanks=("q", "f", "df_dq", "df_dx", "df_dy", "df_dz", "xt", "grad_x", "grad_z"),
        shown=("def grad_f(x, y, z):",),
        leaks=("-12", "3.0, -4.0", "df_dq = z", "df_dz = q", "requires_grad=True)  #", "ft.backward()\\n",
               "return df_dq"),
        blank_says={"df_dz": "not answered yet"},
        cells=("x, y, z = -2.0, 5.0, -4.0", "x = -2,\\; y = 5,\\; z = -4."),
    ),
    "keras_params": Contract(
        blanks=("params_layer1", "params_10_20_30", "params_2_8_1", "trainable_params", "non_trainable_params",
                "n_params_keras", "bug_answer", "n_params_fixed"),
        shown=("def count_dense_params(layer_sizes):",),
        leaks=("419160", "419,160", "420260", "11301", "1100", "\"B\"", "(inputs)", "n_in * n_out + n_out"),
        blank_says={"trainable_params": "not answered yet"},
    ),
    "loss_functions": Contract(
        blanks=("loss_a", "loss_b", "loss_c", "best_loss", "worst_loss", "grad_bce", "grad_mse", "mse_answer"),
        shown=("def bce(y, p):", "def categorical_crossentropy(y_onehot, probs):", "EPS = 1e-7"),
        leaks=("0.2231", "1.6094", "0.1054", "-0.9820", "-0.0347", "np.inf", "np.log(p)", "np.clip(np.asarray",
               "np.mean(-", "\"B\"", "p_wrong - y", "`inf`", "infinit", "\\infty"),
        blank_says={"loss_a": "not answered yet", "bce": "got None", "mse_answer": "not answered yet"},
        cells=("ya, pa = 1, 0.8", "yb, pb = 0, 0.8", "z = -4.0", "| (b) | 0 | 0.8 |"),
    ),
    "gradient_descent": Contract(
        blanks=("grad_w", "grad_b", "w_new", "b_new", "p_new", "diverging_lrs", "lr_limit"),
        shown=("def gradient(X, y, w, b):", "def train_logistic(X, y, lr, epochs):",
               "def numerical_gradient(X, y, w, b, eps):", "def bce_loss(X, y, w, b):",
               "candidate_lrs = [0.05, 0.2, 0.4, 0.7, 1.2]"),
        leaks=("0.8205", "1.8051", "0.2179", "-0.0805", "0.9179", "0.7229", "[0.7, 1.2]", "1 / a", "X.T @ error",
               "w - lr * grad_w", "(2 * eps)", "descend_bowl"),
        blank_says={"grad_w": "not answered yet", "train_logistic": "got None", "lr_limit": "not answered yet"},
        cells=("w1, w2, b = 0.3, 0.1, 1.0", "x1, x2 = 1.0, 2.2", "y = 0", "lr = 0.1", "a = 2.0",
               "$x = (1.0, 2.2)$"),
    ),
    "softmax": Contract(
        blanks=("probs", "classes", "labels_one_hot", "batch_loss", "loss_for_integer_labels", "loss_for_one_hot_labels"),
        shown=("def softmax(logits):", "def predict_classes(probs):", "def to_one_hot(labels, num_classes):"),
        leaks=("0.659", "0.8025", "0.814", "[0, 1, 2, 2]", "np.exp(z - np.max", "np.argmax(probs, axis=-1)",
               "np.eye(num_classes)[", "\"C\"", "\"B\""),
        blank_says={"probs": "not answered yet", "softmax": "got None", "loss_for_integer_labels": "not answered yet"},
        cells=("logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [1.2, 0.4, 3.0], [-1.0, 0.0, 0.5]])",
               "labels = np.array([0, 1, 0, 2])", "2.0 & 1.0 & 0.1 \\\\ 0.5 & 2.5 & 0.3"),
    ),
    "activations": Contract(
        blanks=("W_combined", "b_combined", "relu_out", "same_with_relu"),
        shown=("def relu(x):", "def relu_grad(x):", "def tanh(x):", "def tanh_grad(x):", "def collapse(W1, b1, W2, b2):"),
        leaks=("np.maximum(x, 0)", "(x > 0)", "1 - tanh(x) ** 2", "np.exp(x) - np.exp(-x)", "W1 @ W2,", "= W1 @ W2",
               "b1 @ W2 + b2", "2.25", "-4.5, -5", "same_with_relu = bool", "relu(X @ W1 + b1) @ W2"),
        blank_says={"W_combined": "not answered yet", "relu": "got None"},
        cells=("W1 = np.array([[1.0, -1.0, 0.5], [2.0, 0.5, -1.0]])", "X = np.array([[1.0, 2.0], [-1.0, 1.0], [2.0, -1.0], [0.0, -2.0]])"),
    ),
    "learning_curves": Contract(
        blanks=("best_epoch", "stopped_at", "diagnosis_A", "diagnosis_B", "diagnosis_C", "split_answer", "n_train"),
        shown=("def stop_epoch(val_loss, patience):", "patience = 5", "n_rows, validation_split = 1372, 0.2"),
        leaks=("np.argmin(history", "best_epoch = 18", "stopped_at = 23", "1097", "wait >= patience", "best, wait",
               '"overfitting"  #', 'split_answer = "B"', "np.floor(n_rows"),
        blank_says={"diagnosis_A": "not answered yet", "stop_epoch": "got None"},
        cells=('"val_loss": [0.6095, 0.5514, 0.509,', '"C": {"loss": [0.6589, 0.646,'),
    ),
    "keras_forward": Contract(
        blanks=("neuron", "p_neuron", "network", "p_network"),
        shown=("def keras_predict(X, W1, b1, W2, b2):", "np.random.seed(SEED)"),
        leaks=("0.8205", "0.4486", "set_weights([W1, b1, W2, b2])", "Dense(1, activation=\"sigmoid\")])", "Dense(8, activation",
               "neuron.predict(X", "W1.shape[1]", "sigmoid(X @ W1 + b1)"),
        blank_says={"neuron": "not answered yet", "keras_predict": "got None"},
        cells=("w1, w2, b = 0.3, 0.1, 1.0", "X = np.array([[1.0, 2.2]])", "SEED = 22"),
    ),
}
