"""Compatibility: course authors' mistakes.py files written before issue 26 say
`from autograder.judge.coverage import Mistake`. The type lives in judge/mistakes.py, running the
corpus in autograder/corpus.py and the report in cli/coverage.py (`autograder coverage`)."""

from autograder.judge.mistakes import Mistake

__all__ = ["Mistake"]
