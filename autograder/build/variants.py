"""Per-student variants: each student's own numbers, rendered into their notebook and signed.

A varying exercise (`varies: true` in course.yaml) has a solution module with
`DEFAULT_VARIANT` (the slides' numbers), `draw_variant(rng)` (sensible numbers only) and
`expected(params)`. Its master notebook writes the numbers as Jinja placeholders,
`{{ w1 }}`, in markdown and given code; the build renders them with the default variant,
and `build --roster` renders one notebook per student with that student's variant.

The variant goes into `metadata.autograder.variant` with an Ed25519 signature made with a key
derived from the course secret, so the grader knows which numbers the student had and detects
a block that was edited or copied from another student's notebook. Graders verify with the
public key alone (autograder/handout.py), which the roster build writes beside course.yaml.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import jinja2
import nbformat
import numpy as np

from autograder import handout
from autograder.exercises import REPO_ROOT
from autograder.settings import env_name, settings

SECRET_ENV = env_name("secret")
SECRET_FILE_ENV = env_name("secret_file")


class VariantError(ValueError):
    """No usable course secret, or a master that cannot be rendered."""


def load_secret(course=None) -> bytes | None:
    """The course secret: $AUTOGRADER_SECRET, or the file $AUTOGRADER_SECRET_FILE or course.yaml
    `secret_file:` names. A file inside the repository is refused: it would be shipped."""
    given = settings()
    if given.secret is not None:
        return given.secret.get_secret_value().encode()
    name = given.secret_file or (course.secret_file if course is not None else None)
    if not name:
        return None
    path = Path(name).expanduser().resolve()
    if path.is_relative_to(REPO_ROOT.resolve()):
        raise VariantError(f"the course secret {path} lies inside the repository; keep it outside")
    try:
        secret = path.read_bytes().strip()
    except OSError as exc:
        raise VariantError(f"the course secret file {path} could not be read: {exc}") from None
    if len(secret) < 16:
        raise VariantError(f"the course secret in {path} is shorter than 16 bytes")
    return secret


def solution_module(exercise_id: str, folder: Path | None = None):
    """The exercise's reference solution, by its folder (the bundled course's by default): the
    same file its checks load, wherever the course lies."""
    from autograder.exercises import EXERCISES_DIR, solution_for

    return solution_for(folder or EXERCISES_DIR / exercise_id)


def has_placeholders(path: Path) -> bool:
    """Whether a notebook's markdown or code holds `{{ ... }}` placeholders to fill."""
    nb = nbformat.read(str(path), as_version=4)
    return any(cell.cell_type in ("markdown", "code") and _templated(cell.source) for cell in nb.cells)


def default_variant(exercise_id: str, folder: Path | None = None) -> dict:
    """The slides' numbers: `DEFAULT_VARIANT` of solutions/<id>.py."""
    params = getattr(solution_module(exercise_id, folder), "DEFAULT_VARIANT", None)
    if not isinstance(params, dict):
        raise VariantError(f"{exercise_id}: its master has placeholders, but solutions/{exercise_id}.py "
                           "defines no DEFAULT_VARIANT (the slides' numbers) to fill them with")
    return params


def draw_for(secret: bytes, exercise: str, student: str, folder: Path | None = None) -> dict:
    """The student's variant: drawn from a seed derived from the secret, so a rebuild repeats it
    and nobody without the secret can predict anyone's numbers."""
    digest = hmac.new(secret, f"variant:{exercise}:{student}".encode(), hashlib.sha256).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "big"))
    params = solution_module(exercise, folder).draw_variant(rng)
    return json.loads(json.dumps(params))  # plain JSON types, exactly as they will be signed


def _templated(source: str) -> bool:
    """Whether a cell holds Jinja: a placeholder `{{ w1 }}` or a block `{% if ... %}`."""
    return "{{" in source or "{%" in source


def render(nb, params: dict, where: str) -> None:
    """Fill the placeholders of every markdown and code cell with `params`, in place."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type in ("markdown", "code") and _templated(cell.source):
            try:
                cell.source = env.from_string(cell.source).render(**params)
            except jinja2.TemplateError as exc:
                raise VariantError(f"{where}, cell {number}: cannot fill the placeholders ({exc})") from None


def render_file(path: Path, params: dict) -> None:
    nb = nbformat.read(str(path), as_version=4)
    render(nb, params, str(path))
    nbformat.write(nb, str(path))


def personalise(student_notebook: Path, exercise: str, student: str, secret: bytes, target: Path,
                folder: Path | None = None) -> dict:
    """Write `target`, the student's own notebook: the build's student version (still holding
    its placeholders) rendered with the student's variant and signed. Returns the variant."""
    params = draw_for(secret, exercise, student, folder)
    nb = nbformat.read(str(student_notebook), as_version=4)
    render(nb, params, str(student_notebook))
    nb.metadata.setdefault("autograder", {})["variant"] = {
        "student": student,
        "params": params,
        "signature": handout.sign(secret, exercise, student, params),
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(target))
    return params
