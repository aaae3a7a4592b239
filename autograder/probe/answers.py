"""Reading the sandbox's replies: JSON and `.npy` only, every size checked, nothing executed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from autograder.sandbox import wire

REPLY_FILE = "answers.json"


@dataclass
class Answer:
    """One probe's reply, decoded into plain Python and numpy values.

    `value` is None, Ellipsis, bool, int, float, complex, str, a numpy array, a list, tuple or
    dict of those, or `wire.Opaque` for an object that is not data. `origin` says which
    Python form the student used (`float`, `ndarray`, `tensor`, `list`, ...). `error` is set
    when there is no value: the name is undefined, the call raised, the reply was unreadable.
    """

    key: str
    value: Any = None
    origin: str = ""
    error: str | None = None
    raised: str | None = None  # exception type name, when the student's function raised

    @property
    def missing(self) -> bool:
        return self.error is not None or self.value is Ellipsis


def _origin(node) -> str:
    if isinstance(node, dict):
        return node.get("from") or node.get("t", "")
    return ""


def decode_answer(key: str, entry, folder: str) -> Answer:
    if not isinstance(entry, dict):
        return Answer(key, error="the sandbox gave no usable reply")
    if entry.get("ok"):
        try:
            return Answer(key, value=wire.decode(entry.get("value"), folder), origin=_origin(entry.get("value")))
        except (Exception, RecursionError) as exc:  # noqa: BLE001 - whatever the sandbox wrote, it is the student's answer that fails
            return Answer(key, error=f"the answer could not be read as data ({str(exc)[:300] or type(exc).__name__})")
    raised = entry.get("raised")
    error = str(entry.get("error", "no value"))[:2000]
    return Answer(key, error=error, raised=str(raised)[:200] if raised else None)


def read_answers(folder: str, keys) -> dict[str, Answer]:
    """Answers for `keys` from the sandbox's output folder; an absent reply is an error answer."""
    path = os.path.join(folder, REPLY_FILE)
    entries: dict = {}
    problem = "the notebook did not run to the end, so nothing could be asked"
    if os.path.isfile(path) and not os.path.islink(path):
        try:
            document = wire.read_json(path)
            entries = document.get("probes", {}) if isinstance(document, dict) else {}
            if not isinstance(entries, dict):
                entries = {}
        except (Exception, RecursionError) as exc:  # noqa: BLE001 - a reply that breaks the format is no reply
            problem = f"the sandbox's reply could not be read ({str(exc)[:300] or type(exc).__name__})"
    return {
        key: decode_answer(key, entries[key], folder) if key in entries else Answer(key, error=problem)
        for key in keys
    }


def answer_in_process(namespace: dict, probes: dict, workdir) -> dict[str, Answer]:
    """`probes` answered from `namespace` by the sandbox's responder in THIS process, in `workdir`
    (where it finds the data files), through the wire format as the sandbox answers: no
    isolation at all, for tests and benchmarks of trusted namespaces only."""
    import json
    import tempfile

    from autograder.probe.requests import encode_requests
    from autograder.sandbox.responder import answer

    document = json.loads(json.dumps(encode_requests(probes)))
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(workdir)
        try:
            answer(namespace, document, folder)
        finally:
            os.chdir(cwd)
        return read_answers(folder, probes)

