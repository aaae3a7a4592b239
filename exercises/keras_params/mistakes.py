"""Typical week-1 mistakes in `keras_params`, with the hints they should get
(judged by `autograder coverage` and tests/exercises/test_mistakes.py)."""

from autograder.judge.mistakes import Mistake

MISTAKES = [
    Mistake("one bias per layer, in the function and used for the stacks",
            edits={"total += n_in * n_out + n_out": "total += n_in * n_out + 1"},
            after="params_10_100_100_1 = count_dense_params(sizes_deep)",
            expect={"count_dense_params": "one bias per layer", "params_10_100_100_1": "your count_dense_params",
                    "trainable_params": "your count_dense_params"}),
    Mistake("the biases forgotten",
            edits={"params_layer1 = sizes_q1[0] * sizes_q1[1] + sizes_q1[1]": "params_layer1 = sizes_q1[0] * sizes_q1[1]",
                   "params_layer2 = sizes_q1[1] * sizes_q1[2] + sizes_q1[2]": "params_layer2 = sizes_q1[1] * sizes_q1[2]"},
            expect={"params_layer1": "biases are not counted", "params_layer2": "biases are not counted",
                    "params_10_20_30": "sum of your two layer counts"}),
    Mistake("one bias per input",
            edits={"total += n_in * n_out + n_out": "total += n_in * n_out + n_in"},
            expect={"count_dense_params": "per input", "trainable_params": "your count_dense_params"}),
    Mistake("the second layer fed by the inputs",
            edits={"params_layer2 = sizes_q1[1] * sizes_q1[2] + sizes_q1[2]": "params_layer2 = 10 * 30 + 30",
                   "params_10_20_30 = params_layer1 + params_layer2": "params_10_20_30 = 220 + 630"},
            expect={"params_layer2": "outputs of the first layer as its inputs"}),
    Mistake("BatchNormalization left out of the trainable count",
            edits={"trainable_params = count_dense_params([784, 500, 50, 10]) + 2 * 500 + 2 * 50":
                   "trainable_params = count_dense_params([784, 500, 50, 10])"},
            expect={"trainable_params": "left out"}),
    Mistake("every BatchNormalization parameter counted as trainable",
            edits={"trainable_params = count_dense_params([784, 500, 50, 10]) + 2 * 500 + 2 * 50":
                   "trainable_params = count_dense_params([784, 500, 50, 10]) + 4 * 500 + 4 * 50",
                   "non_trainable_params = 2 * 500 + 2 * 50": "non_trainable_params = 0"},
            expect={"trainable_params": "not trainable", "non_trainable_params": "not trainable"}),
    Mistake("only the trainable parameters from Keras",
            edits={"n_params_keras = model_bn.count_params()":
                   "n_params_keras = sum(int(w.numpy().size) for w in model_bn.trainable_weights)"},
            expect={"n_params_keras": "only the trainable part"}),
    Mistake("the bug blamed on input_shape",
            edits={'bug_answer = "B"': 'bug_answer = "A"'},
            expect={"bug_answer": "keras.Input"}),
    Mistake("the sizes multiplied",
            edits={"params_10_20_30 = params_layer1 + params_layer2": "params_10_20_30 = 10 * 20 * 30"},
            expect={"params_10_20_30": "multiplied"}),
]
