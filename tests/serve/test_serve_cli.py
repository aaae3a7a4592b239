"""`autograder serve` as a command: a new tool key, the demo (the tool and a stand-in LMS, the
URLs it prints opening a student's page), and standalone mode with personal links, its
hand-ins graded on Dask workers (`--cluster local:1`)."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time

import yaml

from autograder.serve.demo import free_port
from support.serve import EXERCISE, client, feedback, score_of, upload


def autograder(*args):
    from click.testing import CliRunner

    from autograder.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_new_key_is_written_once_and_closed_to_others(tmp_path):
    key = tmp_path / "keys" / "tool.pem"
    made = autograder("serve", "--new-key", str(key))
    assert made.exit_code == 0, made.output
    assert "BEGIN PRIVATE KEY" in key.read_text() and key.stat().st_mode & 0o777 == 0o600
    again = autograder("serve", "--new-key", str(key))
    assert again.exit_code != 0 and "never overwritten" in again.output


def _started(process: subprocess.Popen, wanted: str, timeout: float = 120.0) -> str:
    """stdout up to the line that contains `wanted`."""
    seen, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen += line
        if wanted in line:
            return seen
    raise AssertionError(f"no {wanted!r} in: {seen}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # the command stops its server, queues and workers
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def test_the_demo_starts_the_tool_and_a_stand_in_lms_and_stops_by_itself(tmp_path):
    course = tmp_path / "course.yaml"
    course.write_text(yaml.safe_dump({"name": "demo", "exercises": [{"id": EXERCISE, "title": "A neuron"}]}))
    shown = autograder("serve", "--demo", "--course", str(course), "--data", str(tmp_path / "d"), "--port", "0",
                       "--for-seconds", "0.5")
    assert shown.exit_code == 0, shown.output
    for said in ("open this page", "a student opens", "the teacher's page", "Deep Linking", "the LMS's gradebook"):
        assert said in shown.output
    student = re.search(r"a student opens \S+:\s+(http://127\.0\.0\.1:\d+/start\?user=alice\S+)", shown.output)
    assert student, shown.output  # the same URLs the end-to-end tests open (test_serve_lti.py)
    assert (tmp_path / "d" / "serve.sqlite").exists()


def test_standalone_links_and_grading_on_dask_workers(tmp_path):
    course = tmp_path / "course.yaml"
    course.write_text(yaml.safe_dump({"name": "standalone", "exercises": [{"id": EXERCISE, "title": "A neuron"}]}))
    roster = tmp_path / "roster.csv"
    roster.write_text("student,email\nada,ada@example.edu\n=cmd|' /C calc'!A0,x@example.edu\n")
    data, port = tmp_path / "data", free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder", "serve", "--course", str(course), "--data", str(data), "--port", str(port),
         "--links", str(roster), "--cluster", "local:1", "--workers", "1", "--for-seconds", "240"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        printed = _started(process, "serving", timeout=180)
        links = list(csv.DictReader((data / "links.csv").open()))
        assert (data / "links.csv").stat().st_mode & 0o777 == 0o600
        assert [r["student"] for r in links] == ["ada", "'=cmd|' /C calc'!A0"]  # a formula stays text
        http = client()
        home = http.get(links[0]["link"], timeout=30)
        assert home.status_code == 200 and "Your exercises" in home.text
        page = http.get(f"http://127.0.0.1:{port}/exercise/{EXERCISE}", timeout=30)
        http.get(page.url + "/notebook", timeout=60)
        solution = (data / "dist" / EXERCISE / "solution" / f"{EXERCISE}.ipynb").read_bytes()
        handed = upload(http, page.url, page.text, "ada.ipynb", solution)
        score, top = score_of(feedback(http, handed.url, timeout=180))
        assert score == top > 0
        teacher = client()
        teacher_link = re.search(r"teacher's link: (\S+)", printed).group(1)
        table = teacher.get(teacher_link, timeout=30)
        assert table.url.endswith("/teacher") and "ada" in table.text
        forged = teacher_link[:-3] + ("AAA" if not teacher_link.endswith("AAA") else "BBB")
        assert client().get(forged, timeout=30).status_code == 404
    finally:
        _stop(process)
    rows = json.loads(subprocess.run(
        [sys.executable, "-c", "import json,sqlite3,sys; print(json.dumps([json.loads(r[0]) for r in "
         "sqlite3.connect(sys.argv[1]).execute('select result from grades')]))", str(data / "gradebook.sqlite")],
        capture_output=True, text=True, check=True).stdout)
    [result] = rows
    assert result["student"] == "ada" and result["run"].get("worker")  # graded on a Dask worker
