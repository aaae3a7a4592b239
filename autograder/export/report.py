"""The teacher's report: one self-contained HTML page about a batch of results.

    write_report(results, "report.html")

The page holds, per exercise, the score distribution (a histogram) and the pass rate of each
check; for the whole batch, the most frequent mistakes (the hints that fired, with counts),
the submissions that timed out, crashed or could not be read, and for the timed training
tasks their held-out metric against training time (a scatter plot). Plots are drawn with
matplotlib's object API (no pyplot, so no global state and no display) and embedded as
base64 PNG, and the page has no script and no external resource: it opens offline.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import statistics
from collections import Counter
from pathlib import Path

import jinja2
import numpy as np

from autograder.export.feedback import training_summary
from autograder.export.files import write_atomically
from autograder.export.safe_text import plain_plots, plot_text
from autograder.export.student_table import outside_course, student_table
from autograder.record import Result, results_of
from autograder.record.result import PROBLEMS

TEMPLATES = Path(__file__).resolve().parent / "templates"
COLOURS = ("#3b6ea8", "#d9822b", "#3f9c5a", "#b5443c", "#7d5ba6", "#8c6d46", "#c4579b", "#6b6b6b")


def _png(fig) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width=5.2, height=3.0):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot(1, 1, 1)


def histogram(scores: list[float], max_score: float, title: str) -> str:
    fig, ax = _figure()
    top = max_score if max_score > 0 else max(scores + [1.0])
    bins = np.linspace(0.0, top, 11)
    ax.hist(np.clip(scores, 0.0, top), bins=bins, color=COLOURS[0], edgecolor="white")
    ax.set_xlim(0.0, top)
    ax.set_xlabel(f"score (out of {top:g})")
    ax.set_ylabel("submissions")
    ax.set_title(title)
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _png(fig)


def pass_rate_chart(rows: list[dict], title: str) -> str:
    fig, ax = _figure(height=0.45 * len(rows) + 1.2)
    names = [r["name"] for r in rows][::-1]
    rates = [100.0 * r["pass_rate"] for r in rows][::-1]
    ax.barh(names, rates, color=[COLOURS[2] if x >= 50 else COLOURS[3] for x in rates])
    ax.set_xlim(0, 100)
    ax.set_xlabel("passed (% of graded submissions)")
    ax.set_title(title)
    for y, x in enumerate(rates):
        ax.text(min(x + 1, 92), y, f"{x:.0f}%", va="center", fontsize=8)
    return _png(fig)


def training_scatter(points: list[dict], metric: str, title: str) -> str:
    fig, ax = _figure()
    devices = sorted({p["device"] or "unknown" for p in points})
    for colour, device in zip(COLOURS * 4, devices):
        mine = [p for p in points if (p["device"] or "unknown") == device]
        ax.scatter([p["seconds"] for p in mine], [p["value"] for p in mine], label=plot_text(device), color=colour,
                   alpha=0.8)
    ax.set_xlabel("training time (s)")
    ax.set_ylabel(plot_text(f"held-out {metric}"))  # what a training reports is drawn as text, never as math
    ax.set_title(plot_text(title, 120))
    ax.legend(title="device", fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)


def _order(results: list[Result], course) -> list[tuple[str, str]]:
    """(exercise id, title) for every exercise with a result, in the course's order."""
    titles = {e.id: e.title for e in course.exercises} if course is not None else {}
    present = {r.exercise for r in results if r.exercise}
    known = [i for i in titles if i in present]
    # With a course, only its exercises get a section: another course's notebook is counted in
    # the overview's row of inputs outside the course (student_table.outside_course), not drawn.
    return [(i, titles.get(i, i)) for i in known + (sorted(present - set(known)) if course is None else [])]


def summarise(results: list[Result], course=None) -> dict:
    """Everything the page shows, as plain data (the charts as data URIs)."""
    results = results_of(results)
    exercises = []
    for ex_id, title in _order(results, course):
        mine = [r for r in results if r.exercise == ex_id]
        scores = [float(r.score) for r in mine]
        top = max([float(r.max_score) for r in mine] + [0.0])
        checks: dict[str, dict] = {}
        for r in mine:
            for c in r.checks:
                row = checks.setdefault(c.name, {"name": c.name, "runs": 0, "passed": 0, "points": 0.0,
                                                 "max_points": float(c.max_points)})
                row["runs"] += 1
                row["points"] += float(c.points)
                row["passed"] += float(c.points) >= float(c.max_points) > 0
        check_rows = []
        for row in checks.values():
            row["pass_rate"] = row["passed"] / row["runs"] if row["runs"] else 0.0
            row["mean_points"] = row["points"] / row["runs"] if row["runs"] else 0.0
            check_rows.append(row)
        statuses = Counter(r.status.value for r in mine)
        exercises.append({
            "id": ex_id,
            "title": title,
            "count": len(mine),
            "max_score": top,
            "mean": statistics.fmean(scores) if scores else 0.0,
            "median": statistics.median(scores) if scores else 0.0,
            "full_marks": sum(1 for s in scores if top > 0 and s >= top),
            "statuses": dict(statuses),
            "checks": check_rows,
            "histogram": histogram(scores, top, "score distribution") if scores else None,
            "pass_chart": pass_rate_chart(check_rows, "pass rate per check") if check_rows else None,
        })

    mistakes = Counter((r.exercise or "?", c.name, c.hint) for r in results for c in r.checks if c.hint)
    problems = [r for r in results if r.status in PROBLEMS]
    problems.sort(key=lambda r: (PROBLEMS.index(r.status), r.exercise or "", r.student))

    training: list[dict] = []
    for ex_id, title in _order(results, course):
        by_metric: dict[tuple[str, str], list[dict]] = {}
        for r in results:
            if r.exercise != ex_id:
                continue
            for c in r.checks:
                t = training_summary(c)
                if t and t["seconds"] is not None:
                    by_metric.setdefault((c.name, t["metric"]), []).append(
                        dict(t, student=r.student, check=c.name, points=c.points, max_points=c.max_points))
        for (check, metric), samples in by_metric.items():
            label = f"{title}: {check}"
            training.append({"exercise": ex_id, "check": check, "metric": metric, "title": label,
                             "points": sorted(samples, key=lambda p: p["seconds"]),
                             "chart": training_scatter(samples, metric, label)})

    statuses = Counter(r.status.value for r in results)
    return {
        "count": len(results),
        "students": len({r.student for r in results}),
        "statuses": dict(sorted(statuses.items())),
        "exercises": exercises,
        "mistakes": [{"exercise": e, "check": c, "hint": h, "count": n} for (e, c, h), n in mistakes.most_common(30)],
        "problems": problems,
        "training": training,
    }


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # student names, file names and messages are not trusted markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda x, digits=2: f"{round(float(x), digits):g}" if x is not None else ""
    env.filters["pct"] = lambda x: f"{100.0 * float(x):.0f}%"
    return env


def class_figure_section(results: list[Result], course=None) -> list[dict]:
    """A few figures per exercise over the class (autograder/figures/classroom.py): the spread of
    the students' decision lines, their (z, p) on the sigmoid, the training runs' curves and metric."""
    from autograder import figures
    from autograder.figures.classroom import class_figures

    return class_figures(results, _order(results, course)) if figures.enabled() else []


def _generated() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def render_report(results: list[Result], course=None, title: str | None = None, similarity: dict | None = None,
                  feedback_dir: Path | None = None, report_dir: Path | None = None) -> str:
    """The page; `similarity` (autograder/export/similarity.py's data) adds its section; the
    table per student links each submission's feedback file in `feedback_dir` (relative to
    `report_dir`, where the page lies)."""
    results = results_of(results)
    with plain_plots():  # no label goes to an external LaTeX, whatever the matplotlibrc says
        data = summarise(results, course)
        data["class_figures"] = class_figure_section(results, course)
    name = title or (f"Grading report: {course.name}" if course is not None else "Grading report")
    return _environment().get_template("report.html.j2").render(
        title=name, generated=_generated(), similarity=similarity,
        per_student=student_table(results, course, feedback_dir, report_dir),
        outside=outside_course(results, course), **data)


def _write(path: str | Path, text: str) -> Path:
    return write_atomically(Path(path), text)


def write_report(results: list[Result], path: str | Path, course=None, title: str | None = None,
                 similarity: dict | None = None, feedback_dir: Path | None = None) -> Path:
    """Write the HTML report of `results` (results or result documents) to `path`; returns the path.
    `feedback_dir`: where the feedback files lie (default: feedback/ beside the page, where
    `grade` writes them, when that folder exists)."""
    path = Path(path)
    if feedback_dir is None and (path.parent / "feedback").is_dir():
        feedback_dir = path.parent / "feedback"
    return _write(path, render_report(results, course, title, similarity, feedback_dir, path.parent))


def write_similarity_page(similarity: dict, path: str | Path, course=None) -> Path:
    """The similarity section alone, as a page of its own (`autograder similarity`)."""
    name = f"Similar submissions: {course.name}" if course is not None and course.name else "Similar submissions"
    page = _environment().get_template("similarity_page.html.j2").render(
        title=name, generated=_generated(), similarity=similarity)
    return _write(path, page)
