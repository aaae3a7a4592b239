"""The figures of one result document: which are drawn, with or without the right answer, within
a size budget, each failure left out with a note (never an exception: a figure never fails a grade).

    figures_of(result, reference="auto") -> [Drawn(check, kind, title, png, note)]

A figure is drawn for a check below full marks (and for a kind drawn always, a training run).
Whether the right answer is drawn beside the student's (`reference`, per exercise in course.yaml,
`figure_reference`): `always`; `never` (for checks below full marks); `auto`, the default, draws
it where the answer itself is not what the figure shows (a function's curve, a training run, a
loop's loss) and leaves it out where it is (a value such as p, a line's intercept and slope), so
that a figure gives away no answer a student has not earned. A passed check shows both always.

Drawing is serialised (matplotlib's settings are process-wide), and an identical figure (the
same mistake on the same numbers, common in a class) is drawn once per process.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from autograder.figures import canvas
from autograder.figures.kind import Context, NothingToDraw, as_check
from autograder.figures.kinds import KINDS
from autograder.record.result import CheckResult, Result

REFERENCE_SETTINGS = ("auto", "always", "never")
PAGE_BYTES = 400_000  # the PNGs of one page (one submission) together
CACHE_SIZE = 256

drawing = threading.Lock()  # matplotlib's settings are process-wide: one figure drawn at a time
_cache: OrderedDict[str, bytes] = OrderedDict()


@dataclass
class Drawn:
    check: str
    kind: str
    title: str
    png: bytes | None = None  # None: left out, `note` says why
    note: str = ""
    reference: bool = False  # the right answer is drawn

    @property
    def uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii") if self.png else ""

    @property
    def alt(self) -> str:
        return f"{self.check}: {self.title}" + (", with the right answer" if self.reference else "")


def passed(row: CheckResult | dict) -> bool:
    check = as_check(row)
    return check.max_points > 0 and check.points >= check.max_points


def show_reference(row: CheckResult | dict, data: dict, setting: str = "auto") -> bool:
    if passed(row) or setting == "always":
        return True
    if setting == "never":
        return False
    return not data.get("answer_is_content", True)


def _png(kind, data: dict, ctx: Context, cap: int) -> bytes:
    drawer = f"{kind.draw.__module__}.{kind.draw.__qualname__}"
    key = hashlib.sha256(json.dumps([drawer, data, ctx.show_reference, ctx.siblings if kind.once else None,
                                     ctx.row.name if kind.once else None, cap],
                                    sort_keys=True, default=str).encode()).hexdigest()
    with drawing:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
        with canvas.settings():
            fig = kind.draw(data, ctx)
            png = canvas.png(fig, cap)
        _cache[key] = png
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return png


def draws_any(result: Result | dict) -> bool:
    """Whether `result` has a figure to draw or a note to show (what figures_of draws from),
    without drawing: a page of passed checks needs no matplotlib."""
    for row in Result.read(result, "the result given").checks:
        if row.figure is not None:
            kind = KINDS.get(str(row.figure.get("kind")))
            if kind is None or kind.always or not row.passed:
                return True
    return False


def figures_of(result: Result | dict, reference: str = "auto", budget: int = PAGE_BYTES,
               figure_cap: int = canvas.FIGURE_BYTES) -> list[Drawn]:
    """The figures of `result` (a result, or its document), in the order of its checks."""
    rows = [(c, c.figure) for c in Result.read(result, "the result given").checks if c.figure is not None]
    siblings: dict[str, dict[str, dict]] = {}
    for row, data in rows:
        siblings.setdefault(str(data.get("kind")), {})[row.name] = data
    out: list[Drawn] = []
    spent, done = 0, set()
    for row, data in rows:
        name = row.name
        kind = KINDS.get(str(data.get("kind")))
        if kind is None:
            out.append(Drawn(name, str(data.get("kind"))[:40], "", note="no figure of this kind is known"))
            continue
        if (passed(row) and not kind.always) or (kind.once and kind.name in done):
            continue
        if data.get("note"):
            out.append(Drawn(name, kind.name, kind.title, note=str(data["note"])[:200]))
            continue
        ctx = Context(show_reference(row, data, reference), row, siblings.get(kind.name, {}))
        try:
            png = _png(kind, data, ctx, figure_cap)
        except NothingToDraw:
            continue
        except canvas.TooLarge:
            out.append(Drawn(name, kind.name, kind.title, note=f"the figure was left out: larger than {figure_cap // 1000} KB"))
            continue
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, the grade stands without the figure
            out.append(Drawn(name, kind.name, kind.title, note=f"the figure could not be drawn ({type(exc).__name__})"))
            continue
        if spent + len(png) > budget:
            out.append(Drawn(name, kind.name, kind.title,
                             note=f"the figure was left out: this page's figures are capped at {budget // 1000} KB"))
            continue
        spent += len(png)
        done.add(kind.name)
        out.append(Drawn(name, kind.name, kind.title, png, reference=ctx.show_reference))
    return out
