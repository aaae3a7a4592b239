"""A restart in the middle of a batch of hand-ins loses nothing: `autograder serve` runs as a
process of its own, three students hand in six notebooks while the LMS is unreachable, the
process is killed (SIGKILL: no clean shutdown) with grading and score posts unfinished, and
started again on the same data folder: every acknowledged upload is graded, every student's
counted score (lms.pick: best) arrives in the LMS, and the students' sessions still work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml

from autograder.course import load_course
from autograder.exercises import load_checks
from autograder.serve.demo import free_port
from autograder.serve.platform import StandInLms, serve_stand_in
from autograder.serve.security import write_new_private_key
from support.serve import EXERCISE, client, feedback, launch, score_of, solved_bytes, upload, wait_for

STUDENTS = ["s0", "s1", "s2"]


def _serve(course_yaml: Path, data: Path, port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder", "serve", "--course", str(course_yaml), "--data", str(data),
         "--port", str(port), "--workers", "1", "--for-seconds", "240"],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True, env=dict(os.environ))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                return process
        except requests.RequestException:
            time.sleep(0.2)
        assert process.poll() is None, log.read_text()[-2000:]
    raise AssertionError("the service did not start: " + log.read_text()[-2000:])


def _kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)


def test_a_restart_during_a_batch_loses_no_upload_and_no_score_post(tmp_path):
    tool_port, lms_port = free_port(), free_port()
    lms = StandInLms(f"http://127.0.0.1:{lms_port}", f"http://127.0.0.1:{tool_port}")
    lms_server = serve_stand_in(lms, lms_port)
    key = write_new_private_key(tmp_path / "keys" / "tool.pem")
    bundled = load_course()
    top = float(sum(c.points for c in load_checks(bundled.exercise(EXERCISE))))
    course_yaml = tmp_path / "course" / "course.yaml"
    course_yaml.parent.mkdir()
    course_yaml.write_text(yaml.safe_dump({
        "name": "restart test", "exercises": [{"id": EXERCISE, "title": "A neuron"}],
        "lms": {"pick": "best", "lti": {"tool_url": f"http://127.0.0.1:{tool_port}", "private_key_file": str(key),
                                        "platforms": [lms.registration_for_tool()], "uploads_per_hour": 1000}}}))
    link = lms.add_link("A neuron", {"exercise": EXERCISE}, top)
    data, log = tmp_path / "data", tmp_path / "serve.log"
    process = _serve(course_yaml, data, tool_port, log)
    try:
        lms.down = True  # every score post fails until the restart
        sessions, acknowledged = {}, []
        for n, student in enumerate(STUDENTS):
            http = client()
            page = launch(http, lms.start_url(student, "learner", link))
            assert page.status_code == 200, page.text[:300]
            blank = http.get(page.url + "/notebook", timeout=60).content
            hand_ins = [("blank.ipynb", blank), ("solved.ipynb", solved_bytes(blank))]
            for name, body in hand_ins if n % 2 else reversed(hand_ins):
                handed = upload(http, page.url, page.text, name, body)
                assert handed.status_code == 200 and "/attempt/" in handed.url, handed.text[:300]
                acknowledged.append((student, name, handed.url))
            sessions[student] = http
        _kill(process)
        assert lms.scores == {}  # nothing reached the LMS before the restart

        process = _serve(course_yaml, data, tool_port, log)
        lms.down = False
        for student, name, url in acknowledged:  # each acknowledged upload: graded, its owner still signed in
            score, most = score_of(feedback(sessions[student], url, timeout=180))
            assert most == top and score == (top if name == "solved.ipynb" else 0.0), (student, name)
        def in_the_lms():
            return {u: s["scoreGiven"] for users in lms.scores.values() for u, s in users.items()}
        # The counted score (the best) of each student, once the posts owed since the kill are retried.
        wait_for(lambda: in_the_lms() == {s: top for s in STUDENTS}, timeout=120)
        assert list(lms.scores) == [lms.links[link]["lineitem"]]
    finally:
        _kill(process)
        lms_server.close()
