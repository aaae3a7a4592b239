"""The report's table per student (every exercise of the course, the submission that counts,
its score and status, a link to its feedback), every input counted in the overview, another
course's notebook kept apart, and a complete training table; the table is read in headless
Chromium and its links followed."""

from __future__ import annotations

import re

from autograder.course import DEFAULT_COURSE, load_course
from autograder.export import write_result_json
from autograder.export.feedback import feedback_filename, write_feedback
from autograder.export.report import write_report
from autograder.export.student_table import outside_course, student_table
from support.browser import headless_chromium

COURSE = load_course(DEFAULT_COURSE)


def result(student, exercise, score, max_score, status="graded", graded_at="2026-01-01T10:00:00+00:00", details=None):
    checks = [{"name": "c", "description": "", "points": score, "max_points": max_score, "message": "", "hint": "",
               **({"details": details} if details else {})}] if status == "graded" else []
    return {"submission": f"{student}/{exercise}-{score}.ipynb", "student": student, "exercise": exercise,
            "sha256": f"{abs(hash((student, exercise, score))):064x}"[:64], "status": status,
            "score": float(score), "max_score": float(max_score), "message": "", "checks": checks,
            "graded_at": graded_at, "seconds": 1.0}


TRAINED = {"metric": "accuracy", "value": 0.9, "device": "cpu", "seconds": 30.0, "epochs_done": 12,
           "epochs_requested": 25, "stopped_by_budget": True}
RESULTS = [
    result("ann", "sigmoid_probability", 5, 5),
    result("ann", "sigmoid_probability", 2, 5, graded_at="2026-01-02T10:00:00+00:00"),  # worse, later
    result("ann", "backprop", 1, 8, status="timeout"),
    result("ann", "ridge_regression", 0, 0, status="unknown_exercise"),  # a notebook of another course
    result("bob", "train_banknote", 1, 2, details=TRAINED),
    result("<b>eve</b>", None, 0, 0, status="invalid"),
]


def test_the_table_has_every_exercise_and_the_submission_that_counts(tmp_path):
    table = student_table(RESULTS, COURSE, tmp_path / "feedback", tmp_path)
    assert [i for i, _ in table["columns"]] == COURSE.ids  # every exercise of the course, in its order
    rows = {r["student"]: r for r in table["rows"]}
    assert sorted(rows) == ["<b>eve</b>", "ann", "bob"]
    ann = rows["ann"]
    assert ann["cells"]["sigmoid_probability"] == {  # lms.pick: best
        "score": 5.0, "max_score": 5.0, "status": "graded", "link": f"feedback/{feedback_filename(RESULTS[0])}"}
    assert ann["cells"]["backprop"]["status"] == "timeout" and ann["cells"]["decision_line"] is None
    assert (ann["total"], ann["max_total"]) == (6.0, 13.0)
    assert [(o["exercise"], o["status"]) for o in ann["others"]] == [("ridge_regression", "unknown_exercise")]
    assert [(o["exercise"], o["status"]) for o in rows["<b>eve</b>"]["others"]] == [("?", "invalid")]
    assert outside_course(RESULTS, COURSE) == {"count": 2, "statuses": {"unknown_exercise": 1, "invalid": 1},
                                               "exercises": ["ridge_regression"]}


def test_the_report_counts_every_input_and_keeps_other_courses_apart(tmp_path):
    html = write_report(RESULTS, tmp_path / "report.html", COURSE).read_text()
    assert 'id="ex-ridge_regression"' not in html  # no section, no histogram of its own
    overview = html.split('<h2 id="overview">')[1].split("<h2")[0]
    counts = [int(n) for n in re.findall(r'<td><a href="#ex-[a-z_]+">[^<]*</a></td>\s*<td class="n">(\d+)</td>', overview)]
    outside = re.search(r"not of this course \(ridge_regression\), or unreadable</td>\s*<td class=\"n\">(\d+)", overview)
    assert sum(counts) + int(outside.group(1)) == len(RESULTS)  # every input in a row
    training = html.split('<h2 id="training">')[1]
    assert '<td class="n">12 of 25 (time budget)</td>' in training
    assert "&lt;b&gt;eve&lt;/b&gt;" in html and "<b>eve</b>" not in html


def test_the_student_table_in_headless_chromium(tmp_path):
    for r in RESULTS:
        write_result_json(r, tmp_path / "results")
        write_feedback(r, tmp_path / "feedback")
    path = write_report(RESULTS, tmp_path / "report.html", COURSE)
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri(), wait_until="load")
        header = page.eval_on_selector_all("table.students tr:first-child th", "els => els.map(e => e.innerText)")
        rows = page.eval_on_selector_all(
            "table.students tr:not(:first-child)", "els => els.map(r => [...r.cells].map(c => c.innerText.trim()))")
        links = page.eval_on_selector_all("table.students a[href$='.html']", "els => els.map(e => e.href)")
        page.click(f"table.students a[href='feedback/{feedback_filename(RESULTS[0], '.html')}']")
        page.wait_for_load_state()
        opened = page.url
        shown = page.inner_text("body")
    assert errors == []
    assert header[0] == "student" and header[-2:] == ["total", "not of this course"] and len(header) == len(COURSE.ids) + 3
    ann = next(r for r in rows if r[0] == "ann")
    titles = [t for _, t in student_table(RESULTS, COURSE)["columns"]]
    assert ann[1 + titles.index(COURSE.exercise("sigmoid_probability").title)] == "5/5"
    assert ann[1 + titles.index(COURSE.exercise("backprop").title)] == "1/8 timeout"
    assert ann[-2:] == ["6/13", "unknown_exercise (ridge_regression)"]
    assert next(r for r in rows if r[0] == "<b>eve</b>")[-1] == "invalid (?)"
    assert len(links) == 5 and all((tmp_path / "feedback").as_uri() in link for link in links)
    assert opened.endswith(feedback_filename(RESULTS[0], ".html")) and "ann" in shown  # the page with figures
