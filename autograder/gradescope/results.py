"""Gradescope's results.json from our result document, with the course's Gradescope settings.

    score, execution_time, output, visibility, stdout_visibility, extra_data,
    tests: [{name, number, score, max_score, status, output, visibility, output_format}],
    leaderboard: [{name, value, order}]          (timed training tasks only)

A test whose check has a figure (autograder/figures/) gets `output_format: html`: its text,
escaped, and the figure as an embedded PNG (a data: URI), within GRADESCOPE_FIGURE_BYTES per
figure and GRADESCOPE_BYTES for all of them (a figure over either is left out with a note); the
other tests stay plain text. Every other output is declared `text`: Gradescope's specification
(gradescope/autograder_samples, docs/specs.md, "Output String Formatting") renders the top-level
output as `simple_format` (HTML) unless told otherwise, and that output quotes the run's message.
The specification documents no size limit for results.json; ours is RESULTS_BYTES, and a
document over it loses its figures, then has its longest outputs cut, never a score.

Visibility: `course.lms.gradescope` (autograder/course/model.py `Gradescope`, validated when
course.yaml is read):
    visibility         of the ordinary checks (default `visible`)
    hidden_visibility  of hidden checks (default `after_due_date`); a check is hidden when it
                       has `hidden = True`, or is listed in `hidden_checks`
    hidden_checks      {exercise id: [check names]} (or `all`)
    stdout_visibility  of run_autograder's stdout (default `hidden`)
"""

from __future__ import annotations

import html
import json
from typing import AbstractSet

from autograder import figures
from autograder.course import Gradescope
from autograder.export.feedback import STATUS_WORDS, status_words, training_summary
from autograder.record import CheckResult, Result, Status

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
GRADESCOPE_FIGURE_BYTES = 40_000  # one figure's PNG
GRADESCOPE_BYTES = 240_000  # every figure of one results.json (about 320 KB as base64)
RESULTS_BYTES = 500_000  # the whole results.json, as UTF-8
OUTPUT_FORMATS = ("text", "html", "simple_format", "md", "ansi")  # what the specification allows


class SettingsError(ValueError):
    """The bundle cannot grade as configured (its course lacks the exercise it was built for)."""


def hidden_checks(exercise_id: str, checks, settings: Gradescope) -> set[str]:
    """Names of the checks shown to students only as `hidden_visibility` allows."""
    listed = settings.hidden_checks.get(exercise_id) or ()
    names = {c.name for c in checks}
    if listed == "all":
        return names
    return {c.name for c in checks if getattr(c, "hidden", False)} | (set(listed) & names)


# --------------------------------------------------------------------------- results.json

def _round(x) -> float:
    return round(float(x or 0.0), 4)


def test_output(check: CheckResult) -> str:
    lines = []
    if check.description:
        lines.append(f"Expected: {check.description}")
    if check.message:
        lines.append(check.message)
    if check.hint:
        lines.append(f"Hint: {check.hint}")
    training = training_summary(check)
    if training:
        line = f"Held-out {training['metric']}: {training['value']:.4g}"
        if training["seconds"] is not None:
            line += f" after {training['seconds']:.1f} s of training"
        if training["epochs"] is not None:
            line += f" ({training['epochs']} epochs)"
        if training["device"]:
            line += f" on {training['device']}"
        lines.append(line)
    if not lines:
        lines.append("Passed." if check.points >= check.max_points else "Not passed.")
    return "\n".join(lines)


def html_output(text: str, drawn: list) -> str:
    """A test's output as HTML: its text, escaped, then its figures (or why each was left out)."""
    parts = [f"<p>{html.escape(line, quote=True)}</p>" for line in text.splitlines() if line.strip()]
    for figure in drawn:
        if figure.png:
            parts.append(f'<p><img src="{figure.uri}" alt="{html.escape(figure.alt, quote=True)}" '
                         f'style="max-width:100%"></p><p><em>{html.escape(figure.title)}</em></p>')
        else:
            parts.append(f"<p><em>Figure left out: {html.escape(figure.note)}</em></p>")
    return "\n".join(parts)


def leaderboard(result: Result | dict) -> list[dict]:
    """Held-out metric and training time of the training checks, as Gradescope leaderboard columns."""
    entries = []
    summaries = [(c.name, training_summary(c)) for c in Result.read(result, "the result given").checks]
    trained = [(name, t) for name, t in summaries if t]
    for name, t in trained:
        prefix = f"{name} " if len(trained) > 1 else ""
        entries.append({"name": f"{prefix}{t['metric']}", "value": round(t["value"], 6),
                        "order": "asc" if t["lower_is_better"] else "desc"})
        if t["seconds"] is not None:
            entries.append({"name": f"{prefix}training time (s)", "value": round(t["seconds"], 2), "order": "asc"})
    return entries


def to_gradescope(result: Result | dict, settings: Gradescope, hidden: AbstractSet[str] = frozenset(), checks=(),
                  title: str = "", reference: str = "auto") -> dict:
    """Gradescope's results.json for one of our result documents.

    `checks` are the exercise's Check objects: when the submission never reached them
    (unreadable, wrong exercise) each still gets a test worth 0 of its points, so the student
    sees what the assignment is worth and why nothing was graded. `reference`: whether figures
    draw the right answer for failed checks (the exercise's `figure_reference`)."""
    result = Result.read(result, "the result given")
    rows = list(result.checks)
    if not rows:
        reason = result.message or STATUS_WORDS[result.status]
        rows = [CheckResult(name=c.name, description=c.description, points=0.0, max_points=float(c.points),
                            message=f"Not graded: {reason}", hint="") for c in checks]
    drawn = figures.figures_of(result, reference, GRADESCOPE_BYTES, GRADESCOPE_FIGURE_BYTES) if figures.enabled() else []
    tests = []
    for number, check in enumerate(rows, start=1):
        score, most = _round(check.points), _round(check.max_points)
        mine = [d for d in drawn if d.check == check.name]
        tests.append({
            "name": check.name,
            "number": str(number),
            "score": score,
            "max_score": most,
            "status": "passed" if score >= most else "failed",
            "output": test_output(check),
            "visibility": settings.hidden_visibility if check.name in hidden else settings.visibility,
            **({"output": html_output(test_output(check), mine), "output_format": "html"} if mine else {}),
        })
    score = _round(sum(t["score"] for t in tests))
    most = _round(sum(t["max_score"] for t in tests))
    status = result.status
    name = title or result.exercise or "this assignment"
    lines = [f"{name}: " + ("graded" if status == Status.GRADED else f"{status}, {status_words(status)}")]
    if not any(t["name"] in hidden for t in tests):
        lines[0] += f", {score:g} of {most:g} points"
    if result.message:
        lines.append(result.message)
    if hidden & {t["name"] for t in tests}:
        lines.append("Some checks are shown only after the due date.")
    document = {
        "score": score,
        "execution_time": int(round(float(result.seconds or 0.0))),
        "output": "\n".join(lines),
        "output_format": "text", "test_output_format": "text", "test_name_format": "text",
        "visibility": settings.visibility,
        "stdout_visibility": settings.stdout_visibility,
        "extra_data": {
            "status": status.value,
            "exercise": result.exercise,
            "sha256": result.sha256,
            "seed": result.seed,
            "isolation": result.run.isolation if result.run else None,
        },
        "tests": tests,
    }
    board = leaderboard(result)
    if board:
        document["leaderboard"] = board
    return within_cap(document, rows)


def _size(value) -> int:
    return len(json.dumps(value).encode("utf-8"))


def within_cap(document: dict, rows: list[CheckResult], cap: int | None = None) -> dict:
    """`document` at most `cap` bytes (RESULTS_BYTES) as JSON: over it, its tests lose their
    figures (they become plain text with a note), then the longest outputs are cut in turn.
    Scores, names and statuses are never touched."""
    cap = RESULTS_BYTES if cap is None else cap
    if _size(document) <= cap:
        return document
    for test, check in zip(document["tests"], rows):
        if test.pop("output_format", None) == "html":
            test["output"] = f"(Figure left out: results.json is capped at {cap // 1000} KB.)\n" + test_output(check)
    outputs, cut = [document, *document["tests"]], "\n(cut: results.json is capped)"
    size = _size(document)  # kept up to date from each output's own JSON, not measured again
    while size > cap:
        longest = max(outputs, key=lambda o: len(o["output"]))
        # A character is at least one byte of JSON: cutting the excess (and a margin) is enough.
        keep = max(200, len(longest["output"]) - (size - cap) - 100 - len(cut))
        if keep + len(cut) >= len(longest["output"]):
            break  # nothing long is left to cut
        before = _size(longest["output"])
        longest["output"] = longest["output"][:keep] + cut
        size -= before - _size(longest["output"])
    return document
