"""Grading past one machine: the run step on Dask workers (`autograder grade --cluster`).

    address.py  what --cluster names (tcp://HOST:PORT, local:N, slurm) and the Dask client for it
    runner.py   ClusterRunner: the pipeline's `runner`, sending each run to a Dask worker
    worker.py   runs ON a Dask worker: its sandbox check, its warm pool, the task itself
    plain.py    what crosses: the task (cells, probes, limits, data files) and the run result
                turned into plain data and back
    batch.py    grade_on_cluster: a batch of `grade_batch` with a ClusterRunner

Only the run travels: intake, judging against solutions/, the gradebook and the exports stay
in the process that started the batch. Nothing here is imported by `autograder grade` without
--cluster, so Dask is needed only when a cluster is asked for.
"""
