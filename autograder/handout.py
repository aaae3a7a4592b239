"""What a roster build handed out: the key that verifies personal variants, and for which exercises.

`build --roster` signs each student's variant block (their own numbers) with an Ed25519 key
derived from the course secret, and writes this record next to course.yaml (or where
course.yaml's `handed_out:` says): the *public* key, the exercises that were personalised and
the students they were made for. The record is public and belongs with the course, so every
grader finds it without being told: once it lists an exercise, a notebook of that exercise
without a valid variant block is `tampered`, with or without `--roster`. Graders and the
Gradescope bundle hold only the public key, which cannot sign a variant.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

RECORD_NAME = "handed_out.json"
FORMAT = 1
MAX_RECORD_BYTES = 4 * 1024 * 1024


class HandoutError(ValueError):
    """A record that cannot be read: grading must not guess whether variants are required."""


def canonical(exercise: str, student: str, params: dict) -> bytes:
    """The signed bytes: the exercise, the student and their numbers, in one fixed order."""
    return json.dumps({"exercise": exercise, "student": student, "params": params}, sort_keys=True).encode()


def signing_key(secret: bytes) -> Ed25519PrivateKey:
    """The course's signing key, derived from its secret (so the teacher keeps one thing only)."""
    seed = hmac.new(secret, b"autograder: ed25519 key for personal variants, v1", hashlib.sha256).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_text(secret: bytes) -> str:
    raw = signing_key(secret).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def sign(secret: bytes, exercise: str, student: str, params: dict) -> str:
    return base64.b64encode(signing_key(secret).sign(canonical(exercise, student, params))).decode()


def verify(public_key: str, signature: str, exercise: str, student: str, params: dict) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(signature, validate=True), canonical(exercise, student, params))
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


@dataclass
class Handout:
    """The record: the public key, and {exercise: [students]} that got personal notebooks."""

    public_key: str | None = None
    exercises: dict[str, list[str]] = field(default_factory=dict)

    def requires_variant(self, exercise: str) -> bool:
        return exercise in self.exercises

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT,
            "about": "written by `autograder build --roster`: personal notebooks were handed out for these "
                     "exercises; their variant blocks are verified with this Ed25519 public key",
            "public_key": self.public_key,
            "exercises": {k: sorted(v) for k, v in sorted(self.exercises.items())},
            "updated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }, indent=2) + "\n"


def record_path(course) -> Path:
    """Where the course keeps its record: course.yaml's `handed_out:` (relative to the course
    file), else handed_out.json beside course.yaml."""
    named = course.handed_out if course is not None else None
    base = Path(course.path).parent if course is not None else Path.cwd()
    return (base / named) if named else base / RECORD_NAME


def parse(text: str, where: str) -> Handout:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise HandoutError(f"{where} is not valid JSON ({str(exc)[:200]})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise HandoutError(f"{where}: not a handed-out record of format {FORMAT}")
    key, exercises = data.get("public_key"), data.get("exercises")
    if not isinstance(key, str) or not isinstance(exercises, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(s, str) for s in v) for k, v in exercises.items()
    ):
        raise HandoutError(f"{where}: needs a public_key and a mapping of exercises to students")
    return Handout(key, {k: list(v) for k, v in exercises.items()})


def load(course=None, path: Path | None = None) -> Handout:
    """The course's record; an empty one (nothing handed out) when there is no file."""
    path = path or record_path(course)
    if not path.exists():
        return Handout()
    try:
        if path.stat().st_size > MAX_RECORD_BYTES:
            raise HandoutError(f"{path} is over {MAX_RECORD_BYTES} bytes")
        return parse(path.read_text(encoding="utf-8"), str(path))
    except OSError as exc:
        raise HandoutError(f"{path} could not be read: {exc}") from None


def write(course, secret: bytes, personalised: dict[str, list[str]]) -> Path:
    """Add `personalised` ({exercise: students}) to the course's record, signed by `secret`'s key.

    A record made with another secret is not merged into: the notebooks it lists could no
    longer be verified, so that is refused rather than silently replaced.
    """
    path = record_path(course)
    current = load(path=path)
    key = public_key_text(secret)
    if current.public_key and current.public_key != key:
        raise HandoutError(f"{path} holds the public key of another course secret; personal notebooks "
                           "handed out with it could no longer be verified. Use the same secret, or move the "
                           "record away if those notebooks are no longer graded.")
    merged = {k: set(v) for k, v in current.exercises.items()}
    for exercise, students in personalised.items():
        merged.setdefault(exercise, set()).update(students)
    record = Handout(key, {k: sorted(v) for k, v in merged.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(record.to_json(), encoding="utf-8")
    os.replace(tmp, path)
    return path


def check_variant(metadata, exercise: str, student: str, handout: Handout) -> tuple[dict | None, str]:
    """(params, "") for a genuine variant block, (None, "") for none where none is required,
    (None, reason) when the notebook must be `tampered`."""
    autograder = metadata.get("autograder") if isinstance(metadata, dict) else None
    block = autograder.get("variant") if isinstance(autograder, dict) else None
    required = handout.requires_variant(exercise)
    if block is None:
        if required:
            return None, ("the notebook has no personal variant block, but personal notebooks were handed out "
                          "for this exercise: hand in the notebook you were given")
        return None, ""
    if not isinstance(block, dict) or not isinstance(block.get("params"), dict):
        return None, "the notebook's variant block is malformed"
    if not handout.public_key:
        return None, ("the notebook carries a personal variant, but this course has no record of personal "
                      f"notebooks ({RECORD_NAME}) to verify it with")
    owner, params, signature = block.get("student"), block["params"], block.get("signature")
    if not isinstance(owner, str) or not isinstance(signature, str) or not verify(
            handout.public_key, signature, exercise, owner, params):
        return None, "the variant's signature does not match its numbers: the variant block was edited"
    if owner != student:
        return None, f"this notebook was made for student {owner!r}, but was handed in by {student!r}"
    return params, ""
