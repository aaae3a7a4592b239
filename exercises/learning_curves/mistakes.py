"""Typical week-1 mistakes in `learning_curves`, with the hints they should get
(judged by `autograder coverage` and tests/exercises/test_mistakes.py)."""

from autograder.judge.mistakes import Mistake

KERAS_LOOP = """    best, wait = float("inf"), 0
    for epoch, loss in enumerate(val_loss, start=1):
        if loss < best:
            best, wait = loss, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch
    return len(val_loss)"""

MISTAKES = [
    Mistake("the epoch as a Python index",
            edits={'best_epoch = int(np.argmin(history["val_loss"])) + 1': 'best_epoch = int(np.argmin(history["val_loss"]))'},
            expect={"best_epoch": "counted from 1"}),
    Mistake("the lowest training loss",
            edits={'best_epoch = int(np.argmin(history["val_loss"])) + 1': 'best_epoch = int(np.argmin(history["loss"])) + 1'},
            expect={"best_epoch": "lowest training loss"}),
    Mistake("the lowest validation loss instead of its epoch",
            edits={'best_epoch = int(np.argmin(history["val_loss"])) + 1': 'best_epoch = min(history["val_loss"])'},
            expect={"best_epoch": "lowest validation loss itself"}),
    Mistake("rises counted against the epoch before",
            edits={KERAS_LOOP: """    rises = 0
    for epoch in range(2, len(val_loss) + 1):
        rises = rises + 1 if val_loss[epoch - 1] >= val_loss[epoch - 2] else 0
        if rises >= patience:
            return epoch
    return len(val_loss)"""},
            expect={"stop_epoch": "not with the epoch before", "stopped_at": "right for your stop_epoch"}),
    Mistake("one epoch too late",
            edits={"            if wait >= patience:": "            if wait > patience:"},
            expect={"stop_epoch": "one epoch too late", "stopped_at": "right for your stop_epoch"}),
    Mistake("the patience ignored",
            edits={"            if wait >= patience:": "            if wait >= 1:"},
            expect={"stop_epoch": "patience was ignored", "stopped_at": "right for your stop_epoch"}),
    Mistake("the best epoch for the stop",
            edits={"stopped_at = stop_epoch(history[\"val_loss\"], patience)  # SOLUTION": "stopped_at = best_epoch"},
            expect={"stopped_at": "patience` epochs after it"}),
    Mistake("over-fitting taken for a good fit",
            edits={'diagnosis_A = diagnose(curves["A"])  # SOLUTION': 'diagnosis_A = "good fit"',
                   'diagnosis_B = diagnose(curves["B"])  # SOLUTION': 'diagnosis_B = "overfitting"'},
            expect={"diagnosis_A": "rises again after its minimum", "diagnosis_B": "does not rise again"}),
    Mistake("under-fitting taken for a good fit",
            edits={'diagnosis_C = diagnose(curves["C"])  # SOLUTION': 'diagnosis_C = "good fit"'},
            expect={"diagnosis_C": "both losses stay high"}),
    Mistake("validation rows drawn at random",
            edits={'split_answer = "B"': 'split_answer = "A"'},
            expect={"split_answer": "before shuffling"}),
    Mistake("the validation rows counted",
            edits={"n_train = int(np.floor(n_rows * (1 - validation_split)))":
                   "n_train = n_rows - int(np.floor(n_rows * (1 - validation_split)))"},
            expect={"n_train": "number of validation rows"}),
    Mistake("rounded instead of floored",
            edits={"n_train = int(np.floor(n_rows * (1 - validation_split)))":
                   "n_train = round(n_rows * (1 - validation_split))"},
            expect={"n_train": "rounds down"}),
    Mistake("stopping on the training loss",
            edits={'stopped_at = stop_epoch(history["val_loss"], patience)': 'stopped_at = stop_epoch(history["loss"], patience)'},
            expect={"stopped_at": "training loss"}),
    Mistake("the loop looks one epoch ahead",
            edits={"    for epoch, loss in enumerate(val_loss, start=1):\n":
                   "    for epoch in range(1, len(val_loss)):\n        loss = val_loss[epoch]\n"},
            expect={"stop_epoch": "one epoch ahead", "stopped_at": "right for your stop_epoch"}),
]
