"""When a submission was handed in: the time that decides which of a student's hand-ins counts
(`lms.pick: latest`, autograder/export/lms.py), never the time it happened to be graded.

Where the time comes from, first found first:

1. an Otter export zip's own time stamp: `grader.export()` writes it into the zip's name
   (`<notebook>_<YYYY_MM_DDTHH_MM_SS_ffffff>.zip`) and into its `__zip_filename__` member; the
   member first, since it stays when an LMS renames the upload, then the name, then the time
   the zip records for its notebook;
2. the file's modification time (kept by an LMS download, `unzip`, `cp -p`, `rsync -t`);
3. a time column of the roster or of an LMS download (`grade --handed-in CSV`: a column naming
   the file, `submission`/`file`/`filename`/`path`, and a time column, `handed_in_at`/
   `submitted_at`/`submitted`/`timestamp`/`time`, ISO 8601), which overrides both for the files
   it names (`HandInTimes`).

Otter's times are the student's clock without a time zone: they are read as the grading
machine's local time. Every time is written as UTC ISO 8601 with microseconds, so that two
times compare correctly as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.text_files import read_text

OTTER_STAMP = re.compile(r"(\d{4})_(\d{2})_(\d{2})T(\d{2})_(\d{2})_(\d{2})(?:_(\d{1,6}))?")
ZIP_NAME_MEMBER = "__zip_filename__"
MAX_ZIP_NAME = 4096
FILE_COLUMNS = ("submission", "file", "filename", "file_name", "path")
TIME_COLUMNS = ("handed_in_at", "handed_in", "submitted_at", "submitted", "submission_time", "timestamp", "time")


class HandInTimesError(ValueError):
    """The hand-in times file cannot be read: one line naming the file and line."""


def iso(moment: dt.datetime) -> str:
    """`moment` (naive: this machine's local time) as UTC ISO 8601 with microseconds."""
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a naive time is local time
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def otter_stamp(name: str) -> dt.datetime | None:
    """The export time Otter wrote into a zip's name, or None."""
    found = OTTER_STAMP.findall(name)
    if not found:
        return None
    *fields, micro = found[-1]
    try:
        year, month, day, hour, minute, second = map(int, fields)
        return dt.datetime(year, month, day, hour, minute, second, int((micro or "0").ljust(6, "0")))
    except ValueError:  # 2026_13_45T...: not a time
        return None


def zip_time(data: bytes, zip_name: str, notebook_member: str | None) -> tuple[dt.datetime | None, str]:
    """(an Otter export zip's time, where it came from): the stamp in its `__zip_filename__`
    member, else in its file name, else the time the zip records for its notebook."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = {info.filename: info for info in archive.infolist()}
        marker = names.get(ZIP_NAME_MEMBER)
        if marker is not None and marker.file_size <= MAX_ZIP_NAME:
            with archive.open(marker) as f:
                stamp = otter_stamp(f.read(MAX_ZIP_NAME).decode("utf-8", "replace"))
            if stamp is not None:
                return stamp, "the Otter export's own time stamp"
        stamp = otter_stamp(zip_name)
        if stamp is not None:
            return stamp, "the Otter export's file name"
        member = names.get(notebook_member or "")
        if member is not None:
            return dt.datetime(*member.date_time), "the zip's time for its notebook"
    except Exception:  # noqa: BLE001 - a zip that hides its time still has a modification time
        pass
    return None, ""


def modified(path: Path, follow_links: bool) -> dt.datetime:
    info = os.stat(path, follow_symlinks=follow_links)
    return dt.datetime.fromtimestamp(info.st_mtime_ns / 1e9, dt.timezone.utc)


def handed_in_at(path: Path, follow_links: bool, data: bytes | None = None,
                 notebook_member: str | None = None) -> tuple[str | None, str]:
    """(UTC ISO time, where it came from) of the file at `path`; `data` and `notebook_member`
    when it is a zip that was read. (None, "") when no time can be told: a time stamp out of
    any calendar's range (year 0, year 10000) is no time, never an error."""
    try:
        if data is not None:
            stamp, source = zip_time(data, path.name, notebook_member)
            if stamp is not None:
                return iso(stamp), source
        return iso(modified(path, follow_links)), "the file's modification time"
    except (ValueError, OverflowError, OSError):
        return None, ""


@dataclass
class HandInTimes:
    """{file name or path relative to the folder given: UTC ISO time} from a CSV."""

    times: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> "HandInTimes":
        text = read_text(path, HandInTimesError, "hand-in times file")
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            header = [name.strip().lower() for name in next(reader, [])]
            file_col = next((header.index(c) for c in FILE_COLUMNS if c in header), None)
            time_col = next((header.index(c) for c in TIME_COLUMNS if c in header), None)
            if file_col is None or time_col is None:
                raise HandInTimesError(f"{path}, line 1: needs a column naming the file ({', '.join(FILE_COLUMNS)}) "
                                       f"and one with the time ({', '.join(TIME_COLUMNS)})")
            times = {}
            for fields in reader:
                if not any(f.strip() for f in fields):
                    continue
                if len(fields) > len(header):
                    raise HandInTimesError(f"{path}, line {reader.line_num}: {len(fields)} fields, but the header "
                                           f"has {len(header)}")
                name = fields[file_col].strip() if file_col < len(fields) else ""
                value = fields[time_col].strip() if time_col < len(fields) else ""
                try:
                    moment = iso(dt.datetime.fromisoformat(value))
                except (ValueError, OverflowError):
                    raise HandInTimesError(f"{path}, line {reader.line_num}: {value!r} is not a time; write it as "
                                           "ISO 8601, e.g. 2026-01-05T10:00:00+01:00") from None
                if name:
                    times[name] = moment
        except csv.Error as exc:
            raise HandInTimesError(f"{path}, line {reader.line_num}: not a CSV row ({exc})") from None
        return cls(times)

    def time_of(self, file: Path, base: Path) -> str | None:
        """The time given for `file`: by its path under `base`, else by its name."""
        try:
            relative = file.relative_to(base).as_posix()
        except ValueError:
            relative = file.name
        return self.times.get(relative) or self.times.get(file.name)
