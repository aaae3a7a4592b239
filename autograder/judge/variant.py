"""The numbers of the student being judged, for exercises that give each student their own.

The pipeline sets the variant (the parameters signed into the student's notebook) around
the judging of one submission; an expected value that depends on it is a `FromVariant`,
which checks resolve like any other callable expected value. Without a variant the
solution module's default (the slides' numbers) applies. A ContextVar keeps parallel
gradings in threads apart.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable

_current: ContextVar[dict | None] = ContextVar("autograder_variant", default=None)


def current_variant() -> dict | None:
    """The parameters of the submission being judged, or None for the default variant."""
    return _current.get()


@contextmanager
def using_variant(params: dict | None):
    token = _current.set(params)
    try:
        yield
    finally:
        _current.reset(token)


class FromVariant:
    """An expected value computed from the student's variant: `expected(params)[key]`, or
    `key(expected(params))` when `key` is a function of that dict (a value derived from it).

    `expected` is a solution module's function from a variant's parameters (None: the
    default) to a dict of every value the exercise asks for or names as a mistake. A
    checks.py writes it as `sol.for_student(key)` (judge/solution.py).
    """

    def __init__(self, expected: Callable[[dict | None], dict], key: str | Callable[[dict], object],
                 numbers: Callable[[], dict | None] = current_variant):
        self.expected, self.key = expected, key
        # the numbers of the student being judged (Solution.student_numbers: the default ones without a variant)
        self.numbers = numbers

    def __call__(self):
        return self.on(current_variant())

    def on(self, params: dict | None):
        """The value for the numbers `params` (None: the default ones)."""
        values = self.expected(params)
        return self.key(values) if callable(self.key) else values[self.key]

    def __repr__(self):
        return f"FromVariant({self.key!r})"
