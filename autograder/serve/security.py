"""What keeps the service safe in an LMS frame: keys, session cookies, CSRF, CSP, limits.

- **Keys.** The tool's RSA private key is read from the file `lms.lti.private_key_file` names
  (outside the repository, checked by the course model); its public half is published as a
  JWKS for the LMS. Standalone links are signed with a random key kept in DATA/serve.key (0600).
- **Sessions.** The browser holds one random id in a cookie (`HttpOnly; Secure;
  SameSite=None`, the only kind an LMS iframe on another site may send); everything else stays
  in the store.
- **CSRF.** Every form carries the session's own random token, compared in constant time.
  (Flask-WTF would keep the token in Flask's client-side session cookie; this service has a
  server-side session already, so the synchronizer token is one comparison.)
- **Content-Security-Policy.** No script runs on any page, styles come from the service
  itself, and only the LMS may frame it; student strings are escaped by Jinja's autoescape.
- **Limits.** An upload size (Flask's MAX_CONTENT_LENGTH) and uploads per student per hour,
  counted from the store, so a restart does not reset them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from autograder.export.safe_text import spreadsheet_cell

SESSION_COOKIE = "autograder_session"


class ToolKeyError(ValueError):
    """The tool's key cannot be used (missing, unreadable, not an RSA private key)."""


def read_private_key(path: str | Path) -> str:
    """The tool's private key (PEM text), checked to be an RSA key of at least 2048 bits."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="ascii")
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (OSError, ValueError, TypeError, UnicodeError) as exc:
        raise ToolKeyError(f"the tool's private key {path} could not be read: {str(exc)[:200]}") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ToolKeyError(f"the tool's private key {path} must be an RSA key of 2048 bits or more (LTI 1.3 signs RS256)")
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise ToolKeyError(f"the tool's private key {path} is readable by others; chmod 600 it")
    return text


def public_key_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def write_new_private_key(path: str | Path) -> Path:
    """A fresh RSA key for a registration (`autograder serve --new-key FILE`, the demo, the tests)."""
    path = Path(path).expanduser()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return path


def link_key(data: Path) -> bytes:
    """The random key that signs standalone links, made once per service folder."""
    path = data / "serve.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
    return path.read_bytes()


def _mac(key: bytes, role: str, student: str) -> str:
    digest = hmac.new(key, f"standalone\0{role}\0{student}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def sign_link(key: bytes, role: str, student: str) -> str:
    """The token of a personal standalone link: who it is for, their role, and a MAC."""
    who = base64.urlsafe_b64encode(f"{role}\0{student}".encode()).decode().rstrip("=")
    return f"{who}.{_mac(key, role, student)}"


def open_link(key: bytes, token: str) -> tuple[str, str] | None:
    """(role, student) of a genuine link token, else None."""
    try:
        who, mac = token.split(".", 1)
        role, student = base64.urlsafe_b64decode(who + "=" * (-len(who) % 4)).decode().split("\0", 1)
    except (ValueError, UnicodeError):
        return None
    if role not in ("learner", "instructor") or not hmac.compare_digest(mac, _mac(key, role, student)):
        return None
    return role, student


def csrf_ok(session, sent: str | None) -> bool:
    return bool(session is not None and sent and hmac.compare_digest(session.csrf.encode(), sent.encode()))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(frame_ancestors: list[str], form_targets: Sequence[str] = ()) -> str:
    """No script, no plug-ins, no foreign styles or images; framed only by the LMS; forms post
    only to this service (and to the LMS's deep-linking return address where one is shown)."""
    return "; ".join([
        "default-src 'none'",
        "script-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-src 'self'",  # the attempt's feedback page, with its figures
        "base-uri 'none'",
        "object-src 'none'",
        "form-action " + " ".join(["'self'", *form_targets]),
        "frame-ancestors " + " ".join(["'self'", *frame_ancestors]),
    ])


def cookie_settings() -> dict:
    """How the session cookie is set: the LMS frames the tool from another site, so only
    `SameSite=None; Secure` reaches it; HttpOnly keeps it from any script."""
    return {"httponly": True, "secure": True, "samesite": "None", "path": "/"}


def plain_name(filename: str) -> str:
    """A hand-in's file name as inert text: no folders, no control characters, at most 120 characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name[-120:] or "upload"


def cell(text: str) -> str:
    """A spreadsheet cell that a spreadsheet shows as text, not a formula (export/safe_text.py)."""
    return spreadsheet_cell(str(text))
