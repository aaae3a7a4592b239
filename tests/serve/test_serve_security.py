"""The service's guards without an LMS or a sandbox (Flask's test client, the queues not
started): the course model's `lms.lti`, the tool key's file, standalone links, CSRF, the
upload size and rate limits, hostile file names and student strings as inert text, the
Content-Security-Policy and cookie flags on every page, and the class's grades.csv."""

from __future__ import annotations

import os
import time

import pytest

from autograder.course import Lti
from autograder.paths import REPO_ROOT
from autograder.serve import security
from autograder.serve.server import Service
from support.serve import EXERCISE, course_in, csrf_of

PLATFORM = {"issuer": "https://canvas.instructure.com", "client_id": 10000000000001, "deployment_ids": ["1:abc"],
            "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
            "auth_token_url": "https://sso.canvaslms.com/login/oauth2/token",
            "key_set_url": "https://sso.canvaslms.com/api/lti/security/jwks"}


def lti(**changes):
    return Lti(**{"tool_url": "https://grader.example.edu/", "private_key_file": "/etc/autograder/tool.pem",
                  "platforms": [PLATFORM], **changes})


def test_lms_lti_is_validated_by_the_course_model():
    ok = lti()
    assert ok.tool_url == "https://grader.example.edu" and ok.platforms[0].client_id == "10000000000001"
    assert lti(tool_url="http://127.0.0.1:8000").tool_url == "http://127.0.0.1:8000"  # loopback: the demo
    bad = [
        ({"tool_url": "http://grader.example.edu"}, "must use https"),
        ({"private_key_file": str(REPO_ROOT / "tool.pem")}, "inside the repository"),
        ({"private_key_file": "tool.pem"}, "absolute path"),
        ({"platforms": []}, "register at least one"),
        ({"platforms": [PLATFORM, PLATFORM]}, "registered once"),
        ({"platforms": [{**PLATFORM, "deployment_ids": []}]}, "at least one deployment"),
        ({"platforms": [{**PLATFORM, "key_set_url": "http://evil.example/jwks"}]}, "must use https"),
        ({"platforms": [{**PLATFORM, "client_secret": "x"}]}, "unknown key 'client_secret'"),
        ({"upload_mb": 0}, "greater than 0"),
    ]
    for changes, said in bad:
        with pytest.raises(ValueError, match=said):
            lti(**changes)


def test_the_tool_key_must_be_a_private_rsa_key_closed_to_others(tmp_path):
    key = security.write_new_private_key(tmp_path / "tool.pem")
    assert "BEGIN PRIVATE KEY" in security.read_private_key(key)
    with pytest.raises(FileExistsError):
        security.write_new_private_key(key)  # never overwritten
    os.chmod(key, 0o644)
    with pytest.raises(security.ToolKeyError, match="readable by others"):
        security.read_private_key(key)
    (tmp_path / "junk.pem").write_text("not a key")
    os.chmod(tmp_path / "junk.pem", 0o600)
    with pytest.raises(security.ToolKeyError, match="could not be read"):
        security.read_private_key(tmp_path / "junk.pem")
    with pytest.raises(security.ToolKeyError, match="could not be read"):
        security.read_private_key(tmp_path / "missing.pem")


def test_standalone_links_open_only_with_their_own_signature():
    key = b"k" * 32
    token = security.sign_link(key, "learner", "alice")
    assert security.open_link(key, token) == ("learner", "alice")
    who, mac = token.split(".")
    forged_who = security.sign_link(key, "instructor", "alice").split(".")[0]
    for bad in (f"{forged_who}.{mac}", f"{who}.{mac[:-1]}A", f"{who}.", token + "x", "x.y", "", "."):
        assert security.open_link(key, bad) is None, bad
    assert security.open_link(b"other" * 8, token) is None


def test_a_personal_link_loaded_by_another_page_signs_nobody_in(tmp_path):
    from autograder.serve.app import create_app

    course = course_in(tmp_path)
    service = Service(course.model_copy(update={"lms": course.lms.model_copy(update={"lti": None})}), tmp_path / "d")
    try:
        http = create_app(service).test_client()
        link = f"https://127.0.0.1/s/{security.sign_link(service.link_key, 'learner', 'alice')}"
        for dest in ("image", "iframe", "script", "empty"):
            forged = http.get(link, headers={"Sec-Fetch-Dest": dest, "Sec-Fetch-Site": "cross-site"})
            assert forged.status_code == 403 and "Set-Cookie" not in forged.headers, dest
        clicked = http.get(link, headers={"Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "cross-site",
                                          "Sec-Fetch-User": "?1"})
        assert clicked.status_code == 303 and "autograder_session=" in clicked.headers["Set-Cookie"]
    finally:
        service.store.close()


@pytest.fixture
def web(tmp_path):
    course = course_in(tmp_path)
    course = course.model_copy(update={"lms": course.lms.model_copy(update={"lti": None})})
    service = Service(course, tmp_path / "data")  # not started: attempts stay queued
    service.uploads_per_hour, service.upload_mb = 3, 0.05
    from autograder.serve.app import create_app

    app = create_app(service)
    app.config["MAX_CONTENT_LENGTH"] = int(0.05 * 1024 * 1024)

    def browser(role="learner", student="alice"):
        http = app.test_client()
        first = http.get(f"https://127.0.0.1/s/{security.sign_link(service.link_key, role, student)}")
        assert first.status_code == 303
        cookie = first.headers["Set-Cookie"]
        assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=None")), cookie
        return http
    yield service, browser
    service.store.close()


def hand_in(http, name="x.ipynb", body=b"{}", csrf=None):
    page = http.get(f"https://127.0.0.1/exercise/{EXERCISE}")
    data = {"notebook": (__import__("io").BytesIO(body), name)}
    if csrf is not False:
        data["csrf"] = csrf or csrf_of(page.get_data(as_text=True))
    return http.post(f"https://127.0.0.1/exercise/{EXERCISE}/upload", data=data, content_type="multipart/form-data")


def test_uploads_are_stored_then_acknowledged_within_their_limits(web):
    service, browser = web
    http = browser()
    assert hand_in(http, csrf=False).status_code == 403  # no CSRF token: a forged cross-site post
    assert hand_in(http, csrf="A" * 43).status_code == 403
    too_big = hand_in(http, body=b"x" * 200_000)
    assert too_big.status_code == 413 and "larger than" in too_big.get_data(as_text=True)
    assert hand_in(http, name="notes.pdf").status_code == 400
    for n in range(3):
        handed = hand_in(http, body=b'{"n": %d}' % n)
        assert handed.status_code == 303
    limited = hand_in(http, body=b"{}")
    assert limited.status_code == 429 and "3 hand-ins an hour" in limited.get_data(as_text=True)
    attempts = service.store.attempts("alice")
    assert len(attempts) == 3 and {a.state for a in attempts} == {"queued"}
    for a in attempts:  # on disk, by content hash, before the answer
        assert service.uploads.path(a.sha256).read_bytes() in (b'{"n": 0}', b'{"n": 1}', b'{"n": 2}')
    assert browser(student="bob").get(f"https://127.0.0.1/attempt/{attempts[0].id}").status_code == 404
    assert http.get(f"https://127.0.0.1/attempt/{attempts[0].id}").status_code == 200


def test_student_strings_are_inert_text_under_a_policy_with_no_script(web):
    service, browser = web
    hostile = '=HYPERLINK("http://evil")<img src=x onerror=alert(1)>'
    http = browser(student=hostile)
    assert hand_in(http, name="../../<img src=x onerror=alert(1)>\x1b[2J.ipynb").status_code == 303
    [attempt] = service.store.attempts(hostile)
    assert "/" not in attempt.filename and "\x1b" not in attempt.filename
    service.store.set_state(attempt.id, "done")
    with service.gradebook() as book:
        book.record({"sha256": attempt.sha256, "student": hostile, "submission": attempt.filename,
                     "exercise": EXERCISE, "status": "graded", "score": 1.0, "max_score": 6.0,
                     "graded_at": "2026-01-01T00:00:00+00:00", "message": "<script>alert(2)</script>",
                     "checks": [{"name": "z", "description": "z", "points": 1.0, "max_points": 6.0,
                                 "message": "</td><script>alert(3)</script>", "hint": "<b>h</b>"}]})
    page = http.get(f"https://127.0.0.1/attempt/{attempt.id}")
    html = page.get_data(as_text=True)
    assert "<script>" not in html and "<img src=x" not in html and "&lt;script&gt;alert(2)" in html
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'none'" in policy and "default-src 'none'" in policy and "frame-ancestors" in policy
    framed = http.get(f"https://127.0.0.1/attempt/{attempt.id}/feedback")  # every check, with its figures
    html = framed.get_data(as_text=True)
    assert "<script>" not in html and "<b>h</b>" not in html and "&lt;script&gt;alert(3)&lt;/script&gt;" in html
    assert "script" not in framed.headers["Content-Security-Policy"].replace("'none'", "")
    assert browser(student="bob").get(f"https://127.0.0.1/attempt/{attempt.id}/feedback").status_code == 404
    teacher = browser("instructor", "teacher")
    table = teacher.get("https://127.0.0.1/teacher").get_data(as_text=True)
    assert "<img src=x" not in table and "&lt;img src=x" in table
    grades = teacher.get("https://127.0.0.1/teacher/grades.csv").get_data(as_text=True)
    [row] = [line for line in grades.splitlines() if "HYPERLINK" in line]
    assert row.startswith('"\'=HYPERLINK') and "=HYPERLINK" not in row.replace("\'=HYPERLINK", "")
    for path in ("/teacher", "/no/such/page", f"/attempt/{'x' * 30}"):
        assert "script-src 'none'" in teacher.get("https://127.0.0.1" + path).headers["Content-Security-Policy"]


def test_teacher_pages_need_the_instructor_role_and_csrf(web):
    service, browser = web
    learner = browser()
    for path in ("/teacher", "/teacher/grades.csv", "/teacher/report", "/teacher/student?student=alice"):
        assert learner.get("https://127.0.0.1" + path).status_code == 403, path
    teacher = browser("instructor", "teacher")
    assert teacher.get("https://127.0.0.1/teacher").status_code == 200
    assert teacher.post("https://127.0.0.1/teacher/regrade", data={"all": "1"}).status_code == 403  # no token
    assert app_client_without_session(service).get("https://127.0.0.1/teacher").status_code == 401


def app_client_without_session(service):
    from autograder.serve.app import create_app

    return create_app(service).test_client()


def test_each_lane_is_a_queue_that_tells_a_student_their_place(tmp_path):
    from autograder.serve.store import Store

    store = Store(tmp_path / "serve.sqlite")
    sha = "0" * 64
    first = store.add_attempt("a", "train_sin", sha, "a.ipynb", "training")
    quick = store.add_attempt("b", EXERCISE, sha, "b.ipynb", "quick")
    second = store.add_attempt("c", "train_sin", sha, "c.ipynb", "training")
    third = store.add_attempt("d", "train_sin", sha, "d.ipynb", "training")
    assert [store.place(x) for x in (first, second, third, quick)] == [0, 1, 2, 0]
    store.set_state(first.id, "grading")
    assert store.place(third) == 1  # the one being trained no longer waits
    assert [x.id for x in store.waiting("training")] == [first.id, second.id, third.id]
    assert store.consume_nonce("n1") and not store.consume_nonce("n1")

    # A score owed, sent, then owed again when the LMS gives the student a (new) grade service.
    store.finish(quick.id, "b", EXERCISE)
    [owed] = store.owed(time.time() + 1)
    store.sent(owed, None, None, "no LMS grade service for this student and exercise")
    assert store.owed(time.time() + 1) == []
    store.set_target("b", EXERCISE, "iss client", "b-sub", {"lineitem": "https://lms/items/1"})
    assert [o.student for o in store.owed(time.time() + 1)] == ["b"]
    store.sent(store.owed(time.time() + 1)[0], 6.0, 6.0)
    store.set_target("b", EXERCISE, "iss client", "b-sub", {"lineitem": "https://lms/items/1"})  # the same: nothing
    assert store.owed(time.time() + 1) == []
    store.close()


def test_the_exercise_page_links_to_colab_where_the_course_publishes(tmp_path, monkeypatch):
    from autograder.build.variants import SECRET_ENV, SECRET_FILE_ENV
    from autograder.course import Publish
    from autograder.serve.app import create_app

    monkeypatch.delenv(SECRET_ENV, raising=False)
    monkeypatch.delenv(SECRET_FILE_ENV, raising=False)
    course = course_in(tmp_path)
    course = course.model_copy(update={"lms": course.lms.model_copy(update={"lti": None}),
                                       "publish": Publish(notebooks="https://github.com/org/repo/blob/main/{id}.ipynb")})
    service = Service(course, tmp_path / "data")
    try:
        http = create_app(service).test_client()
        http.get(f"https://127.0.0.1/s/{security.sign_link(service.link_key, 'learner', 'ada')}")
        html = http.get(f"https://127.0.0.1/exercise/{EXERCISE}").get_data(as_text=True)
        assert f'href="https://colab.research.google.com/github/org/repo/blob/main/{EXERCISE}.ipynb"' in html
        assert 'rel="noopener noreferrer"' in html
    finally:
        service.store.close()
