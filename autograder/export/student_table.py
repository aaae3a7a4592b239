"""The report's table per student: a row per student, a column per exercise of the course, each
cell the submission that counts (course.yaml `lms.pick`, as in the LMS exports), its score, its
status and a link to its feedback file; and the inputs no exercise column can hold (unreadable
files, notebooks of other courses), counted apart so that every input is in the report."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from autograder.export.feedback import feedback_filename
from autograder.export.lms import match_results
from autograder.record import Result, results_of


def _exercise_ids(results: list[Result], course) -> list[str]:
    if course is not None:
        return list(course.ids)
    return sorted({r.exercise for r in results if r.exercise})


def _link(result: Result, feedback_dir: Path | None, report_dir: Path | None) -> str | None:
    """The feedback's HTML page (with its figures) where it was written, else its Markdown."""
    if feedback_dir is None:
        return None
    page = Path(feedback_dir) / feedback_filename(result, ".html")
    target = page if page.is_file() else Path(feedback_dir) / feedback_filename(result)
    return os.path.relpath(target, report_dir) if report_dir is not None else target.as_posix()


def _cell(result: Result, feedback_dir, report_dir) -> dict:
    return {"score": float(result.score), "max_score": float(result.max_score),
            "status": result.status.value, "link": _link(result, feedback_dir, report_dir)}


def student_table(results: list[Result], course=None, feedback_dir: Path | None = None,
                  report_dir: Path | None = None) -> dict:
    """{columns: [(id, title)], rows: [{student, cells: {id: cell or None}, total, max_total,
    others: [cell with exercise]}]}; a cell's link is relative to `report_dir`."""
    results = results_of(results)
    ids = _exercise_ids(results, course)
    titles = {e.id: e.title for e in course.exercises} if course is not None else {}
    pick = course.lms.pick if course is not None else "best"
    chosen, outside = match_results(results, None, ids, pick)
    by_path = {r.submission: r for r in results}
    students = sorted(set(chosen) | {u.student for u in outside})
    rows = []
    for student in students:
        mine = chosen.get(student, {})
        cells = {i: _cell(mine[i], feedback_dir, report_dir) if i in mine else None for i in ids}
        others = []
        for u in outside:
            if u.student == student and u.submission in by_path:
                others.append(dict(_cell(by_path[u.submission], feedback_dir, report_dir),
                                   exercise=u.exercise or "?", why=u.reason))
        rows.append({"student": student, "cells": cells, "others": others,
                     "total": sum(c["score"] for c in cells.values() if c),
                     "max_total": sum(c["max_score"] for c in cells.values() if c)})
    return {"columns": [(i, titles.get(i, i)) for i in ids], "rows": rows,
            "has_others": any(row["others"] for row in rows)}


def outside_course(results: list[Result], course=None) -> dict | None:
    """The inputs no exercise of the course holds: unreadable files and notebooks of other
    courses (their exercise ids), with their statuses; None when there is none."""
    results = results_of(results)
    ids = set(course.ids) if course is not None else None
    rows = [r for r in results if not r.exercise or (ids is not None and r.exercise not in ids)]
    if not rows:
        return None
    return {"count": len(rows), "statuses": dict(Counter(r.status.value for r in rows)),
            "exercises": sorted({r.exercise for r in rows if r.exercise})}
