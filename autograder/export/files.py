"""grades.csv (one row per submission) and one JSON document per submission."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from autograder.record import COLUMNS

SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def result_filename(result: dict) -> str:
    """A file name that names the student and exercise and cannot escape its folder."""
    student = SAFE.sub("_", result["student"])[:60] or "unknown"
    exercise = SAFE.sub("_", result.get("exercise") or "unknown")[:60]
    return f"{student}__{exercise}__{(result['sha256'] or 'nohash')[:12]}.json"


def write_result_json(result: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / result_filename(result)
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(result, indent=2, sort_keys=False))
    tmp.replace(path)
    return path


def write_grades_csv(results: list[dict], path: Path) -> Path:
    extra = ("message", "seconds")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS + extra)
        for r in results:
            writer.writerow([r.get(c, "") if c not in ("score", "max_score") else f"{r[c]:g}" for c in COLUMNS]
                            + [r.get("message", ""), f"{r.get('seconds', 0):.2f}"])
    tmp.replace(path)
    return path
