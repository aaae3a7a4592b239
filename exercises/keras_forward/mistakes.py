"""Typical week-1 mistakes in `keras_forward`, with the hints they should get
(judged by `autograder coverage` and tests/exercises/test_mistakes.py)."""

from autograder.judge.mistakes import Mistake

NEURON = 'neuron = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid")])  # SOLUTION'
NETWORK = ('network = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(8, activation="sigmoid"), '
           'keras.layers.Dense(1, activation="sigmoid")])  # SOLUTION')

MISTAKES = [
    Mistake("the neuron without activation",
            edits={NEURON: 'neuron = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])'},
            expect={"neuron": "Keras' default is linear", "p_neuron": "this is z"}),
    Mistake("set_weights forgotten",
            edits={"neuron.set_weights([np.array([[w1], [w2]]), np.array([b])])  # SOLUTION": "pass"},
            expect={"neuron": "set_weights", "p_neuron": ""}),
    Mistake("w1 and w2 swapped",
            edits={"neuron.set_weights([np.array([[w1], [w2]]), np.array([b])])  # SOLUTION":
                   "neuron.set_weights([np.array([[w2], [w1]]), np.array([b])])"},
            expect={"neuron": "swapped", "p_neuron": "swapped"}),
    Mistake("a relu hidden layer",
            edits={NETWORK: NETWORK.replace('Dense(8, activation="sigmoid")', 'Dense(8, activation="relu")')},
            expect={"network": "activation 'relu'", "p_network": "uses relu"}),
    Mistake("no activation in the hidden layer",
            edits={NETWORK: NETWORK.replace('Dense(8, activation="sigmoid")', "Dense(8)")},
            expect={"network": "activation 'linear'", "p_network": "no activation"}),
    Mistake("weights drawn without reseeding",
            edits={"    np.random.seed(SEED)\n": "", "W1 = draw_normal((2, 8))": "np.random.seed(SEED)\nW1 = draw_normal((2, 8))"},
            expect={"network": "reseeds", "p_network": "reseeds"}),
    Mistake("the network's output without activation in keras_predict",
            edits={"        keras.layers.Dense(1, activation=\"sigmoid\"),\n    ])\n    model.set_weights":
                   "        keras.layers.Dense(1),\n    ])\n    model.set_weights"},
            expect={"keras_predict": "these are z"}),
    Mistake("a fixed hidden layer of 8 nodes in keras_predict",
            edits={"keras.layers.Dense(W1.shape[1], activation=\"sigmoid\")": "keras.layers.Dense(8, activation=\"sigmoid\")"},
            expect={"keras_predict": "as many nodes as W1 has columns"}),
]
