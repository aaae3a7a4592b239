"""train_digits: a softmax classifier for handwritten digits.

8x8 grey images with values 0..16 (data/digits_x.npy, scikit-learn's digits standing in for
MNIST) and their digit 0..9 (data/digits_y.npy). The network ends in 10 softmax units, one
probability per digit, trained with sparse categorical cross-entropy (the labels are the
digits themselves, not one-hot vectors). The inputs are scaled inside the model
(Rescaling(1/16)): the grader feeds the model the raw images.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras

# The held-out set the grader judges the trained model on (never shipped to students).
from solutions.datasets import heldout_data  # noqa: F401

TRAINING = {"epochs": 40, "batch_size": 64}


def build_model():
    """8x8 image -> scaled to [0, 1] -> 64 values -> 64 relu units -> 10 softmax units."""
    model = keras.Sequential([
        keras.Input(shape=(8, 8)),
        keras.layers.Rescaling(1 / 16),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_softmax_regression():
    """No hidden layer: one softmax layer on the 64 pixels (multinomial logistic regression)."""
    model = keras.Sequential([
        keras.Input(shape=(8, 8)),
        keras.layers.Rescaling(1 / 16),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
