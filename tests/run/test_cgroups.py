"""One resource boundary per submission: a control group per sandbox (autograder/run/cgroups.py).

Before, limits were per process (rlimits): forked children, memfd files and tmpfs files of one
submission held several GB under `memory_mb: 1024`; empty files reached millions; 16 spinning
processes in sessions of their own made the honest notebook beside them time out. Here every
such submission is graded, in a warm batch and a fresh one, with its status, its score and what
its control group counted, and the honest notebook beside it or after it gets full marks.

The end-to-end tests need a control group (root, or a delegated cgroup v2 subtree): skipped
where none can be made, failed in CI (CI=true).
"""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
import time

import pytest

from autograder.course.model import LimitOverrides
from autograder.run import cgroup_host, cgroups
from autograder.run.cgroup_host import V1, V2, cgroup_mounts, own_cgroups, own_folder
from autograder.run.cgroups import Cgroup
from autograder.run.limits import Limits
from autograder.run.state import RunState
from autograder.run.warm_worker import PooledJob
from support.courses import course_of_six
from support.environment import missing_here
from support.resource_attacks import ATTACKS, FORK_BOMB, HOLD, HONEST_CPU, SPINNERS
from support.submissions import FULL, P, REST, SETUP, SIGMOID, Z, notebook, outcome

MEMORY_MB = 512
# A control group's peak never passes its limit; the margin is for what the kernel rounds (pages,
# per-CPU charge batches) and is stated in the README.
MARGIN_MB = 16
TASKS = 64
LIMITS = {"cell_timeout": 6, "total_timeout": 60, "memory_mb": MEMORY_MB, "output_kb": 64, "processes": TASKS}


# --------------------------------------------------------------------------- the host's cgroups, read

def test_the_grader_finds_its_own_cgroups_and_the_mounts():
    own = own_cgroups("12:pids:/a\n4:memory:/process_api/x\n1:cpu,cpuacct:/\n0::/user.slice/s.scope\n")
    assert own == {"pids": "/a", "memory": "/process_api/x", "cpu": "/", "cpuacct": "/", "": "/user.slice/s.scope"}
    mountinfo = ("35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
                 "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
                 "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n")
    v2, v1 = cgroup_mounts(mountinfo)
    assert v2 == "/sys/fs/cgroup/unified"
    assert v1["memory"] == "/sys/fs/cgroup/memory" and v1["cpuacct"] == "/sys/fs/cgroup/cpu,cpuacct"


def test_cgroup_v2_limits_and_usage_are_the_kernels_files(tmp_path):
    """cgroup v2 is not mounted with controllers here: its files are written and read in a folder."""
    group = tmp_path / "s1"
    group.mkdir()
    for name in ("memory.max", "memory.swap.max", "memory.oom.group", "pids.max", "cpu.max", "cgroup.procs"):
        (group / name).write_text("")
    for name in ("cgroup.subtree_control", "cpu.weight"):  # the grader's parent folder
        (tmp_path / name).write_text("")
    V2({"": str(tmp_path)}).apply({"": str(group)}, 512 << 20, 64, 1.5)
    assert (tmp_path / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    assert int((tmp_path / "cpu.weight").read_text()) == min(10000, 200 * os.cpu_count())
    assert (group / "memory.max").read_text() == str(512 << 20)
    assert (group / "memory.swap.max").read_text() == "0"
    assert (group / "memory.oom.group").read_text() == "1"
    assert (group / "pids.max").read_text() == "64"
    assert (group / "cpu.max").read_text() == "150000 100000"
    (group / "memory.peak").write_text(str(300 << 20))
    (group / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\n")
    (group / "pids.current").write_text("3\n")
    (group / "pids.peak").write_text("17\n")
    (group / "memory.events").write_text("low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n")
    usage = Cgroup(V2({"": str(tmp_path)}), {"": str(group)}).usage()
    assert usage.as_dict() == {"memory_peak_mb": 300.0, "cpu_seconds": 2.5, "tasks_peak": 17, "oom_kills": 1}


def test_cgroup_v1_hierarchies_mounted_together_share_one_folder(tmp_path):
    """cpu and cpuacct are often one hierarchy (`cpu,cpuacct`): one folder, made once, for both."""
    for name in ("memory", "pids", "cpu,cpuacct"):
        (tmp_path / name).mkdir()
    (tmp_path / "cpu,cpuacct" / "cpu.shares").write_text("")
    found = V1({"memory": str(tmp_path / "memory"), "pids": str(tmp_path / "pids"),
                "cpu": str(tmp_path / "cpu,cpuacct"), "cpuacct": str(tmp_path / "cpu,cpuacct")})
    paths = found.create("s1")
    assert paths["cpu"] == paths["cpuacct"] == str(tmp_path / "cpu,cpuacct" / "s1")
    assert sorted(p.name for p in tmp_path.glob("*/s1")) == ["s1", "s1", "s1"]
    assert int((tmp_path / "cpu,cpuacct" / "cpu.shares").read_text()) == 2048 * os.cpu_count()
    assert own_folder(str(tmp_path / "memory"), "/docker/abc") == str(tmp_path / "memory")  # a container's own


@pytest.mark.parametrize("value, error", [(0.01, "at least 0.05"), (-1, "negative"), ("many", "a number")])
def test_a_cpu_share_in_course_yaml_is_checked(value, error):
    with pytest.raises(ValueError, match=error):
        LimitOverrides(cpus=value)
    assert LimitOverrides(cpus=1.5).over(Limits()).cpus == 1.5
    assert LimitOverrides(cpus=0).over(Limits()).cpus == 0  # no cap
    assert Limits().cpus == 1.0


# --------------------------------------------------------------------------- the supervisor's clock

def test_a_forged_end_and_start_cannot_give_a_cell_a_second_limit():
    """Cell 1 says, just before its limit, that it ended and that cell 2 began, and runs on. It is
    interrupted at its own start plus its limit, not at the forged start of cell 2 plus the limit."""
    state = RunState(3, {}, Limits(cell_timeout=10, total_timeout=100))
    t0 = state.started = 0.0
    state.on_event({"e": "ready"}, t0)
    state.on_event({"e": "cell", "i": 0, "phase": "start"}, t0)
    state.on_event({"e": "cell", "i": 0, "phase": "end", "status": "ok"}, 9.0)  # forged
    state.on_event({"e": "cell", "i": 1, "phase": "start"}, 9.0)  # forged
    assert state.due(9.9) is None
    assert state.next_deadline() == 10.0  # cell 1's own deadline, not 19
    assert state.due(10.0) == "stale"
    assert state.stale_token(10.0) == b"c0\n"  # only the worker that really runs cell 1 stops
    assert state.due(10.1) is None  # said once
    state.on_event({"e": "cell", "i": 0, "phase": "end", "status": "error"}, 10.2)  # the real end
    assert state.forged == ["a second end of code cell 1"]
    assert state.cells[0].status == "timeout" and state.cells[0].seconds == pytest.approx(10.2)
    assert state.cells[1].status == "not run"  # its forged start is forgotten: the real one counts


def test_a_cell_due_just_before_the_running_one_waits_for_its_interrupt():
    """Within the kill grace of the running cell's own deadline: no extra signal, one interrupt."""
    state = RunState(2, {}, Limits(cell_timeout=10, total_timeout=100, kill_grace=2))
    state.started = 0.0
    state.on_event({"e": "ready"}, 0.0)
    state.on_event({"e": "cell", "i": 0, "phase": "start"}, 0.0)
    state.on_event({"e": "cell", "i": 0, "phase": "end", "status": "ok"}, 1.0)
    state.on_event({"e": "cell", "i": 1, "phase": "start"}, 1.0)
    assert state.due(10.5) is None and state.next_deadline() == 11.0
    assert state.due(11.0) == "interrupt" and state.token() == b"c0\nc1\n"


def test_an_honest_run_past_an_earlier_cells_limit_only_gets_a_stale_token():
    state = RunState(2, {}, Limits(cell_timeout=10, total_timeout=100))
    state.started = 0.0
    state.on_event({"e": "ready"}, 0.0)
    state.on_event({"e": "cell", "i": 0, "phase": "start"}, 0.0)
    state.on_event({"e": "cell", "i": 0, "phase": "end", "status": "ok"}, 5.0)
    state.on_event({"e": "cell", "i": 1, "phase": "start"}, 5.0)
    assert state.due(10.0) == "stale" and state.stale_token(10.0) == b"c0\n"
    assert state.due(10.5) is None and state.next_deadline() == 15.0
    assert state.due(15.0) == "interrupt"  # cell 2's own limit
    state.on_event({"e": "cell", "i": 1, "phase": "end", "status": "ok"}, 14.8)
    assert [c.status for c in state.cells] == ["ok", "ok"] and not state.forged


# --------------------------------------------------------------------------- end to end

def require_cgroups() -> None:
    found, why = cgroup_host.backend()
    if found is None:
        missing_here(f"no control group can be made here ({why})",
                     "grade as root or in a delegated cgroup v2 subtree (systemd-run --scope -p Delegate=yes)")


@pytest.fixture
def course(tmp_path, bwrap):
    require_cgroups()
    folder = tmp_path / "course"
    folder.mkdir()
    return course_of_six(folder, LIMITS)


def grade(course, folder, named: dict[str, str], warm: bool, workers: int) -> dict[str, dict]:
    from autograder.batch import grade_batch
    from autograder.course import load_course

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in named.items():
        (folder / f"{name}.ipynb").write_text(text)
        paths.append(str(folder / f"{name}.ipynb"))
    rows = grade_batch(paths, load_course(course), folder / "out", workers=workers, warm=warm, progress=False)
    return {r["student"]: r for r in rows}


HONEST = notebook(SETUP, Z, SIGMOID, P, *REST)
# The honest neighbour: one second of CPU in its fourth cell, of 6 s.
HONEST_BESIDE = notebook(SETUP, Z, SIGMOID, HONEST_CPU, P, *REST)


def attacking(cell: str) -> str:
    """A notebook that attacks before its answers: stopped there, it has nothing to judge."""
    return notebook(SETUP, Z, SIGMOID, cell, P, *REST)


@pytest.mark.slow
@pytest.mark.parametrize("warm", [True, False], ids=["warm", "fresh"])
def test_memory_attacks_stay_within_memory_mb_and_the_next_gets_full_marks(course, tmp_path, warm):
    named = {}
    for name, cell in ATTACKS.items():
        named[name] = attacking(cell)
        named[f"honest_after_{name}"] = HONEST
    results = grade(course, tmp_path / "batch", named, warm=warm, workers=1)
    for name in ATTACKS:
        run = results[name]["run"]
        assert run["boundary"].startswith("cgroup v") and run["isolation"] == "bubblewrap"
        assert run["resources"]["memory_peak_mb"] <= MEMORY_MB + MARGIN_MB, (name, run["resources"])
        if name == "empty_files":
            # Stopped by its /tmp's inode limit (an OSError in its own cell), far below memory_mb.
            # Its /tmp full, the answers written there as files could not be (z, a number, could).
            assert outcome(results, name) == ("graded", 1.0), results[name]["message"]
            assert run["cells"][3]["status"] == "ok" and run["resources"]["oom_kills"] == 0
            assert all("No space left on device" in c["message"] for c in results[name]["checks"] if not c["points"])
        else:
            assert outcome(results, name) == ("crashed", 0.0), results[name]["message"]
            assert f"used more than its {MEMORY_MB} MB of memory during code cell 4" in results[name]["message"]
            assert run["resources"]["oom_kills"] >= 1
        after = results[f"honest_after_{name}"]
        assert outcome(results, f"honest_after_{name}") == ("graded", FULL), after["message"]
        assert after["run"]["warm"] is warm and after["run"]["resources"]["tasks_peak"] >= 1


def _cell_seconds(result: dict, index: int) -> float:
    return result["run"]["cells"][index]["seconds"]


@pytest.mark.slow
@pytest.mark.parametrize("warm", [True, False], ids=["warm", "fresh"])
def test_sixteen_spinners_beside_an_honest_notebook(course, tmp_path, warm):
    """The spinners' sandbox gets its one core; the honest one needs one second of CPU in a cell of
    6 s, and gets its own core, so it keeps its full marks (6/6 alone, 4/6 `timeout` before)."""
    results = grade(course, tmp_path / "batch", {
        "spinners": notebook(SETUP, SPINNERS, HOLD, Z, SIGMOID, P, *REST),
        "honest": HONEST_BESIDE,
    }, warm=warm, workers=2)
    assert outcome(results, "honest") == ("graded", FULL), results["honest"]["message"]
    assert results["honest"]["run"]["cells"][3]["status"] == "ok"
    assert results["honest"]["run"]["resources"]["cpu_seconds"] >= 1.0  # its second of CPU, counted
    assert outcome(results, "spinners") == ("graded", FULL), results["spinners"]["message"]
    spun = results["spinners"]["run"]["resources"]
    assert spun["tasks_peak"] >= 17  # the worker and its 16 spinners, all in its group
    # At most one core: 8 s of spinning on the whole machine's cores would be over 8 s of CPU.
    assert spun["cpu_seconds"] <= results["spinners"]["run"]["seconds"] * 1.1 + 1


@pytest.mark.slow
@pytest.mark.parametrize("warm", [True, False], ids=["warm", "fresh"])
def test_a_fork_bomb_stays_within_its_task_cap_beside_an_honest_notebook(course, tmp_path, warm):
    results = grade(course, tmp_path / "batch", {
        "bomb": notebook(SETUP, FORK_BOMB, HOLD, Z, SIGMOID, P, *REST),
        "honest": HONEST_BESIDE,
    }, warm=warm, workers=2)
    assert outcome(results, "bomb") == ("graded", FULL), results["bomb"]["message"]
    assert results["bomb"]["run"]["resources"]["tasks_peak"] <= TASKS
    assert outcome(results, "honest") == ("graded", FULL), results["honest"]["message"]


# --------------------------------------------------------------------------- clean-up

class FakeZygote:
    isolation, broken = "bubblewrap", False

    def __init__(self):
        self.killed = False

    def message(self, timeout):
        return {"e": "clean"}

    def kill(self):
        self.killed = True


class FakeGroup:
    def __init__(self, empties: bool):
        self.empties, self.removed = empties, False

    def kill(self, timeout=10.0):
        return self.empties

    def remove(self):
        self.removed = True


@pytest.mark.parametrize("empties", [True, False])
def test_a_warm_job_that_leaves_a_process_in_its_group_gets_its_worker_replaced(empties):
    job = PooledJob.__new__(PooledJob)
    job.zygote, job.cgroup, job.stdin = FakeZygote(), FakeGroup(empties), io.BytesIO()
    job.status, job.gone, job.job_pid, job.zygote_pid = 0, False, None, None  # reaped; the zygote said clean
    job.kill_all()
    assert job.zygote.killed is not empties  # the zygote is replaced only when something was left
    assert job.cgroup.removed


def test_a_real_group_is_killed_whole_and_found_empty(tmp_path):
    """Processes in sessions of their own, one of them stopped: all killed at once, the group empty."""
    require_cgroups()
    group = Cgroup.make("t", Limits(memory_mb=256, processes=32))
    try:
        spawn = ("import os, signal, time\n"
                 "for n in range(3):\n"
                 "    if os.fork() == 0:\n"
                 "        os.setsid()\n"
                 "        if n == 0:\n"
                 "            os.kill(os.getpid(), signal.SIGSTOP)\n"
                 "        time.sleep(60)\n"
                 "time.sleep(60)\n")
        proc = subprocess.Popen([sys.executable, "-c", spawn], preexec_fn=group.enter)
        deadline = time.monotonic() + 10
        while len(group.pids()) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(group.pids()) == 4
        assert group.usage().tasks_peak == 4
        assert group.kill() and group.empty()
        proc.wait(timeout=10)
    finally:
        group.kill()
        group.remove()
    assert not any(os.path.exists(p) for p in group.paths.values())


def test_a_parent_folder_removed_meanwhile_is_made_again():
    """A grader in another pid namespace sees this one as gone and may remove its empty folder."""
    require_cgroups()
    found, _ = cgroup_host.backend()
    for parent in set(found.folders.values()):
        cgroup_host._remove_tree(parent)  # the cpu one holds this grader itself (v1): it stays
    assert not os.path.isdir(found.folders.get("memory") or found.folders[""])
    group = Cgroup.make("t", Limits())
    try:
        assert all(os.path.isdir(p) for p in group.paths.values())
    finally:
        group.kill()
        group.remove()


def test_a_grader_that_exits_leaves_no_folder_behind():
    """Its folder in every hierarchy is removed at exit, the cpu one too, where the grader itself
    sits in a leaf of its own (cgroup v1): it leaves that leaf first (else the folder stayed until
    a later grader removed it, ten minutes on)."""
    require_cgroups()
    make = ("from autograder.run.cgroups import Cgroup\n"
            "from autograder.run.limits import Limits\n"
            "from autograder.run import cgroup_host\n"
            "group = Cgroup.make('t', Limits())\n"
            "print(sorted(set(cgroup_host.backend()[0].folders.values())))\n"
            "group.remove()\n")
    done = subprocess.run([sys.executable, "-c", make], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    folders = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert folders and all(os.path.basename(f).startswith("autograder-") for f in folders)
    assert [f for f in folders if os.path.exists(f)] == []


def test_without_a_control_group_the_grader_says_so_once(monkeypatch, caplog):
    """A host that gives the grader none (not root, nothing delegated): said once per batch, and
    each result's run.boundary (and so run.isolation, in pipeline.py) says `no control group`."""
    monkeypatch.setattr(cgroups, "backend", lambda: (None, "no delegation here"))
    monkeypatch.setattr(cgroup_host, "backend", lambda: (None, "no delegation here"))
    cgroup_host.warn_none_once.cache_clear()
    try:
        with caplog.at_level("WARNING"):
            assert Cgroup.make("s", Limits()) is None and Cgroup.make("j", Limits()) is None
        said = [r for r in caplog.records if "no control group can be made here (no delegation here)" in r.getMessage()]
        assert len(said) == 1
        assert cgroup_host.boundary_name() == "no control group"
    finally:
        cgroup_host.warn_none_once.cache_clear()
