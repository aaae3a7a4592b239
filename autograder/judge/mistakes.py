"""A typical mistake, as a course author writes it in `exercises/<id>/mistakes.py`.

Every pen-and-paper exercise keeps a corpus of the mistakes students make in week 1 in
`exercises/<id>/mistakes.py` (and a held-out one in `held_out.py`): a list `MISTAKES` of
`Mistake`s. A mistake is the exercise's own solution with a few edits of its code (`math.exp`
for `np.exp`, `=` for `+=`, ...); `expect` names every check the mistake makes fail, with words
its hint must contain ("" where no specific hint is expected). autograder/corpus.py runs and
judges them; `autograder coverage` reports how many get their hint.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mistake:
    """One typical mistake: edits of the solution's code and the hints it should get.

    `edits` replace text in the code cells of the master ({old: new}; every old text must be
    found), `after` is code run after the notebook, `expect` is {check: words of its hint}.
    """

    name: str
    expect: dict[str, str]
    edits: dict[str, str] = field(default_factory=dict)
    after: str = ""
