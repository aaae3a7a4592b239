"""Hidden checks of `learning_curves`: when to stop, which curve over- or under-fits, validation_split.

Otter questions and the names they grade:
    q1_best_epoch        best_epoch                               the epoch of the lowest val_loss, from 1
    q2_early_stopping    stop_epoch(val_loss, patience), stopped_at   EarlyStopping's last epoch
    q3_diagnosis         diagnosis_A, diagnosis_B, diagnosis_C    "underfitting", "good fit" or "overfitting"
    q4_validation_split  split_answer, n_train                   the right statement; the rows trained on

stop_epoch is called on the grader's own validation curves and patiences, drawn fresh for every
grading. Every student may have their own curves (a variant); what the checks expect is computed
from the student's curves (`sol.for_student(key)`).
"""

import re

from autograder.exercises import load_solution
from autograder.judge import (
    Check,
    Upstream,
    FormError,
    FunctionCheck,
    ValueCheck,
    Verdict,
    present,
)
from autograder.probe.requests import Call, Var

sol = load_solution(__file__)

EXACT = {"rtol": 0.0, "atol": 1e-9}


def _stop_cases(rng):
    """Four over-fitting validation curves of 15 to 40 epochs with patiences from 1 to 6, one
    that falls all the way (EarlyStopping never stops it), and the fixed curves of
    sol.FIXED_STOP_CASES. Lists, as in History.history."""
    cases = []
    for _ in range(4):
        _, val_loss = sol.overfitting_history(rng, int(rng.integers(15, 41)))
        cases.append((val_loss, int(rng.integers(1, 7))))
    epochs = int(rng.integers(8, 20))
    falling = sorted(float(v) for v in rng.uniform(0.2, 0.7, size=epochs))[::-1]
    cases.append((falling, int(rng.integers(2, 5))))
    # and the fixed curves on which every known mistake differs from the right rule, so that
    # none passes by the chance of a draw
    return cases + [(list(curve), patience) for curve, patience in sol.FIXED_STOP_CASES]


# --------------------------------------------------------------------------- the diagnosis

_SPELLINGS = {
    sol.UNDER: ("underfitting", "underfit", "under", "underfitted"),
    sol.GOOD: ("goodfit", "good", "goodfitting", "wellfitted", "fit"),
    sol.OVER: ("overfitting", "overfit", "over", "overfitted"),
}


def as_kind(answer, what: str) -> str:
    """One of the three kinds, whatever the spelling: "Over-fitting", "good fit", "underfit", ..."""
    value = present(answer, what)
    if isinstance(value, str):
        key = re.sub(r"[^a-z]", "", value.lower())
        for kind, spellings in _SPELLINGS.items():
            if key in spellings:
                return kind
    raise FormError(f'{what} should be one of "{sol.UNDER}", "{sol.GOOD}" or "{sol.OVER}"')


DIAGNOSIS_HINTS = {
    (sol.OVER, sol.GOOD): "the validation loss rises again after its minimum while the training loss keeps "
                          "falling: the model learns the training rows by heart, that is over-fitting",
    (sol.OVER, sol.UNDER): "the training loss gets very low, so the model can fit the data; the validation loss "
                           "rising after its minimum is over-fitting",
    (sol.UNDER, sol.GOOD): "both losses stay high, close to ln 2 = 0.69, the loss of guessing: the model has "
                           "learnt little, that is under-fitting",
    (sol.UNDER, sol.OVER): "over-fitting needs a low training loss; here both losses stay high and close together: "
                           "under-fitting",
    (sol.GOOD, sol.OVER): "the validation loss does not rise again; a small gap between training and validation "
                          "loss is normal and no sign of over-fitting",
    (sol.GOOD, sol.UNDER): "both losses fall to a low value and level off: the model learnt, that is a good fit",
}


class DiagnosisCheck(Check):
    """Which of the three kinds one curve shows, with a hint for every confusion of two kinds."""

    def __init__(self, curve: str):
        self.curve = curve
        self.name = self.var = f"diagnosis_{curve}"
        self.points = 1.0
        self.description = (f'what curve {curve} shows: "{sol.UNDER}", "{sol.GOOD}" or "{sol.OVER}"')
        self.expected = sol.for_student(f"DIAGNOSIS_{curve}")

    def probes(self, rng):
        return {"value": Var(self.var)}

    def judge(self, answers, asked):
        got = as_kind(answers["value"], f"`{self.var}`")
        expected = self.expected()
        if got == expected:
            return Verdict(self.points)
        return Verdict(0.0, f"`{self.var}` is not right: it should say {self.description}",
                       DIAGNOSIS_HINTS.get((expected, got), ""))


# --------------------------------------------------------------------------- the checks

ZERO_BASED = "the epochs are counted from 1, as Keras prints them (Epoch 1/40): a Python index is one less"
FIRST_RISE = ("the patience was ignored: EarlyStopping waits `patience` epochs without a new lowest "
              "validation loss before it stops")

ONE_EARLY = "one epoch too early: EarlyStopping stops after `patience` epochs without a new best, not `patience - 1`"


def _stopped_at_from_stop_epoch():
    """stopped_at judged against the student's own stop_epoch on the notebook's history: a wrong
    stop_epoch used right is told so (its own check names the mistake)."""
    def probes():
        v = sol.student_numbers()
        return {"stop": Call("stop_epoch", (list(v["val_loss"]), int(v["patience"])))}

    return Upstream(
        probes=probes,
        rule=lambda stop: stop,
        hint="stopped_at = stop_epoch(history[\"val_loss\"], patience) is right for your stop_epoch, but stop_epoch "
             "is not right (see its check)",
    )


CHECKS = [
    ValueCheck(
        "best_epoch",
        expected=sol.for_student("BEST_EPOCH"),
        **EXACT,
        description="the epoch, counted from 1, with the lowest validation loss in `history`",
        mistakes={
            ZERO_BASED: sol.for_student("BEST_EPOCH_ZERO_BASED"),
            "this is the epoch of the lowest training loss; when to stop is read off the validation loss": sol.for_student("BEST_TRAIN_EPOCH"),
            "this is the lowest validation loss itself; the question asks for its epoch": sol.for_student("MIN_VAL_LOSS"),
        },
    ),
    FunctionCheck(
        "stop_epoch",
        cases=_stop_cases,
        reference=sol.stop_epoch,
        points=2.0,
        figure="learning_curves",
        form="number",
        **EXACT,
        description=("the epoch, counted from 1, after which EarlyStopping(patience=patience) stops, "
                     "or the last epoch if it never stops"),
        mistakes={
            ZERO_BASED: sol.stop_zero_based,
            "one epoch too late: training stops as soon as `patience` epochs in a row brought no new best": sol.stop_one_late,
            ONE_EARLY: sol.stop_one_early,
            ("EarlyStopping compares each epoch with the best validation loss so far, not with the epoch before: "
             "a small dip that is no new best does not reset the count"): sol.stop_after_consecutive_rises,
            ("this is the best epoch (where restore_best_weights=True goes back to), not the epoch at which "
             "training stops"): sol.stop_at_best,
            FIRST_RISE: sol.stop_at_first_rise,
            ("each epoch was judged by the loss of the epoch after it: the loop looks one epoch ahead; "
             "compare val_loss[epoch - 1], the epoch's own loss, with the best so far"): sol.stop_looking_ahead,
        },
    ),
    ValueCheck(
        "stopped_at",
        expected=sol.for_student("STOPPED_AT"),
        **EXACT,
        description="the epoch after which EarlyStopping with the notebook's patience stops the run of `history`",
        mistakes={
            ZERO_BASED: sol.for_student("STOPPED_AT_ZERO_BASED"),
            "one epoch too late: training stops as soon as `patience` epochs in a row brought no new best": sol.for_student("STOPPED_ONE_LATE"),
            FIRST_RISE: sol.for_student("STOPPED_AT_FIRST_RISE"),
            "this is the best epoch; EarlyStopping stops `patience` epochs after it": sol.for_student("BEST_EPOCH"),
            ONE_EARLY: sol.for_student(lambda a: a["STOPPED_AT"] - 1),
            ("this is where the training loss would stop training; EarlyStopping here monitors the validation loss, "
             "history[\"val_loss\"]"): sol.for_student(lambda a: sol.stop_epoch(
                 sol.student_numbers()["loss"], sol.student_numbers()["patience"])),
        },
        upstream=_stopped_at_from_stop_epoch(),
    ),
    DiagnosisCheck("A"),
    DiagnosisCheck("B"),
    DiagnosisCheck("C"),
    ValueCheck(
        "split_answer",
        expected=sol.SPLIT_CHOICE,
        form="text",
        description="the letter of the statement that says what validation_split does",
        mistakes={
            ("Keras takes the validation rows from the end of x and y, before shuffling (shuffle=True only "
             "shuffles the training rows): shuffle the data yourself if it is sorted, e.g. by class"): "A",
            ("the validation rows are set aside once and the model never trains on them: that is what makes "
             "val_loss an estimate of the loss on new data"): "C",
            "validation_split is the fraction kept apart for validation; the model trains on the rest": "D",
        },
    ),
    ValueCheck(
        "n_train",
        expected=sol.for_student("N_TRAIN"),
        **EXACT,
        description="the number of rows the model trains on, with the notebook's data set size and validation_split",
        mistakes={
            "this is the number of validation rows; the model trains on the others": sol.for_student("N_VALIDATION"),
            "Keras rounds down: it trains on the first floor(n * (1 - validation_split)) rows": sol.for_student("N_TRAIN_ROUNDED"),
        },
    ),
]


# Otter question -> the checks that grade it: the build gives each question the sum of their points
# and one hidden Otter test per check (autograder/build/hidden_tests.py).
QUESTIONS = {
    "q1_best_epoch": ["best_epoch"],
    "q2_early_stopping": ["stop_epoch", "stopped_at"],
    "q3_diagnosis": ["diagnosis_A", "diagnosis_B", "diagnosis_C"],
    "q4_validation_split": ["split_answer", "n_train"],
}


def notebook_variant(given: dict) -> dict:
    """The notebook's own numbers, read from its given variables, for Otter's hidden tests (the
    grader reads them from the notebook's signed variant block instead)."""
    return {"loss": given["history"]["loss"], "val_loss": given["history"]["val_loss"], "patience": given["patience"],
            "curves": given["curves"], "n_rows": given["n_rows"], "split": given["validation_split"]}
