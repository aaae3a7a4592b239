"""Which device class this machine trains on: the key of a training task's budget in course.yaml."""

from __future__ import annotations

import os

DEVICE_ENV = "AUTOGRADER_DEVICE"  # "cpu" or "gpu": force the device class


def device_class(cuda_available: bool | None = None) -> str:
    """"gpu" when this machine trains on CUDA, else "cpu".

    AUTOGRADER_DEVICE=cpu (or gpu) forces it, e.g. when the sandbox is not given the GPU.
    """
    forced = os.environ.get(DEVICE_ENV, "").strip().lower()
    if forced in ("cpu", "gpu"):
        return forced
    if cuda_available is None:
        import torch

        cuda_available = bool(torch.cuda.is_available())
    return "gpu" if cuda_available else "cpu"
