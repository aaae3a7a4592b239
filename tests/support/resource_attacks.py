"""Submissions that attack the machine's resources, for tests/run/test_cgroups.py and
benchmarks/hostile_resources.py: each is a code cell, put into a notebook of the
sigmoid_probability exercise before its answers (so a run stopped there has nothing to judge).

Each holds more than a submission may, in a form a limit per process (rlimits) does not see:
many processes, files in memory, files in its temporary folders, kernel memory, CPU time
spread over many sessions. `HONEST_CPU` is the honest neighbour: one second of CPU in a cell.
"""

from __future__ import annotations

# Children each holding as much as RLIMIT_AS lets one process hold, touched so that it is resident.
FORKED_CHILDREN = r'''
import os, time
for _ in range(8):
    if os.fork() == 0:
        held = []
        try:
            while True:
                held.append(b"x" * (32 << 20))
        except MemoryError:
            pass
        time.sleep(60)
        os._exit(0)
time.sleep(5)
'''

# In-memory files (memfd_create): pages no process maps, 48 of 64 MB.
MEMFD_FILES = r'''
import os
chunk = b"m" * (1 << 20)
files = []
for n in range(48):
    fd = os.memfd_create(f"held{n}")
    files.append(fd)
    for _ in range(64):
        os.write(fd, chunk)
'''

# Files with data in every tmpfs it may write, each up to its size (disk_mb), until one is full.
TMPFS_FILES = r'''
import os
chunk = b"t" * (1 << 20)
for folder in (os.environ.get("TMPDIR", "/tmp"), "/dev/shm", os.getcwd()):
    n = 0
    try:
        while True:
            with open(os.path.join(folder, f"fill{n}"), "wb") as f:
                for _ in range(16):
                    f.write(chunk)
            n += 1
    except OSError:
        pass
'''

# Empty files: no data, only inodes and directory entries (kernel memory), for up to 5 s.
EMPTY_FILES = r'''
import os, time
folder = os.path.join(os.environ.get("TMPDIR", "/tmp"), "flood")
os.makedirs(folder, exist_ok=True)
made, stop = 0, time.monotonic() + 5
try:
    while time.monotonic() < stop:
        for _ in range(1000):
            os.close(os.open(os.path.join(folder, str(made)), os.O_CREAT | os.O_WRONLY, 0o600))
            made += 1
except OSError:
    pass
'''

# A fork bomb that keeps every process it can make (and goes on: HOLD keeps them a while).
FORK_BOMB = r'''
import os, time
held = 0
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    held += 1
'''

# 16 processes, each in a session of its own, spinning; the notebook goes on while they spin.
SPINNERS = r'''
import os, time
for _ in range(16):
    if os.fork() == 0:
        os.setsid()
        while True:
            pass
time.sleep(4)
'''
HOLD = "import time\ntime.sleep(4)"

# The honest neighbour's cell: one second of CPU (its own process's), then done.
HONEST_CPU = r'''
import time
spent = time.process_time()
while time.process_time() - spent < 1.0:
    sum(range(1000))
'''

ATTACKS = {"forked_children": FORKED_CHILDREN, "memfd_files": MEMFD_FILES, "tmpfs_files": TMPFS_FILES,
           "empty_files": EMPTY_FILES}
