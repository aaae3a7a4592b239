"""`lms.lti:` in course.yaml: how `autograder serve` is registered with the LMS (LTI 1.3).

The LMS gives the teacher these values when the tool is registered (README, "Grading inside
the LMS"): the platform's issuer, the client id it assigned, the deployment ids, and three
endpoints (OIDC login, OAuth2 token, key set). The tool's own private key stays in a file
outside the repository; only its path is written here.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import PositiveFloat, PositiveInt, field_validator, model_validator

from autograder.course.section import Section
from autograder.paths import REPO_ROOT

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def web_address(url: str, what: str) -> str:
    """An https URL; plain http only on this machine's loopback (the demo and the tests)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{what} must be an https:// URL, not {url!r}")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise ValueError(f"{what} must use https (plain http is only accepted on 127.0.0.1): {url!r}")
    return url.rstrip("/") if what == "tool_url" else url


class Platform(Section):
    """One LMS registration: what the LMS shows the teacher when the tool is added."""

    issuer: str  # `iss` of every launch (Canvas: https://canvas.instructure.com; Moodle: the site URL)
    client_id: str
    deployment_ids: tuple[str, ...]
    auth_login_url: str  # the platform's OIDC authorisation endpoint
    auth_token_url: str  # OAuth2 client-credentials endpoint (score passback)
    key_set_url: str  # the platform's public keys (JWKS)
    auth_audience: str | None = None  # `aud` of the token request, if not auth_token_url

    @field_validator("client_id", "issuer", mode="before")
    @classmethod
    def _text(cls, value):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # Canvas client ids are long numbers
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string")
        return value.strip()

    @field_validator("deployment_ids", mode="before")
    @classmethod
    def _ids(cls, value):
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)) or not value:
            raise ValueError("must list at least one deployment id")
        ids = [str(v).strip() for v in value if not isinstance(v, bool)]
        if len(ids) != len(value) or not all(ids) or len(set(ids)) != len(ids):
            raise ValueError("deployment ids must be distinct non-empty strings")
        return tuple(ids)

    @field_validator("auth_login_url", "auth_token_url", "key_set_url")
    @classmethod
    def _url(cls, value, info):
        return web_address(value, info.field_name)


class Lti(Section):
    """`lms.lti`: the tool's registrations, its key, and what it accepts from a student."""

    tool_url: str  # where the LMS reaches the tool (behind the reverse proxy), e.g. https://grader.example.edu
    private_key_file: str  # the tool's RSA private key (PEM), a file outside the repository
    platforms: tuple[Platform, ...]
    upload_mb: PositiveFloat = 20.0  # the largest hand-in accepted
    uploads_per_hour: PositiveInt = 30  # per student, across exercises
    # Web addresses of the LMS's own pages, which frame the tool (Content-Security-Policy
    # frame-ancestors), e.g. https://school.instructure.com; the platforms' issuer and login
    # addresses are always allowed.
    frame_ancestors: tuple[str, ...] = ()

    @field_validator("tool_url")
    @classmethod
    def _tool_url(cls, value):
        return web_address(value, "tool_url")

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, value):
        return tuple(web_address(v, "frame_ancestors").rstrip("/") for v in value)

    @field_validator("private_key_file")
    @classmethod
    def _outside_repository(cls, value):
        path = Path(value).expanduser()
        if not path.is_absolute():
            raise ValueError(f"the tool's private key must be named by an absolute path outside the repository, "
                             f"not {value!r}")
        if path.resolve().is_relative_to(REPO_ROOT.resolve()):
            raise ValueError(f"the tool's private key {path} lies inside the repository; keep it outside")
        return str(path)

    @model_validator(mode="after")
    def _distinct(self):
        if not self.platforms:
            raise ValueError("platforms: register at least one LMS")
        pairs = [(p.issuer, p.client_id) for p in self.platforms]
        if len(set(pairs)) != len(pairs):
            raise ValueError("platforms: each issuer and client_id pair may be registered once")
        return self
