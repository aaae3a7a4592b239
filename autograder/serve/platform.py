"""A stand-in LMS for `autograder serve --demo` and the tests: an LTI 1.3 platform built on
lti1p3platform (a maintained platform-side library), served over real HTTP.

It does what Canvas or Moodle do for the tool: starts the OIDC login, answers the tool's
authorisation request with a signed launch (resource link or Deep Linking request, with the
Assignment and Grade Services claim), accepts the Deep Linking answer (each placed exercise
becomes a link and a line item), issues OAuth2 access tokens against the tool's signed client
assertion, and keeps the scores posted to its line items in a gradebook (`/gradebook`).

`tamper` bends the next launch the way an attacker or a misconfigured LMS would (another
signing key, audience, deployment, or an expired token) so the tests can see them refused;
`down` makes the score endpoint fail, as an LMS that is unreachable.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import typing as t
from html import escape
from urllib.parse import urlencode

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, abort, jsonify, redirect, request
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request

CLIENT_ID = "autograder-tool"
DEPLOYMENT_ID = "deployment-1"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
ROLES = {
    "learner": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
    "instructor": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
}


def _rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _public(pem: str) -> str:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class _FlaskRequest(Request):
    def build_metadata(self, req):
        return {"method": req.method, "form_data": req.form.to_dict(), "get_data": req.args.to_dict(),
                "headers": dict(req.headers), "content_type": req.content_type, "path": req.path, "json": None}


class _Config(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, registration: Registration):
        self._registration = registration

    def get_registration_by_params(self, **kwargs):
        return self._registration


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def __init__(self, req, config, platform: "StandInLms"):
        super().__init__(req, config)
        self.platform = platform

    def get_preflight_response(self):
        return self._request.form_data or self._request.get_data

    def generate_launch_request(self):
        data = super().generate_launch_request()
        tamper = self.platform.take_tamper()
        if not tamper:
            return data
        body = json.loads(json.dumps(self.get_launch_data()[0]))
        if self._dl:
            body["https://purl.imsglobal.org/spec/lti/claim/message_type"] = "LtiDeepLinkingRequest"
            body.update(self._deep_linking_launch_data)
        for claim, value in tamper.items():
            if claim == "key":
                continue
            if claim == "expired":
                body["iat"], body["exp"] = int(time.time()) - 3600, int(time.time()) - 1800
            elif claim == "deployment_id":
                body["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = value
            else:
                body[claim] = value
        body.setdefault("iat", int(time.time()))
        body.setdefault("exp", int(time.time()) + 300)
        key = tamper.get("key") or self._registration.get_platform_private_key()
        # Signed under the platform's own key id, so only the signature itself can tell a foreign key.
        data["id_token"] = Registration.encode_and_sign(body, key, headers={"kid": self._registration.get_kid()})
        return data

    def render_launch_form(self, launch_data, **kwargs):
        return launch_data


class StandInLms:
    """The platform's state: its registration of the tool, placed links, line items, scores."""

    def __init__(self, url: str, tool_url: str):
        self.url, self.tool_url = url.rstrip("/"), tool_url.rstrip("/")
        self.private_pem = _rsa_pem()
        self.registration = (Registration().set_iss(self.url).set_client_id(CLIENT_ID)
                             .set_deployment_id(DEPLOYMENT_ID).set_oidc_login_url(self.tool_url + "/lti/login")
                             .set_launch_url(self.tool_url + "/lti/launch")
                             .set_deeplink_launch_url(self.tool_url + "/lti/launch")
                             .set_tool_key_set_url(self.tool_url + "/.well-known/jwks.json")
                             .set_platform_public_key(_public(self.private_pem))
                             .set_platform_private_key(self.private_pem))
        self.lock = threading.Lock()
        self.links: dict[str, dict] = {}  # resource link id -> {title, custom, lineitem}
        self.lineitems: dict[str, dict] = {}  # id -> {label, scoreMaximum, resourceId, tag}
        self.scores: dict[str, dict[str, dict]] = {}  # lineitem id -> user -> the last score posted
        self.score_posts = 0
        self.tamper: dict | None = None
        self.down = False

    def take_tamper(self) -> dict | None:
        with self.lock:
            tamper, self.tamper = self.tamper, None
        return tamper

    def config(self) -> _Config:
        return _Config(registration=self.registration)

    def registration_for_tool(self) -> dict:
        """What the teacher copies into course.yaml `lms.lti.platforms`."""
        return {"issuer": self.url, "client_id": CLIENT_ID, "deployment_ids": [DEPLOYMENT_ID],
                "auth_login_url": self.url + "/authorize", "auth_token_url": self.url + "/token",
                "key_set_url": self.url + "/jwks"}

    def start_url(self, user: str, role: str = "learner", link: str | None = None, name: str | None = None) -> str:
        """Where a browser goes to open the tool as `user` ("deeplink" for the teacher's editor)."""
        query = {"user": user, "role": role, **({"link": link} if link else {}), **({"name": name} if name else {})}
        return self.url + "/start?" + urlencode(query)

    def add_link(self, title: str, custom: dict, points: float | None) -> str:
        with self.lock:
            link_id = "link-" + secrets.token_hex(4)
            lineitem = None
            if points is not None:
                lineitem = f"{self.url}/lineitems/{len(self.lineitems) + 1}"
                self.lineitems[lineitem] = {"id": lineitem, "label": title, "scoreMaximum": points,
                                            "resourceLinkId": link_id, **{k: v for k, v in custom.items()}}
            self.links[link_id] = {"title": title, "custom": custom, "lineitem": lineitem}
        return link_id

    def app(self) -> Flask:
        app = Flask(__name__)
        lms = self

        @app.get("/jwks")
        def jwks():
            return {"keys": lms.registration.get_jwks()}

        @app.get("/")
        def home():
            """The demo's front page: open the tool as a student or the teacher, see the gradebook."""
            rows = "".join(
                f"<li>{escape(link['title'])}: <a href='{escape(lms.start_url('alice', 'learner', link_id))}'>as the "
                f"student Alice</a> · <a href='{escape(lms.start_url('bob', 'learner', link_id))}'>as Bob</a> · "
                f"<a href='{escape(lms.start_url('teacher', 'instructor', link_id))}'>as the teacher</a></li>"
                for link_id, link in lms.links.items())
            return (f"<!doctype html><html><body><h1>Stand-in LMS</h1><ul>{rows}</ul>"
                    f"<p><a href='{escape(lms.start_url('teacher', 'instructor', 'deeplink'))}'>Place exercises "
                    "(Deep Linking, as the teacher)</a> · <a href='/gradebook'>the LMS's gradebook</a></p></body></html>")

        @app.get("/start")
        def start():
            hint = json.dumps({"user": request.args["user"], "role": request.args.get("role", "learner"),
                               "link": request.args.get("link"), "name": request.args.get("name")})
            target = lms.registration.get_launch_url()
            return redirect(lms.registration.get_oidc_login_url() + "?" + urlencode({
                "iss": lms.url, "login_hint": request.args["user"], "lti_message_hint": hint,
                "target_link_uri": target, "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT_ID}))

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize():
            req = _FlaskRequest(request)
            params = req.form_data or req.get_data
            if params.get("redirect_uri") != lms.registration.get_launch_url():
                abort(400, "redirect_uri is not the tool's registered launch URL")
            hint = json.loads(params.get("lti_message_hint") or "{}")
            if params.get("login_hint") != hint.get("user"):
                abort(400, "login_hint does not match")
            launch = _Launch(req, lms.config(), lms)
            user, role = hint["user"], hint.get("role", "learner")
            launch.set_user_data(user, ROLES[role], full_name=hint.get("name") or user.title(),
                                 email_address=f"{user}@example.edu")
            launch.set_launch_context_claim("course-1", context_title="Deep Learning, week 1")
            if hint.get("link") == "deeplink":
                launch.set_dl(lms.url + "/deep_link_return", title="Add an exercise", accept_types={"ltiResourceLink"})
            else:
                link = lms.links.get(hint.get("link") or "", {"title": "the tool", "custom": {}, "lineitem": None})
                launch.set_resource_link_claim(hint.get("link") or "home", title=link["title"])
                if link["custom"]:
                    launch.set_custom_parameters_claim(link["custom"])
                launch.set_ags(lms.url + "/lineitems", link["lineitem"], allow_creating_lineitems=True)
            data = launch.lti_launch()
            form = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in
                           (("id_token", data["id_token"]), ("state", data["state"])))
            return (f'<!doctype html><html><body><form id="launch" method="post" action="{data["launch_url"]}">{form}'
                    '<button type="submit">Open the tool</button></form>'
                    '<script>document.getElementById("launch").submit()</script></body></html>')

        @app.post("/deep_link_return")
        def deep_link_return():
            items = lms.config().validate_deeplinking_resp({"JWT": request.form["JWT"]})
            made = []
            for item in items:
                lineitem = item.get("lineItem") or {}
                made.append(lms.add_link(item.get("title") or "", item.get("custom") or {},
                                         lineitem.get("scoreMaximum")))
            return f"<!doctype html><p id='placed'>{len(made)} placed</p>"

        @app.post("/token")
        def token():
            try:
                return lms.config().get_access_token(request.form.to_dict())
            except Exception as exc:  # noqa: BLE001 - any bad assertion: refused, as an LMS would
                return jsonify({"error": "invalid_client", "error_description": str(exc)[:200]}), 401

        def authorised(scope: str) -> None:
            header = request.headers.get("Authorization", "")
            try:
                ok = header.startswith("Bearer ") and lms.config().validate_token(header[7:], allowed_scopes=[scope])
            except Exception:  # noqa: BLE001
                ok = False
            if not ok:
                abort(401)

        @app.route("/lineitems", methods=["GET", "POST"])
        def lineitems():
            authorised("https://purl.imsglobal.org/spec/lti-ags/scope/lineitem")
            if request.method == "POST":
                body = request.get_json(force=True)
                link = lms.add_link(body.get("label", ""), {"tag": body.get("tag")}, body.get("scoreMaximum"))
                return lms.lineitems[lms.links[link]["lineitem"]]
            return jsonify(list(lms.lineitems.values()))

        @app.post("/lineitems/<int:n>/scores")
        def scores(n):
            if lms.down:
                abort(503)
            authorised(SCORE_SCOPE)
            item = f"{lms.url}/lineitems/{n}"
            if item not in lms.lineitems:
                abort(404)
            score = request.get_json(force=True)
            with lms.lock:
                lms.scores.setdefault(item, {})[score["userId"]] = score
                lms.score_posts += 1
            return "", 204

        @app.get("/gradebook")
        def gradebook():
            """{exercise or label: {user: scoreGiven/scoreMaximum}}"""
            with lms.lock:
                book = {}
                for item, users in lms.scores.items():
                    name = lms.lineitems[item].get("exercise") or lms.lineitems[item].get("tag") or item
                    book[name] = {u: [s["scoreGiven"], s["scoreMaximum"]] for u, s in users.items()}
            return book

        return app


def serve_stand_in(lms: StandInLms, port: int) -> t.Any:
    """The stand-in LMS on 127.0.0.1:`port` under waitress, in a thread; returns the server (close() stops it)."""
    from waitress.server import create_server

    server = create_server(lms.app(), host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, name="stand-in-lms", daemon=True).start()
    return server
