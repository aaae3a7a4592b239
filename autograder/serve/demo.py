"""`autograder serve --demo`: the tool and a stand-in LMS (serve/platform.py) on 127.0.0.1,
registered with each other, the course's exercises placed as assignments: what a teacher
needs to see a student's launch, hand-in, feedback and score passback end to end.

The tests start the same pair (`start_pair`), so what the demo shows is what they check.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from dataclasses import dataclass
from typing import Any
from pathlib import Path

from autograder.course import Course, Lti
from autograder.serve.platform import StandInLms, serve_stand_in
from autograder.serve.security import write_new_private_key
from autograder.serve.server import Server, Service


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_lti(course: Course, lti: Lti) -> Course:
    """The course registered with this LMS (course.yaml's `lms.lti`, given here instead)."""
    return course.model_copy(update={"lms": course.lms.model_copy(update={"lti": lti})})


@dataclass
class Pair:
    lms: StandInLms
    lms_server: Any  # waitress's server (waitress has no type information)
    tool: Server
    key_file: Path
    key_folder: Path | None = None  # made for this pair's key (none given): removed at stop

    def stop(self) -> None:
        self.tool.stop()
        self.lms_server.close()
        if self.key_folder is not None:
            shutil.rmtree(self.key_folder, ignore_errors=True)


def start_pair(course: Course, data: Path, workers: int = 1, tool_port: int | None = None,
               lms_port: int | None = None, key_file: Path | None = None, lms: StandInLms | None = None,
               **lti_settings) -> Pair:
    """The stand-in LMS and the tool, each on its own loopback port, started."""
    tool_port, lms_port = tool_port or free_port(), lms_port or free_port()
    tool_url = f"http://127.0.0.1:{tool_port}"
    lms = lms or StandInLms(f"http://127.0.0.1:{lms_port}", tool_url)
    key_folder = lms_server = None
    if key_file is None:  # a key for this run only, in a folder that goes with it (Pair.stop)
        key_folder = Path(tempfile.mkdtemp(prefix="autograder-lti-key-"))
        key_file = key_folder / "tool.pem"
    try:
        if not key_file.exists():
            write_new_private_key(key_file)
        lti = Lti(tool_url=tool_url, private_key_file=str(key_file), platforms=[lms.registration_for_tool()],
                  **lti_settings)
        lms_server = serve_stand_in(lms, lms_port)
        tool = Server(Service(with_lti(course, lti), data, workers), port=tool_port).start()
    except BaseException:
        if lms_server is not None:
            lms_server.close()
        if key_folder is not None:
            shutil.rmtree(key_folder, ignore_errors=True)
        raise
    return Pair(lms, lms_server, tool, key_file, key_folder)


def place_exercises(pair: Pair, course: Course) -> dict[str, str]:
    """{exercise id: link id}: every exercise placed as Deep Linking would, with its points."""
    service = pair.tool.service
    return {e.id: pair.lms.add_link(e.title, {"exercise": e.id}, service.max_points(e.id)) for e in course.exercises}
