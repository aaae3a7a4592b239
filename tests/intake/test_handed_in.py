"""Issue 22: which hand-in counts is decided by when the student handed it in, not by when it
was graded nor by its path: an Otter export zip's own time stamp, else the file's modification
time, else (over both) a time column of a roster or LMS download; ties broken the same way
whatever order the results come in."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from click.testing import CliRunner

from autograder.cli import main
from autograder.export.lms import match_results
from autograder.intake import intake
from autograder.intake.handed_in import HandInTimes, HandInTimesError, iso
from support.submissions import RIGHT, SETUP
from support.cli import the_error

EXERCISE = "sigmoid_probability"
KNOWN = [EXERCISE]


def notebook(*cells: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["autograder"] = {"exercise": EXERCISE}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


def touch(path: Path, seconds: float) -> None:
    ns = int(seconds * 1e9)
    os.utime(path, ns=(ns, ns))


T = dt.datetime(2026, 1, 5, 10, 0, 0, tzinfo=dt.timezone.utc).timestamp()


def test_the_later_hand_in_counts_even_in_the_same_second_and_against_the_path_order(fast_course, tmp_path):
    """A draft (6/6), then a blank (0/6) half a second later: `latest` takes the blank, though
    both were graded in the same second and the draft's path sorts last."""
    data = yaml.safe_load(Path(fast_course).read_text())
    data["lms"] = {"pick": "latest"}
    course = tmp_path / "course.yaml"
    course.write_text(yaml.safe_dump(data))
    (tmp_path / "exercises").symlink_to(Path(fast_course).parent / "exercises")
    ann = tmp_path / "subs" / "ann"
    ann.mkdir(parents=True)
    (ann / "b_draft.ipynb").write_text(notebook(SETUP, *RIGHT))
    (ann / "a_final.ipynb").write_text(notebook(SETUP))
    touch(ann / "b_draft.ipynb", T + 0.2)
    touch(ann / "a_final.ipynb", T + 0.7)
    done = CliRunner().invoke(main, ["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--quiet",
                                     "--course", str(course)])
    assert done.exit_code == 0, done.output
    with open(tmp_path / "out" / "grades.csv", newline="") as f:
        graded = {Path(r["submission"]).name: r for r in csv.DictReader(f)}
    assert float(graded["b_draft.ipynb"]["score"]) == 6.0 and float(graded["a_final.ipynb"]["score"]) == 0.0
    assert graded["a_final.ipynb"]["handed_in_at"] == "2026-01-05T10:00:00.700000+00:00"
    done = CliRunner().invoke(main, ["export", "--to", "csv", "--results", str(tmp_path / "out"),
                                     "--course", str(course), "--out", str(tmp_path / "grades.csv")])
    assert done.exit_code == 0, done.output
    with open(tmp_path / "grades.csv", newline="") as f:
        [row] = list(csv.DictReader(f))
    assert (row["student"], row[EXERCISE]) == ("ann", "0")
    # Told by the LMS that the draft came last, the draft counts.
    times = tmp_path / "times.csv"
    times.write_text("file,submitted_at\nann/b_draft.ipynb,2026-01-05T11:00:00+01:00\n"
                     "a_final.ipynb,2026-01-05T09:59:59Z\n")
    done = CliRunner().invoke(main, ["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out2"), "--quiet",
                                     "--course", str(course), "--handed-in", str(times)])
    assert done.exit_code == 0, done.output
    done = CliRunner().invoke(main, ["export", "--to", "csv", "--results", str(tmp_path / "out2"),
                                     "--course", str(course), "--out", str(tmp_path / "grades2.csv")])
    with open(tmp_path / "grades2.csv", newline="") as f:
        assert list(csv.DictReader(f))[0][EXERCISE] == "6"


def otter_zip(path: Path, stamp: str | None, member_time=(2026, 1, 5, 9, 0, 0)) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        info = zipfile.ZipInfo(f"{EXERCISE}.ipynb", date_time=member_time)
        z.writestr(info, notebook("x = 1"))
        if stamp:
            z.writestr("__zip_filename__", f"{EXERCISE}_{stamp}.zip")
    path.write_bytes(buffer.getvalue())


def test_an_otter_zip_is_timed_by_its_own_stamp_not_by_its_copy(tmp_path):
    """The stamp inside the zip, then the one in its name, then its notebook's time; a copy's
    modification time counts for nothing where the zip says when it was made."""
    local = lambda *a: iso(dt.datetime(*a))  # noqa: E731 - Otter writes the student's wall clock
    otter_zip(tmp_path / "renamed_by_the_lms.zip", "2026_01_05T09_30_00_250000")
    otter_zip(tmp_path / f"{EXERCISE}_2026_01_05T09_45_00_000000.zip", None)
    otter_zip(tmp_path / "plain.zip", None, member_time=(2026, 1, 5, 9, 50, 2))
    for name in ("renamed_by_the_lms.zip", f"{EXERCISE}_2026_01_05T09_45_00_000000.zip", "plain.zip"):
        touch(tmp_path / name, T + 86400)  # copied a day later
    subs = {Path(s.path.split("!")[0]).name: s for s in intake([str(tmp_path)], KNOWN)}
    assert subs["renamed_by_the_lms.zip"].handed_in_at == local(2026, 1, 5, 9, 30, 0, 250000)
    assert subs[f"{EXERCISE}_2026_01_05T09_45_00_000000.zip"].handed_in_at == local(2026, 1, 5, 9, 45)
    assert subs["plain.zip"].handed_in_at == local(2026, 1, 5, 9, 50, 2)
    assert "Otter" in subs["renamed_by_the_lms.zip"].handed_in_from


def test_a_zip_stamp_that_is_no_date_falls_back_to_the_zip_s_own_time(tmp_path):
    otter_zip(tmp_path / "odd.zip", "2026_13_45T99_00_00_0", member_time=(2026, 1, 5, 9, 50, 2))
    [sub] = intake([str(tmp_path / "odd.zip")], KNOWN)
    assert sub.handed_in_at == iso(dt.datetime(2026, 1, 5, 9, 50, 2)) and "notebook" in sub.handed_in_from


def test_an_unreadable_file_still_has_its_hand_in_time(tmp_path):
    (tmp_path / "x.ipynb").write_text("{ not json")
    touch(tmp_path / "x.ipynb", T)
    [sub] = intake([str(tmp_path / "x.ipynb")], KNOWN)
    assert sub.status == "invalid" and sub.handed_in_at == "2026-01-05T10:00:00.000000+00:00"


def result(score, handed_in, submission, graded_at="2026-01-05T12:00:00+00:00"):
    return {"student": "ann", "exercise": EXERCISE, "score": score, "submission": submission, "sha256": submission,
            "handed_in_at": handed_in, "graded_at": graded_at, "status": "graded", "max_score": 6.0}


@pytest.mark.parametrize("pick,want", [("latest", "late.ipynb"), ("best", "early.ipynb")])
def test_the_choice_does_not_depend_on_the_order_of_the_results(pick, want):
    early = result(6.0, "2026-01-05T10:00:00.100000+00:00", "early.ipynb", graded_at="2026-01-05T12:00:09+00:00")
    late = result(0.0, "2026-01-05T10:00:00.900000+00:00", "late.ipynb", graded_at="2026-01-05T12:00:01+00:00")
    for results in ([early, late], [late, early]):
        grades, _ = match_results(results, None, [EXERCISE], pick)
        assert grades["ann"][EXERCISE]["submission"] == want


def test_a_tie_in_hand_in_time_is_broken_the_same_way_every_time():
    same = "2026-01-05T10:00:00.000000+00:00"
    a, b, c = result(2.0, same, "x.ipynb"), result(5.0, same, "a.ipynb"), result(5.0, same, "b.ipynb")
    import itertools

    picked = {match_results(list(order), None, [EXERCISE], "latest")[0]["ann"][EXERCISE]["submission"]
              for order in itertools.permutations([a, b, c])}
    assert picked == {"b.ipynb"}  # the higher score, then the greater path


def test_results_graded_before_hand_in_times_fall_back_to_their_grading_time():
    old = {k: v for k, v in result(6.0, None, "old.ipynb", graded_at="2026-01-01T00:00:00+00:00").items()
           if k != "handed_in_at"}
    new = result(1.0, "2026-01-02T00:00:00.000000+00:00", "new.ipynb")
    assert match_results([new, old], None, [EXERCISE], "latest")[0]["ann"][EXERCISE]["submission"] == "new.ipynb"


@pytest.mark.parametrize("text,words", [
    ("name,when\nx,2026-01-01\n", "line 1: needs a column naming the file"),
    ("file,submitted_at\nx.ipynb,yesterday\n", "line 2: 'yesterday' is not a time"),
    ("file,submitted_at\nx.ipynb,2026-01-01,extra\n", "line 2: 3 fields, but the header has 2"),
    ("file,submitted_at\nx.ipynb,0001-01-01T00:00:00+14:00\n", "line 2: '0001-01-01T00:00:00+14:00' is not a time"),
])
def test_a_malformed_hand_in_times_file_is_one_line_naming_file_and_line(fast_course, tmp_path, text, words):
    times = tmp_path / "times.csv"
    times.write_text(text)
    with pytest.raises(HandInTimesError, match=re.escape(words)):
        HandInTimes.load(times)
    (tmp_path / "subs").mkdir()
    done = CliRunner().invoke(main, ["grade", str(tmp_path / "subs"), "--handed-in", str(times),
                                     "--course", str(fast_course), "--out", str(tmp_path / "out")])
    assert done.exit_code != 0
    line = the_error(done.output)
    assert line.startswith(f"Error: {times}, line ") and words in line, line
