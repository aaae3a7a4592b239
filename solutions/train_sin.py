"""train_sin: learn y = sin(x_1^2 + ... + x_10^2) from 10 inputs uniform in [0, 1).

Two tasks on the same 10,000 input rows (data/sin_x.npy), as in the slides:

* regression: predict y (data/sin_y.npy), mean squared error, a linear output;
* classification: predict whether y >= 0 (data/sin_y_class.npy), a sigmoid output.

The slides' set-ups: the regression is 10 -> 20 -> 30 -> 1 with SGD(learning_rate=0.01), 10
epochs of batch 32 (`build_slides_regression`, `SLIDES_REGRESSION_TRAINING`): it learns the
curve only roughly, a partial tier. The classification is 10 -> 100 -> 100 -> 1 with Adam and
binary cross-entropy, 25 epochs of batch 256 (`build_classifier`): full marks. The reference
regression borrows the classification's wider network and trains it with Adam at a learning
rate of 0.01 (10 times its default) for 25 epochs of batch 256. Logistic regression (no hidden
layer) draws only a flat boundary.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras

# The held-out set the grader judges the trained model on (never shipped to students).
from solutions.datasets import heldout_data  # noqa: F401

TRAINING = {"epochs": 25, "batch_size": 256}
CLASSIFIER_TRAINING = {"epochs": 25, "batch_size": 256}
SLIDES_REGRESSION_TRAINING = {"epochs": 10, "batch_size": 32}


def _network(hidden, output_activation=None):
    return keras.Sequential(
        [keras.Input(shape=(10,))]
        + [keras.layers.Dense(units, activation="relu") for units in hidden]
        + [keras.layers.Dense(1, activation=output_activation)]
    )


def build_model():
    """Regression: 10 -> 100 -> 100 -> 1, linear output, mean squared error, Adam(0.01)."""
    model = _network([100, 100])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    return model


def build_classifier():
    """The slides' classification: 10 -> 100 -> 100 -> 1, sigmoid output, Adam, binary cross-entropy."""
    model = _network([100, 100], "sigmoid")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build_slides_regression():
    """The slides' regression: 10 -> 20 -> 30 -> 1, SGD(learning_rate=0.01), mean squared error."""
    model = _network([20, 30])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    return model


def build_logistic_regression():
    """Classification without a hidden layer: a straight boundary in the 10 inputs."""
    model = _network([], "sigmoid")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05), loss="binary_crossentropy", metrics=["accuracy"])
    return model
