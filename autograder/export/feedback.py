"""Per-student feedback: a Markdown file and a self-contained HTML page per submission, next to
its result JSON.

Both say, for every check, the points it gave, what was expected (the check's message) and,
where a known mistake explains the answer, the hint that names it; the HTML page also shows the
check's figure (autograder/figures/), embedded as a data: URI, with no script and nothing
fetched (it opens offline, and its Content-Security-Policy forbids anything else). Both are
written from the result document alone, so they can be made again at any time from the
gradebook: `feedback_html(result, course)` is the page of one result record.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from autograder.export.files import result_filename, write_atomically
from autograder.export.safe_text import escape_unsafe, markdown_prose, markdown_text
from autograder.record import CellInfo, CheckResult, Result, Status

TEMPLATES = Path(__file__).resolve().parent / "templates"

# The keys a training check's `details` may use for its held-out metric, in order of preference.
METRIC_KEYS = (
    "held_out_accuracy", "heldout_accuracy", "test_accuracy", "val_accuracy", "accuracy",
    "held_out_loss", "heldout_loss", "test_loss", "val_loss", "loss", "mse", "mae",
)
SECONDS_KEYS = ("seconds", "train_seconds", "training_seconds", "time_s", "elapsed")
LOWER_IS_BETTER = ("loss", "mse", "mae", "error", "rmse")

# What each status means, in words for the student (every Status has its sentence: a test says so).
STATUS_WORDS: dict[str, str] = {
    Status.GRADED: "graded",
    Status.TIMEOUT: "stopped at the time limit: the answers obtained before it still count",
    Status.CRASHED: "the notebook's process died before the grader could ask for its answers",
    Status.INVALID: "not a readable notebook",
    Status.UNKNOWN_EXERCISE: "the notebook names no exercise of this course",
    Status.TAMPERED: "the notebook's personal variant does not check out",
    Status.ERROR: "the grader failed on this submission, not you: it is graded again when the batch is rerun",
}


def status_words(status: Status) -> str:
    """The sentence that explains a status other than `graded` ("" for graded)."""
    return "" if status == Status.GRADED else STATUS_WORDS[status]


def _number(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN is no value


def training_summary(check: CheckResult | dict) -> dict | None:
    """{metric, value, seconds, device, epochs, lower_is_better} of a training check's
    `details`, or None when the check has no held-out metric to show."""
    details = check.details if isinstance(check, CheckResult) else check.get("details")
    if not isinstance(details, dict):
        return None
    name, value = "", None  # the metric's name: set wherever a value is found
    metric = details.get("metric")
    if isinstance(metric, str) and metric:
        name = metric
        for key in ("value", "held_out", "heldout", "score", metric):
            value = _number(details.get(key))
            if value is not None:
                break
    elif _number(metric) is not None:
        name, value = str(details.get("metric_name") or "metric"), _number(metric)
    if value is None:
        for key in METRIC_KEYS:
            value = _number(details.get(key))
            if value is not None:
                name = key
                break
    if value is None:
        return None
    seconds = next((s for s in (_number(details.get(k)) for k in SECONDS_KEYS) if s is not None), None)
    # The trainer reports epochs_done (and how many were asked for); older records say epochs.
    epochs = _number(details.get("epochs_done", details.get("epochs")))
    requested = _number(details.get("epochs_requested"))
    return {
        "metric": name,
        "value": value,
        "seconds": seconds,
        "device": str(details.get("device") or ""),
        "epochs": int(epochs) if epochs is not None else None,
        "epochs_requested": int(requested) if requested is not None else None,
        "stopped_by_budget": details.get("stopped_by_budget") is True,
        "lower_is_better": any(word in name.lower() for word in LOWER_IS_BETTER),
    }


def _num(x) -> str:
    x = _number(x)
    return "?" if x is None else f"{round(x, 4):g}"


IPYTHON_FILE = re.compile(r"<ipython-input-\d+-[0-9a-f]+>")


def _code(text) -> str:
    """One line of text as a Markdown code span: shown as it is, `<` included, both rendered and
    read as plain text (an `&lt;` entity would show as such in a plain-text reader). The fence is
    longer than any run of backticks inside, so the text cannot close it."""
    text = " ".join(escape_unsafe(str(text or ""), keep="\n\r\t").split())  # no escape sequence, no surrogate
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def cell_error_line(cell: CellInfo) -> str:
    """'- code cell 3: `SyntaxError: invalid syntax (this cell, line 2)`': IPython's name for the
    cell's source file says nothing to a student."""
    error = IPYTHON_FILE.sub("this cell", str(cell.error or ""))
    return f"- code cell {cell.index + 1}: {_code(' '.join(error.split())[:300])}"


def _points(check: CheckResult) -> tuple[float, float, str]:
    """(points, max points, 'passed' | 'partly' | 'failed'); a number that is none (NaN) counts 0."""
    points, most = _number(check.points) or 0.0, _number(check.max_points) or 0.0
    return points, most, "passed" if most and points >= most else ("partly" if points > 0 else "failed")


def check_lines(check: CheckResult) -> list[str]:
    points, most, mark = _points(check)
    lines = [f"### {markdown_text(check.name)}: {_num(points)}/{_num(most)} ({mark})", ""]
    # The course writes descriptions, messages and hints in Markdown (code spans), quoting
    # the student's values: the Markdown stays, links, images, tags and math cannot start.
    for prefix, text in (("Expected: ", check.description), ("", check.message), ("**Hint:** ", check.hint)):
        if text:
            lines.append(f"- {prefix}{markdown_prose(text)}")
    training = _training_line(check)
    if training:
        lines.append("- Training: " + markdown_text(training))
    lines.append("")
    return lines


def feedback_markdown(result: Result | dict, title: str | None = None) -> str:
    """The feedback of one result, as Markdown."""
    result = Result.read(result, "the result given")
    words = status_words(result.status)
    lines = [
        f"# Feedback: {markdown_text(title or result.exercise or 'unknown exercise')}",
        "",
        f"- Student: {markdown_text(result.student)}",
        f"- Score: **{_num(result.score)} / {_num(result.max_score)}**",
        f"- Status: {markdown_text(result.status)}" + (f" ({words})" if words else ""),
    ]
    for label, value in (("Note", result.message), ("Handed in", result.handed_in_at), ("Graded at", result.graded_at)):
        if value:
            lines.append(f"- {label}: {markdown_text(value)}")
    lines.append("")
    if result.checks:
        lines += ["## Checks", ""]
        for check in result.checks:
            lines += check_lines(check)
    else:
        lines += ["No check could be run on this submission.", ""]
    errors = result.cell_errors
    if errors:
        lines += ["## Cells that raised an error", ""]
        lines += [cell_error_line(c) for c in errors[:10]]
        lines.append("")
    return "\n".join(lines)


def _training_line(check: CheckResult) -> str:
    training = training_summary(check)
    if not training:
        return ""
    parts = [f"held-out {training['metric']} {_num(training['value'])}"]
    if training["seconds"] is not None:
        parts.append(f"trained for {_num(training['seconds'])} s")
    if training["epochs"] is not None:
        asked = f" of {training['epochs_requested']}" if training["epochs_requested"] is not None else ""
        parts.append(f"{training['epochs']}{asked} epochs")
    if training["device"]:
        parts.append(f"on {training['device']}")
    return ", ".join(parts)


def page_settings(result: Result, course) -> tuple[str, str]:
    """(title, figure reference setting) of the result's exercise in `course` (None: the defaults)."""
    exercise = course.exercise(result.exercise) if course is not None and result.exercise else None
    if exercise is None:
        return result.exercise or "unknown exercise", "auto"
    return exercise.title, exercise.figure_reference


_environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                  undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def feedback_html(result: Result | dict, course=None, title: str | None = None, reference: str | None = None) -> str:
    """The self-contained HTML feedback page of one result (or result document), with its figures.

    `course` gives the exercise's title and whether figures draw the right answer for failed
    checks (its `figure_reference`); `title` and `reference` override them."""
    from autograder import figures

    result = Result.read(result, "the result given")
    own_title, own_reference = page_settings(result, course)
    drawn = figures.figures_of(result, reference or own_reference) if figures.enabled() else []
    checks = []
    for check in result.checks:
        points, most, mark = _points(check)
        checks.append({
            "name": check.name, "points": _num(points), "max_points": _num(most), "mark": mark,
            "description": check.description, "message": check.message, "hint": check.hint,
            "training": _training_line(check), "figures": [d for d in drawn if d.check == check.name],
        })
    return _environment.get_template("feedback.html.j2").render(
        exercise=title or own_title, student=result.student,
        score=_num(result.score), max_score=_num(result.max_score), status=result.status,
        status_words=status_words(result.status), note=result.message, graded_at=result.graded_at, checks=checks,
        errors=[{"index": c.index, "error": str(c.error)[:300]} for c in result.cell_errors][:10],
    )


def feedback_filename(result: Result | dict, suffix: str = ".md") -> str:
    return Path(result_filename(Result.read(result, "the result given"))).with_suffix(suffix).name


def write_feedback(result: Result | dict, folder: Path, title: str | None = None, course=None,
                   page: str | None = None) -> Path:
    """Write the result's feedback as `folder/<student>__<exercise>__<sha>.md` (the name of
    its result JSON, with .md) and its HTML page beside it (.html; `page`, where it was made
    elsewhere); returns the Markdown's path."""
    result = Result.read(result, "the result given")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # The page first: a Markdown file that matches its row says the page was written too
    # (export/derived.py relies on it, so that it never draws every figure again to compare).
    write_atomically(folder / feedback_filename(result, ".html"),
                     page if page is not None else feedback_html(result, course, title))
    return write_atomically(folder / feedback_filename(result), feedback_markdown(result, title))


def write_all_feedback(results: list[Result], folder: Path, titles: dict[str, str] | None = None,
                       course=None) -> list[Path]:
    titles = titles or {}
    return [write_feedback(r, folder, titles.get(r.exercise or ""), course) for r in results]
