"""The base of every part of the course model: frozen, and an unknown key is an error that
names the keys there are (a typo in course.yaml must not be silently ignored)."""

from __future__ import annotations

import difflib
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    what: ClassVar[str] = "key"  # what its keys are called in an error message

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data):
        if isinstance(data, dict):
            known = set(cls.model_fields)
            unknown = [k for k in data if k not in known]
            if unknown:
                raise ValueError(unknown_key_message(cls.what, unknown[0], known))
        return data


def unknown_key_message(what: str, key, known) -> str:
    """'unknown key 'exercices' (did you mean 'exercises'?); known: ...': the closest known key
    first, since a typo is the usual cause."""
    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
    guess = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {what} {key!r}{guess}; known: {', '.join(sorted(known))}"


def _identifier(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"{name!r} is not a Python name")
    return name


Identifier = Annotated[str, AfterValidator(_identifier)]
