"""The similarity report's files: a CSV of the listed pairs, and the plain data the HTML page
and the grading report's similarity section are drawn from (kept as similarity.json beside the
results, so `autograder report` shows the section without comparing again).

For the teacher only: nothing here goes into feedback, LMS exports or anything students see.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from autograder.export.safe_text import spreadsheet_cell
from autograder.similarity import THRESHOLD, ExerciseSimilarity

CSV_COLUMNS = ("exercise", "rank", "score", "own_cells_same", "own_cells", "own_cells_same_but_common", "code_score",
               "signal_score", "student_a", "student_b", "shared_signals", "submission_a", "submission_b")
JSON_NAME = "similarity.json"

MEANING = (
    "A score says how much of two students' own work is the same and unusual in their class: the code they wrote "
    "(the handed-out code, comments, outputs and their own names left out; what most of the class wrote weighs "
    "little, since the same few common forms in two notebooks are a likely accident in a class) and the signs this course adds (the same training recipe and seeds, the same wrong answers in the "
    "gradebook, the same personal notebook). 1 means all of it is the same; 0 nothing beyond what most wrote. "
    f"Pairs from {THRESHOLD:g} up are worth a look. Beside each score is a count you can check yourself: how many "
    "own cells of the one who wrote more the other also wrote, every line of each, in whatever cells (names, comments "
    "and spacing aside: cells merged or split do not hide a copy), out of that one's own cells, and how many of "
    "those are common in the class (a textbook form many wrote "
    "alike counts for little in the score). It is evidence to look at, not a verdict: short exercises have "
    "few ways to be right, so two honest notebooks can be alike in every cell and the code alone cannot always "
    "tell them from a copy; students work together where that is allowed, and a shared source (the slides, a "
    "tutorial) makes honest work alike. Read the passages side by side before you conclude anything. This report "
    "is for teachers only; nothing of it is shown to students."
)


def inert(value) -> str:
    """A spreadsheet cell that cannot be a formula (export/safe_text.py)."""
    return spreadsheet_cell("" if value is None else str(value))


def cells_text(same: int, cells: int, common: int) -> str:
    """`k of n own cells the same` with how many of them are common in the class."""
    if not cells:
        return "no own code to compare"
    text = f"{same} of {cells} own cells the same"
    return text + (f" ({common} of them common in the class)" if common else "")


def plain(reports: list[ExerciseSimilarity], threshold: float = THRESHOLD) -> dict:
    """Everything the page shows, as JSON-ready data."""
    return {
        "threshold": threshold,
        "meaning": MEANING,
        "exercises": [{
            "id": r.exercise,
            "title": r.title,
            "submissions": r.submissions,
            "without_code": r.without_code,
            "flagged": r.flagged,
            "note": r.note,
            "pairs": [{
                "rank": rank,
                "score": p.score,
                "code": p.code,
                "signals": p.signals,
                "flagged": p.score >= threshold,
                "cells_same": p.cells_same,
                "cells": p.cells,
                "cells_common": p.cells_common,
                "cells_text": cells_text(p.cells_same, p.cells, p.cells_common),
                "a": {"student": p.a.student, "submission": p.a.submission},
                "b": {"student": p.b.student, "submission": p.b.submission},
                "shared": p.shared,
                "left": [[text, matched] for text, matched in p.left],
                "right": [[text, matched] for text, matched in p.right],
            } for rank, p in enumerate(r.pairs, start=1)],
        } for r in reports],
    }


def write_csv(data: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for ex in data["exercises"]:
            for p in ex["pairs"]:
                writer.writerow([inert(x) for x in (
                    ex["id"], p["rank"], f"{p['score']:.4f}", p.get("cells_same", ""), p.get("cells", ""),
                    p.get("cells_common", ""), f"{p['code']:.4f}", f"{p['signals']:.4f}",
                    p["a"]["student"], p["b"]["student"], "; ".join(p["shared"]),
                    p["a"]["submission"], p["b"]["submission"])])
    tmp.replace(path)
    return path


def write_json(data: dict, path: Path) -> Path:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    tmp.replace(path)
    return path


def read_json(folder: Path) -> dict | None:
    """The similarity data kept beside a `grade` output, or None when there is none (or it is unreadable)."""
    path = Path(folder) / JSON_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("exercises"), list) else None
