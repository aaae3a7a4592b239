"""LTI 1.3 on the tool's side, through PyLTI1p3 (a maintained LTI Advantage tool library):
OIDC login initiation, the signed launch validated, Deep Linking's answer, and scores posted
through Assignment and Grade Services.

What PyLTI1p3 checks on a launch: the OIDC state against its cookie, the JWT's signature
against the platform's key set (fetched from `key_set_url`), the issuer and client id
registered, the deployment id known, the message type and its required claims, and expiry
(PyJWT). What this module adds, because the library leaves it open: the audience must name
our client id (and `azp` too when there are several audiences), `exp`, `iat` and `nonce` must
be present, and a nonce is consumed once in the store, so a replayed launch is refused even
in the same browser. The nonce is consumed only after the signature checked out, so a forged
token cannot burn a genuine launch's nonce.

The library's state lives in the service's store (`StoreLaunchData`), not in Flask's
client-side session, so a launch in an LMS frame needs only our own cookies.
"""

from __future__ import annotations

import datetime as dt
import time
import typing as t

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService, TAssignmentsGradersData
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.deep_link import DeepLink, TDeepLinkData
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException
from pylti1p3.grade import Grade
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector
from pylti1p3.tool_config import ToolConfDict
from pylti1p3.tool_config.dict import TIssConf

from autograder.course import Lti
from autograder.serve.security import public_key_pem

CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DEPLOYMENT = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
LAUNCH_REQUIRES = ["exp", "iat", "nonce", "sub"]
HTTP_TIMEOUT_S = 10
TOKEN_REUSE_S = 30 * 60

__all__ = ["LaunchError", "LtiException", "Launched", "ToolLti"]


class LaunchError(ValueError):
    """A launch, login or service call the tool refuses; the message says why."""


class _TimedSession(requests.Session):
    """requests without a timeout waits for ever on an LMS that does not answer."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT_S)
        return super().request(*args, **kwargs)


class StoreLaunchData(LaunchDataStorage):
    """PyLTI1p3's launch state (OIDC state, nonce, launch data, the platform's keys) in the store,
    under a random session id of its own cookie."""

    _session_cookie_name = "launch-id"

    def __init__(self, store):
        super().__init__()
        self.store = store

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key):
        return self.store.launch_data("lti:" + self._prepare_key(key))

    def set_value(self, key, value, exp=None):
        self.store.put_launch_data("lti:" + self._prepare_key(key), value, exp)

    def check_value(self, key) -> bool:
        return self.get_value(key) is not None


class _Launch(FlaskMessageLaunch):
    """PyLTI1p3's launch with the checks it leaves open (see the module's docstring)."""

    store = None

    def validate_deployment(self):
        super().validate_deployment()
        body = self._get_jwt_body()
        client_id = self._registration.get_client_id()
        aud = body.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if client_id not in audiences:
            raise LtiException("the launch is addressed to another tool (its audience is not our client id)")
        if len(audiences) > 1 and body.get("azp") != client_id:
            raise LtiException("the launch has several audiences and its authorized party is not our client id")
        if not self.store.consume_nonce(f"{body.get('iss')}\0{body.get('nonce')}"):
            raise LtiException("this launch was used before (its nonce is spent): open the tool from the LMS again")
        return self


class Launched(t.NamedTuple):
    """A validated launch, as the pages need it."""

    platform: str  # "issuer client_id"
    user_id: str  # `sub`
    name: str
    email: str
    instructor: bool
    deep_linking: bool
    exercise: str | None  # the custom parameter `exercise`, set by our deep link
    deployment_id: str
    deep_link_settings: dict | None
    ags: dict | None  # the Assignment and Grade Services claim


class ToolLti:
    """The tool's registrations (course.yaml `lms.lti`) with its key, and what it does with them."""

    def __init__(self, lti: Lti, private_pem: str, store):
        self.lti, self.store = lti, store
        self._connectors: dict[str, tuple[ServiceConnector, float]] = {}
        public = public_key_pem(private_pem)
        config: dict[str, list[TIssConf]] = {}
        for p in lti.platforms:
            config.setdefault(p.issuer, []).append({
                "default": len(config.get(p.issuer, [])) == 0, "client_id": p.client_id,
                "auth_login_url": p.auth_login_url, "auth_token_url": p.auth_token_url,
                "auth_audience": p.auth_audience, "key_set_url": p.key_set_url, "key_set": None,
                "deployment_ids": list(p.deployment_ids),
            })
        self.conf = ToolConfDict(dict(config))
        for p in lti.platforms:
            self.conf.set_private_key(p.issuer, private_pem, client_id=p.client_id)
            self.conf.set_public_key(p.issuer, public, client_id=p.client_id)

    @property
    def launch_url(self) -> str:
        return self.lti.tool_url + "/lti/launch"

    def jwks(self) -> dict:
        return self.conf.get_jwks()

    def _storage(self) -> StoreLaunchData:
        return StoreLaunchData(self.store)

    def login(self):
        """The response to the LMS's OIDC login initiation: a redirect to its authorisation endpoint."""
        request = FlaskRequest(request_is_secure=True)  # our cookies are always Secure; SameSite=None
        target = request.get_param("target_link_uri") or ""
        if target != self.launch_url:
            raise LaunchError(f"the login asks to launch {target[:200]!r}; this tool launches at {self.launch_url}")
        login = FlaskOIDCLogin(request, self.conf, launch_data_storage=self._storage())
        return login.redirect(self.launch_url)

    def launch(self) -> Launched:
        """The validated launch of this request, or LaunchError with the reason."""
        request = FlaskRequest(request_is_secure=True)
        try:
            launch = _Launch(request, self.conf, launch_data_storage=self._storage(), requests_session=_TimedSession())
            launch.store = self.store
            # aud: checked above. pylti1p3 types these options as bools; PyJWT's "require" is a list.
            launch.set_jwt_verify_options({"verify_aud": False, "require": LAUNCH_REQUIRES})  # type: ignore[dict-item]
            launch.set_public_key_caching(self._storage(), cache_lifetime=600)
            body = launch.get_launch_data()
        except Exception as exc:  # noqa: BLE001 - pylti1p3 raises bare Exception for an unknown client id
            said = str(exc)[:300] or type(exc).__name__
            if "Missing" in said and "cookie" in said or said == "State not found":
                said = ("the launch came without the cookies of its login: it was not started in this browser, "
                        "or the browser blocks cookies in the LMS's frame (open the tool in a new window)")
            raise LaunchError(f"the launch was refused: {said}") from None
        custom, ags = body.get(CUSTOM), body.get(AGS)
        if not isinstance(custom, dict):
            custom = {}
        settings = body.get("https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings")
        instructor = bool(launch.check_teacher_access() or launch.check_teaching_assistant_access()
                          or launch.check_staff_access())
        deep = launch.is_deep_link_launch()
        return Launched(
            platform=f"{body['iss']} {launch.get_client_id()}", user_id=str(body["sub"]),
            name=str(body.get("name") or body.get("given_name") or body.get("email") or body["sub"])[:200],
            email=str(body.get("email") or "")[:200], instructor=instructor, deep_linking=deep,
            exercise=str(custom.get("exercise")) if custom.get("exercise") else None,
            deployment_id=str(body.get(DEPLOYMENT)),
            deep_link_settings=dict(settings) if deep and settings is not None else None,
            ags=ags if isinstance(ags, dict) else None,
        )

    def _registration(self, platform: str):
        issuer, client_id = platform.rsplit(" ", 1)
        registration = self.conf.find_registration_by_params(issuer, client_id)
        if registration is None:
            raise LaunchError(f"no registration for {platform!r} in lms.lti")
        return registration

    def _connector(self, platform: str) -> ServiceConnector:
        """One connector per platform, kept for TOKEN_REUSE_S: it caches its access tokens (an hour
        long by the LTI security framework), so a score post costs one request, not three."""
        made = self._connectors.get(platform)
        if made is None or time.monotonic() - made[1] > TOKEN_REUSE_S:
            made = (ServiceConnector(self._registration(platform), _TimedSession()), time.monotonic())
            self._connectors[platform] = made
        return made[0]

    def forget_tokens(self, platform: str) -> None:
        """After a refused post: the next one asks for a fresh access token."""
        self._connectors.pop(platform, None)

    def deep_link_response(self, platform: str, deployment_id: str, settings: dict,
                           items: list[tuple[str, str, float]]) -> tuple[str, str]:
        """(return URL, signed JWT) placing `items` [(exercise id, title, max points)] in the LMS,
        each an LTI resource link with a line item of its maximum points."""
        resources = []
        for exercise, title, points in items:
            resource = DeepLinkResource().set_url(self.launch_url).set_title(title).set_custom_params(
                {"exercise": exercise})
            resource.set_lineitem(LineItem().set_score_maximum(points).set_label(title).set_resource_id(exercise)
                                  .set_tag(exercise))
            resources.append(resource)
        # The claim the launch stored (Launched.deep_link_settings), back to the library's type.
        link = DeepLink(self._registration(platform), deployment_id, t.cast(TDeepLinkData, settings))
        return settings["deep_link_return_url"], link.get_response_jwt(resources)

    def post_score(self, platform: str, user_id: str, service: dict, exercise: str, title: str,
                   score: float, max_score: float, comment: str) -> None:
        """One score to the LMS's gradebook (AGS); raises on any failure (the queue retries)."""
        # The launch's AGS claim (Launched.ags), back to the library's type.
        ags = AssignmentsGradesService(self._connector(platform), t.cast(TAssignmentsGradersData, service))
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
        grade = (Grade().set_score_given(score).set_score_maximum(max_score).set_user_id(user_id).set_timestamp(now)
                 .set_activity_progress("Completed").set_grading_progress("FullyGraded").set_comment(comment[:1000]))
        lineitem = None
        if not service.get("lineitem"):  # placed without a line item: find or make the exercise's own
            lineitem = LineItem().set_tag(exercise).set_resource_id(exercise).set_score_maximum(max_score).set_label(title)
        try:
            ags.put_grade(grade, lineitem)
        except Exception:
            self.forget_tokens(platform)
            raise
