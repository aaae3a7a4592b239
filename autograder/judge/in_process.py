"""A check judged in this process, on a namespace that trusted code (or Otter's kernel) holds.

The grader's own path asks the sandbox (run/, probe/); this one asks the sandbox's own responder
and wire format in this process, and judges the answers exactly as the grader does. Used where the
namespace is already at hand: the hidden Otter tests in the notebook's kernel
(autograder/otter_kernel/judge.py), the corpus of typical mistakes (judge/mistakes.py), and the
tests teachers write (autograder/testing.py).
"""

from __future__ import annotations

import json
import tempfile

import numpy as np

from autograder.judge.variant import using_variant

# Where judge.mistakes.run_mistake leaves the cells it ran and their outcomes in the namespace, for the
# checks to say why an answer is missing (no notebook name starts with a NUL).
RUN_KEY = "\0cells"


def judge_in_process(checks, namespace: dict, seed: int = 0, params: dict | None = None) -> dict:
    """{check name: Verdict} for `namespace`, answered by the sandbox's own responder and wire
    format in this process (trusted code only), judged as the grader judges."""
    from autograder.probe import encode_requests, read_answers
    from autograder.sandbox.responder import answer

    rng = np.random.default_rng(seed)
    with using_variant(params):  # probes may depend on the student's numbers, as in the pipeline
        asked = {c.name: c.probes(rng) for c in checks}
    flat = {f"{name}/{key}": probe for name, probes in asked.items() for key, probe in probes.items()}
    document = json.loads(json.dumps(encode_requests(flat)))
    with tempfile.TemporaryDirectory() as folder:
        answer(namespace, document, folder)
        answers = read_answers(folder, flat)
    verdicts = {}
    for check in checks:
        mine = {key: answers[f"{check.name}/{key}"] for key in asked[check.name]}
        with using_variant(params):
            verdicts[check.name] = check.run(mine, asked[check.name], *namespace.get(RUN_KEY, ((), ())))
    return verdicts
