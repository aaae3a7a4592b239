"""Probe: what the grader asks the sandbox (requests) and how it reads the replies (answers).

Only plain data crosses the sandbox boundary, in both directions: requests are JSON, replies
are JSON plus `.npy` files read with `allow_pickle=False`. The half that runs inside the
sandbox (the responder and the wire format) is in autograder/sandbox/, which the sandbox gets
as a copy: it cannot see this package.
"""

from autograder.probe.requests import Call, Fit, Probe, Train, Var, encode_requests
from autograder.probe.answers import Answer, answer_in_process, read_answers

__all__ = ["Answer", "answer_in_process", "Call", "Fit", "Probe", "Train", "Var", "encode_requests", "read_answers"]
