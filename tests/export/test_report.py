"""The teacher's HTML report and the per-student feedback, on hand-made result documents.

The last test opens the report in headless Chromium (Debian package `chromium`, installed by
.ci/run): no console error, every chart decoded, no network request; its screenshot is kept
in tests/artifacts/report.png.
"""

import re

from click.testing import CliRunner

from autograder.cli import main
from support.browser import headless_chromium
from autograder.export import write_result_json
from autograder.export.feedback import feedback_filename, feedback_markdown, training_summary, write_feedback
from autograder.export.report import summarise, write_report
from support.paths import ARTIFACTS



def check(name, points, max_points=1.0, hint="", message="", details=None):
    c = {"name": name, "description": f"the value of `{name}`", "points": points, "max_points": max_points,
         "message": message or ("" if points >= max_points else f"`{name}` is not right"), "hint": hint}
    if details is not None:
        c["details"] = details
    return c


def result(student, exercise, checks, status="graded", message=""):
    return {
        "submission": f"{student}/{exercise}.ipynb", "student": student, "exercise": exercise,
        "sha256": f"{abs(hash((student, exercise))):064x}"[:64], "status": status,
        "score": sum(c["points"] for c in checks), "max_score": sum(c["max_points"] for c in checks) if checks else 0.0,
        "message": message, "checks": checks, "graded_at": "2026-01-01T10:00:00+00:00", "seconds": 2.0,
    }


def training(student, accuracy, seconds, device, points):
    details = {"metric": "accuracy", "value": accuracy, "device": device, "seconds": seconds, "epochs": 12}
    return result(student, "train_banknote", [check("accuracy", points, 2.0, details=details)])


BIAS = "the bias b was forgotten: z = w1*x1 + w2*x2 + b"
SIGN = "the sign of the exponent is flipped"
RESULTS = [
    result("ann", "sigmoid_probability", [check("z", 1.0), check("sigmoid", 1.0), check("p", 1.0)]),
    result("bob", "sigmoid_probability", [check("z", 0.0, hint=BIAS), check("sigmoid", 1.0), check("p", 0.0, hint=BIAS)]),
    result("cid", "sigmoid_probability", [check("z", 0.0, hint=BIAS), check("sigmoid", 0.0, hint=SIGN), check("p", 0.0)]),
    result("dan", "sigmoid_probability", [check("z", 1.0), check("sigmoid", 0.0), check("p", 0.0)], status="timeout",
           message="cell 4 ran past its limit of 30 s"),
    result("eve", "sigmoid_probability", [], status="crashed", message="the notebook's process died (exit code 1)"),
    result("<b>mallory</b>", None, [], status="invalid", message="not a notebook: the file is not JSON"),
    training("ann", 0.91, 14.2, "cuda", 2.0),
    training("bob", 0.84, 40.5, "cpu", 1.0),
    training("cid", 0.62, 95.0, "cpu", 0.0),
]


def test_summary_counts():
    data = summarise(RESULTS)
    sig = next(e for e in data["exercises"] if e["id"] == "sigmoid_probability")
    assert sig["count"] == 5 and sig["max_score"] == 3.0 and sig["full_marks"] == 1
    rates = {c["name"]: (c["passed"], c["runs"]) for c in sig["checks"]}
    assert rates == {"z": (2, 4), "sigmoid": (2, 4), "p": (1, 4)}
    assert data["mistakes"][0] == {"exercise": "sigmoid_probability", "check": "z", "hint": BIAS, "count": 2}
    assert sum(m["count"] for m in data["mistakes"]) == 4
    assert [r["status"] for r in data["problems"]] == ["timeout", "crashed", "invalid"]
    [train] = data["training"]
    assert train["metric"] == "accuracy" and [p["seconds"] for p in train["points"]] == [14.2, 40.5, 95.0]


def test_report_is_self_contained(tmp_path):
    path = write_report(RESULTS, tmp_path / "report.html")
    html = path.read_text()
    images = re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+"', html)
    # two charts per exercise (histogram, pass rates) and one training scatter
    assert len(images) == 2 * 2 + 1
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<script" not in html and "<link" not in html
    assert "&lt;b&gt;mallory&lt;/b&gt;" in html and "<b>mallory</b>" not in html  # escaped
    assert BIAS in html and "cell 4 ran past its limit" in html and "exit code 1" in html
    assert "held-out accuracy" in html


def test_report_of_nothing(tmp_path):
    html = write_report([], tmp_path / "empty.html").read_text()
    assert "No training task" in html and "<img" not in html


def test_training_summary_reads_common_shapes():
    assert training_summary({"details": {"metric": "accuracy", "value": 0.9, "seconds": 3, "device": "cpu"}})["value"] == 0.9
    t = training_summary({"details": {"held_out_loss": 0.12, "train_seconds": 8.5, "epochs": 25}})
    assert (t["metric"], t["value"], t["seconds"], t["epochs"], t["lower_is_better"]) == ("held_out_loss", 0.12, 8.5, 25, True)
    assert training_summary({"details": {"device": "cpu"}}) is None
    assert training_summary({"name": "z"}) is None


def test_feedback_file_per_submission(tmp_path):
    bob = RESULTS[1]
    json_path = write_result_json(bob, tmp_path / "results")
    md_path = write_feedback(bob, tmp_path / "feedback", "A neuron decides if a banknote is fake")
    assert md_path.name == feedback_filename(bob) == json_path.with_suffix(".md").name
    text = md_path.read_text()
    assert text.startswith("# Feedback: A neuron decides if a banknote is fake")
    assert "Score: **1 / 3**" in text
    assert "### z: 0/1 (failed)" in text and "### sigmoid: 1/1 (passed)" in text
    assert f"**Hint:** {BIAS}" in text and "`z` is not right" in text
    timeout = feedback_markdown(RESULTS[3])
    assert "Status: timeout" in timeout and "cell 4 ran past its limit" in timeout
    assert "No check could be run" in feedback_markdown(RESULTS[5]) and "\\<b\\>mallory" in feedback_markdown(RESULTS[5])
    assert "held-out accuracy 0.91, trained for 14.2 s, 12 epochs, on cuda" in feedback_markdown(RESULTS[6])


def test_cli_report_writes_page_and_feedback(tmp_path):
    folder = tmp_path / "graded"
    for r in RESULTS:
        write_result_json(r, folder / "results")
    out = CliRunner().invoke(main, ["report", "--results", str(folder)])
    assert out.exit_code == 0, out.output
    assert (folder / "report.html").is_file()
    assert len(list((folder / "feedback").glob("*.md"))) == len(RESULTS)


def test_report_renders_in_headless_chromium(tmp_path):
    path = write_report(RESULTS, tmp_path / "report.html")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    errors, requests = [], []
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri(), wait_until="load")
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => ({ok: e.complete && e.naturalWidth > 0, w: e.naturalWidth, cls: e.className}))")
        title = page.title()
        page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert errors == []
    assert title.startswith("Grading report")
    assert len(images) == 5 and all(i["ok"] and i["w"] > 200 for i in images), images
    assert {i["cls"] for i in images} == {"chart histogram", "chart pass-rate", "chart training"}
    assert all(u.startswith(("file:", "data:")) for u in requests), requests  # it opens offline
    assert shot.stat().st_size > 10_000
