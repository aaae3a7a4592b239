"""What a command of the command line said."""

from __future__ import annotations


def the_error(output: str) -> str:
    """The one line a command stopped with (the line saying which course it used aside)."""
    lines = [line for line in output.strip().splitlines() if not line.startswith("course: ")]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in output, output
    return lines[0]
