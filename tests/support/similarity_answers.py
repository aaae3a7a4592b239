"""What a synthetic honest student writes for each question of the exercises the similarity
class covers (sigmoid_probability, gradient_descent, train_banknote).

Per question one of several idioms (loops or numpy, torch, a helper function, one line or
several, the functional API or a Sequential model), weighted: most students write the common
form, a few the unusual ones, as a class does, so honest pairs with much code in common occur
and the test is not rigged by making everyone different. Extras are what a student adds after an
answer: a print in their words, a check, an exploration. In the training task each student
draws their own recipe (layers, activations, optimizer, learning rate, epochs, batch size, seed).
"""

from __future__ import annotations

from support.similarity_style import Style, voice


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


ANSWERS = {
    "gradient_descent": {"q1_one_step": _q_one_step, "q2_training_loop": _q_training_loop,
                         "q3_gradient_check": _q_gradient_check, "q4_learning_rate": _q_learning_rate},
    "sigmoid_probability": {"q1_net_input": _q_net_input, "q2_sigmoid": _q_sigmoid, "q3_probability": _q_probability,
                            "q4_decision": _q_decision, "q5_vector_form": _q_vector},
}
EXTRAS = {"gradient_descent": _gd_extra, "sigmoid_probability": _sigmoid_extra, "train_banknote": _training_extra}

