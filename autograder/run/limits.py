"""The limits a notebook runs under: time per cell and in all, memory, output, files, processes.

The one Limits of the project: course.yaml's `limits:` (course-wide and per exercise) set these
fields by name (`output_kb` for output_bytes), and the sandbox runs under them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Limits:
    cell_timeout: float = 30.0  # seconds per cell
    total_timeout: float = 180.0  # seconds for the whole run, start-up and probes included
    # Everything the submission holds: its processes, tmpfs and shared-memory files, memfd pages and
    # the kernel memory of its files, through its control group (cgroups.py); and RLIMIT_AS of each
    # process (torch and keras import under 1 GiB).
    memory_mb: int = 4096
    output_bytes: int = 256 * 1024  # stdout+stderr kept; the rest is drained and dropped
    # Seconds per probe (a Call runs student code); None: cell_timeout. A Train probe gets
    # 1.25 * its budget_s on top (total_timeout must leave room for that budget too).
    probe_timeout: float | None = None
    kill_grace: float = 2.0  # seconds after SIGINT before a cell or probe that does not stop is killed
    cpu_seconds: int | None = None  # RLIMIT_CPU; None: total_timeout * (threads + 1) + 10
    file_mb: int = 256  # RLIMIT_FSIZE: largest file the notebook may write
    disk_mb: int = 512  # size of the tmpfs working folder and of /tmp (each; /dev/shm: 256 at most)
    # Files and folders each of those tmpfs may hold (its inode limit): empty files cost no disk_mb,
    # only kernel memory, so a flood of them is stopped here in every mode, with or without a cgroup.
    disk_files: int = 32768
    open_files: int = 1024  # RLIMIT_NOFILE
    # Tasks (processes and threads) of the whole sandbox, through its control group; and
    # RLIMIT_NPROC, against fork bombs. Applied only where the notebook
    # runs under a uid of its own on the host (a root grader: each bubblewrap sandbox and each
    # rlimits job gets a sandbox uid), so no other run shares its count. 0: off.
    processes: int = 1024
    threads: int = 1  # OMP/MKL/OpenBLAS threads, and so torch's intra-op threads
    # CPU cores the whole sandbox may use at most (its control group's quota), so that what one
    # submission starts cannot slow another past its limits. 0: no cap.
    cpus: float = 1.0
    gpu: bool = False  # expose /dev/nvidia* and /sys and lift RLIMIT_AS (CUDA maps huge address space)

    def probe_seconds(self) -> float:
        return self.cell_timeout if self.probe_timeout is None else self.probe_timeout

    def cpu_limit(self) -> int:
        if self.cpu_seconds is not None:
            return int(self.cpu_seconds)
        return int(self.total_timeout * (max(self.threads, 1) + 1)) + 10
