"""Otter export zips (`grader.export()`): the one notebook inside, read in memory only.

Nothing is extracted to disk. Every way a zip can be broken (truncated, corrupt member,
encrypted, an unknown compression method, a member larger than it claims, a bomb) becomes an
IntakeError with a reason, never an exception that could end the batch.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from autograder.intake.files import IntakeError
from autograder.intake.notebook import MAX_NOTEBOOK_BYTES

MAX_ZIP_MEMBERS = 500
MAX_ZIP_BYTES = 200 * 1024 * 1024
READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def _members(data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        return archive, archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError, NotImplementedError) as exc:
        raise IntakeError(f"not a readable zip file ({str(exc)[:200] or type(exc).__name__})") from None


def _choose(members: list[zipfile.ZipInfo]) -> zipfile.ZipInfo:
    if len(members) > MAX_ZIP_MEMBERS:
        raise IntakeError(f"the zip holds {len(members)} files, over the limit of {MAX_ZIP_MEMBERS}")
    if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
        raise IntakeError("the zip unpacks to more than the size limit")
    for m in members:
        name = PurePosixPath(m.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or ":" in m.filename:
            raise IntakeError(f"the zip holds an unsafe path {m.filename[:200]!r}; refused")
    notebooks = [
        m for m in members
        if m.filename.lower().endswith(".ipynb") and ".ipynb_checkpoints" not in m.filename and not m.is_dir()
    ]
    if not notebooks:
        raise IntakeError("the zip holds no notebook")
    if len(notebooks) > 1:
        # Otter's export holds one notebook at the top; prefer that one.
        top = [m for m in notebooks if "/" not in m.filename.strip("/")]
        if len(top) != 1:
            raise IntakeError(f"the zip holds {len(notebooks)} notebooks; expected one")
        notebooks = top
    return notebooks[0]


def notebook_in_zip(data: bytes) -> tuple[str, bytes]:
    """(member name, bytes) of the one notebook in an Otter export zip."""
    archive, members = _members(data)
    member = _choose(members)
    if member.flag_bits & 0x1:
        raise IntakeError(f"the notebook {member.filename!r} in the zip is encrypted; hand in an unencrypted zip")
    if member.compress_type not in READABLE_METHODS:
        raise IntakeError(f"the notebook in the zip uses compression method {member.compress_type}, "
                          "which cannot be read; zip it again with a standard tool")
    if member.file_size > MAX_NOTEBOOK_BYTES:
        raise IntakeError("the notebook in the zip is over the size limit")
    try:
        with archive.open(member) as f:
            # A member may unpack to more than its header claims: read one byte past the limit.
            content = f.read(MAX_NOTEBOOK_BYTES + 1)
    except Exception as exc:  # noqa: BLE001 - zlib, bz2, lzma and zipfile each raise their own
        raise IntakeError(f"the notebook in the zip is corrupt ({type(exc).__name__}: {str(exc)[:200]})") from None
    if len(content) > MAX_NOTEBOOK_BYTES:
        raise IntakeError("the notebook in the zip unpacks to more than the size limit")
    return member.filename, content
