"""Each exercise's feedback page for a mistaken notebook, opened in headless Chromium: the page
shows its figures (decoded images, not broken ones), logs no error and fetches nothing.

The mistaken notebooks are the exercises' own typical mistakes (exercises/<id>/mistakes.py), and
for the timed training tasks the solution's model trained for one epoch, judged in this process
as the grader judges them (tests/support/figures.py; training in-process as tests/support/training.py
does). Screenshots go to tests/artifacts/feedback_<id>.png.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

import pytest

from autograder.exercises import REPO_ROOT, master_notebook
from autograder.export.feedback import feedback_html
from autograder.figures.draw import figures_of
from autograder.corpus import run_mistake
from support.browser import headless_chromium
from support.figures import result_in_process
from support.paths import ARTIFACTS

# Keras' torch backend converts tensors with np.array(x), which numpy 2 warns about, per batch.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


# exercise -> (the mistake, the checks whose figure its page must show)
MISTAKES = {
    "sigmoid_probability": ("the sign of the exponent flipped", {"sigmoid", "p"}),
    "decision_line": ("both signs kept when moving the terms", {"intercept"}),
    "gradient_descent": ("the bias never updated", {"train_logistic"}),
    "softmax": ("normalised down the columns", {"softmax", "probs"}),
    "learning_curves": ("one epoch too late", {"stop_epoch"}),
    "activations": ("tanh as the sigmoid", {"tanh", "tanh_grad"}),
    "forward_pass": ("ReLU in the hidden layer where the sigmoid was asked", {"predict_hidden"}),
    "keras_forward": ("the network's output without activation in keras_predict", {"keras_predict"}),
    "loss_functions": ("the base-10 logarithm everywhere", {"bce", "categorical_crossentropy"}),
}
# training task -> (its settings trained for one epoch only: a mistake, the checks)
TRAINING = {
    "train_banknote": ({"TRAINING": {"epochs": 1, "batch_size": 64}}, {"model"}),
    "train_sin": ({"TRAINING": {"epochs": 1, "batch_size": 256}, "CLASSIFIER_TRAINING": {"epochs": 1, "batch_size": 256}},
                  {"regression", "classification"}),
    "train_digits": ({"TRAINING": {"epochs": 1, "batch_size": 64}}, {"model"}),
}
WITHOUT_FIGURES = ("matrix_multiplication", "backprop", "keras_params")


def _mistake(exercise: str, name: str):
    spec = importlib.util.spec_from_file_location(f"mistakes_{exercise}", REPO_ROOT / "exercises" / exercise / "mistakes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return next(m for m in module.MISTAKES if m.name == name) if name else module.MISTAKES[0]


def _trained(exercise: str, settings: dict) -> dict:
    """The solution's model, trained under `settings` (one epoch) in this process, judged."""
    import torch

    from autograder.run.device import DEVICE_ENV

    solution = importlib.import_module(f"solutions.{exercise}")
    namespace = {name: getattr(solution, name) for name in ("build_model", "build_classifier") if hasattr(solution, name)}
    namespace.update(settings)
    threads = torch.get_num_threads()
    device = os.environ.pop(DEVICE_ENV, None)
    torch.set_num_threads(1)
    try:
        return result_in_process(exercise, namespace, folder=REPO_ROOT / "exercises" / exercise)
    finally:
        torch.set_num_threads(threads)
        if device is not None:
            os.environ[DEVICE_ENV] = device


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """{exercise: (page path, {checks that must show a figure}, result)}."""
    folder = tmp_path_factory.mktemp("feedback")
    out = {}
    for exercise, (name, shown) in MISTAKES.items():
        result = result_in_process(exercise, run_mistake(master_notebook(exercise), _mistake(exercise, name)))
        out[exercise] = (shown, result)
    for exercise, (settings, shown) in TRAINING.items():
        out[exercise] = (shown, _trained(exercise, settings))
    for exercise in WITHOUT_FIGURES:
        out[exercise] = (set(), result_in_process(exercise, run_mistake(master_notebook(exercise), _mistake(exercise, ""))))
    written = {}
    for exercise, (shown, result) in out.items():
        path = folder / f"{exercise}.html"
        path.write_text(feedback_html(result), encoding="utf-8")
        written[exercise] = (path, shown, result)
    return written


def test_every_mistaken_page_has_the_figures_of_its_failed_checks(pages):
    for exercise, (_, shown, result) in pages.items():
        failed = {c["name"] for c in result["checks"] if c["points"] < c["max_points"]}
        assert shown <= failed or exercise in TRAINING, (exercise, shown, failed)
        drawn = {d.check for d in figures_of(result) if d.png}
        assert drawn == shown, (exercise, drawn, shown)
        assert not [d.note for d in figures_of(result) if not d.png], exercise


def test_training_figures_keep_the_graders_measurements(pages):
    for exercise in TRAINING:
        _, _, result = pages[exercise]
        for check in result["checks"]:
            data = check["figure"]
            assert data["kind"] == "training" and data["epochs_done"] == check["details"]["epochs_done"] == 1
            assert len(data["loss_curve"]) == 1 and data["value"] == pytest.approx(check["details"]["value"], abs=1e-6)
            assert [t[0] for t in data["tiers"]]
            if exercise == "train_digits":
                matrix = data["confusion"]
                assert len(matrix) == 10 and sum(map(sum, matrix)) == check["details"]["heldout_rows"]
                assert sum(matrix[i][i] for i in range(10)) / sum(map(sum, matrix)) == pytest.approx(data["value"], abs=1e-6)
            if check["name"] == "regression":
                assert len(data["pairs"]["target"]) == len(data["pairs"]["predicted"]) == 300


def test_each_page_renders_its_figures_in_headless_chromium(pages):
    ARTIFACTS.mkdir(exist_ok=True)
    seen = {}
    with headless_chromium() as browser:
        for exercise, (path, shown, _) in pages.items():
            errors, requests = [], []
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda x, e=errors: e.append(str(x)))
            page.on("request", lambda r, q=requests: q.append(r.url))
            page.goto(path.as_uri(), wait_until="load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => ({ok: e.complete && e.naturalWidth > 0, w: e.naturalWidth, "
                       "alt: e.alt, shown: e.getBoundingClientRect().width}))")
            page.screenshot(path=str(ARTIFACTS / f"feedback_{exercise}.png"), full_page=True)
            page.close()
            seen[exercise] = (images, errors, requests)
    for exercise, (path, shown, _) in pages.items():
        images, errors, requests = seen[exercise]
        assert errors == [], (exercise, errors)
        assert all(u.startswith(("file:", "data:")) for u in requests), (exercise, requests)  # opens offline
        assert len(images) == len(shown), (exercise, images)
        assert all(i["ok"] and i["w"] >= 200 and i["shown"] >= 200 for i in images), (exercise, images)
        assert {i["alt"].split(":")[0] for i in images} == shown, exercise
