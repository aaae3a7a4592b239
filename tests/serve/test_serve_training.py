"""A timed training task handed in through `autograder serve` and a real LTI 1.3 platform on
127.0.0.1: it goes to the training lane, is trained in the sandbox within its budget by the
grader (not the notebook), and its full score and the grader's learning curve reach the student's
page, and the score the platform's gradebook. The other tests of `serve` hand in pen-and-paper
exercises only, which the quick lane grades."""

from __future__ import annotations

import json
import re

import pytest

from autograder.record import Gradebook
from support.serve import client, feedback, launch, score_of, serving, solved_bytes, upload, wait_for

TASK = "train_banknote"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve_training")
    with serving(root, exercises=(TASK,)) as pair:
        pair.root = root
        yield pair


def test_a_training_task_is_trained_in_its_lane_graded_and_its_score_posted(pair):
    http = client()
    page = launch(http, pair.lms.start_url("tess", "learner", pair.links[TASK]))
    assert page.status_code == 200 and page.url.endswith(f"/exercise/{TASK}"), page.text[:500]
    notebook = http.get(page.url + "/notebook", timeout=60)
    assert notebook.status_code == 200

    handed = upload(http, page.url, page.text, f"{TASK}.ipynb", solved_bytes(notebook.content, TASK))
    assert handed.status_code == 200 and "/attempt/" in handed.url
    done = feedback(http, handed.url, timeout=300)
    score, top = score_of(done)
    assert top > 0 and score == top, done
    page_of_feedback = http.get(handed.url + "/feedback", timeout=30)  # the page's frame
    assert page_of_feedback.status_code == 200
    assert re.search(r'<img[^>]+src="data:image/png;base64,', page_of_feedback.text), "the training run's figure"

    attempt = handed.url.rsplit("/", 1)[1]
    [row] = [a for a in pair.tool.service.store.attempts("tess", TASK)]
    assert (row.id, row.lane, row.state) == (attempt, "training", "done")
    with Gradebook(pair.root / "data" / "gradebook.sqlite") as book:
        [result] = [r for r in book.results() if r.student == "tess"]
    [check] = result.checks
    assert (check.details["epochs_done"], check.details["stopped_by_budget"]) == (check.details["epochs_requested"], False)
    assert check.details["value"] >= check.figure["tiers"][0][0]  # the top tier, measured on the held-out rows
    assert len(check.figure["loss_curve"]) == check.details["epochs_done"]

    assert wait_for(lambda: any("tess" in users for users in pair.lms.scores.values()), timeout=60)
    [(item, users)] = pair.lms.scores.items()
    assert users["tess"]["scoreGiven"] == top and users["tess"]["scoreMaximum"] == top
    assert pair.lms.lineitems[item]["exercise"] == TASK
    assert json.loads(json.dumps(users["tess"]))["gradingProgress"] == "FullyGraded"
