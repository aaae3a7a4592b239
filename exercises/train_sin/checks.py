"""`train_sin`, a timed training task: the framework makes one check per task of its `training:`
settings in course.yaml (exercises/README.md, "Timed training tasks"); here, which question each grades."""

QUESTIONS = {
    "q1_regression": ["regression"],
    "q2_classification": ["classification"],
}
