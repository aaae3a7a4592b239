"""A warm worker: imports the heavy libraries once, then forks a fresh child per submission.

Runs INSIDE the sandbox (bubblewrap or rlimits, exactly as a fresh worker), next to
`worker.py`, and is as self-contained. Starting Python, IPython, numpy, torch and Keras
costs seconds; a fork of a process that already has them costs milliseconds. Each
submission runs in its own forked child through `worker.main`, so nothing it does to its
own memory (patched modules, threads, globals) reaches the next one. What could outlive a
child is cleaned by this process after each job, before it says `clean`:

* every other process of the sandbox is killed (bubblewrap: every process of the pid
  namespace but this one and its init; rlimits for a root grader, `--own-uid`: every process
  of this zygote's own uid, whatever its session, through kill(-1); rlimits for a user: those
  in a job's session or still children of this process), and
* every writable place (the working folder, /tmp, /dev/shm, ...) is emptied, however deep a
  tree a child left there, and gets back the mode, times and extended attributes it had; with
  `--own-uid`, whatever this uid left in the machine's shared folders is removed too.
  Where that fails the zygote says `unclean` and ends: no job runs in a sandbox it has not
  put back as it was.

The zygote itself never runs student code, is not dumpable (so a child running as the same
user cannot ptrace it or read its memory or descriptors), and holds no secret: the grader
sends each job its own pipes over a unix socket, and a child keeps only its own.

Protocol on the socket (`--socket FD`), newline-delimited JSON, with file descriptors:
  zygote -> grader  {"e": "warm", "preloaded": [...], "vm_kb": N}        ready for jobs
  grader -> zygote  {"e": "job", "rlimits": {...}, "env": {...}} + fds [stdin, stdout, events, control]
  zygote -> grader  {"e": "forked", "pid": pid in this namespace}
  zygote -> grader  {"e": "reaped", "status": wait status}
  zygote -> grader  {"e": "clean"}                                       ready for the next
  zygote -> grader  {"e": "unclean", ...}                                and it ends
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import socket
import sys
import time

try:  # inside the sandbox the engine's modules lie side by side
    from emptying import attributes, empty, remove_files_of, restore
except ImportError:  # imported as part of the autograder package (tests, the grader's clean-up)
    from autograder.sandbox.emptying import attributes, empty, remove_files_of, restore

ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))
PR_SET_DUMPABLE = 4
RLIMITS = {"as": resource.RLIMIT_AS, "cpu": resource.RLIMIT_CPU, "fsize": resource.RLIMIT_FSIZE,
           "nofile": resource.RLIMIT_NOFILE, "nproc": resource.RLIMIT_NPROC}


def preload(names: list[str]) -> list[str]:
    """Import what notebooks of this course import, so children start with it in memory."""
    done = []
    for name in names:
        try:
            if name == "matplotlib":
                import matplotlib

                matplotlib.use("Agg")
                import matplotlib.pyplot  # preloaded: importing it is the point
            elif name == "IPython":
                from IPython.core.interactiveshell import InteractiveShell  # noqa: F401
            else:
                __import__(name)
            done.append(name)
        except Exception as exc:  # noqa: BLE001 - a missing library only costs speed
            print(f"[autograder] zygote could not preload {name}: {exc}", file=sys.stderr)
    return done


def vm_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1])
    return 0


def not_dumpable() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def others(rlimits_mode: bool) -> list[int]:
    """Processes to kill after a job. Bubblewrap: every process of the namespace but this one and
    its init. rlimits: those in a job's session or still children of this process."""
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (1, me):
            continue
        pid = int(entry)
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if fields[0] == "Z":  # dead already, waiting for its parent to reap it
                continue
            if rlimits_mode and int(fields[1]) != me and int(fields[3]) not in _job_sessions:
                continue
        except (OSError, IndexError, ValueError):
            continue
        found.append(pid)
    return found


_job_sessions: set[int] = set()


def kill_own_uid() -> None:
    """Every process of this uid but this one: kill(-1) reaches exactly those (the uid is the
    sandbox's alone), and a process forking meanwhile cannot escape it."""
    for _ in range(3):
        try:
            os.kill(-1, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        reap()
        time.sleep(0.01)
    reap()


def kill_others(rlimits_mode: bool) -> bool:
    """Kill them; whether none is left."""
    for _ in range(50):  # processes may fork while they are being killed: repeat until none
        pids = others(rlimits_mode)
        if not pids:
            return True
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        reap()
        time.sleep(0.01)
    return not others(rlimits_mode)


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def send(sock: socket.socket, **message) -> None:
    sock.sendall((json.dumps(message) + "\n").encode())


def child(fds: list[int], limits: dict, env: dict, drop_to: str | None) -> None:
    """In the forked child: become a fresh worker with this job's pipes, limits and environment."""
    stdin, stdout, events, control = fds
    os.setsid()
    os.environ.update({str(k): str(v) for k, v in env.items()})
    os.dup2(stdin, 0)
    os.dup2(stdout, 1)
    os.dup2(stdout, 2)
    os.close(stdin)
    os.close(stdout)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for name, value in limits.items():
        if name in RLIMITS and value:
            _, hard = resource.getrlimit(RLIMITS[name])
            value = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)
            resource.setrlimit(RLIMITS[name], (value, value if name != "cpu" else min(value + 5, hard)
                                               if hard != resource.RLIM_INFINITY else value + 5))
    import worker

    argv = ["worker", "--events", str(events), "--control", str(control)]
    if drop_to:
        argv += ["--drop-to", drop_to]
    worker.main(argv)  # ends with os._exit
    os._exit(0)


def main(argv: list[str]) -> None:
    sock = socket.socket(fileno=int(argv[argv.index("--socket") + 1]))
    writable = argv[argv.index("--writable") + 1].split(":")
    rlimits_mode = "--rlimits" in argv
    own_uid = "--own-uid" in argv
    shared = argv[argv.index("--shared") + 1].split(":") if "--shared" in argv else ["/tmp", "/var/tmp", "/dev/shm"]
    drop_to = argv[argv.index("--drop-to") + 1] if "--drop-to" in argv else None
    if drop_to:
        sys.path.insert(0, ENGINE_DIR)
        import worker

        worker.drop_privileges(int(drop_to))
        drop_to = None  # children inherit the dropped ids
    names = argv[argv.index("--preload") + 1].split(",") if "--preload" in argv else []
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts are for the children
    sys.path.insert(0, ENGINE_DIR)
    import worker
    import responder  # noqa: F401
    import wire  # noqa: F401

    try:
        import trainer  # noqa: F401
    except ImportError:
        pass
    loaded = preload([n for n in names if n])
    if "IPython" in loaded:
        # Built here, in the working folder every job gets, and never touched by a notebook:
        # each child starts with its own copy. Nothing the shell makes here outlives the
        # emptying below (history is off; its profile folder is made again if needed).
        worker.prepare_shell()
    not_dumpable()
    if not all([empty(folder) for folder in writable]):  # what the imports left in /tmp is no job's to see
        os._exit(1)
    before = {folder: attributes(folder) for folder in writable}
    send(sock, e="warm", preloaded=loaded, vm_kb=vm_kb())
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, 4)
        except OSError:
            os._exit(0)
        if not msg:
            os._exit(0)  # the grader is gone
        job = json.loads(msg.decode())
        if job.get("e") != "job" or len(fds) != 4:
            for fd in fds:
                os.close(fd)
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                sock.close()
                child(fds, job.get("rlimits", {}), job.get("env", {}), drop_to)
            finally:
                os._exit(70)
        _job_sessions.add(pid)
        for fd in fds:
            os.close(fd)
        send(sock, e="forked", pid=pid)
        _, status = os.waitpid(pid, 0)
        send(sock, e="reaped", status=status)
        if own_uid:
            kill_own_uid()
            remove_files_of(os.getuid(), shared)
            gone = True
        else:
            gone = kill_others(rlimits_mode)
        _job_sessions.clear()
        emptied = all([empty(folder) and restore(folder, before[folder]) for folder in writable])
        if not (gone and emptied):  # never a job in a sandbox that is not as the first found it
            send(sock, e="unclean", processes_left=not gone, files_left=not emptied)
            os._exit(1)
        send(sock, e="clean")


if __name__ == "__main__":
    main(sys.argv)
