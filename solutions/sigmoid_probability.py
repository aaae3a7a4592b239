"""A single neuron decides whether a banknote is fake.

The neuron of the slides looks at two features of a banknote, x1 and x2. It forms the
net input (a weighted sum plus a bias) and squashes it with the sigmoid function into a
probability:

    z = w1 * x1 + w2 * x2 + b
    p = sigmoid(z) = 1 / (1 + exp(-z))

p is the probability that the banknote is fake; the neuron calls it fake when p > 0.5.
The same computation for a batch of banknotes is one matrix product:
sigmoid(X @ W + b), with one banknote per row of X and one weight per row of W.
"""

import numpy as np

# The weights, the bias and the banknote of the slides.
W1 = 0.3
W2 = 0.1
B = 1.0
X1 = 1.0
X2 = 2.2


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), elementwise on numbers and numpy arrays."""
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def net_input(x1, x2, w1=W1, w2=W2, b=B):
    """The neuron's net input z = w1*x1 + w2*x2 + b."""
    return w1 * x1 + w2 * x2 + b


def probability_fake(x1, x2, w1=W1, w2=W2, b=B):
    """The probability p = sigmoid(z) that the banknote (x1, x2) is fake."""
    return float(sigmoid(net_input(x1, x2, w1, w2, b)))


# By hand: z = 0.3 * 1 + 0.1 * 2.2 + 1.0 = 0.3 + 0.22 + 1.0 = 1.52
Z = net_input(X1, X2)
# p = 1 / (1 + exp(-1.52)) = 1 / (1 + 0.2187) = 0.8205
P = probability_fake(X1, X2)
# p > 0.5: the neuron says the banknote is fake.
IS_FAKE = P > 0.5

# The same as a vector product: X holds one banknote per row, W one weight per feature.
X = np.array([[X1, X2]])  # shape (1, 2): one banknote, two features
W = np.array([[W1], [W2]])  # shape (2, 1): two weights, one output
P_VEC = sigmoid(X @ W + B)  # shape (1, 1)


# Typical mistakes, used by the hidden checks to name a hint.
Z_WITHOUT_BIAS = W1 * X1 + W2 * X2  # the bias forgotten: 0.52
Z_SWAPPED = W1 * X2 + W2 * X1 + B  # each weight paired with the other input: 1.76
P_WITHOUT_BIAS = float(sigmoid(Z_WITHOUT_BIAS))
P_SIGN_FLIPPED = float(1.0 / (1.0 + np.exp(Z)))  # 1 / (1 + exp(+z)) = 1 - p


if __name__ == "__main__":
    print(f"z = {Z:.2f}, p = {P:.4f}, fake: {IS_FAKE}, as a vector product: {P_VEC}")
