"""The forward pass of a fully connected network: the banknote example of the slides.

A banknote has two features, so a batch of n banknotes is a matrix X of shape (n, 2), one
banknote per row. Every layer of a fully connected network does the same two steps:

    z = h_in @ W + b      (W has shape (inputs, outputs), b one entry per output)
    h_out = sigmoid(z)

Without a hidden layer that is logistic regression, p = sigmoid(X @ W + b). With hidden
layers the output of one layer is the input of the next. The weights of the course notebook
are standard normal numbers; the generator is reseeded with 22 before *every* weight matrix
and bias vector, which gives p = 0.44860787 (one hidden layer of 8 nodes) and
p = 0.64217449 (two hidden layers of 8 nodes) for the banknote x1 = 1, x2 = 2.2.
"""

import numpy as np

# The banknote of the slides, as a batch of one: shape (1, 2).
X = np.array([[1.0, 2.2]])

SEED = 22  # the course notebook reseeds numpy with 22 before each weight draw
N_HIDDEN = 8  # nodes of each hidden layer


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), elementwise on numbers and numpy arrays."""
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


# --------------------------------------------------------------------------- no hidden layer


def predict_no_hidden(X, W, b):
    """Logistic regression: p = sigmoid(X @ W + b), shape (n, 1) for X (n, 2) and W (2, 1)."""
    return sigmoid(np.asarray(X, dtype=float) @ W + b)


# The neuron of the slides: w1 = 0.3, w2 = 0.1, b = 1.
W = np.array([[0.3], [0.1]])
B = np.array([1.0])
P_NO_HIDDEN = float(predict_no_hidden(X, W, B)[0, 0])  # sigmoid(1.52) = 0.8205


# --------------------------------------------------------------------------- drawing weights


def draw_normal(shape, seed=SEED):
    """Standard normal numbers of `shape`, drawn as the course notebook does.

    The notebook calls np.random.seed(22) and then np.random.normal(0, 1, ...) for every
    weight matrix and every bias, so each of them starts from the same seed. A private
    RandomState with the same seed gives the same numbers without touching numpy's global state.
    """
    return np.random.RandomState(seed).normal(0.0, 1.0, size=shape)


# --------------------------------------------------------------------------- one hidden layer


def predict_hidden(X, W1, b1, W2, b2):
    """One hidden layer: h = sigmoid(X @ W1 + b1), p = sigmoid(h @ W2 + b2)."""
    hidden = sigmoid(np.asarray(X, dtype=float) @ W1 + b1)
    return sigmoid(hidden @ W2 + b2)


# 2 inputs -> 8 hidden nodes -> 1 output
W1 = draw_normal((2, N_HIDDEN))
B1 = draw_normal((N_HIDDEN,))
W2 = draw_normal((N_HIDDEN, 1))
B2 = draw_normal((1,))
P_HIDDEN = float(predict_hidden(X, W1, B1, W2, B2)[0, 0])  # 0.44860787


# --------------------------------------------------------------------------- two hidden layers


def predict_two_hidden(X, W1, b1, W2, b2, W3, b3):
    """Two hidden layers: h1 = sigmoid(X W1 + b1), h2 = sigmoid(h1 W2 + b2), p = sigmoid(h2 W3 + b3)."""
    hidden1 = sigmoid(np.asarray(X, dtype=float) @ W1 + b1)
    hidden2 = sigmoid(hidden1 @ W2 + b2)
    return sigmoid(hidden2 @ W3 + b3)


# 2 inputs -> 8 hidden nodes -> 8 hidden nodes -> 1 output: W has shape (inputs, outputs).
SHAPE_W1 = (2, N_HIDDEN)
SHAPE_W2 = (N_HIDDEN, N_HIDDEN)
SHAPE_W3 = (N_HIDDEN, 1)

W1_ = draw_normal(SHAPE_W1)
B1_ = draw_normal((N_HIDDEN,))
W2_ = draw_normal(SHAPE_W2)
B2_ = draw_normal((N_HIDDEN,))
W3_ = draw_normal(SHAPE_W3)
B3_ = draw_normal((1,))
P_TWO_HIDDEN = float(predict_two_hidden(X, W1_, B1_, W2_, B2_, W3_, B3_)[0, 0])  # 0.64217449


# --------------------------------------------------------------------------- typical mistakes
# Wrong versions of the functions, used by the hidden checks to name a hint.


def no_hidden_without_bias(X, W, b):
    return sigmoid(np.asarray(X, dtype=float) @ W)


def no_hidden_without_sigmoid(X, W, b):
    return np.asarray(X, dtype=float) @ W + b


def hidden_without_activation(X, W1, b1, W2, b2):
    """The sigmoid of the hidden layer forgotten: the network collapses to logistic regression."""
    return sigmoid((np.asarray(X, dtype=float) @ W1 + b1) @ W2 + b2)


def hidden_without_output_sigmoid(X, W1, b1, W2, b2):
    return sigmoid(np.asarray(X, dtype=float) @ W1 + b1) @ W2 + b2


def hidden_without_bias1(X, W1, b1, W2, b2):
    return predict_hidden(X, W1, 0.0, W2, b2)


def hidden_without_bias2(X, W1, b1, W2, b2):
    return predict_hidden(X, W1, b1, W2, 0.0)


def hidden_without_biases(X, W1, b1, W2, b2):
    return predict_hidden(X, W1, 0.0, W2, 0.0)


def two_hidden_without_activation(X, W1, b1, W2, b2, W3, b3):
    """No sigmoid in the hidden layers."""
    return sigmoid(((np.asarray(X, dtype=float) @ W1 + b1) @ W2 + b2) @ W3 + b3)


def two_hidden_without_second_activation(X, W1, b1, W2, b2, W3, b3):
    hidden1 = sigmoid(np.asarray(X, dtype=float) @ W1 + b1)
    return sigmoid((hidden1 @ W2 + b2) @ W3 + b3)


def two_hidden_without_biases(X, W1, b1, W2, b2, W3, b3):
    return predict_two_hidden(X, W1, 0.0, W2, 0.0, W3, 0.0)


def two_hidden_W2_transposed(X, W1, b1, W2, b2, W3, b3):
    """hidden1 @ W2.T: only possible (and wrong) when W2 is square."""
    return predict_two_hidden(X, W1, b1, np.asarray(W2).T, b2, W3, b3)


def two_hidden_second_layer_skipped(X, W1, b1, W2, b2, W3, b3):
    """The second hidden layer computed but not used: p = sigmoid(h1 @ W3 + b3)."""
    return predict_hidden(X, W1, b1, W3, b3)


def relu(z):
    return np.maximum(0.0, np.asarray(z, dtype=float))


def no_hidden_relu(X, W, b):
    """ReLU where the sigmoid was asked for: not a probability."""
    return relu(np.asarray(X, dtype=float) @ W + b)


def hidden_relu(X, W1, b1, W2, b2):
    """ReLU in the hidden layer, where the notebook asks for the sigmoid."""
    return sigmoid(relu(np.asarray(X, dtype=float) @ W1 + b1) @ W2 + b2)


def two_hidden_relu(X, W1, b1, W2, b2, W3, b3):
    hidden1 = relu(np.asarray(X, dtype=float) @ W1 + b1)
    return sigmoid(relu(hidden1 @ W2 + b2) @ W3 + b3)


def _draw_without_reseeding(*shapes):
    """Weights drawn one after the other from a single seed (the notebook reseeds each time)."""
    rs = np.random.RandomState(SEED)
    return [rs.normal(0.0, 1.0, size=shape) for shape in shapes]


P_NO_HIDDEN_WITHOUT_BIAS = float(no_hidden_without_bias(X, W, B)[0, 0])
Z_NO_HIDDEN = float(no_hidden_without_sigmoid(X, W, B)[0, 0])  # 1.52: z instead of p
P_HIDDEN_WITHOUT_ACTIVATION = float(hidden_without_activation(X, W1, B1, W2, B2)[0, 0])
P_HIDDEN_WITHOUT_BIASES = float(hidden_without_biases(X, W1, B1, W2, B2)[0, 0])
Z_HIDDEN = float(hidden_without_output_sigmoid(X, W1, B1, W2, B2)[0, 0])
P_HIDDEN_RELU = float(hidden_relu(X, W1, B1, W2, B2)[0, 0])
P_TWO_HIDDEN_RELU = float(two_hidden_relu(X, W1_, B1_, W2_, B2_, W3_, B3_)[0, 0])
P_HIDDEN_SEEDED_ONCE = float(
    predict_hidden(X, *_draw_without_reseeding((2, N_HIDDEN), (N_HIDDEN,), (N_HIDDEN, 1), (1,)))[0, 0]
)
P_TWO_HIDDEN_WITHOUT_ACTIVATION = float(two_hidden_without_activation(X, W1_, B1_, W2_, B2_, W3_, B3_)[0, 0])
P_TWO_HIDDEN_W2_TRANSPOSED = float(two_hidden_W2_transposed(X, W1_, B1_, W2_, B2_, W3_, B3_)[0, 0])
P_TWO_HIDDEN_WITHOUT_BIASES = float(two_hidden_without_biases(X, W1_, B1_, W2_, B2_, W3_, B3_)[0, 0])
P_TWO_HIDDEN_SEEDED_ONCE = float(
    predict_two_hidden(
        X, *_draw_without_reseeding(SHAPE_W1, (N_HIDDEN,), SHAPE_W2, (N_HIDDEN,), SHAPE_W3, (1,))
    )[0, 0]
)


if __name__ == "__main__":
    print(f"no hidden layer:   p = {P_NO_HIDDEN:.4f}")
    print(f"one hidden layer:  p = {P_HIDDEN:.8f}")
    print(f"two hidden layers: p = {P_TWO_HIDDEN:.8f}")
    print(f"shapes: W1 {SHAPE_W1}, W2 {SHAPE_W2}, W3 {SHAPE_W3}")
