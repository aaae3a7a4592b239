"""Grade import files for learning management systems: Canvas, Moodle, and a plain CSV.

Every file has one row per student of the roster and one column per exercise. Students are
matched through the roster (`autograder.intake.Roster`: a `student` column and any alias
column: id, login, username, email, name, sis_login_id, sis_user_id). A roster student
without a submission gets an empty cell, never a zero: an empty cell leaves the LMS grade
as it was. Submissions whose student is not in the roster, or whose exercise is not one of
the course's, are listed in the returned `Export.unmatched`, and written nowhere.

Canvas (Gradebook > Import): columns `Student, ID, SIS User ID, SIS Login ID, Section`, then
one column per assignment, and a second row `Points Possible` with each assignment's points.
A column titled `Name (1234)` updates the existing Canvas assignment with id 1234; a title
without an id makes Canvas create a new assignment. Titles come from
`lms.canvas.assignments` in course.yaml ({exercise id: title}), else the exercise's title.

Moodle (Grades > Import > CSV file): one identifier column (`Email address`, `Username` or
`ID number`, from `lms.moodle.identifier`), which the import maps to the user's email,
username or ID number, then one column per grade item, titled from `lms.moodle.items`
({exercise id: item name}) or the exercise's title.

Plain CSV: `student, name`, one column per exercise id, `total`.

When a student has several submissions of one exercise, `lms.pick` decides: `best`
(default: the highest score) or `latest` (the one handed in last, by its `handed_in_at`:
see autograder/intake/handed_in.py). Ties are broken the same way whatever order the results
come in: `latest` takes, of hand-ins of the same time, the higher score, then the greater
submission path; `best` takes, of equal scores, the later hand-in, then the greater path.
The settings are the course model's (`course.lms`, validated when course.yaml is read).

Every cell is written through export/safe_text.py: a name, an e-mail or a title that a
spreadsheet would read as a formula arrives as text; grades stay numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from autograder.export.files import write_csv
from autograder.intake.roster import Roster
from autograder.record import Result, results_of

FORMATS = ("canvas", "moodle", "csv")
CANVAS_FIXED = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
PLAIN_FIXED = ("student", "name")  # then one column per exercise id, then PLAIN_TOTAL
PLAIN_TOTAL = "total"
CANVAS_POINTS_ROW = "    Points Possible"  # Canvas writes it indented; its importer trims it
MOODLE_IDENTIFIERS = {
    # setting: (column header, roster columns tried in order)
    "email": ("Email address", ("email", "email_address")),
    "username": ("Username", ("username", "login", "sis_login_id")),
    "idnumber": ("ID number", ("idnumber", "id_number", "sis_user_id", "id")),
}


class ExportError(ValueError):
    """The export cannot be written as asked (unknown format, missing roster, bad setting)."""


@dataclass
class Unmatched:
    student: str
    exercise: str | None
    submission: str
    reason: str


@dataclass
class Export:
    path: Path
    format: str
    rows: int = 0
    unmatched: list[Unmatched] = field(default_factory=list)
    without_submission: list[str] = field(default_factory=list)  # roster students with no grade at all
    skipped: list[str] = field(default_factory=list)  # roster students the format cannot identify


# --------------------------------------------------------------------------- reading results

# A JSON file that holds none of these keys is some other document (similarity.json), not a result.
RESULT_KEYS = ("submission", "student", "status", "score")


def load_results(path: str | Path) -> list[Result]:
    """The results in a `grade` output folder (its gradebook, else its JSON files), a gradebook
    file, a folder of result JSON files, or one JSON file. A result file or row that cannot be
    read (malformed, edited by hand) is a result of status `error` whose message names it."""
    path = Path(path)
    if path.is_file() and path.suffix in (".sqlite", ".db"):
        from autograder.record import Gradebook

        with Gradebook(path) as book:
            return book.results()
    if path.is_dir() and (path / "gradebook.sqlite").is_file():
        return load_results(path / "gradebook.sqlite")
    if path.is_dir():
        folder = path / "results" if (path / "results").is_dir() else path
        files = sorted(folder.glob("*.json"))
    elif path.is_file():
        files = [path]
    else:
        raise ExportError(f"no results at {path}")
    results = []
    for file in files:
        try:
            text = file.read_bytes()
        except OSError:
            continue  # gone since it was listed
        try:
            data = json.loads(text)
        except ValueError:  # not JSON (truncated, not UTF-8): an `error` result that says so
            results.append(Result.parse(text, str(file)))
            continue
        if isinstance(data, dict) and not any(key in data for key in RESULT_KEYS):
            continue  # another document beside the results (similarity.json)
        results.append(Result.read(data, str(file)))
    return results


# --------------------------------------------------------------------------- matching

def _row(row: dict, *names: str) -> str:
    """The first non-empty value among roster columns `names` (headers like 'SIS User ID'
    and 'sis_user_id' are the same column)."""
    norm = {k.strip().lower().replace(" ", "_").replace("-", "_"): v for k, v in row.items()}
    return next((norm[n].strip() for n in names if (norm.get(n) or "").strip()), "")


def handed_in(result: Result) -> str:
    """When the submission was handed in (UTC ISO 8601, comparable as text); results graded
    before hand-in times were recorded fall back to their grading time."""
    return result.handed_in_at or result.graded_at


def _rank(result: Result, pick: str) -> tuple:
    tail = (result.submission, result.sha256)
    score = float(result.score) if result.score == result.score else 0.0  # NaN ranks as no points
    if pick == "latest":
        return (handed_in(result), score, *tail)
    return (score, handed_in(result), *tail)


def _better(a: Result, b: Result, pick: str) -> Result:
    """The one of two results of a student and exercise that counts (see the module's text)."""
    return b if _rank(b, pick) > _rank(a, pick) else a


def match_results(results: list[Result], roster: Roster | None, exercises: list[str],
                  pick: str = "best") -> tuple[dict[str, dict[str, Result]], list[Unmatched]]:
    """({student id: {exercise id: chosen result}}, unmatched submissions)."""
    if pick not in ("best", "latest"):
        raise ExportError(f"lms.pick must be 'best' or 'latest', not {pick!r}")
    grades: dict[str, dict[str, Result]] = {}
    unmatched: list[Unmatched] = []
    for r in results_of(results):
        exercise, student = r.exercise, r.student
        if exercise not in exercises:
            why = f"exercise {exercise!r} is not in the course" if exercise else "the notebook names no exercise"
            unmatched.append(Unmatched(student, exercise, r.submission, why))
            continue
        sid = roster.match(student) if roster is not None else (student or None)
        if sid is None:
            unmatched.append(Unmatched(student, exercise, r.submission, "student not in the roster"))
            continue
        mine = grades.setdefault(sid, {})
        mine[exercise] = _better(mine[exercise], r, pick) if exercise in mine else r
    return grades, unmatched


def _num(x) -> str:
    return f"{round(float(x), 4):g}"


def _max_scores(course, results: list[Result]) -> dict[str, float | None]:
    """The points each exercise is worth: from the results, else from its checks."""
    out: dict[str, float | None] = {}
    for ex in course.exercises:
        seen = [float(r.max_score) for r in results if r.exercise == ex.id and r.max_score > 0]
        if seen:
            out[ex.id] = max(seen)
            continue
        try:
            from autograder.exercises import load_checks

            out[ex.id] = float(sum(c.points for c in load_checks(ex))) or None
        except Exception:  # noqa: BLE001 - an exercise without checks yet has no points to state
            out[ex.id] = None
    return out


def _titles(course, section: str) -> dict[str, str]:
    """{exercise id: column title} from `lms.canvas.assignments` / `lms.moodle.items`, else the title."""
    named = course.lms.canvas.assignments if section == "canvas" else course.lms.moodle.items
    return {ex.id: str(named.get(ex.id) or ex.title or ex.id) for ex in course.exercises}


# --------------------------------------------------------------------------- writers

def _cell(grades: dict[str, dict[str, Result]], sid: str, exercise: str) -> str:
    result = grades.get(sid, {}).get(exercise)
    return "" if result is None else _num(result.score or 0)


def write_canvas_csv(results: list[Result], roster: Roster | None, course, path: Path) -> Export:
    if roster is None:
        raise ExportError("a Canvas import needs a roster (--roster) with the students' Canvas or SIS ids")
    results = results_of(results)  # results, or result documents (a script's, a test's)
    ids = course.ids
    grades, unmatched = match_results(results, roster, ids, course.lms.pick)
    titles, most = _titles(course, "canvas"), _max_scores(course, results)
    rows = [list(CANVAS_FIXED) + [titles[i] for i in ids],
            [CANVAS_POINTS_ROW, "", "", "", ""] + ["" if most[i] is None else _num(most[i]) for i in ids]]
    export = Export(Path(path), "canvas", unmatched=unmatched)
    for row in roster.rows:
        sid = row["student"]
        rows.append([
            _row(row, "name", "student_name", "full_name") or sid,
            _row(row, "canvas_id", "canvas_user_id", "id"),
            _row(row, "sis_user_id"),
            _row(row, "sis_login_id", "login", "username"),
            _row(row, "section"),
        ] + [_cell(grades, sid, i) for i in ids])
        export.rows += 1
        if sid not in grades:
            export.without_submission.append(sid)
    write_csv(export.path, rows)
    return export


def write_moodle_csv(results: list[Result], roster: Roster | None, course, path: Path) -> Export:
    if roster is None:
        raise ExportError("a Moodle import needs a roster (--roster) with the students' emails or usernames")
    header, columns = MOODLE_IDENTIFIERS[course.lms.moodle.identifier]  # one of them: the course model says so
    results = results_of(results)  # results, or result documents (a script's, a test's)
    ids = course.ids
    grades, unmatched = match_results(results, roster, ids, course.lms.pick)
    titles = _titles(course, "moodle")
    rows = [[header] + [titles[i] for i in ids]]
    export = Export(Path(path), "moodle", unmatched=unmatched)
    for row in roster.rows:
        sid, key = row["student"], _row(row, *columns)
        if not key:
            export.skipped.append(sid)
            continue
        rows.append([key] + [_cell(grades, sid, i) for i in ids])
        export.rows += 1
        if sid not in grades:
            export.without_submission.append(sid)
    write_csv(export.path, rows)
    return export


def write_plain_csv(results: list[Result], roster: Roster | None, course, path: Path) -> Export:
    results = results_of(results)  # results, or result documents (a script's, a test's)
    ids = course.ids
    grades, unmatched = match_results(results, roster, ids, course.lms.pick)
    rows = [list(PLAIN_FIXED) + ids + [PLAIN_TOTAL]]
    export = Export(Path(path), "csv", unmatched=unmatched)
    people = [(r["student"], _row(r, "name")) for r in roster.rows] if roster is not None else [(s, "") for s in sorted(grades)]
    for sid, name in people:
        cells = [_cell(grades, sid, i) for i in ids]
        total = _num(sum(float(c) for c in cells if c)) if any(cells) else ""
        rows.append([sid, name] + cells + [total])
        export.rows += 1
        if sid not in grades:
            export.without_submission.append(sid)
    write_csv(export.path, rows)
    return export


WRITERS = {"canvas": write_canvas_csv, "moodle": write_moodle_csv, "csv": write_plain_csv}


def export_grades(fmt: str, results: list[Result], roster: Roster | None, course, path: str | Path) -> Export:
    if fmt not in WRITERS:
        raise ExportError(f"unknown export format {fmt!r}; known: {', '.join(FORMATS)}")
    return WRITERS[fmt](results, roster, course, Path(path))
