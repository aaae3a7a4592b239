"""The reference solution as a checks.py sees it: `sol = load_solution(__file__)`.

It is the exercise's `solutions/<id>.py` (every name it defines reads as `sol.NAME`), with
what every exercise with personal numbers needs and none should write again:

    sol.for_student("Z")         the value "Z" of the solution's `expected(params)` for the
                                 student being judged, looked up when a submission is judged
                                 (their own numbers; the slides' where they have none): an
                                 expected value or a mistake's wrong value
    sol.for_student(lambda a: a["Z"] * 2)
                                 a value computed from that dict
    sol.student_expected()       that dict now (inside a rule that runs while judging)
    sol.student_numbers()        the student's own numbers now (`DEFAULT_VARIANT` without any)

A name the solution module defines itself is read from the module; these four are the
framework's (a solution that defines one of them is refused, so neither hides the other).
"""

from __future__ import annotations

import difflib
from types import ModuleType
from typing import Any, Callable

from autograder.judge.options import refuse
from autograder.judge.variant import FromVariant, current_variant

OWN = ("for_student", "student_expected", "student_numbers")


class Solution:
    """An exercise's solution module, with the student's-own-numbers lookup."""

    def __init__(self, module: ModuleType):
        clash = [name for name in OWN if name in vars(module)]
        if clash:
            raise ValueError(f"{module.__file__}: {clash[0]!r} is a name the framework gives the solution "
                             "(autograder/judge/solution.py); call yours otherwise")
        self._module = module
        self._keys: set | None = None  # the keys of expected(None), read at the first for_student

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def __dir__(self):
        return sorted(set(dir(self._module)) | set(OWN))

    def __repr__(self) -> str:
        return f"<solution {self._module.__file__}>"

    def _expected(self) -> Callable[[dict | None], dict]:
        expected = getattr(self._module, "expected", None)
        if not callable(expected):
            refuse("sol.for_student", f"{self._module.__file__} defines no expected(params): only an exercise with "
                   "personal numbers looks its values up for the student (write sol.NAME otherwise)")
        return expected

    def for_student(self, key: str | Callable[[dict], Any]) -> FromVariant:
        """The value `key` of expected(params) for the student being judged, resolved when a
        submission is judged; `key` may be a function of that dict."""
        if not (isinstance(key, str) or callable(key)):
            refuse("sol.for_student", f"takes a key of expected(params) or a function of that dict, got {key!r}")
        expected = self._expected()
        if isinstance(key, str):  # a misspelt key is an error where it is written, not at the first judging
            if self._keys is None:
                self._keys = set(expected(None))
            if key not in self._keys:
                close = difflib.get_close_matches(key, sorted(self._keys), n=1)
                refuse(f"sol.for_student({key!r})", f"expected() of {self._module.__file__} has no {key!r}"
                       + (f" (did you mean {close[0]!r}?)" if close else ""))
        return FromVariant(expected, key, self.student_numbers)

    def student_expected(self) -> dict:
        """expected(params) for the student being judged, now."""
        return self._expected()(current_variant())

    def student_numbers(self) -> dict:
        """The numbers of the student being judged, now (the solution's DEFAULT_VARIANT without any)."""
        return current_variant() or self._module.DEFAULT_VARIANT
