"""Which device class this machine trains on: the key of a training task's budget in course.yaml."""

from __future__ import annotations

from autograder.settings import env_name, settings

DEVICE_ENV = env_name("device")  # "cpu" or "gpu": force the device class


def device_class(cuda_available: bool | None = None) -> str:
    """"gpu" when this machine trains on CUDA, else "cpu".

    AUTOGRADER_DEVICE=cpu (or gpu) forces it, e.g. when the sandbox is not given the GPU.
    """
    forced = settings().device
    if forced is not None:
        return str(forced)
    if cuda_available is None:
        import torch

        cuda_available = bool(torch.cuda.is_available())
    return "gpu" if cuda_available else "cpu"
