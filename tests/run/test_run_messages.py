"""Every way a run can end, and the exact status and message it gets (autograder/run/messages.py).

`outcome` is pure: no sandbox starts here."""

from __future__ import annotations

import signal

import pytest

from autograder.run.messages import Ending, Outcome, Position, describe_exit, outcome, where

LIMITS = dict(ncells=3, total_timeout=60.0, cell_timeout=5.0, phase_limit=5.0, cpu_limit=130)


def ending(position=Position("after cell", cell=2), **kw) -> Ending:
    return Ending(position=position, **{**LIMITS, **kw})


def test_a_clean_run_is_finished_with_no_message():
    assert outcome(ending(done=True)) == Outcome("finished", "")


@pytest.mark.parametrize("position, text", [
    (Position("starting"), "while starting"),
    (Position("before cells"), "before the first code cell"),
    (Position("cell", cell=0), "during code cell 1"),
    (Position("after cell", cell=1), "after code cell 2"),
    (Position("answers"), "while the grader read its answers"),
    (Position("probe", probe=("call", "f")), "while the grader called `f(...)`"),
    (Position("probe", probe=("train", "build_model")), "while the grader trained the model of `build_model`"),
    (Position("probe", probe=("read", "x")), "while the grader read `x`"),
])
def test_where_the_run_was(position, text):
    assert where(position) == text


def test_the_whole_run_past_its_limit():
    assert outcome(ending(Position("cell", cell=1), stopped="total")) == Outcome(
        "timeout", "The notebook was stopped during code cell 2: the whole run may take at most 60 s.",
        "timeout", "stopped: the whole run went past 60 s")


def test_a_flood_of_messages_is_a_crash_that_keeps_the_answers():
    got = outcome(ending(Position("probe", probe=("read", "x")), stopped="flood", flood="more than 48 MB"))
    assert got == Outcome(
        "crashed", "The notebook sent the grader more than 48 MB of messages while the grader read `x`, more than "
        "any notebook needs, so it was stopped there. The answers received before count.",
        "error", "stopped: the notebook sent the grader too much")


KILLED_CELL = "stopped after 5 s (the limit per cell) and did not respond to the interrupt"


def test_a_cell_that_would_not_stop():
    assert outcome(ending(Position("cell", cell=0), stopped="kill")) == Outcome(
        "timeout", "Code cell 1 ran past the 5 s limit per cell and did not stop when interrupted, so the notebook "
        "was stopped there.", "timeout", KILLED_CELL)


def test_a_probe_that_would_not_stop_names_its_own_limit():
    got = outcome(ending(Position("probe", probe=("train", "build_model")), stopped="kill", phase_limit=80.0))
    assert got.message == ("The notebook was stopped while the grader trained the model of `build_model`: this took "
                           "more than 80 s and did not stop when interrupted.")
    assert got.status == "timeout"


def test_a_gap_that_would_not_stop():
    got = outcome(ending(Position("after cell", cell=0), stopped="kill"))
    assert got.message == ("The notebook was stopped after code cell 1: it stopped answering the grader for longer "
                           "than its limit and did not stop when interrupted.")


@pytest.mark.parametrize("overran, what", [(("cell", 2), "Code cell 3"), (("probe", "q1"), "The probe 'q1'")])
def test_a_phase_that_ran_on_after_a_forged_end(overran, what):
    got = outcome(ending(Position("cell", cell=2), stopped="kill", overran=overran, forged=("a second end of x",)))
    assert got.status == "timeout"
    assert got.message == (
        f"{what} ran past its time limit and did not stop when interrupted, so the notebook was stopped. "
        "The notebook wrote the grader's own messages itself (a second end of x); they were not trusted, "
        "and its time limits were kept on the grader's clock.")


def test_a_sandbox_that_could_not_start_shows_the_end_of_its_output():
    got = outcome(ending(Position("starting"), ready=False, returncode=1, output_tail="  " + "x" * 600 + "\n"))
    assert got == Outcome("crashed", "The sandbox could not start the notebook: it exited with code 1. Output: "
                          + "x" * 500, "error", "the notebook's process ended here: it exited with code 1")
    assert outcome(ending(Position("starting"), ready=False, returncode=None)).message == (
        "The sandbox could not start the notebook: it ended.")


def test_a_crash_in_a_cell_says_the_later_cells_did_not_run():
    got = outcome(ending(Position("cell", cell=1), returncode=-signal.SIGKILL))
    assert got == Outcome(
        "crashed", "The notebook's process ended during code cell 2: it was killed (SIGKILL), most likely for using "
        "too much memory. The cells after it did not run.",
        "error", "the notebook's process ended here: it was killed (SIGKILL), most likely for using too much memory")
    last = outcome(ending(Position("cell", cell=2), returncode=0))
    assert last.message == ("The notebook's process ended during code cell 3: it exited with code 0 (os._exit or a "
                            "library that ended the process).")


def test_a_crash_during_a_probe_keeps_the_earlier_timeout():
    got = outcome(ending(Position("probe", probe=("call", "boom")), returncode=3, timed_out_cells=(0,)))
    assert got.status == "crashed"
    assert got.message == ("The notebook's process ended while the grader called `boom(...)`: it exited with code 3. "
                           "Before that, code cell 1 ran past the 5 s limit per cell.")


@pytest.mark.parametrize("returncode, isolation, text", [
    (-signal.SIGSEGV, "rlimits", "it crashed with a segmentation fault (SIGSEGV)"),
    (128 + signal.SIGSEGV, "bubblewrap", "it crashed with a segmentation fault (SIGSEGV)"),
    (128 + signal.SIGSEGV, "rlimits", "it exited with code 139"),
    (-signal.SIGXCPU, "rlimits", "it used up its CPU time limit of 130 s"),
    (-signal.SIGXFSZ, "rlimits", "it wrote a file over the size limit"),
    (-signal.SIGABRT, "rlimits", "it was aborted (SIGABRT), often a library that ran out of memory"),
    (-signal.SIGTERM, "rlimits", "it was killed by signal SIGTERM"),
    (-200, "rlimits", "it was killed by signal 200"),
])
def test_how_the_process_ended(returncode, isolation, text):
    assert describe_exit(returncode, isolation, 130) == text


def test_cells_stopped_by_their_limit_make_a_timeout_whose_later_cells_still_ran():
    one = outcome(ending(done=True, timed_out_cells=(1,)))
    assert one == Outcome("timeout", "Code cell 2 ran past the 5 s limit per cell and was stopped; the cells after "
                          "it still ran.")
    two = outcome(ending(done=True, timed_out_cells=(0, 2)))
    assert two.message == ("Code cells 1, 3 ran past the 5 s limit per cell and were stopped; the cells after them "
                           "still ran.")
    total = outcome(ending(Position("cell", cell=2), stopped="total", timed_out_cells=(0,)))
    assert total.message == ("The notebook was stopped during code cell 3: the whole run may take at most 60 s. "
                             "Code cell 1 ran past the 5 s limit per cell and was stopped; the cells after it still ran.")


def test_forged_events_make_a_finished_run_a_timeout_and_name_three_of_them():
    forged = ("done before the end", "a reply outside its probe", "a second end of code cell 1", "a fourth")
    got = outcome(ending(done=True, forged=forged))
    assert got == Outcome("timeout", "The notebook wrote the grader's own messages itself (done before the end; a "
                          "reply outside its probe; a second end of code cell 1); they were not trusted, and its "
                          "time limits were kept on the grader's clock.")


def test_forged_events_do_not_turn_a_crash_into_a_timeout():
    got = outcome(ending(Position("cell", cell=0), returncode=-signal.SIGSEGV, forged=("x",)))
    assert got.status == "crashed" and "wrote the grader's own messages" not in got.message
