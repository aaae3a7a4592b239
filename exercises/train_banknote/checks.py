"""Hidden checks of `train_banknote`: a timed training task.

The grader calls the notebook's `build_model()` (and the other build functions course.yaml
names) in the sandbox, trains the model with the notebook's training settings under the
time budget of course.yaml, and grades the trained weights here, on a held-out set made by
`solutions/datasets.py` that the notebook never had. Metric, tiers, budgets and seeds: the
exercise's `training` settings in the course being graded, passed in as `exercise`.
"""

from autograder.judge.training import training_checks
from solutions import datasets


def make_checks(exercise):
    return training_checks(exercise, datasets.heldout_data)


# Otter question -> the checks that grade it: the build gives each question the sum of their points
# and one hidden Otter test per check (autograder/build/hidden_tests.py).
QUESTIONS = {
    "q1_model": ["model"],
}
