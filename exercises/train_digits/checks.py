"""`train_digits`, a timed training task: the framework makes one check per task of its `training:`
settings in course.yaml (exercises/README.md, "Timed training tasks"); here, which question each grades."""

QUESTIONS = {
    "q1_model": ["model"],
}
