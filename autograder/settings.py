"""Every environment variable the package reads, in one typed object: `settings()`.

Each variable is declared once below (its name, type, default and meaning); the README's
table of variables is generated from these declarations (`python -m autograder.settings`
prints it, and tests/test_settings.py fails when the README's copy differs).

`settings()` reads the environment each time it is called and caches nothing: the values can
change while the process runs (tests set them with monkeypatch; `cluster/batch.py` sets
AUTOGRADER_DEVICE for the duration of a batch), and reading fifteen names costs microseconds.
A value that is not one of those a variable accepts raises `EnvironmentVariableError`, whose message
names the variable, the value and what it accepts; the command line says it instead of a
traceback (autograder/cli/__init__.py checks the whole environment before any command runs).

Some variables are read in places that cannot import this package: the notebook's own
set-up cell (the student's Python), the sandbox (standard library only), shell scripts. They
are listed in `READ_ELSEWHERE` with the place that reads them, so that the README's table is
still the one list of every variable.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo


class EnvironmentVariableError(ValueError):
    """An environment variable holds a value it does not accept; the message names both."""


class SandboxChoice(StrEnum):
    """AUTOGRADER_SANDBOX: which isolation a notebook gets (run/isolation.py decides per machine)."""

    AUTO = "auto"  # bubblewrap where it works, else the rlimits fallback with a warning
    BUBBLEWRAP = "bubblewrap"  # bubblewrap or an error, never the weaker fallback
    RLIMITS = "rlimits"  # the weaker fallback, asked for by name


class WarmChoice(StrEnum):
    """AUTOGRADER_WARM: whether notebooks run in warm (forked) or fresh workers."""

    AUTO = "auto"  # per preload set, from the measured start-up costs (run/startup.py)
    WARM = "warm"
    COLD = "cold"


class DeviceClass(StrEnum):
    """The device class a training task's budget is chosen by (course.yaml's budget keys)."""

    CPU = "cpu"
    GPU = "gpu"


# Spellings accepted for the switches, as the README has always documented them.
_OFF = ("0", "off", "no", "false")
_ON = ("1", "on", "yes", "true")
_SPELLINGS: dict[str, dict[str, str]] = {
    "sandbox": {"bwrap": "bubblewrap"},
    "warm": {**{s: "cold" for s in _OFF}, **{s: "warm" for s in _ON + ("always",)}},
    "cgroups": {"auto": "1"},
    "device": {"auto": ""},
}


def _variable(name: str, default: Any, accepts: str, meaning: str) -> Any:
    """A field read from the environment variable `name`; `accepts` and `meaning` go to the
    README's table and to the message of a bad value."""
    return Field(default, alias=name, description=meaning, json_schema_extra={"accepts": accepts})


class Settings(BaseModel):
    """The environment of this process, as the package reads it (module docstring)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # -- how notebooks are run
    sandbox: SandboxChoice = _variable(
        "AUTOGRADER_SANDBOX", SandboxChoice.AUTO, "auto, bubblewrap (bwrap), rlimits",
        "Isolation of the notebooks: bubblewrap where it works (auto), bubblewrap or an error, or the "
        "weaker rlimits fallback by name (a Dask worker refuses to grade without bubblewrap unless this says rlimits).")
    cgroups: bool = _variable(
        "AUTOGRADER_CGROUPS", True, "on (1, yes, true, auto), off (0, no, false)",
        "Whether each sandbox gets a control group of its own where the host allows one; off: rlimits only.")
    warm: WarmChoice = _variable(
        "AUTOGRADER_WARM", WarmChoice.AUTO, "auto, warm (1, on, yes, true, always), cold (0, off, no, false)",
        "Warm (forked) workers, fresh workers, or each preload set decided from the measured start-up costs.")
    device: DeviceClass | None = _variable(
        "AUTOGRADER_DEVICE", None, "cpu, gpu, unset (auto)",
        "Forces the device class whose budgets a training task gets; unset: gpu where torch sees CUDA.")
    cache: Path | None = _variable(
        "AUTOGRADER_CACHE", None, "a folder",
        "Where the measured start-up costs are kept (default: $XDG_CACHE_HOME/autograder).")
    xdg_cache_home: Path | None = _variable(
        "XDG_CACHE_HOME", None, "a folder", "The user's cache folder (default ~/.cache), under which AUTOGRADER_CACHE defaults.")
    # -- what grading gives
    figures: bool = _variable(
        "AUTOGRADER_FIGURES", True, "on (1, yes, true), off (0, no, false)",
        "Whether feedback gets its figures; off saves their drawing time on a loaded machine.")
    # -- personal variants
    secret: SecretStr | None = _variable(
        "AUTOGRADER_SECRET", None, "a string",
        "The course secret that signs personal variants (else AUTOGRADER_SECRET_FILE or course.yaml's secret_file).")
    secret_file: Path | None = _variable(
        "AUTOGRADER_SECRET_FILE", None, "a file outside the repository",
        "A file holding the course secret; it is also hidden from every sandbox.")
    # -- the Gradescope bundle (autograder/gradescope/entry.py); each defaults under GRADESCOPE_ROOT
    gradescope_root: Path | None = _variable(
        "GRADESCOPE_ROOT", None, "a folder", "Gradescope's folder (default /autograder).")
    gradescope_submission: Path | None = _variable(
        "AUTOGRADER_SUBMISSION", None, "a folder", "The uploaded files (default ROOT/submission).")
    gradescope_results: Path | None = _variable(
        "AUTOGRADER_RESULTS", None, "a file", "The results.json to write (default ROOT/results/results.json).")
    gradescope_source: Path | None = _variable(
        "AUTOGRADER_SOURCE", None, "a folder",
        "The unpacked bundle (default ROOT/source); the bundle's shell scripts read it too.")
    gradescope_metadata: Path | None = _variable(
        "AUTOGRADER_METADATA", None, "a file", "Gradescope's submission_metadata.json (default ROOT/submission_metadata.json).")
    # -- the test suite
    ci: bool = _variable(
        "CI", False, "true; anything else is off",
        "Set by CI services: a test that needs the sandbox, a browser or a service fails instead of skipping.")

    @field_validator("*", mode="before")
    @classmethod
    def _spelled(cls, value: Any, info) -> Any:
        """Case and surrounding blanks do not matter; an empty value is the default; synonyms
        (`_SPELLINGS`) become the one value the field holds."""
        if not isinstance(value, str) or info.field_name in ("secret",):
            return value
        text = value.strip()
        if info.field_name == "ci":  # CI services set other words too (CI=woodpecker): only "true" counts
            return text.lower() == "true"
        if info.field_name in _PATHS:
            return text or None
        text = text.lower()
        text = _SPELLINGS.get(info.field_name, {}).get(text, text)
        if info.field_name in _OPTIONAL:
            return text or None
        return text or cls.model_fields[info.field_name].default

    @field_validator("secret", mode="before")
    @classmethod
    def _secret(cls, value: Any) -> Any:
        return value or None  # an empty AUTOGRADER_SECRET is no secret (as before: the file is tried)

    # -- what the package asks, beyond the values themselves

    def cache_folder(self) -> Path:
        """Where this machine's measurements are kept."""
        if self.cache is not None:
            return self.cache
        return (self.xdg_cache_home or Path(os.path.expanduser("~")) / ".cache") / "autograder"


def _alias(field: FieldInfo) -> str:
    assert field.alias is not None  # every field is declared by _variable, with its variable's name
    return field.alias


def _accepts(field: FieldInfo) -> str:
    extra = field.json_schema_extra
    return str(extra.get("accepts", "")) if isinstance(extra, dict) else ""


_PATHS = {name for name, field in Settings.model_fields.items() if "Path" in str(field.annotation)}
_OPTIONAL = {name for name, field in Settings.model_fields.items() if field.default is None}
NAMES: tuple[str, ...] = tuple(_alias(field) for field in Settings.model_fields.values())

READ_ELSEWHERE: dict[str, str] = {
    "AUTOGRADER_GRADING": "Set to 1 by the grader in every sandbox; a notebook cell that only explores can skip "
                          "itself when it is set (read by the notebook and by its set-up cell, student_python/student_setup.py).",
    "JPY_SESSION_NAME": "Set by Jupyter Server: the notebook's path, which the set-up cell uses to find the notebook "
                        "it runs in (student_python/student_setup.py, in the student's Python).",
    "AUTOGRADER_PYTHON": "The Python the Gradescope bundle's shell scripts run (gradescope/bundle.py writes them).",
    "AUTOGRADER_VENV": "The virtual environment the Gradescope bundle's setup.sh installs into.",
}


def env_name(field: str) -> str:
    """The environment variable behind a field of Settings (for messages that name it)."""
    return _alias(Settings.model_fields[field])


def settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings now (of `environ`, default this process's environment); EnvironmentVariableError
    when a variable holds a value it does not accept."""
    environ = os.environ if environ is None else environ
    given = {name: environ[name] for name in NAMES if name in environ}
    try:
        return Settings.model_validate(given)
    except ValidationError as exc:
        raise EnvironmentVariableError(_explain(exc, given)) from None


def _explain(exc: ValidationError, given: Mapping[str, str]) -> str:
    fields = {_alias(field): field for field in Settings.model_fields.values()}
    lines = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "?"
        field = fields.get(name)
        accepts = _accepts(field) if field is not None else None
        shown = given.get(name, "")
        shown = shown if len(shown) <= 60 else shown[:60] + "..."
        lines.append(f"{name}={shown!r} is not a value it accepts" + (f": {accepts}" if accepts else ""))
    return "; ".join(lines)


def table() -> str:
    """The README's table of environment variables (Markdown), from the declarations above."""
    rows = ["| variable | accepts | default | what it does |", "|---|---|---|---|"]
    for field in Settings.model_fields.values():
        default = field.default
        shown = "unset" if default is None else ("on" if default is True else "off" if default is False
                                                  else str(default))
        rows.append(f"| `{_alias(field)}` | {_accepts(field)} | {shown} | {field.description} |")
    for name, meaning in READ_ELSEWHERE.items():
        rows.append(f"| `{name}` | (not read by the grader) | | {meaning} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(table())
