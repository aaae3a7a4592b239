"""The web application (Flask): the LTI endpoints, the student's pages and the teacher's.

    /.well-known/jwks.json      the tool's public key, for the LMS
    /lti/login, /lti/launch     OIDC login initiation and the signed launch (serve/lti.py)
    /s/<token>                  a standalone personal link (no LMS)
    /, /exercise/<id>           the student's page: notebook, upload form, attempts
    /exercise/<id>/notebook     their (personal) notebook; POST .../upload: a hand-in
    /attempt/<id>               one attempt's feedback (its owner and instructors only)
    /teacher, /teacher/...      the class table, a student's attempts, regrade, grades.csv, report
    /deeplink                   Deep Linking: the teacher picks exercises to place in the LMS

Every POST but the LMS's own (login, launch: checked by OIDC state and the signed token)
needs the session's CSRF token; every page goes out under a Content-Security-Policy with no
script (serve/security.py). An id that is not the session's own answers 404, as one that
does not exist: ids are random, and whether one exists is not told.
"""

from __future__ import annotations

import csv
import io
import time

from flask import Flask, abort, g, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from autograder.export.feedback import STATUS_WORDS, feedback_html
from autograder.serve import security
from autograder.serve.lti import LaunchError

NO_CSRF = {"lti_login", "lti_launch", "static", "jwks"}
SELF_CONTAINED = {"teacher_report", "feedback_page"}
ACCEPTED = (".ipynb", ".zip")
LONG_POLL_S = 2.5  # the feedback page waits this long for a result before it shows "waiting" and refreshes


def create_app(service) -> Flask:
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=int(service.upload_mb * 1024 * 1024) + 64 * 1024,
                      SECRET_KEY=service.link_key, SESSION_COOKIE_SECURE=True, SESSION_COOKIE_SAMESITE="None",
                      TEMPLATES_AUTO_RELOAD=False)
    app.jinja_env.autoescape = True  # every template, whatever its name: student strings are text
    app.jinja_env.globals.update(STATUS_WORDS=STATUS_WORDS)

    @app.before_request
    def load_session():
        g.session = service.store.session(request.cookies.get(security.SESSION_COOKIE))
        g.form_targets = []
        if request.method == "POST" and request.endpoint not in NO_CSRF:
            if not security.csrf_ok(g.session, request.form.get("csrf")):
                abort(403, "this form did not come from this page (its CSRF token is missing or wrong); "
                           "reload the page and try again")

    @app.after_request
    def headers(response):
        if request.endpoint in SELF_CONTAINED:  # the report's and feedback page's own inline style and figures
            policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; " \
                     "form-action 'none'; frame-ancestors 'self' " + " ".join(service.frame_ancestors)
        else:
            policy = security.content_security_policy(service.frame_ancestors, g.get("form_targets", []))
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if isinstance(exc, RequestEntityTooLarge):
            exc.description = f"the file is larger than the {service.upload_mb:g} MB a hand-in may be"
        return render_template("error.html", code=exc.code, message=exc.description), exc.code

    def start_session(student, name, role, exercise, platform, target):
        session = service.store.new_session(student, name, role, exercise, platform)
        response = make_response(redirect(target, code=303))
        response.set_cookie(security.SESSION_COOKIE, session.id, **security.cookie_settings())
        return response, session

    def need_session():
        if g.session is None:
            abort(401, "no session: open the tool from your course in the LMS (or your personal link)")
        return g.session

    def need_instructor():
        session = need_session()
        if not session.instructor:
            abort(403, "this page is for the course's instructors")
        return session

    def exercise_or_404(eid):
        ex = service.course.exercise(eid)
        if ex is None:
            abort(404, "no such exercise in this course")
        return ex

    # -- LTI

    @app.get("/.well-known/jwks.json", endpoint="jwks")
    def jwks():
        if service.lti is None:
            abort(404, "this service runs without an LMS")
        return service.lti.jwks()

    @app.route("/lti/login", methods=["GET", "POST"], endpoint="lti_login")
    def lti_login():
        if service.lti is None:
            abort(404, "this service runs without an LMS")
        try:
            return service.lti.login()
        except Exception as exc:  # noqa: BLE001 - pylti1p3 raises bare Exception too
            abort(400, f"the LMS's login could not start: {str(exc)[:300]}")

    @app.post("/lti/launch", endpoint="lti_launch")
    def lti_launch():
        if service.lti is None:
            abort(404, "this service runs without an LMS")
        try:
            launched = service.lti.launch()
        except LaunchError as exc:
            abort(403, str(exc))
        student = service.student_of(launched.platform, launched.user_id)
        role = "instructor" if launched.instructor else "learner"
        exercise = launched.exercise if service.course.exercise(launched.exercise or "") else None
        service.store.remember_person(student, launched.name, launched.email, role)
        if exercise and launched.ags and not launched.instructor:
            service.store.set_target(student, exercise, launched.platform, launched.user_id, launched.ags)
        if launched.deep_linking:
            if not launched.instructor:
                abort(403, "only an instructor places exercises in the course")
            response, session = start_session(student, launched.name, role, None, launched.platform,
                                              url_for("deeplink"))
            service.store.put_launch_data("dl:" + session.id, {
                "platform": launched.platform, "deployment_id": launched.deployment_id,
                "settings": launched.deep_link_settings}, None)
            return response
        target = url_for("teacher") if launched.instructor else (
            url_for("exercise_page", eid=exercise) if exercise else url_for("home"))
        return start_session(student, launched.name, role, exercise, launched.platform, target)[0]

    @app.get("/deeplink")
    def deeplink():
        need_instructor()
        if service.store.launch_data("dl:" + g.session.id) is None:
            abort(404, "no deep-linking request in this session: add the tool from the LMS's editor")
        return render_template("deeplink.html", exercises=service.course.exercises, points=service.max_points)

    @app.post("/deeplink")
    def deeplink_answer():
        need_instructor()
        pending = service.store.launch_data("dl:" + g.session.id)
        if pending is None:
            abort(404, "no deep-linking request in this session")
        chosen = [e for e in service.course.exercises if e.id in request.form.getlist("exercise")]
        items = [(e.id, e.title, service.max_points(e.id)) for e in chosen]
        url, jwt_value = service.lti.deep_link_response(pending["platform"], pending["deployment_id"],
                                                       pending["settings"], items)
        g.form_targets = [security.origin_of(url)]
        return render_template("deeplink_return.html", url=url, jwt=jwt_value, chosen=chosen)

    # -- standalone links

    @app.get("/s/<token>")
    def standalone(token):
        # A personal link is followed by a person: a page that loads it as an image, a frame or a
        # script (a login forged across sites, to collect a victim's hand-ins) is refused.
        if request.headers.get("Sec-Fetch-Dest", "document") != "document":
            abort(403, "open your personal link in the browser's address bar or by clicking it")
        opened = security.open_link(service.link_key, token)
        if opened is None:
            abort(404, "this link is not valid")
        role, student = opened
        service.store.remember_person(student, student, "", role)
        return start_session(student, student, role, None, None,
                             url_for("teacher") if role == "instructor" else url_for("home"))[0]

    # -- the student's pages

    @app.get("/")
    def home():
        session = need_session()
        if session.instructor:
            return redirect(url_for("teacher"))
        mine = service.store.attempts(session.student)
        return render_template("home.html", exercises=service.course.exercises, session=session,
                               counts={e.id: sum(a.exercise == e.id for a in mine) for e in service.course.exercises})

    @app.get("/exercise/<eid>")
    def exercise_page(eid):
        session = need_session()
        ex = exercise_or_404(eid)
        attempts = list(reversed(service.store.attempts(session.student, eid)))
        with service.gradebook() as book:
            results = {a.id: book.result(a.sha256, a.student) if a.state == "done" else None for a in attempts}
        return render_template("exercise.html", ex=ex, session=session, attempts=attempts, results=results,
                               colab=service.colab_link(eid), personal=service.notebooks.personal(eid),
                               upload_mb=service.upload_mb)

    @app.get("/exercise/<eid>/notebook")
    def notebook(eid):
        session = need_session()
        exercise_or_404(eid)
        name, data = service.notebooks.for_student(eid, session.student)
        response = make_response(data)
        response.headers["Content-Type"] = "application/x-ipynb+json"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @app.post("/exercise/<eid>/upload")
    def upload(eid):
        session = need_session()
        ex = exercise_or_404(eid)
        file = request.files.get("notebook")
        if file is None or not file.filename:
            abort(400, "choose a file to hand in: the .ipynb or the zip grader.export() wrote")
        filename = security.plain_name(file.filename)
        if not filename.lower().endswith(ACCEPTED):
            abort(400, "hand in the .ipynb or the zip grader.export() wrote")
        if service.store.uploads_since(session.student, time.time() - 3600) >= service.uploads_per_hour:
            abort(429, f"{service.uploads_per_hour} hand-ins an hour at most: wait a little and try again")
        sha = service.uploads.put(file.read())  # on disk, flushed, before the attempt exists
        attempt = service.store.add_attempt(session.student, ex.id, sha, filename, service.lane_of(ex.id))
        service.queue.submit(attempt)
        return redirect(url_for("attempt_page", aid=attempt.id), code=303)

    def own_attempt(aid):
        session = need_session()
        attempt = service.store.attempt(aid)
        if attempt is None or (attempt.student != session.student and not session.instructor):
            abort(404, "no such attempt")
        return session, attempt

    @app.get("/attempt/<aid>")
    def attempt_page(aid):
        session, attempt = own_attempt(aid)
        result = None
        if attempt.state != "done" and service.queue.wait_done(attempt.id, LONG_POLL_S):
            attempt = service.store.attempt(attempt.id)
        if attempt.state == "done":
            with service.gradebook() as book:
                result = book.result(attempt.sha256, attempt.student)
        place = service.store.place(attempt) if attempt.state == "queued" else None
        return render_template("attempt.html", attempt=attempt, result=result, place=place, session=session,
                               ex=service.course.exercise(attempt.exercise),
                               uploaded=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(attempt.uploaded)))

    @app.get("/attempt/<aid>/feedback", endpoint="feedback_page")
    def feedback_page(aid):
        """The attempt's feedback page with its figures (autograder/export/feedback.py), framed by the attempt's page."""
        _, attempt = own_attempt(aid)
        with service.gradebook() as book:
            result = book.result(attempt.sha256, attempt.student) if attempt.state == "done" else None
        if result is None:
            abort(404, "not graded yet")
        return feedback_html(result, service.course)

    # -- the teacher's pages

    @app.get("/teacher")
    def teacher():
        need_instructor()
        return render_template("teacher.html", **service.class_table())

    @app.get("/teacher/student")
    def teacher_student():
        need_instructor()
        student = request.args.get("student", "")
        attempts = list(reversed(service.store.attempts(student)))
        if not attempts:
            abort(404, "no attempts of this student")
        with service.gradebook() as book:
            results = {a.id: book.result(a.sha256, a.student) if a.state == "done" else None for a in attempts}
        return render_template("student.html", student=student, attempts=attempts, results=results,
                               name=service.store.people().get(student, (student, ""))[0])

    @app.post("/teacher/regrade")
    def teacher_regrade():
        need_instructor()
        if request.form.get("all"):
            chosen = [a for a in service.store.attempts() if a.state == "done"]
        else:
            one = service.store.attempt(request.form.get("attempt", ""))
            if one is None:
                abort(404, "no such attempt")
            chosen = [one]
        for attempt in chosen:
            service.queue.regrade(attempt)
        return redirect(url_for("teacher"), code=303)

    @app.get("/teacher/grades.csv")
    def teacher_grades():
        need_instructor()
        with service.gradebook() as book:
            results = book.results()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["student", "name", "exercise", "status", "score", "max_score", "attempts", "lms"])
        people, posts = service.store.people(), service.store.passback_rows()
        for (student, exercise), row in sorted(service.counted_results(results).items()):
            post = posts.get((student, exercise), {})
            writer.writerow([security.cell(student), security.cell(people.get(student, (student, ""))[0]), exercise,
                             row.status, f"{row.score:g}", f"{row.max_score:g}", row.attempts,
                             "pending" if post.get("pending") else ("posted" if post.get("score") is not None else "")])
        response = make_response(out.getvalue())
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
        response.headers["Content-Disposition"] = 'attachment; filename="grades.csv"'
        return response

    @app.get("/teacher/report", endpoint="teacher_report")
    def teacher_report():
        need_instructor()
        from autograder.export.report import render_report

        with service.gradebook() as book:
            return render_report(book.results(), service.course)

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    return app
