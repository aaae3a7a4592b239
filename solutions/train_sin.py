"""train_sin: learn y = sin(x_1^2 + ... + x_10^2) from 10 inputs uniform in [0, 1).

Two tasks on the same inputs (data/sin_x.npy), as in the slides:

* regression: predict y (data/sin_y.npy), mean squared error, a linear output;
* classification: predict whether y >= 0 (data/sin_y_class.npy), a sigmoid output.

The slides' network 10 -> 100 -> 100 -> 1 has 11,301 parameters (1,100 + 10,100 + 101) and
trains for 25 epochs with batch size 256; Adam with a learning rate of 0.01 (10 times its
default) gets there within those 25 epochs. The smaller 10 -> 20 -> 30 -> 1 network learns the
curve only roughly, and logistic regression (no hidden layer) only a straight boundary.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402

TRAINING = {"epochs": 25, "batch_size": 256}
CLASSIFIER_TRAINING = {"epochs": 25, "batch_size": 256}


def _network(hidden, output_activation=None):
    return keras.Sequential(
        [keras.Input(shape=(10,))]
        + [keras.layers.Dense(units, activation="relu") for units in hidden]
        + [keras.layers.Dense(1, activation=output_activation)]
    )


def build_model():
    """Regression: 10 -> 100 -> 100 -> 1, linear output, mean squared error."""
    model = _network([100, 100])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    return model


def build_classifier():
    """Classification: 10 -> 100 -> 100 -> 1, sigmoid output, binary cross-entropy."""
    model = _network([100, 100], "sigmoid")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build_small_model():
    """The slides' first try: 10 -> 20 -> 30 -> 1, a regression that underfits."""
    model = _network([20, 30])
    model.compile(optimizer="adam", loss="mse")
    return model


def build_logistic_regression():
    """Classification without a hidden layer: a straight boundary in the 10 inputs."""
    model = _network([], "sigmoid")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05), loss="binary_crossentropy", metrics=["accuracy"])
    return model
