"""A synthetic class for the similarity report: honest students who each write their own
answers, in their own style, and planted copies of some of them.

Every honest student is drawn from a seeded generator: per question one of several idioms
(loops or numpy, torch, a helper function, one line or several, the functional API or a
Sequential model), their own names for whatever is not asked by name, their own prints,
checks and explorations, comments or none, and in the training task their own recipe (layers,
activations, optimizer, learning rate, epochs, batch size, a seed or none). The idioms are
weighted: most students write the common form, a few the unusual ones, as a class does, so
honest pairs with much code in common occur and the test is not rigged by making everyone
different.

Planted copies take one honest student's notebook and disguise it: renamed variables,
reordered cells, changed comments, one answer rewritten, and (training) the same recipe in the
copier's own code. `make_class` returns the notebooks and the planted (source, copy) pairs.
"""

from __future__ import annotations

import copy
import functools
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.build.master import marker, question_config

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ("sigmoid_probability", "gradient_descent", "train_banknote")

NAMES = ["t", "tmp", "val", "res", "out", "h", "e", "v", "acc", "k", "s", "q", "r", "u", "aux", "num", "den",
         "expo", "x_vec", "w_vec", "inputs", "weights", "prod", "total", "layer_sizes", "sizes", "units_list",
         "hidden", "inp", "net", "feat", "lrate", "opt", "act", "n_units"]


@dataclass
class Style:
    """One student's habits, shared by all their answers."""

    rng: random.Random
    names: dict = field(default_factory=dict)
    comments: float = 0.3  # how often a line gets a comment
    prints: float = 0.4
    spaces: bool = True  # `a * b` or `a*b`
    habit: str = ""  # how they print
    words: list = field(default_factory=list)  # the words of their messages

    def name(self, role: str) -> str:
        if role not in self.names:
            taken = set(self.names.values())
            self.names[role] = self.rng.choice([n for n in NAMES if n not in taken] or [f"{role}_{len(taken)}"])
        return self.names[role]

    def pick(self, options: list[tuple[float, object]]):
        total = sum(w for w, _ in options)
        x = self.rng.uniform(0, total)
        for w, option in options:
            x -= w
            if x <= 0:
                return option
        return options[-1][1]

    def op(self, text: str) -> str:
        return text if self.spaces else re.sub(r" ([*/+\-]) ", r"\1", text)


COMMENTS = ["# net input", "# compute it", "# as in the lecture", "# by the formula", "# check this", "# my answer",
            "# vectorised", "# element-wise", "# the probability", "# works for arrays", "# decision rule",
            "# TODO: double-check", "# from the slides", "# simple version", "# numpy does the work"]


def _comment(style: Style, code: str) -> str:
    out = []
    for line in code.splitlines():
        if line.strip() and style.rng.random() < style.comments:
            line = f"{line}  {style.rng.choice(COMMENTS)}"
        out.append(line)
    return "\n".join(out)


# ------------------------------------------------------------------ sigmoid_probability

def _q_net_input(s: Style) -> str:
    a, b_ = s.name("inputs"), s.name("weights")
    return s.pick([
        (6, s.op("z = w1 * x1 + w2 * x2 + b")),
        (2, s.op("z = x1 * w1 + x2 * w2 + b")),
        (2, s.op("z = b + w1 * x1 + w2 * x2")),
        (2, "z = np.dot([w1, w2], [x1, x2]) + b"),
        (1, f"{a} = np.array([x1, x2])\n{b_} = np.array([w1, w2])\nz = float({b_} @ {a} + b)"),
        (1, "z = sum(w * x for w, x in zip([w1, w2], [x1, x2])) + b"),
        (1, f"z = 0.0\nfor {a}, {b_} in [(x1, w1), (x2, w2)]:\n    z += {a} * {b_}\nz += b"),
        (1, "z = np.sum(np.array([w1, w2]) * np.array([x1, x2])) + b"),
    ])


def _q_sigmoid(s: Style) -> str:
    e = s.name("expo")
    body = s.pick([
        (6, s.op("return 1 / (1 + np.exp(-z))")),
        (2, "return 1.0 / (1.0 + np.exp(-z))"),
        (2, f"{e} = np.exp(-z)\n    return 1 / (1 + {e})"),
        (1, "return np.exp(z) / (1 + np.exp(z))"),
        (1, "z = np.asarray(z, dtype=float)\n    return 1 / (1 + np.exp(-z))"),
        (1, "return 0.5 * (1 + np.tanh(z / 2))"),
        (1, "import torch\n    return torch.sigmoid(torch.as_tensor(z, dtype=torch.float64)).numpy()"),
        (1, "return np.reciprocal(1 + np.exp(np.negative(z)))"),
        (1, f"{e} = np.exp(-np.asarray(z, dtype=float))\n    {s.name('den')} = 1 + {e}\n    return 1 / {s.name('den')}"),
    ])
    return f'def sigmoid(z):\n    """The logistic function 1 / (1 + exp(-z)), element by element."""\n    {body}'


def _q_probability(s: Style) -> str:
    return s.pick([
        (6, "p = sigmoid(z)"),
        (2, "p = float(sigmoid(z))"),
        (1, s.op("p = 1 / (1 + np.exp(-z))")),
        (1, "p = round(float(sigmoid(z)), 4)"),
        (1, f"{s.name('expo')} = np.exp(-z)\np = 1 / (1 + {s.name('expo')})"),
        (1, "p = sigmoid(np.array(z)).item()"),
    ])


def _q_decision(s: Style) -> str:
    return s.pick([
        (6, "is_fake = p > 0.5"),
        (2, "is_fake = bool(p > 0.5)"),
        (1, "is_fake = True if p > 0.5 else False"),
        (1, "if p > 0.5:\n    is_fake = True\nelse:\n    is_fake = False"),
        (1, "is_fake = z > 0"),
        (1, "is_fake = bool(round(p))"),
    ])


def _q_vector(s: Style) -> str:
    return s.pick([
        (5, "X = np.array([[x1, x2]])\nW = np.array([[w1], [w2]])\np_vec = sigmoid(X @ W + b)"),
        (2, "X = np.array([x1, x2]).reshape(1, 2)\nW = np.array([w1, w2]).reshape(2, 1)\np_vec = sigmoid(np.dot(X, W) + b)"),
        (2, "X = np.array([[x1, x2]])\nW = np.array([[w1, w2]]).T\np_vec = sigmoid(np.matmul(X, W) + b)"),
        (1, "X = np.zeros((1, 2))\nX[0, 0], X[0, 1] = x1, x2\nW = np.zeros((2, 1))\nW[:, 0] = [w1, w2]\np_vec = sigmoid(X @ W + b)"),
        (1, "X = np.array([x1, x2])[None, :]\nW = np.array([w1, w2])[:, None]\np_vec = 1 / (1 + np.exp(-(X @ W + b)))"),
        (1, "X = np.atleast_2d([x1, x2])\nW = np.atleast_2d([w1, w2]).T\np_vec = sigmoid(X.dot(W) + b)"),
    ])


WORDS = ["value", "result", "answer", "my", "net input", "probability", "check", "output", "is", "=", "->", "got",
         "computed", "so", "here", "final", "step", "ok", "test", "the", "of", "for", "z", "p", "sigma", "note",
         "banknote", "fake?", "decision", "vector", "matrix", "shape", "x", "first", "second", "again", "now"]


def voice(s: Style, what: str) -> str:
    """A print in the student's own words: each student has a habit and a vocabulary."""
    if not s.habit:
        s.habit = s.rng.choice(["plain", "label", "fstring", "sep"])
        s.words = s.rng.sample(WORDS, 4)
    words = " ".join(s.rng.sample(s.words, s.rng.randint(1, 2)))
    return {"plain": f"print({what})", "label": f'print("{words}", {what})',
            "fstring": f'print(f"{words} {{{what}}}")', "sep": f'print("{words}:", {what}, sep=" ")'}[s.habit]


def _sigmoid_extra(s: Style, question: str) -> str:
    """What a student adds after an answer: a print in their words, a check, an exploration."""
    if s.rng.random() > s.prints:
        return ""
    v = {"q1_net_input": "z", "q2_sigmoid": "sigmoid(0.0)", "q3_probability": "p", "q4_decision": "is_fake",
         "q5_vector_form": "p_vec"}[question]
    zs = s.name("x_vec")
    lo, hi, n = s.rng.randint(1, 12), s.rng.randint(1, 12), s.rng.randint(3, 25)
    return s.pick([
        (4, voice(s, v)),
        (1, f"{zs} = np.linspace(-{lo}, {hi}, {n})\n{voice(s, f'sigmoid({zs})')}"),
        (1, f"assert {v} is not None"),
        (1, f"{voice(s, f'type({v})')}\n{voice(s, v)}"),
        (1, f"{voice(s, f'sigmoid(np.array([-{lo}, 0, {hi}]))')}"),
        (1, f"{voice(s, f'round(float(np.ravel({v})[0]), {s.rng.randint(2, 6)})')}"),
    ])


# ------------------------------------------------------------------ gradient_descent

def _q_one_step(s: Style) -> str:
    w, x, e = s.name("w_vec"), s.name("x_vec"), s.name("e")
    return s.pick([
        (5, s.op("p = sigmoid(w1 * x1 + w2 * x2 + b)\ngrad_w = (p - y) * np.array([x1, x2])\ngrad_b = p - y\n"
                 "w_new = np.array([w1, w2]) - lr * grad_w\nb_new = b - lr * grad_b\n"
                 "p_new = sigmoid(w_new[0] * x1 + w_new[1] * x2 + b_new)")),
        (3, s.op(f"{w} = np.array([w1, w2])\n{x} = np.array([x1, x2])\np = sigmoid({w} @ {x} + b)\n{e} = p - y\n"
                 f"grad_w = {e} * {x}\ngrad_b = {e}\nw_new = {w} - lr * grad_w\nb_new = b - lr * grad_b\n"
                 f"p_new = sigmoid(w_new @ {x} + b_new)")),
        (2, s.op(f"p = sigmoid(np.dot([w1, w2], [x1, x2]) + b)\n{s.name('k')} = (p - y) * x1\n{s.name('u')} = (p - y) * x2\n"
                 f"grad_w = np.array([{s.name('k')}, {s.name('u')}])\ngrad_b = float(p - y)\n"
                 f"w_new = np.array([w1 - lr * {s.name('k')}, w2 - lr * {s.name('u')}])\nb_new = b - lr * grad_b\n"
                 "p_new = sigmoid(np.dot(w_new, [x1, x2]) + b_new)")),
        (1, f"def {s.name('aux')}(w, b, x, y, lr):\n    p = sigmoid(w @ x + b)\n    return p, (p - y) * x, p - y\n\n\n"
            f"p, grad_w, grad_b = {s.name('aux')}(np.array([w1, w2]), b, np.array([x1, x2]), y, lr)\n"
            "w_new, b_new = np.array([w1, w2]) - lr * grad_w, b - lr * grad_b\n"
            f"p_new = {s.name('aux')}(w_new, b_new, np.array([x1, x2]), y, lr)[0]"),
        (1, f"import torch\n{w} = torch.tensor([w1, w2], dtype=torch.float64, requires_grad=True)\n"
            f"{s.name('t')} = torch.tensor(b, dtype=torch.float64, requires_grad=True)\n"
            f"{x} = torch.tensor([x1, x2], dtype=torch.float64)\n"
            f"{s.name('r')} = torch.sigmoid({w} @ {x} + {s.name('t')})\n"
            f"loss = -(y * torch.log({s.name('r')}) + (1 - y) * torch.log(1 - {s.name('r')}))\nloss.backward()\n"
            f"p = {s.name('r')}.item()\ngrad_w = {w}.grad.numpy()\ngrad_b = {s.name('t')}.grad.item()\n"
            f"w_new = {w}.detach().numpy() - lr * grad_w\nb_new = b - lr * grad_b\n"
            "p_new = sigmoid(w_new @ np.array([x1, x2]) + b_new)"),
    ])


def _q_training_loop(s: Style) -> str:
    e, n, gw, gb = s.name("e"), s.name("num"), s.name("acc"), s.name("s")
    gradient = s.pick([
        (4, "error = sigmoid(X @ w + b) - y\n    return X.T @ error / len(y), np.mean(error)"),
        (2, f"{gw} = np.zeros(len(w))\n    {gb} = 0.0\n    for xi, yi in zip(X, y):\n        {e} = sigmoid(xi @ w + b) - yi\n"
            f"        {gw} += {e} * xi\n        {gb} += {e}\n    return {gw} / len(y), {gb} / len(y)"),
        (2, f"{e} = sigmoid(X @ w + b) - y\n    return np.mean({e}[:, None] * X, axis=0), {e}.mean()"),
        (2, f"{n} = X.shape[0]\n    p = sigmoid(np.dot(X, w) + b)\n    return np.dot(X.T, p - y) / {n}, np.sum(p - y) / {n}"),
    ])
    history = s.name("total")
    train = s.pick([
        (4, "w, b = np.zeros(X.shape[1]), 0.0\n    for _ in range(epochs):\n        grad_w, grad_b = gradient(X, y, w, b)\n"
            "        w = w - lr * grad_w\n        b = b - lr * grad_b\n    return w, b"),
        (2, f"w = np.zeros(X.shape[1])\n    b = 0.0\n    for {s.name('k')} in range(epochs):\n"
            f"        {gw}, {gb} = gradient(X, y, w, b)\n        w -= lr * {gw}\n        b -= lr * {gb}\n    return w, b"),
        (1, f"w, b = np.zeros(X.shape[1]), 0.0\n    {s.name('k')} = 0\n    while {s.name('k')} < epochs:\n"
            f"        g = gradient(X, y, w, b)\n        w, b = w - lr * g[0], b - lr * g[1]\n        {s.name('k')} += 1\n    return w, b"),
        (1, f"w, b = np.zeros(X.shape[1]), 0.0\n    {history} = []\n    for _ in range(epochs):\n"
            f"        grad_w, grad_b = gradient(X, y, w, b)\n        w, b = w - lr * grad_w, b - lr * grad_b\n"
            f"        {history}.append(bce_loss(X, y, w, b))\n    return w, b"),
    ])
    lr_, epochs_ = s.rng.choice([0.1, 0.2, 0.3, 0.5, 1.0]), s.rng.choice([50, 100, 200, 300, 500, 1000])
    call = s.pick([
        (2, f"w_trained, b_trained = train_logistic(X_notes, y_notes, {lr_}, {epochs_})\n"
            + voice(s, "bce_loss(X_notes, y_notes, w_trained, b_trained)")),
        (1, f"w_trained, b_trained = train_logistic(X_notes, y_notes, lr={lr_}, epochs={epochs_})"),
        (1, ""),
    ])
    return (f'def gradient(X, y, w, b):\n    """(dL/dw, dL/db) of the mean cross-entropy of the logistic model (w, b)."""\n'
            f"    {gradient}\n\n\ndef train_logistic(X, y, lr, epochs):\n"
            f'    """`epochs` steps of gradient descent from w = 0, b = 0; returns (w, b)."""\n    {train}\n\n\n{call}')


def _q_gradient_check(s: Style) -> str:
    step, i = s.name("h"), s.name("k")
    body = s.pick([
        (3, f"grad_w = np.zeros(len(w))\n    for {i} in range(len(w)):\n        {step} = np.zeros(len(w))\n        {step}[{i}] = eps\n"
            f"        grad_w[{i}] = (bce_loss(X, y, w + {step}, b) - bce_loss(X, y, w - {step}, b)) / (2 * eps)\n"
            "    grad_b = (bce_loss(X, y, w, b + eps) - bce_loss(X, y, w, b - eps)) / (2 * eps)\n    return grad_w, grad_b"),
        (2, f"{step} = np.eye(len(w)) * eps\n    grad_w = np.array([(bce_loss(X, y, w + {step}[{i}], b) - bce_loss(X, y, w - {step}[{i}], b)) "
            f"/ (2 * eps) for {i} in range(len(w))])\n"
            "    grad_b = (bce_loss(X, y, w, b + eps) - bce_loss(X, y, w, b - eps)) / (2 * eps)\n    return grad_w, grad_b"),
        (2, f"grads = []\n    for {i} in range(len(w)):\n        {s.name('u')} = w.copy()\n        {s.name('r')} = w.copy()\n"
            f"        {s.name('u')}[{i}] += eps\n        {s.name('r')}[{i}] -= eps\n"
            f"        grads.append((bce_loss(X, y, {s.name('u')}, b) - bce_loss(X, y, {s.name('r')}, b)) / (2 * eps))\n"
            "    return np.array(grads), (bce_loss(X, y, w, b + eps) - bce_loss(X, y, w, b - eps)) / (2 * eps)"),
        (1, f"def {s.name('aux')}(f, v):\n        return (f(v + eps) - f(v - eps)) / (2 * eps)\n"
            f"    grad_w = np.array([{s.name('aux')}(lambda t: bce_loss(X, y, np.where(np.arange(len(w)) == {i}, t, w), b), w[{i}]) "
            f"for {i} in range(len(w))])\n    return grad_w, {s.name('aux')}(lambda t: bce_loss(X, y, w, t), b)"),
    ])
    return (f'def numerical_gradient(X, y, w, b, eps):\n    """Central differences of bce_loss with respect to every weight '
            f'and the bias."""\n    {body}')


def _q_learning_rate(s: Style) -> str:
    v = s.name("v")
    return s.pick([
        (3, "def descend_bowl(lr, steps=30):\n    w = 0.0\n    for _ in range(steps):\n        w = w - lr * 2 * a * (w - 2)\n"
            "    return w\n\n\ndiverging_lrs = [lr for lr in candidate_lrs if abs(descend_bowl(lr) - 2) > 2]\nlr_limit = 1 / a"),
        (2, f"diverging_lrs = []\nfor {v} in candidate_lrs:\n    w = 0.0\n    for _ in range({s.rng.choice([20, 30, 50, 100])}):\n"
            f"        w -= {v} * 2 * a * (w - 2)\n    if abs(w - 2) > abs(0 - 2):\n        diverging_lrs.append({v})\nlr_limit = 1 / a"),
        (2, f"diverging_lrs = [{v} for {v} in candidate_lrs if abs(1 - 2 * a * {v}) > 1]\nlr_limit = 2 / (2 * a)"),
        (1, f"{s.name('res')} = {{}}\nfor {v} in candidate_lrs:\n    w = 0.0\n    for _ in range(40):\n        w = w - {v} * 2 * a * (w - 2)\n"
            f"    {s.name('res')}[{v}] = w\ndiverging_lrs = sorted(k for k, w in {s.name('res')}.items() if not np.isfinite(w) or abs(w - 2) > 2)\n"
            "lr_limit = 1.0 / a"),
    ])


def _gd_extra(s: Style, question: str) -> str:
    if s.rng.random() > s.prints:
        return ""
    v = {"q1_one_step": "p_new", "q2_training_loop": "gradient(X_notes, y_notes, np.zeros(2), 0.0)",
         "q3_gradient_check": "numerical_gradient(X_notes, y_notes, np.zeros(2), 0.0, 1e-5)",
         "q4_learning_rate": "diverging_lrs"}[question]
    return s.pick([(3, voice(s, v)), (1, f"{voice(s, v)}\n{voice(s, 'lr_limit' if 'lrs' in v else 'p')}"),
                   (1, f"assert {v} is not None")])


# ------------------------------------------------------------------ train_banknote

ACTIVATIONS = [(6, "relu"), (2, "tanh"), (1, "elu"), (1, "selu"), (1, "gelu")]
UNITS = [(3, 8), (5, 16), (5, 32), (3, 64), (1, 4), (1, 12), (1, 24), (1, 48), (1, 128)]
EPOCHS = [(3, 50), (2, 100), (2, 60), (1, 30), (1, 40), (1, 75), (1, 80), (1, 120), (1, 150), (1, 200), (1, 20)]
BATCHES = [(4, 32), (3, 64), (1, 16), (1, 128), (1, 256)]
RATES = [(3, 0.001), (2, 0.01), (1, 0.005), (1, 0.003), (1, 0.002), (1, 0.02), (1, 0.05)]
SEEDS = [(6, None), (2, 42), (1, 0), (1, 1), (1, 1234), (1, 7), (1, 2024), (1, 123)]


def draw_recipe(s: Style) -> dict:
    depth = s.pick([(3, 1), (4, 2), (2, 3), (1, 4)])
    return {
        "units": [s.pick(UNITS) for _ in range(depth)],
        "activation": s.pick(ACTIVATIONS),
        "optimizer": s.pick([(5, "Adam"), (2, "RMSprop"), (1, "SGD"), (1, "Nadam")]),
        "lr": s.pick(RATES),
        "epochs": s.pick(EPOCHS),
        "batch_size": s.pick(BATCHES),
        "softmax": s.rng.random() < 0.25,
        "seed": s.pick(SEEDS),
        "validation_split": s.pick([(5, None), (1, 0.1), (1, 0.2)]),
    }


def _training_answer(s: Style, r: dict) -> str:
    sizes, act, lr = r["units"], r["activation"], r["lr"]
    out_units, out_act = (2, "softmax") if r["softmax"] else (1, "sigmoid")
    loss = "sparse_categorical_crossentropy" if r["softmax"] else "binary_crossentropy"
    settings = {"epochs": r["epochs"], "batch_size": r["batch_size"]}
    if r["validation_split"]:
        settings["validation_split"] = r["validation_split"]
    training = s.pick([
        (3, "TRAINING = {" + ", ".join(f'"{k}": {v}' for k, v in settings.items()) + "}"),
        (1, "TRAINING = dict(" + ", ".join(f"{k}={v}" for k, v in settings.items()) + ")"),
        (1, "TRAINING = {\n" + "".join(f'    "{k}": {v},\n' for k, v in settings.items()) + "}"),
    ])
    momentum = ", momentum=0.9" if r["optimizer"] == "SGD" else ""
    optimizer = s.pick([(3, f"keras.optimizers.{r['optimizer']}(learning_rate={lr}{momentum})"),
                        (1, f"keras.optimizers.{r['optimizer']}({lr}{momentum})")])
    compile_ = f'model.compile(optimizer={optimizer},\n                  loss="{loss}", metrics=["accuracy"])'
    v, units = s.name("hidden"), s.name("n_units")
    layers = s.pick([(1, "keras.layers"), (1, "layers")])
    imports = "from keras import layers\n" if layers == "layers" else ""
    form = s.pick([(4, "list"), (2, "add"), (2, "loop"), (1, "functional")])
    if form == "list":
        body = ("model = keras.Sequential([\n        keras.Input(shape=(2,)),\n"
                + "".join(f'        {layers}.Dense({n}, activation="{act}"),\n' for n in sizes)
                + f'        {layers}.Dense({out_units}, activation="{out_act}"),\n    ])')
    elif form == "add":
        body = ("model = keras.Sequential()\n    model.add(keras.Input(shape=(2,)))\n"
                + "".join(f'    model.add({layers}.Dense({n}, activation="{act}"))\n' for n in sizes)
                + f'    model.add({layers}.Dense({out_units}, activation="{out_act}"))')
    elif form == "loop":
        body = (f"model = keras.Sequential([keras.Input(shape=(2,))])\n    for {units} in {sizes}:\n"
                f'        model.add({layers}.Dense({units}, activation="{act}"))\n'
                f'    model.add({layers}.Dense({out_units}, activation="{out_act}"))')
    else:
        body = (f"{s.name('inp')} = keras.Input(shape=(2,))\n    {v} = {s.name('inp')}\n    for {units} in {sizes}:\n"
                f'        {v} = {layers}.Dense({units}, activation="{act}")({v})\n'
                f'    {s.name("net")} = {layers}.Dense({out_units}, activation="{out_act}")({v})\n'
                f"    model = keras.Model({s.name('inp')}, {s.name('net')})")
    seed = ""
    if r["seed"] is not None:
        seed = s.pick([(2, f"keras.utils.set_random_seed({r['seed']})\n"), (1, f"np.random.seed({r['seed']})\n")])
    return (f"{imports}{seed}{training}\n\n\ndef build_model():\n"
            '    """A compiled Keras model: 2 features in, the probability of a fake note out."""\n'
            f"    {body}\n    {compile_}\n    return model")


def _training_extra(s: Style, question: str) -> str:
    if s.rng.random() > s.prints:
        return ""
    return s.pick([
        (2, "build_model().summary()"),
        (1, voice(s, "TRAINING")),
        (1, voice(s, "build_model().count_params()")),
        (1, f"{s.name('acc')} = []\n" + voice(s, f"len({s.name('acc')})")),
    ])


# ------------------------------------------------------------------ notebooks

ANSWERS = {
    "gradient_descent": {"q1_one_step": _q_one_step, "q2_training_loop": _q_training_loop,
                         "q3_gradient_check": _q_gradient_check, "q4_learning_rate": _q_learning_rate},
    "sigmoid_probability": {"q1_net_input": _q_net_input, "q2_sigmoid": _q_sigmoid, "q3_probability": _q_probability,
                            "q4_decision": _q_decision, "q5_vector_form": _q_vector},
}
EXTRAS = {"gradient_descent": _gd_extra, "sigmoid_probability": _sigmoid_extra, "train_banknote": _training_extra}


@functools.lru_cache(maxsize=None)
def _default_variant(exercise: str) -> dict:
    from autograder.build.variants import default_variant, has_placeholders

    master = ROOT / "exercises" / exercise / f"{exercise}.ipynb"
    return default_variant(exercise) if has_placeholders(master) else {}


def _render(source: str, params: dict) -> str:
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: repr(params.get(m.group(1), 0)), source)


@functools.lru_cache(maxsize=None)
def master_layout(exercise: str) -> tuple[tuple[str, str], ...]:
    """The student version's code cells as (kind, text): ("given", code) or ("answer", question)."""
    nb = nbformat.read(str(ROOT / "exercises" / exercise / f"{exercise}.ipynb"), as_version=4)
    params = _default_variant(exercise)
    layout, question, in_block = [], None, None
    for cell in nb.cells:
        kind = marker(cell)
        if kind == "BEGIN QUESTION":
            question = question_config(cell).get("name")
        elif kind in ("BEGIN SOLUTION", "BEGIN TESTS"):
            in_block = kind
            if kind == "BEGIN SOLUTION":
                layout.append(("answer", question))
            else:
                layout.append(("given", f'grader.check("{question}")'))
        elif kind in ("END SOLUTION", "END TESTS"):
            in_block = None
        elif cell.cell_type == "code" and in_block is None:
            layout.append(("given", _render(cell.source, params)))
    return tuple(layout)


@dataclass
class Student:
    name: str
    exercise: str
    answers: dict  # question -> code
    extras: dict  # question -> code after the answer (may be "")
    order: list  # question order of the answer cells
    recipe: dict | None = None


HABITS = [  # small rewrites a student makes everywhere, the same way every time
    (re.compile(r"\b(\w+(?:\.T)?) @ (\w+)\b"), r"np.dot(\1, \2)"),
    (re.compile(r"\bnp\.mean\((\w+)\)"), r"\1.mean()"),
    (re.compile(r"- lr \* (\w+)"), r"- \1 * lr"),
    (re.compile(r"\b1 / "), "1.0 / "),
    (re.compile(r"\blen\(y\)"), "y.shape[0]"),
    (re.compile(r"np\.zeros\(len\((\w+)\)\)"), r"np.zeros_like(\1, dtype=float)"),
    (re.compile(r"\bnp\.exp\("), "np.e ** ("),
    (re.compile(r"\bfor _ in range"), "for _step in range"),
    # more of the small choices independent writers make differently, within one idiom
    (re.compile(r"\b(\w+) = \1 - "), r"\1 -= "),
    (re.compile(r"\(2 \* eps\)"), "(2.0 * eps)"),
    (re.compile(r"\b(\w+)\.copy\(\)"), r"np.copy(\1)"),
    (re.compile(r"(?<![\w.])0\.0\b"), "0."),
    (re.compile(r"np\.array\(\[(\w+), (\w+)\]\)"), r"np.array((\1, \2))"),
    (re.compile(r"\brange\(len\((\w+)\)\)"), r"range(\1.size)"),
    (re.compile(r"(?<![\w.])abs\("), "np.abs("),
]


def habits(s: Style, code: str) -> str:
    if not hasattr(s, "habits"):
        s.habits = [h for h in HABITS if s.rng.random() < 0.35]
    for pattern, replacement in s.habits:
        code = pattern.sub(replacement, code)
    return code


def draw_student(exercise: str, name: str, seed: int) -> Student:
    s = Style(random.Random(seed))
    s.comments = s.rng.choice([0.0, 0.0, 0.1, 0.3, 0.6])
    s.prints = s.rng.choice([0.0, 0.2, 0.5, 0.8])
    s.spaces = s.rng.random() < 0.8
    layout = master_layout(exercise)
    questions = [q for kind, q in layout if kind == "answer"]
    recipe = None
    answers, extras = {}, {}
    for q in questions:
        if exercise == "train_banknote":
            recipe = draw_recipe(s)
            answers[q] = _comment(s, _training_answer(s, recipe))
        else:
            answers[q] = _comment(s, habits(s, ANSWERS[exercise][q](s)))
        extras[q] = EXTRAS[exercise](s, q)
    student = Student(name, exercise, answers, extras, list(questions), recipe)
    student.style = s
    return student


def notebook(student: Student, cell_order: list[int] | None = None) -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_code_cell("# @title Set-up: run this cell first\nimport base64\n_bundle = 'UEsDBBQ...'")]
    answer_cells = []
    for kind, value in master_layout(student.exercise):
        if kind == "given":
            cells.append(nbformat.v4.new_code_cell(value))
        else:
            slot = len(cells)
            cells.append(None)
            answer_cells.append(slot)
            if student.extras.get(value):
                cells.append(nbformat.v4.new_code_cell(student.extras[value]))
    for slot, q in zip(answer_cells, student.order):
        cells[slot] = nbformat.v4.new_code_cell(student.answers[q])
    if cell_order:
        cells = [cells[i] for i in cell_order]
    cells.append(nbformat.v4.new_code_cell("grader.export(pdf=False)"))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["autograder"] = {"exercise": student.exercise}
    return nb


# ------------------------------------------------------------------ planted copies

def renamed(source: Student, name: str, seed: int) -> Student:
    """Every name the student chose (not the asked ones) renamed, consistently."""
    rng = random.Random(seed)
    chosen = set(source.style.names.values())
    mapping = {n: f"{rng.choice(['my', 'the', 'a', 'new'])}_{n}_{rng.randint(1, 99)}" for n in chosen}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(mapping, key=len, reverse=True))) + r")\b") if mapping else None

    def swap(code: str) -> str:
        return pattern.sub(lambda m: mapping[m.group(1)], code) if pattern else code

    out = copy.deepcopy(source)
    out.name = name
    out.answers = {q: swap(c) for q, c in source.answers.items()}
    out.extras = {q: swap(c) for q, c in source.extras.items()}
    return out


def recommented(source: Student, name: str, seed: int) -> Student:
    """Comments removed and others added, spacing changed."""
    s = Style(random.Random(seed))
    s.comments = 0.5
    strip = lambda code: "\n".join(re.sub(r"\s*#.*$", "", line) for line in code.splitlines())  # noqa: E731
    out = copy.deepcopy(source)
    out.name = name
    out.answers = {q: _comment(s, strip(c).replace(" = ", "=")) for q, c in source.answers.items()}
    out.extras = {q: _comment(s, strip(c)) for q, c in source.extras.items()}
    return out


def reordered(source: Student, name: str, seed: int) -> Student:
    """The answers in another order (each answer cell moved, with what follows it)."""
    out = copy.deepcopy(source)
    out.name = name
    random.Random(seed).shuffle(out.order)
    if out.order == source.order and len(out.order) > 1:
        out.order = out.order[1:] + out.order[:1]
    out.reorder_seed = seed
    return out


def one_changed(source: Student, name: str, seed: int) -> Student:
    """One answer rewritten in the copier's own way; where there is one answer only (a training
    task), one of its settings changed (the epochs)."""
    out = copy.deepcopy(source)
    out.name = name
    if len(source.answers) == 1:
        q, = source.answers
        out.answers[q] = re.sub(r"(epochs\"?\s*[:=]\s*)(\d+)", lambda m: f"{m.group(1)}{int(m.group(2)) + 17}",
                                source.answers[q])
        return out
    mine = draw_student(source.exercise, name, seed)
    q = sorted(source.answers, key=lambda k: len(source.answers[k]))[-1]  # the longest: the most rewritten
    out.answers[q] = mine.answers[q]
    out.extras[q] = mine.extras[q]
    return out


def same_recipe(source: Student, name: str, seed: int) -> Student:
    """The copier's own code (style, layout, names), with the source's training recipe."""
    mine = draw_student(source.exercise, name, seed)
    for q in mine.answers:
        mine.answers[q] = _comment(mine.style, _training_answer(mine.style, source.recipe))
    mine.recipe = source.recipe
    return mine


DISGUISES = {"renamed": renamed, "reordered": reordered, "recommented": recommented, "one answer changed": one_changed}


@dataclass
class SyntheticClass:
    notebooks: dict  # (exercise, student) -> NotebookNode
    planted: list  # (exercise, source student, copy student, disguise)
    honest: dict  # exercise -> [students]


def make_class(honest: int = 32, seed: int = 2026, exercises=EXERCISES) -> SyntheticClass:
    notebooks, planted, names = {}, [], {}
    for e_index, exercise in enumerate(exercises):
        students = [draw_student(exercise, f"s{e_index}{i:03d}", seed * 1000 + e_index * 100 + i) for i in range(honest)]
        names[exercise] = [s.name for s in students]
        for st in students:
            notebooks[(exercise, st.name)] = notebook(st)
        disguises = dict(DISGUISES)
        if exercise == "train_banknote":
            disguises["same recipe, own code"] = same_recipe
        sources = random.Random(seed + e_index).sample(students, len(disguises) + 1)
        for k, ((label, disguise), source) in enumerate(zip(disguises.items(), sources)):
            copier = disguise(source, f"c{e_index}{k:03d}", seed * 7 + e_index * 31 + k)
            notebooks[(exercise, copier.name)] = notebook(copier)
            planted.append((exercise, source.name, copier.name, label))
        # all disguises at once: renamed, re-commented and reordered
        source = sources[-1]
        copier = reordered(recommented(renamed(source, "x", 1), "x", 2), f"c{e_index}999", 3)
        notebooks[(exercise, copier.name)] = notebook(copier)
        planted.append((exercise, source.name, copier.name, "renamed, re-commented and reordered"))
    return SyntheticClass(notebooks, planted, names)


def write_class(klass: SyntheticClass, folder: Path) -> None:
    """One folder per student, one notebook per exercise (as `autograder grade` reads them)."""
    for (exercise, student), nb in klass.notebooks.items():
        target = folder / student / f"{exercise}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(target))
