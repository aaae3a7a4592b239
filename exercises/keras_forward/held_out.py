"""Held-out mistakes of `keras_forward` (see exercises/softmax/held_out.py for what they are for)."""

from autograder.judge.mistakes import Mistake

MISTAKES = [
    Mistake("the input shape from W1's columns",
            edits={"        keras.Input(shape=(2,)),\n": "        keras.Input(shape=(W1.shape[1],)),\n"},
            expect={"keras_predict": "rows"}),
    Mistake("transposed weights in keras_predict",
            edits={"model.set_weights([W1, b1, W2, b2])": "model.set_weights([W1.T, b1, W2.T, b2])"},
            expect={"keras_predict": "transpose"}),
    Mistake("a relu neuron",
            edits={'keras.layers.Dense(1, activation="sigmoid")])  # SOLUTION\nneuron': 'keras.layers.Dense(1, activation="relu")])  # SOLUTION\nneuron'},
            expect={"neuron": "activation", "p_neuron": "sigmoid"}),
    Mistake("the neuron's bias left at 0",
            edits={"np.array([b])])  # SOLUTION": "np.array([0.0])])  # SOLUTION"},
            expect={"neuron": "bias", "p_neuron": "bias"}),
    Mistake("a tanh hidden layer in keras_predict",
            edits={'keras.layers.Dense(W1.shape[1], activation="sigmoid")': 'keras.layers.Dense(W1.shape[1], activation="tanh")'},
            expect={"keras_predict": "tanh"}),
]
