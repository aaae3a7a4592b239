"""Held-out mistakes of `softmax`: written before the reference-derived hints
(autograder/judge/derived_hints.py) and never used to write a hint, so that
`autograder coverage --corpus held-out` measures how far the hints generalise.
`expect` names each failing check with words a right hint contains ("" where any hint
that is not wrong will do)."""

from autograder.judge.mistakes import Mistake

MISTAKES = [
    Mistake("argmax over the flattened array",
            edits={"return np.argmax(probs, axis=-1)": "return np.argmax(probs)"},
            expect={"predict_classes": "axis", "classes": "axis"}),
    Mistake("one-hot of whole columns",
            edits={"np.eye(num_classes)[np.asarray(labels, dtype=int)]": "np.eye(num_classes)[:, np.asarray(labels, dtype=int)]"},
            expect={"to_one_hot": "transposed", "labels_one_hot": "transposed"}),
    Mistake("the sum without keepdims",
            edits={"return e / np.sum(e, axis=-1, keepdims=True)": "return e / np.sum(e, axis=-1)"},
            expect={"softmax": "keepdims", "probs": "raised", "classes": "raised", "batch_loss": "raised",
                    "loss_for_integer_labels": "raised", "loss_for_one_hot_labels": "raised"}),
    Mistake("normalised over the whole batch",
            edits={"return e / np.sum(e, axis=-1, keepdims=True)": "return e / np.sum(e)"},
            expect={"softmax": "axis", "probs": "axis", "batch_loss": "right for your probs"}),
    Mistake("argmin for the predicted class",
            edits={"return np.argmax(probs, axis=-1)": "return np.argmin(probs, axis=-1)"},
            expect={"predict_classes": "least", "classes": "least"}),
    Mistake("the minus sign of the loss forgotten",
            edits={"np.mean(-np.log(probs[": "np.mean(np.log(probs["},
            expect={"batch_loss": "sign"}),
    Mistake("labels shifted by one in the one-hot rows",
            edits={"np.eye(num_classes)[np.asarray(labels, dtype=int)]": "np.eye(num_classes)[np.asarray(labels, dtype=int) - 1]"},
            expect={"to_one_hot": "one", "labels_one_hot": "one"}),
    # Written on 2026-12-07 after the derived hints of that day, before they were judged: a fresh measure.
    Mistake("argmax down the columns",
            edits={"return np.argmax(probs, axis=-1)": "return np.argmax(probs, axis=0)"},
            expect={"predict_classes": "axis", "classes": "axis"}),
    Mistake("the batch loss summed",
            edits={"batch_loss = np.mean(-np.log(probs[np.arange(len(labels)), labels]))  # SOLUTION":
                   "batch_loss = np.sum(-np.log(probs[np.arange(len(labels)), labels]))"},
            expect={"batch_loss": "mean"}),
]
