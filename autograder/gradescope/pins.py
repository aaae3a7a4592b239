"""The versions the Gradescope image installs: those of the environment that built (and
verified) the course, so that the image grades with the numpy, torch, Keras and Otter the
course was checked with, not with whatever the package index offers on the day the image is
built.

`constraints_text()` walks this project's requirements through the installed distributions'
own metadata (importlib.metadata, markers evaluated for this Python) and pins each one found:
`name==version`, one a line, the form `pip install -c constraints.txt` reads."""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

PROJECT = "dl-week1-autograder"
CONSTRAINTS_NAME = "constraints.txt"


def _requirements(dist: metadata.Distribution, extras: set[str]) -> list[Requirement]:
    needed = []
    for text in dist.requires or []:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if req.marker is None or any(req.marker.evaluate({"extra": extra}) for extra in extras | {""}):
            needed.append(req)
    return needed


def pinned_versions(project: str = PROJECT) -> dict[str, str]:
    """{distribution name: installed version} of everything `project` needs, transitively (not
    `project` itself: the bundle ships its source)."""
    return dict(_pinned_versions(project))


@lru_cache(maxsize=None)
def _pinned_versions(project: str) -> tuple[tuple[str, str], ...]:
    # Once a process: reading ~150 distributions' metadata takes seconds, and a build asked again
    # for every exercise. The environment does not change under a running build.
    pins: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = [(project, frozenset())]
    seen = set()
    while todo:
        name, extras = todo.pop()
        key = (canonicalize_name(name), extras)
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional requirement this environment does without
        if canonicalize_name(name) != canonicalize_name(project):
            pins[canonicalize_name(dist.metadata["Name"])] = dist.version
        for req in _requirements(dist, set(extras)):
            todo.append((req.name, frozenset(req.extras)))
    return tuple(pins.items())


def constraints_text(project: str = PROJECT) -> str:
    lines = [f"{name}=={version}" for name, version in sorted(pinned_versions(project).items())]
    return ("# Written by `autograder build` from the environment that built the course: the exact\n"
            "# versions setup.sh installs (pip install -c constraints.txt).\n" + "\n".join(lines) + "\n")
