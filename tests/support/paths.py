"""Where things are, from any folder of tests/: a test module says REPO, not Path(__file__).parent.parent
(which changes meaning when the module moves to another folder)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent  # tests/
REPO = TESTS.parent  # the repository: course.yaml, exercises/, solutions/, autograder/
ARTIFACTS = TESTS / "artifacts"  # screenshots of pages the tests open (ignored by git)
