"""Held-out mistakes of `learning_curves` (see exercises/softmax/held_out.py for what they are for)."""

from autograder.judge.mistakes import Mistake

MISTAKES = [
    Mistake("one epoch too early",
            edits={"if wait >= patience:": "if wait >= patience - 1:"},
            expect={"stop_epoch": "early", "stopped_at": "right for your stop_epoch"}),
    Mistake("the highest validation loss",
            edits={'best_epoch = int(np.argmin(history["val_loss"])) + 1': 'best_epoch = int(np.argmax(history["val_loss"])) + 1'},
            expect={"best_epoch": "highest"}),
    Mistake("a tie counted as a new best",
            edits={"if loss < best:": "if loss <= best:"},
            expect={"stop_epoch": "equal"}),
    Mistake("rounded up",
            edits={"int(np.floor(n_rows * (1 - validation_split)))": "int(np.ceil(n_rows * (1 - validation_split)))"},
            expect={"n_train": "floor"}),
    Mistake("over-fitting for curve C",
            edits={'diagnosis_C = diagnose(curves["C"])': 'diagnosis_C = "overfitting"'},
            expect={"diagnosis_C": "under"}),
    Mistake("the epoch of the best weights for the stop",
            edits={"                return epoch\n": "                return epoch - patience\n"},
            expect={"stop_epoch": "best", "stopped_at": "right for your stop_epoch"}),
    Mistake("the best epoch counted from 0 and the stop too",
            edits={'best_epoch = int(np.argmin(history["val_loss"])) + 1': 'best_epoch = int(np.argmin(history["val_loss"]))',
                   "for epoch, loss in enumerate(val_loss, start=1):": "for epoch, loss in enumerate(val_loss):"},
            expect={"best_epoch": "from 1", "stop_epoch": "1", "stopped_at": "right for your stop_epoch"}),
    # Written on 2026-12-07 after the derived hints of that day, before they were judged: a fresh measure.
    Mistake("the validation rows for the training rows",
            edits={"n_train = int(np.floor(n_rows * (1 - validation_split)))  # SOLUTION":
                   "n_train = int(np.floor(n_rows * validation_split))"},
            expect={"n_train": "validation"}),
]
