"""How one synthetic honest student writes, whatever the exercise: their habits (a `Style`).

Each student of tests/support/similarity_class.py draws, from their own seeded generator, the names they
give to what is not asked by name, how often they comment and print, whether they write `a * b`
or `a*b`, the words of their prints, and a few small rewrites they make everywhere the same way
(`np.dot` for `@`, `.mean()`, `1.0 /`, ...). The idioms per question are in similarity_answers.py.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field


NAMES = ["t", "tmp", "val", "res", "out", "h", "e", "v", "acc", "k", "s", "q", "r", "u", "aux", "num", "den",
         "expo", "x_vec", "w_vec", "inputs", "weights", "prod", "total", "layer_sizes", "sizes", "units_list",
         "hidden", "inp", "net", "feat", "lrate", "opt", "act", "n_units"]


@dataclass
class Style:
    """One student's habits, shared by all their answers."""

    rng: random.Random
    names: dict = field(default_factory=dict)
    comments: float = 0.3  # how often a line gets a comment
    prints: float = 0.4
    spaces: bool = True  # `a * b` or `a*b`
    habit: str = ""  # how they print
    words: list = field(default_factory=list)  # the words of their messages

    def name(self, role: str) -> str:
        if role not in self.names:
            taken = set(self.names.values())
            self.names[role] = self.rng.choice([n for n in NAMES if n not in taken] or [f"{role}_{len(taken)}"])
        return self.names[role]

    def pick(self, options: list[tuple[float, object]]):
        total = sum(w for w, _ in options)
        x = self.rng.uniform(0, total)
        for w, option in options:
            x -= w
            if x <= 0:
                return option
        return options[-1][1]

    def op(self, text: str) -> str:
        return text if self.spaces else re.sub(r" ([*/+\-]) ", r"\1", text)


COMMENTS = ["# net input", "# compute it", "# as in the lecture", "# by the formula", "# check this", "# my answer",
            "# vectorised", "# element-wise", "# the probability", "# works for arrays", "# decision rule",
            "# TODO: double-check", "# from the slides", "# simple version", "# numpy does the work"]


def _comment(style: Style, code: str) -> str:
    out = []
    for line in code.splitlines():
        if line.strip() and style.rng.random() < style.comments:
            line = f"{line}  {style.rng.choice(COMMENTS)}"
        out.append(line)
    return "\n".join(out)


WORDS = ["value", "result", "answer", "my", "net input", "probability", "check", "output", "is", "=", "->", "got",
         "computed", "so", "here", "final", "step", "ok", "test", "the", "of", "for", "z", "p", "sigma", "note",
         "banknote", "fake?", "decision", "vector", "matrix", "shape", "x", "first", "second", "again", "now"]


def voice(s: Style, what: str) -> str:
    """A print in the student's own words: each student has a habit and a vocabulary."""
    if not s.habit:
        s.habit = s.rng.choice(["plain", "label", "fstring", "sep"])
        s.words = s.rng.sample(WORDS, 4)
    words = " ".join(s.rng.sample(s.words, s.rng.randint(1, 2)))
    return {"plain": f"print({what})", "label": f'print("{words}", {what})',
            "fstring": f'print(f"{words} {{{what}}}")', "sep": f'print("{words}:", {what}, sep=" ")'}[s.habit]


HABITS = [  # small rewrites a student makes everywhere, the same way every time
    (re.compile(r"\b(\w+(?:\.T)?) @ (\w+)\b"), r"np.dot(\1, \2)"),
    (re.compile(r"\bnp\.mean\((\w+)\)"), r"\1.mean()"),
    (re.compile(r"- lr \* (\w+)"), r"- \1 * lr"),
    (re.compile(r"\b1 / "), "1.0 / "),
    (re.compile(r"\blen\(y\)"), "y.shape[0]"),
    (re.compile(r"np\.zeros\(len\((\w+)\)\)"), r"np.zeros_like(\1, dtype=float)"),
    (re.compile(r"\bnp\.exp\("), "np.e ** ("),
    (re.compile(r"\bfor _ in range"), "for _step in range"),
    # more of the small choices independent writers make differently, within one idiom
    (re.compile(r"\b(\w+) = \1 - "), r"\1 -= "),
    (re.compile(r"\(2 \* eps\)"), "(2.0 * eps)"),
    (re.compile(r"\b(\w+)\.copy\(\)"), r"np.copy(\1)"),
    (re.compile(r"(?<![\w.])0\.0\b"), "0."),
    (re.compile(r"np\.array\(\[(\w+), (\w+)\]\)"), r"np.array((\1, \2))"),
    (re.compile(r"\brange\(len\((\w+)\)\)"), r"range(\1.size)"),
    (re.compile(r"(?<![\w.])abs\("), "np.abs("),
]


def habits(s: Style, code: str) -> str:
    if not hasattr(s, "habits"):
        s.habits = [h for h in HABITS if s.rng.random() < 0.35]
    for pattern, replacement in s.habits:
        code = pattern.sub(replacement, code)
    return code

