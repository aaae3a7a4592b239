"""grades.csv (one row per submission) and one JSON document per submission."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

from autograder.record import COLUMNS

SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def result_filename(result: dict) -> str:
    """A file name that names the student and exercise, cannot escape its folder, and is
    unique per gradebook row: the readable part is cleaned of odd characters (so `x y` and
    `x_y` look alike), and a digest of the row's exact key tells them apart."""
    student = SAFE.sub("_", str(result["student"]))[:60] or "unknown"
    exercise = SAFE.sub("_", result.get("exercise") or "unknown")[:60]
    sha = str(result.get("sha256") or "nohash")
    row = hashlib.sha256(f"{sha}\0{result['student']}".encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{student}__{exercise}__{sha[:12]}__{row}.json"


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
