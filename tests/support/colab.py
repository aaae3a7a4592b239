"""Notebooks run as students run them: real Jupyter kernels (nbclient), among them a stand-in for
Colab's (an IPython kernel whose shell class lives in a `google.colab` package, as Colab's does,
so that Otter takes its Colab path), and what their outputs say."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sys
from pathlib import Path

from autograder.build.setup_cell import SETUP_TAG

CHECK_CALL = re.compile(r"""grader\.check\(\s*["']([^"']+)["']\s*\)""")
PASSED = "All test cases passed!"

STANDIN_SHELL = '''\
from ipykernel.zmqshell import ZMQInteractiveShell


class Shell(ZMQInteractiveShell):
    """Colab's kernel runs a shell of this name: Otter tells Colab by it."""
'''
STANDIN_KERNEL = '''\
from ipykernel.ipkernel import IPythonKernel
from traitlets import Type

from google.colab._shell import Shell


class Kernel(IPythonKernel):
    shell_class = Type(Shell)
'''


class Kernels:
    """Kernel specs in a folder of their own: the Colab stand-in, and plain Jupyter kernels."""

    def __init__(self, root: Path):
        self.root = root
        self.standin = root / "standin"
        colab = self.standin / "google" / "colab"  # `google` stays a namespace package
        colab.mkdir(parents=True)
        (colab / "__init__.py").write_text('"""A stand-in for Colab\'s google.colab package (tests only)."""\n')
        (colab / "_shell.py").write_text(STANDIN_SHELL)
        (colab / "_kernel.py").write_text(STANDIN_KERNEL)
        self.specs = root / "kernels"

    def spec(self, name: str, colab: bool, env: dict | None = None, python: str = sys.executable) -> str:
        argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        env = dict(env or {})
        if colab:
            argv.append("--IPKernelApp.kernel_class=google.colab._kernel.Kernel")
            env["PYTHONPATH"] = str(self.standin)
        folder = self.specs / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "kernel.json").write_text(json.dumps(
            {"argv": argv, "display_name": name, "language": "python", "env": env}))
        return name

    def manager(self, name: str):
        from jupyter_client import AsyncKernelManager
        from jupyter_client.kernelspec import KernelSpecManager

        return AsyncKernelManager(kernel_name=name,
                                  kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(self.specs)]))


async def _execute(kernels: Kernels, kernel: str, nb, cwd: Path, timeout: int = 600):
    from nbclient import NotebookClient

    km = kernels.manager(kernel)
    client = NotebookClient(nb, km=km, timeout=timeout, startup_timeout=180,
                            allow_errors=True, resources={"metadata": {"path": str(cwd)}})
    try:
        await client.async_execute()
    finally:
        # nbclient leaves running a kernel whose manager it was given. Shut down as Jupyter does
        # when a notebook is closed: the kernel exits by itself and its exit handlers run (the
        # set-up cell's clean-up among them), instead of being killed when this process ends.
        if km.has_kernel and await km.is_alive():
            await km.shutdown_kernel()
    return nb


def execute(kernels: Kernels, jobs: list[tuple], parallel: int = 2) -> list:
    """Run (kernel name, notebook, working folder) jobs, `parallel` kernels at a time."""
    async def run_all():
        gate = asyncio.Semaphore(parallel)

        async def one(job):
            async with gate:
                return await _execute(kernels, *job)

        return await asyncio.gather(*(one(job) for job in jobs))

    return asyncio.run(run_all())


def copy_alone(source: Path, folder: Path) -> Path:
    """The notebook copied into an empty folder, named as Colab names a student's copy."""
    folder.mkdir(parents=True)
    target = folder / f"Copy of {source.name}"
    shutil.copy(source, target)
    return target


def text_of(output) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return f"{output.ename}: {output.evalue}"
    return str(output.get("data", {}).get("text/plain", ""))


def errors(nb) -> list[str]:
    return [f"cell {i}: {text_of(o)}" for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.get("outputs", []) if o.output_type == "error"]


def check_results(nb) -> dict[str, bool]:
    """{question: whether its check cell reported success}, for every `grader.check` cell."""
    found = {}
    for cell in nb.cells:
        setup = SETUP_TAG in cell.metadata.get("tags", [])
        match = CHECK_CALL.search(cell.source) if cell.cell_type == "code" and not setup else None
        if match:
            said = "\n".join(text_of(o) for o in cell.outputs)
            assert said.strip(), f"the check cell of {match.group(1)} printed nothing"
            found[match.group(1)] = PASSED in said
    return found


def setup_output(nb) -> str:
    [cell] = [c for c in nb.cells if SETUP_TAG in c.metadata.get("tags", [])]
    return "".join(text_of(o) for o in cell.outputs)


def otter_version() -> str:
    import otter

    return otter.__version__
