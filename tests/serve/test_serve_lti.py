"""`autograder serve` against a real LTI 1.3 platform (lti1p3platform, serve/platform.py) over
HTTP on 127.0.0.1: launch, Deep Linking, a personal notebook, upload, grading in the sandbox,
and the score in the platform's gradebook; then every launch or request the tool must refuse."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from support.serve import (EXERCISE, client, csrf_of, feedback, form_fields, launch, launch_form, score_of, serving,
                           solved_bytes, upload, wait_for)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("serve")) as pair:
        yield pair


def student_page(pair, user):
    http = client()
    page = launch(http, pair.lms.start_url(user, "learner", pair.links[EXERCISE]))
    assert page.status_code == 200, page.text[:500]
    return http, page


def test_a_students_launch_hand_in_feedback_and_score_in_the_lms(pair):
    http, page = student_page(pair, "alice")
    assert page.url.endswith(f"/exercise/{EXERCISE}")
    assert "Alice" in page.text and "A neuron decides" in page.text
    cookie = page.history[0].headers["Set-Cookie"] if page.history else ""
    assert "SameSite=None" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    assert "script-src 'none'" in page.headers["Content-Security-Policy"]

    notebook = http.get(page.url + "/notebook", timeout=60)
    assert notebook.status_code == 200
    variant = json.loads(notebook.content)["metadata"]["autograder"]["variant"]
    assert variant["student"] == "alice"  # her own numbers, signed for her

    handed = upload(http, page.url, page.text, "mine.ipynb", solved_bytes(notebook.content))
    assert handed.status_code == 200 and "/attempt/" in handed.url
    done = feedback(http, handed.url)
    score, top = score_of(done)
    assert top > 0 and score == top, done
    # The zip that grader.export() writes is a hand-in too.
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr(f"{EXERCISE}.ipynb", solved_bytes(notebook.content))
    zipped = upload(http, page.url, page.text, f"{EXERCISE}_2026_01_01T00_00_00_000000.zip", packed.getvalue())
    assert score_of(feedback(http, zipped.url)) == (top, top)
    assert wait_for(lambda: pair.lms.scores and json.loads(
        json.dumps(pair.lms.scores)).get(next(iter(pair.lms.scores)), {}).get("alice"))
    [(item, users)] = pair.lms.scores.items()
    assert users["alice"]["scoreGiven"] == top and users["alice"]["scoreMaximum"] == top
    assert pair.lms.lineitems[item]["exercise"] == EXERCISE

    # A blank hand-in scores zero; `lms.pick: best` keeps the full score in the LMS.
    page = http.get(page.url.rsplit("/attempt", 1)[0] if "/attempt" in page.url else page.url, timeout=30)
    posts = pair.lms.score_posts
    blank = upload(http, page.url, page.text, "blank.ipynb", notebook.content)
    assert score_of(feedback(http, blank.url))[0] == 0
    wait_for(lambda: pair.lms.score_posts > posts)
    assert pair.lms.scores[item]["alice"]["scoreGiven"] == top


def test_the_stand_in_lms_front_page_opens_the_tool_as_student_or_teacher(pair):
    import requests

    front = requests.get(pair.lms.url + "/", timeout=30).text
    assert front.count("/start?user=") == 3 * len(pair.lms.links) + 1  # alice, bob, the teacher; Deep Linking


def test_deep_linking_places_exercises_with_their_points(pair):
    http = client()
    page = launch(http, pair.lms.start_url("teacher", "instructor", "deeplink"))
    assert page.url.endswith("/deeplink"), page.text[:300]
    assert EXERCISE in page.text
    answer = http.post(page.url, data={"csrf": csrf_of(page.text), "exercise": EXERCISE}, timeout=30)
    action, fields = form_fields(answer.text, "return")
    assert action == pair.lms.url + "/deep_link_return"
    before = set(pair.lms.links)
    placed = http.post(action, data=fields, timeout=30)
    assert "1 placed" in placed.text, placed.text[:300]
    [link] = set(pair.lms.links) - before
    item = pair.lms.lineitems[pair.lms.links[link]["lineitem"]]
    assert item["scoreMaximum"] == pair.tool.service.max_points(EXERCISE) > 0
    assert pair.lms.links[link]["custom"] == {"exercise": EXERCISE}
    # A student opening the new assignment lands on that exercise.
    page = launch(client(), pair.lms.start_url("carol", "learner", link))
    assert page.url.endswith(f"/exercise/{EXERCISE}")


def _other_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.mark.parametrize("tamper, said", [
    ({"key": "other"}, "Signature verification failed"),
    ({"aud": "someone-else"}, "client_id=someone-else] not found"),
    ({"aud": ["autograder-tool", "someone-else"], "azp": "someone-else"}, "authorized party"),
    ({"expired": True}, "expired"),
    ({"deployment_id": "deployment-unknown"}, "Unable to find deployment"),
])
def test_a_bent_launch_is_refused(pair, tamper, said):
    if tamper.get("key") == "other":
        tamper = {"key": _other_key()}
    pair.lms.tamper = dict(tamper)
    http = client()
    refused = launch(http, pair.lms.start_url("mallory", "instructor", pair.links[EXERCISE]))
    assert refused.status_code == 403, refused.text[:300]
    assert said in refused.text
    assert "autograder_session" not in http.cookies


def test_a_replayed_launch_is_refused(pair):
    http = client()
    action, fields = launch_form(http, pair.lms.start_url("dave", "learner", pair.links[EXERCISE]))
    assert http.post(action, data=fields, timeout=30).status_code == 200
    again = http.post(action, data=fields, timeout=30)
    assert again.status_code == 403 and "nonce is spent" in again.text


def test_a_launch_without_the_login_state_is_refused(pair):
    action, fields = launch_form(client(), pair.lms.start_url("erin", "learner", pair.links[EXERCISE]))
    stolen = client().post(action, data=fields, timeout=30)  # another browser: no state cookie
    assert stolen.status_code == 403 and "without the cookies of its login" in stolen.text


def test_a_forged_cross_site_post_is_refused(pair):
    http, page = student_page(pair, "frank")
    forged = http.post(page.url + "/upload", files={"notebook": ("x.ipynb", b"{}")}, timeout=30)
    assert forged.status_code == 403 and "CSRF" in forged.text
    wrong = http.post(page.url + "/upload", data={"csrf": "x" * 40}, files={"notebook": ("x.ipynb", b"{}")}, timeout=30)
    assert wrong.status_code == 403
    assert pair.tool.service.store.attempts("frank") == []


def test_a_student_cannot_read_anothers_feedback_nor_open_teacher_pages(pair):
    alice, page = student_page(pair, "grace")
    handed = upload(alice, page.url, page.text, "g.ipynb", b"not a notebook")
    assert "/attempt/" in handed.url
    body = feedback(alice, handed.url)
    assert "invalid" in body
    bob, _ = student_page(pair, "heidi")
    assert bob.get(handed.url, timeout=30).status_code == 404
    for path in ("/teacher", "/teacher/grades.csv", "/teacher/report", "/teacher/student?student=grace"):
        assert bob.get(pair.tool.url + path, timeout=30).status_code == 403, path
    regrade = bob.post(pair.tool.url + "/teacher/regrade", data={"csrf": csrf_of(page.text), "all": "1"}, timeout=30)
    assert regrade.status_code == 403
    nobody = client()
    assert nobody.get(handed.url, timeout=30).status_code == 401
    assert len(re.search(r"/attempt/([^/?#]+)", handed.url).group(1)) >= 20  # 128 random bits


def test_the_teacher_sees_the_class_and_gets_grades_csv(pair):
    http = client()
    page = launch(http, pair.lms.start_url("teacher", "instructor", pair.links[EXERCISE]))
    assert page.url.endswith("/teacher"), page.text[:300]
    assert 'id="class"' in page.text and "Alice" in page.text
    assert 'data-student="dave"' in page.text and "not handed in" in page.text  # launched, never handed in
    grades = http.get(pair.tool.url + "/teacher/grades.csv", timeout=30)
    rows = [line.split(",") for line in grades.text.strip().splitlines()]
    alice = next(r for r in rows if r[0] == "alice")
    assert alice[2] == EXERCISE and alice[3] == "graded" and float(alice[4]) == float(alice[5]) > 0
    report = http.get(pair.tool.url + "/teacher/report", timeout=60)
    assert report.status_code == 200 and "<html" in report.text.lower()

    # A student's attempts and feedback, and a regrade of one of them.
    mine = http.get(pair.tool.url + "/teacher/student", params={"student": "alice"}, timeout=30)
    [first_attempt, *_] = re.findall(r'href="(/attempt/[^"]+)"', mine.text)[::-1]
    seen = http.get(pair.tool.url + first_attempt, timeout=30)
    assert seen.status_code == 200 and 'id="feedback"' in seen.text
    aid = first_attempt.rsplit("/", 1)[1]
    attempt = pair.tool.service.store.attempt(aid)
    with pair.tool.service.gradebook() as book:
        before = book.result(attempt.sha256, attempt.student)["graded_at"]
    time.sleep(1.1)  # graded_at counts seconds
    regraded = http.post(pair.tool.url + "/teacher/regrade", data={"csrf": csrf_of(mine.text), "attempt": aid},
                         timeout=30)
    assert regraded.status_code == 200 and regraded.url.endswith("/teacher")

    def graded_again():
        with pair.tool.service.gradebook() as book:
            row = book.result(attempt.sha256, attempt.student)
        return row["graded_at"] > before and pair.tool.service.store.attempt(aid).state == "done" and row
    row = wait_for(graded_again, timeout=120)
    assert row["status"] == "graded" and row["score"] == row["max_score"] > 0
