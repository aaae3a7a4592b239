"""The `training:` settings of a timed training task in course.yaml, validated once.

    training:
      seeds: {training: 0, data: 1, heldout: 2}  # keras.utils.set_random_seed; the data sets
      data: {source: generated}                  # optional: a real file for a teacher who has one
      tasks:
        model:                                   # the check's name
          build: build_model                     # the notebook's function
          settings: TRAINING                     # the notebook's dict of epochs and batch size
          x: data/banknote_x.npy                 # training files in the exercise's data/
          y: data/banknote_y.npy
          metric: accuracy                       # or mse
          classes: 2                             # accuracy only
          budget_s: {gpu: 30, cpu: 60}           # wall-clock training budget per device class
          tiers:                                 # the first tier reached gives its points
            - {at_least: 0.89, points: 4}        # (mse: at_most)
            - {at_least: 0.80, points: 2}

`seeds` and `data` are handed as they are to the exercise's held-out data function
(solutions/datasets.py); the judging itself is autograder/judge/training.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, PositiveFloat, model_validator

from autograder.course.section import Identifier, Section

METRICS = {"accuracy": "at_least", "mse": "at_most"}  # metric: the tier key that reaches it


@dataclass(frozen=True)
class Tier:
    threshold: float
    points: float


def parse_tiers(metric: str, tiers, where: str) -> tuple[Tier, ...]:
    """Tiers as course.yaml writes them, best first; each needs `at_least` (accuracy) or
    `at_most` (mse) and `points`. A tier with more points must ask for a better value."""
    if metric not in METRICS:
        raise ValueError(f"{where}: unknown metric {metric!r}; known: {sorted(METRICS)}")
    key = METRICS[metric]
    if not isinstance(tiers, (list, tuple)) or not tiers:
        raise ValueError(f"{where}: tiers must be a non-empty list")
    out = []
    for tier in tiers:
        tier = tier.model_dump(exclude_none=True) if isinstance(tier, TierSpec) else tier
        if not isinstance(tier, dict) or key not in tier or "points" not in tier:
            raise ValueError(f"{where}: each tier of a {metric} task needs {key!r} and 'points', got {tier!r}")
        out.append(Tier(float(tier[key]), float(tier["points"])))
    out.sort(key=lambda t: -t.points)
    better = (lambda a, b: a >= b) if key == "at_least" else (lambda a, b: a <= b)
    for high, low in zip(out, out[1:]):
        if not better(high.threshold, low.threshold):
            raise ValueError(f"{where}: a tier with more points must ask for a better {metric}")
    return tuple(out)


class TierSpec(Section):
    at_least: float | None = None
    at_most: float | None = None
    points: PositiveFloat


class Budget(Section):
    """Wall-clock training budget in seconds per device class (autograder/run/device.py)."""

    gpu: PositiveFloat
    cpu: PositiveFloat


class TrainingTask(Section):
    build: Identifier  # the notebook's function that returns a compiled model
    settings: Identifier  # the notebook's dict {epochs, batch_size, ...}
    x: str
    y: str
    metric: Literal["accuracy", "mse"]
    classes: int | None = Field(None, ge=2)
    budget_s: Budget
    tiers: tuple[TierSpec, ...] = Field(min_length=1)
    description: str = ""

    @model_validator(mode="after")
    def _consistent(self):
        key = METRICS[self.metric]
        other = "at_most" if key == "at_least" else "at_least"
        for tier in self.tiers:
            if getattr(tier, key) is None or getattr(tier, other) is not None:
                raise ValueError(f"each tier of a {self.metric} task needs {key!r} and 'points' (not {other!r})")
        parse_tiers(self.metric, list(self.tiers), "tiers")  # the order; its message names the field
        if self.metric == "accuracy" and self.classes is None:
            raise ValueError("an accuracy task needs classes (2 or more)")
        return self

    @property
    def ranked_tiers(self) -> tuple[Tier, ...]:
        """The tiers as (threshold, points), best first."""
        return parse_tiers(self.metric, list(self.tiers), "tiers")


class Seeds(Section):
    training: int = 0  # keras.utils.set_random_seed before build_model()
    data: int | None = None  # the training split shipped to students
    heldout: int | None = None  # the held-out split, never shipped


class TrainingData(Section):
    """Where the data sets come from (solutions/datasets.py): generated, or a teacher's file."""

    source: str
    file: str | None = None
    folder: str | None = None
    rows: int | None = Field(None, gt=0)


class Training(Section):
    seeds: Seeds = Seeds()
    data: TrainingData | None = None
    tasks: dict[str, TrainingTask] = Field(min_length=1)
