"""Where the bundled course lives: the repository's root, its exercises/ folder and course.yaml.

A course can sit anywhere (its exercises beside its course.yaml); these are only the defaults."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EXERCISES_DIR = REPO_ROOT / "exercises"
DEFAULT_COURSE = REPO_ROOT / "course.yaml"
