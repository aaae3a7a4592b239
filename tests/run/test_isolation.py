"""Nothing shared, nothing forged: graded end to end, each with its status and score.

- No channel between submissions (keyring, System V message queue, semaphore and shared memory,
  POSIX message queue, abstract unix socket): a writer hands the right answer over every
  channel, a reader takes it from any; in one warm batch and across two batches.
- The student's process cannot forge the grader's events: a forged "cell end" ends in `timeout`,
  a flood of forged replies is stopped with a clear status.
- The rlimits fallback: a planter's setsid grandchild never reaches the next submission, and no
  submission reads the grader's secret or solutions/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from autograder.exercises import REPO_ROOT
from support.submissions import EXERCISE, FULL, P, REST, SETUP, SIGMOID, Z, grade, notebook, outcome

pytestmark = pytest.mark.slow  # end to end: many sandboxes or kernels; CI runs them all the same

WITHOUT_P = FULL - 2  # p wrong, and is_fake (p > 0.5) with it


# --------------------------------------------------------------------------- channels

# The writer hands the right p over every channel; it reports, in `refused`, which were refused.
WRITER = r'''
import ctypes, os, socket, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
VALUE = b"0.8205"
refused = {}
def tried(name, result):
    refused[name] = result < 0 and ctypes.get_errno()
tried("keyring", libc.syscall(248, b"user", b"autograder-chan", VALUE, len(VALUE), -4))  # add_key, user keyring
tried("keyring_session", libc.syscall(248, b"user", b"autograder-chan", VALUE, len(VALUE), -3))
q = libc.msgget(0x5A17, 0o1666)
tried("msg_queue", q)
if q >= 0:
    buf = ctypes.create_string_buffer(ctypes.sizeof(ctypes.c_long) + 16)
    ctypes.memmove(ctypes.addressof(buf), ctypes.byref(ctypes.c_long(1)), ctypes.sizeof(ctypes.c_long))
    ctypes.memmove(ctypes.addressof(buf) + ctypes.sizeof(ctypes.c_long), VALUE, len(VALUE))
    libc.msgsnd(q, buf, len(VALUE), 0)
sem = libc.semget(0x5A18, 1, 0o1666)
tried("semaphore", sem)
shm = libc.shmget(0x5A19, 4096, 0o1666)
tried("shared_memory", shm)
if shm >= 0:
    libc.shmat.restype = ctypes.c_void_p
    addr = libc.shmat(shm, None, 0)
    ctypes.memmove(addr, VALUE, len(VALUE))
mq = libc.syscall(240, b"autograder-chan", 0o100 | 2, 0o666, None)  # mq_open(O_CREAT|O_RDWR)
tried("mqueue", mq)
if mq >= 0:
    libc.syscall(242, ctypes.c_int(mq), VALUE, len(VALUE), 0, None)  # mq_timedsend
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind("\0autograder-chan")
listener.listen(8)
if os.fork() == 0:  # a daemon that serves the answer to whoever comes next
    os.setsid()
    if os.fork() == 0:
        end = time.time() + 60
        listener.settimeout(1)
        while time.time() < end:
            try:
                conn, _ = listener.accept()
                conn.sendall(VALUE)
                conn.close()
            except OSError:
                pass
    os._exit(0)
'''

# The reader takes p from whichever channel delivers it.
READER = r'''
import ctypes, socket
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
found = {}
key = libc.syscall(250, 0, -4, b"user", b"autograder-chan", 0)  # keyctl(KEYCTL_SEARCH) in the user keyring
if key >= 0:
    buf = ctypes.create_string_buffer(64)
    n = libc.syscall(250, 11, ctypes.c_long(key), buf, 64)  # KEYCTL_READ
    found["keyring"] = buf.raw[:max(n, 0)]
q = libc.msgget(0x5A17, 0o666)
if q >= 0:
    buf = ctypes.create_string_buffer(ctypes.sizeof(ctypes.c_long) + 16)
    n = libc.msgrcv(q, buf, 16, 0, 0o4000)  # IPC_NOWAIT
    if n > 0:
        found["msg_queue"] = buf.raw[ctypes.sizeof(ctypes.c_long):ctypes.sizeof(ctypes.c_long) + n]
if libc.semget(0x5A18, 1, 0o666) >= 0:
    found["semaphore"] = b"0.8205"  # its mere existence would be a bit across
shm = libc.shmget(0x5A19, 4096, 0o666)
if shm >= 0:
    libc.shmat.restype = ctypes.c_void_p
    found["shared_memory"] = ctypes.string_at(libc.shmat(shm, None, 0), 6)
mq = libc.syscall(240, b"autograder-chan", 2, 0, None)
if mq >= 0:
    buf = ctypes.create_string_buffer(8192)
    n = libc.syscall(243, ctypes.c_int(mq), buf, 8192, None, None)  # mq_timedreceive
    found["mqueue"] = buf.raw[:max(n, 0)]
try:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(2)
    conn.connect("\0autograder-chan")
    found["abstract_socket"] = conn.recv(16)
except OSError:
    pass
def number(raw):
    try:
        return float(raw.split(b"\0")[0])
    except ValueError:
        return None
values = [v for v in map(number, found.values()) if v is not None]
p = values[0] if values else 0.1
'''


def channel_batch(fast_course, folder, warm):
    return grade(fast_course, folder, {"writer": notebook(SETUP, Z, SIGMOID, P, *REST, WRITER),
                                       "reader": notebook(SETUP, Z, SIGMOID, READER, *REST)}, warm)


def test_no_channel_between_jobs_of_one_warm_batch(fast_course, tmp_path, mode):
    results = channel_batch(fast_course, tmp_path, warm=True)
    assert outcome(results, "writer") == ("graded", FULL), results["writer"]["message"]
    assert outcome(results, "reader") == ("graded", WITHOUT_P), results["reader"]["message"]


def test_no_channel_between_two_batches(fast_course, tmp_path, mode):
    first = grade(fast_course, tmp_path / "one", {"writer": notebook(SETUP, Z, SIGMOID, P, *REST, WRITER)}, False)
    assert outcome(first, "writer") == ("graded", FULL), first["writer"]["message"]
    second = grade(fast_course, tmp_path / "two", {"reader": notebook(SETUP, Z, SIGMOID, READER, *REST)}, False)
    assert outcome(second, "reader") == ("graded", WITHOUT_P), second["reader"]["message"]


def test_every_channel_is_refused_at_the_system_call(tmp_path, mode):
    """The writer's side, seen directly: every IPC and keyring call fails with EPERM."""
    from autograder.probe import Var
    from autograder.run import Limits, run_notebook

    result = run_notebook([WRITER], {"refused": Var("refused")}, Limits(cell_timeout=20, total_timeout=60))
    assert result.status == "finished", result.message + result.output[-500:]
    refused = result.answers["refused"].value
    assert refused == {name: 1 for name in ("keyring", "keyring_session", "msg_queue", "semaphore",
                                            "shared_memory", "mqueue")}  # 1: EPERM


# --------------------------------------------------------------------------- forged events

FIND_CHANNEL = (
    "import gc, json, os, signal, time\n"
    "channel = next(o for o in gc.get_objects() if type(o).__name__ == 'Channel' and hasattr(o, 'fd'))\n"
)
FORGED_END = (
    "# FORGE: this cell says it ended, says the next began, and goes on past its limit\n"
    + FIND_CHANNEL
    + "i = CELL\n"
    "os.write(channel.fd, (json.dumps({'e': 'cell', 'i': i, 'phase': 'end', 'status': 'ok', 'seconds': 0.01}) + '\\n'"
    " + json.dumps({'e': 'cell', 'i': i + 1, 'phase': 'start'}) + '\\n').encode())\n"
    "IGNORE\n"
    "deadline = time.time() + 40\n"
    "while time.time() < deadline:\n"
    "    time.sleep(0.05)\n"
)


def forged_end_cells(ignore_interrupt: bool) -> list[str]:
    cells = [SETUP, Z, SIGMOID, P, *REST]
    forger = FORGED_END.replace("CELL", str(len(cells))).replace(
        "IGNORE", "signal.signal(signal.SIGINT, signal.SIG_IGN)" if ignore_interrupt else "pass")
    return cells + [forger, "after = 1"]


FLOOD = (
    "import gc, json, os\n"
    "channel = next(o for o in gc.get_objects() if type(o).__name__ == 'Channel' and hasattr(o, 'fd'))\n"
    # Lines just under the per-line cap that are cheap to parse: the stream cap, not the grader's
    # parsing speed under load, decides (benchmarks/reply_flood.py measures the costly lines).
    "junk = json.dumps({'e': 'reply', 'key': 'x', 'reply': {'ok': True, 'value': 'x' * 1_900_000}})\n"
    "for n in range(200):\n"
    "    os.write(channel.fd, (junk + '\\n').encode())\n"
)


def test_forged_events(fast_course, tmp_path):
    results = grade(fast_course, tmp_path, {
        "forged_end": notebook(*forged_end_cells(False)),
        "forged_end_deaf": notebook(*forged_end_cells(True)),
        "reply_flood": notebook(SETUP, Z, SIGMOID, P, *REST, FLOOD),
    }, warm=False)
    limit = yaml.safe_load(fast_course.read_text())["limits"]["cell_timeout"]
    # Stopped at its limit on the grader's clock: the answers before it and the cell after it count.
    assert outcome(results, "forged_end") == ("timeout", FULL), results["forged_end"]["message"]
    cells = results["forged_end"]["run"]["cells"]
    assert cells[-2]["status"] == "timeout" and cells[-2]["seconds"] >= limit
    assert cells[-1]["status"] == "ok"
    assert "grader's own messages" in results["forged_end"]["message"]
    # One that ignores the interrupt too is killed there, before any probe: nothing to judge.
    assert outcome(results, "forged_end_deaf") == ("timeout", 0.0), results["forged_end_deaf"]["message"]
    assert "did not stop" in results["forged_end_deaf"]["message"]
    # A flood past the cap on what a run may send back is stopped with a clear message.
    assert outcome(results, "reply_flood") == ("crashed", 0.0), results["reply_flood"]["message"]
    assert "sent the grader more than" in results["reply_flood"]["message"]


# --------------------------------------------------------------------------- the rlimits fallback

PLANTER = r'''
import os, time

found_secret, found_solutions = False, None
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            found_secret = found_secret or b"AUTOGRADER_SECRET=" in open(f"/proc/{pid}/environ", "rb").read()
        except OSError:
            pass
try:
    ns = {}
    exec(open(SOLUTION).read(), ns)
    found_solutions = ns.get("P")
except OSError:
    pass
work, tmp = os.getcwd(), os.environ["TMPDIR"]
if os.fork() == 0:  # a grandchild in a session of its own, planting modules for the next job
    os.setsid()
    if os.fork() == 0:
        end = time.time() + 30
        while time.time() < end:
            for folder in (work, tmp, "/tmp", "/dev/shm"):
                try:
                    open(os.path.join(folder, "numpy.py"), "w").write("raise SystemExit('planted')\n")
                except OSError:
                    pass
            time.sleep(0.02)
    os._exit(0)
p = 0.8205 if found_secret else (found_solutions if found_solutions else 0.1)
'''


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_rlimits_victim_after_a_planter(fast_course, tmp_path, monkeypatch, warm):
    monkeypatch.setenv("AUTOGRADER_SANDBOX", "rlimits")
    monkeypatch.setenv("AUTOGRADER_SECRET", "course-secret-of-the-grader")
    planter = PLANTER.replace("SOLUTION", repr(str(REPO_ROOT / "solutions" / f"{EXERCISE}.py")))
    results = grade(fast_course, tmp_path, {
        "planter": notebook(SETUP, Z, SIGMOID, planter, *REST),
        "victim": notebook(SETUP, Z, SIGMOID, P, *REST),
    }, warm=warm)
    assert results["victim"]["run"]["isolation"] == "rlimits"
    assert outcome(results, "planter") == ("graded", WITHOUT_P), results["planter"]["message"]
    assert outcome(results, "victim") == ("graded", FULL), results["victim"]["message"]
    assert not any(Path(f, "numpy.py").exists() for f in ("/tmp", "/dev/shm"))
