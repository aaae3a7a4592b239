"""What the `autograder serve` tests share: a stand-in LMS and the tool on loopback, and a
browser-like HTTP client that follows an LTI launch through its auto-posted forms."""

from __future__ import annotations

import contextlib
import http.cookiejar
import re
import time
from html import unescape

import nbformat
import requests

from autograder.course import load_course

EXERCISE = "sigmoid_probability"
SECRET = "serve-tests-course-secret-0123456789"


def course_in(folder, exercises=(EXERCISE,), pick="best"):
    """The bundled course cut to `exercises`, its handed-out record kept in `folder`."""
    base = load_course()
    chosen = tuple(e for e in base.exercises if e.id in exercises)
    return base.model_copy(update={"exercises": chosen, "handed_out": str(folder / "handed_out.json"),
                                   "lms": base.lms.model_copy(update={"pick": pick})})


_return_ok_secure = http.cookiejar.DefaultCookiePolicy.return_ok_secure


def _loopback_is_secure(policy, cookie, request):
    """Our cookies are `Secure`; a browser sends them to http://127.0.0.1 (a secure context), but
    http.cookiejar sends them over https only. requests copies every jar into a fresh one with the
    default policy on each request and redirect, so the policy itself is widened, for loopback
    only, in the test process."""
    host = request.host.split(":")[0] if request.host and not request.host.startswith("[") else ""
    return host in ("127.0.0.1", "localhost") or _return_ok_secure(policy, cookie, request)


http.cookiejar.DefaultCookiePolicy.return_ok_secure = _loopback_is_secure


@contextlib.contextmanager
def serving(root, exercises=(EXERCISE,)):
    """The stand-in LMS and the tool on loopback, the course cut to `exercises`, each placed as
    Deep Linking would (`pair.links`), with the course's secret for personal notebooks; stopped
    on leaving."""
    import pytest

    from autograder.build.variants import SECRET_ENV, SECRET_FILE_ENV
    from autograder.serve.demo import place_exercises, start_pair

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SECRET_ENV, SECRET)
        mp.delenv(SECRET_FILE_ENV, raising=False)
        course = course_in(root, exercises)
        pair = start_pair(course, root / "data", workers=1, uploads_per_hour=1000)
        pair.links = place_exercises(pair, course)
        try:
            yield pair
        finally:
            pair.stop()


def client() -> requests.Session:
    return requests.Session()


def form_fields(html: str, form_id: str | None = None) -> tuple[str, dict]:
    """(action, {name: value}) of the first form (or the one with this id) in a page."""
    match = re.search(r'<form[^>]*?(?:id="%s")?[^>]*>.*?</form>' % (form_id or ""), html, re.S)
    assert match, f"no form {form_id or ''} in: {html[:500]}"
    form = match.group(0)
    action = unescape(re.search(r'action="([^"]*)"', form).group(1))
    fields = {unescape(n): unescape(v) for n, v in re.findall(r'<input[^>]*name="([^"]*)"[^>]*value="([^"]*)"', form)}
    return action, fields


def launch_form(http: requests.Session, start_url: str) -> tuple[str, dict]:
    """Follow the LMS's start through the tool's OIDC login to the platform's auto-post form."""
    page = http.get(start_url, timeout=30)
    assert page.status_code == 200, page.text[:500]
    return form_fields(page.text, "launch")


def launch(http: requests.Session, start_url: str) -> requests.Response:
    """A whole launch, as a browser makes it: the final page of the tool."""
    action, fields = launch_form(http, start_url)
    return http.post(action, data=fields, timeout=30)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def upload(http: requests.Session, page_url: str, page_html: str, name: str, data: bytes) -> requests.Response:
    return http.post(page_url.rstrip("/") + "/upload", data={"csrf": csrf_of(page_html)},
                     files={"notebook": (name, data)}, timeout=30)


def feedback(http: requests.Session, attempt_url: str, timeout: float = 120.0) -> str:
    """The attempt's page once its result is in."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = http.get(attempt_url, timeout=30)
        assert page.status_code == 200, page.text[:300]
        if 'id="feedback"' in page.text:
            return page.text
        time.sleep(0.05)
    raise AssertionError(f"no feedback within {timeout} s: {page.text[:500]}")


def score_of(html: str) -> tuple[float, float]:
    return (float(re.search(r'id="score">([^<]+)<', html).group(1)),
            float(re.search(r'id="max">([^<]+)<', html).group(1)))


def solved_bytes(notebook_bytes: bytes, exercise: str = EXERCISE) -> bytes:
    """The downloaded notebook with every answer cell replaced by the master's solution."""
    import tempfile
    from pathlib import Path

    from support.personal import solved

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{exercise}.ipynb"
        path.write_bytes(notebook_bytes)
        return nbformat.writes(solved(path, exercise)).encode()


def wait_for(condition, timeout: float = 60.0, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("condition not met in time")
