"""Hostile submissions against the run stage, graded end to end in batches: each gets its own
right grade, and the honest submission after it still gets full marks.

- A planter leaves a 3000-deep tree under a package named like a library (`matplotlib/`) in
  its working folder and /tmp, and a message in every place it may write: files in the
  machine's shared folders (/run/lock, ...), extended attributes, times and mode of its own
  folders. Before, the tree survived the zygote's recursive emptying (the next job imported
  the planted package), the grader's own clean-up of a rlimits job raised RecursionError,
  /run/lock was shared by every rlimits job, and the working folder's attributes carried a
  value from one warm job to the next.
- A submission that stops its zygote (SIGSTOP): its answers were deleted with the zygote's
  folder before they were read (a grader exception), after a 15 s wait.
- A cell that forks and whose child goes on as the worker would: its events doubled, the run
  was a `timeout` and lost its answers.
- A cell that leaves an unfinished line on the worker's events pipe: the worker's next event
  was glued to it and lost, and the run `crashed` with nothing to judge. Each event now starts
  on a line of its own.
- A fork bomb that holds every process it may have while another submission runs beside it:
  under bubblewrap every sandbox was `nobody`, whose one RLIMIT_NPROC count they shared, so the
  honest one beside it could start no thread. Each sandbox now has a uid of its own.
"""

from __future__ import annotations

import pytest

from support.courses import course_of_six
from support.resource_attacks import FORK_BOMB as HOLD_EVERY_PROCESS
from support.submissions import FULL, P, REST, SETUP, SIGMOID, Z, grade, notebook, outcome

pytestmark = pytest.mark.slow  # end to end: sandboxes and zygotes

PLANT = r'''
import os
top, tmp = os.getcwd(), os.environ.get("TMPDIR", "/tmp")
for folder in (top, tmp, "/tmp"):
    os.makedirs(os.path.join(folder, "matplotlib"), exist_ok=True)
    with open(os.path.join(folder, "matplotlib", "__init__.py"), "w") as f:
        f.write("raise SystemExit('planted by an earlier submission')\n")
    os.chdir(os.path.join(folder, "matplotlib"))
    for _ in range(3000):  # deeper than any recursive removal goes
        os.mkdir("d")
        os.chdir("d")
    os.chdir(top)
for folder in ("/run/lock", "/var/lock", "/var/tmp", "/tmp", "/dev/shm"):
    try:
        with open(os.path.join(folder, "chan-p"), "w") as f:
            f.write("0.1")
        os.chmod(os.path.join(folder, "chan-p"), 0o644)
    except OSError:
        pass
for folder in (top, tmp):
    for change in (lambda: os.setxattr(folder, "user.chan-p", b"0.1"),
                   lambda: os.utime(folder, ns=(8205 * 10**9, 8205 * 10**9)),
                   lambda: os.chmod(folder, 0o751)):
        try:
            change()
        except OSError:
            pass
'''

# An honest notebook that imports a library and whose p would change if anything reached it.
CANARY = r'''
import os
import matplotlib
heard = []
for folder in ("/run/lock", "/var/lock", "/var/tmp", "/tmp", "/dev/shm"):
    if os.path.exists(os.path.join(folder, "chan-p")):
        heard.append(folder)
for folder in (".", os.environ.get("TMPDIR", "/tmp")):
    st = os.stat(folder)
    try:
        if os.getxattr(folder, "user.chan-p"):
            heard.append("xattr")
    except OSError:
        pass
    if int(st.st_mtime) == 8205 or int(st.st_atime) == 8205 or st.st_mode & 0o777 == 0o751:
        heard.append("attributes")
p = 0.1 if heard else sigmoid(z)
'''

STOP_ZYGOTE = "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)"
FORK = "import os\nchild = os.fork()  # no exit in the child: it goes on as the worker would"
SCRIBBLE = ("import gc, os\n"
            "channel = next(o for o in gc.get_objects() if type(o).__name__ == 'Channel' and hasattr(o, 'fd'))\n"
            "os.write(channel.fd, b'{\"e\": \"cell\", \"i\": 99')  # no end of line")


def test_hostile_submissions_in_one_warm_batch(fast_course, tmp_path, mode):
    results = grade(fast_course, tmp_path, {
        "planter": notebook(SETUP, Z, SIGMOID, P, *REST, PLANT),
        "canary": notebook(SETUP, Z, SIGMOID, CANARY, *REST),
        "stopper": notebook(SETUP, Z, SIGMOID, P, *REST, STOP_ZYGOTE),
        "forker": notebook(SETUP, FORK, Z, SIGMOID, P, *REST),
        "scribbler": notebook(SETUP, SCRIBBLE, Z, SIGMOID, P, *REST),
        "honest": notebook(SETUP, Z, SIGMOID, P, *REST),
    }, warm=True)
    for name in ("planter", "canary", "stopper", "forker", "scribbler", "honest"):
        assert outcome(results, name) == ("graded", FULL), (name, results[name]["message"])
        assert results[name]["run"]["isolation"] == mode
    assert results["forker"]["message"] == ""  # no forged messages: the child never spoke


def test_a_planter_leaves_nothing_for_the_next_fresh_rlimits_job(fast_course, tmp_path, monkeypatch):
    """Without warm workers: the grader removes the planter's folder itself, and its uid's files in
    the machine's shared folders (its private view covers every folder all users may write)."""
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "rlimits")
    results = grade(fast_course, tmp_path, {
        "planter": notebook(SETUP, Z, SIGMOID, P, *REST, PLANT),
        "canary": notebook(SETUP, Z, SIGMOID, CANARY, *REST),
    }, warm=False)
    assert outcome(results, "planter") == ("graded", FULL), results["planter"]["message"]
    assert outcome(results, "canary") == ("graded", FULL), results["canary"]["message"]


HOLD_ON = "import time\ntime.sleep(2.5)"
# Honest work that computes p in a thread of its own, a few seconds into the batch.
WAIT = "import time\ntime.sleep(1.5)"
P_IN_A_THREAD = ("import threading\nbox = []\nworker = threading.Thread(target=lambda: box.append(sigmoid(z)))\n"
                 "worker.start()\nworker.join()\np = box[0]")


@pytest.mark.usefixtures("bwrap")  # rlimits mode gives each job a uid of its own already
def test_a_fork_bomb_beside_an_honest_submission(tmp_path):
    course = course_of_six(tmp_path, {"cell_timeout": 3, "total_timeout": 40, "memory_mb": 2048,
                                       "output_kb": 64, "processes": 64})
    from autograder.course import load_course
    from autograder.batch import grade_batch

    named = {"bomb": notebook(SETUP, HOLD_EVERY_PROCESS, *[HOLD_ON] * 4, Z, SIGMOID, P, *REST),
             "honest": notebook(SETUP, Z, SIGMOID, WAIT, WAIT, P_IN_A_THREAD, *REST)}
    paths = []
    for name, text in named.items():
        (tmp_path / f"{name}.ipynb").write_text(text)
        paths.append(str(tmp_path / f"{name}.ipynb"))
    rows = grade_batch(paths, load_course(course), tmp_path / "out", workers=2, warm=True, progress=False)
    results = {r["student"]: r for r in rows}
    assert outcome(results, "bomb") == ("graded", FULL), results["bomb"]["message"]
    assert outcome(results, "honest") == ("graded", FULL), results["honest"]["message"]


# A cell that runs almost to its limit, then says it ended and that the next began, and runs on:
# before, its clock started again at the forged start, and it ran up to twice its limit.
LATE_FORGER = (
    "import gc, json, os, time\n"
    "time.sleep(2.8)\n"
    "channel = next(o for o in gc.get_objects() if type(o).__name__ == 'Channel' and hasattr(o, 'fd'))\n"
    "i = CELL\n"
    "os.write(channel.fd, (json.dumps({'e': 'cell', 'i': i, 'phase': 'end', 'status': 'ok'}) + '\\n'"
    " + json.dumps({'e': 'cell', 'i': i + 1, 'phase': 'start'}) + '\\n').encode())\n"
    "time.sleep(40)\n"
)


def test_a_forged_end_and_start_late_in_a_cell_do_not_give_it_a_second_limit(fast_course, tmp_path):
    cells = [SETUP, Z, SIGMOID, P, *REST]
    results = grade(fast_course, tmp_path, {
        "late_forger": notebook(*cells, LATE_FORGER.replace("CELL", str(len(cells))), "after = 1"),
    }, warm=True)
    assert outcome(results, "late_forger") == ("timeout", FULL), results["late_forger"]["message"]
    forger, after = results["late_forger"]["run"]["cells"][-2:]
    assert forger["status"] == "timeout" and after["status"] == "ok"
    # Stopped on its own clock (3 s from its genuine start), not at the forged start plus 3 s (5.8 s).
    assert 3.0 <= forger["seconds"] < 5.0, forger
    assert "grader's own messages" in results["late_forger"]["message"]
