"""The data of the timed training tasks: shapes, balance, determinism, the real-file loaders."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from autograder.course import load_course
from solutions import datasets
from support.paths import REPO

COURSE = REPO / "course.yaml"
TASKS = ("train_banknote", "train_sin", "train_digits")


def settings_of(exercise: str) -> dict:
    return load_course(COURSE).exercise(exercise).training.model_dump(exclude_none=True)


def seeds(exercise: str) -> dict:
    return settings_of(exercise)["seeds"]


# --------------------------------------------------------------------------- banknotes


def test_banknote_like_rows_classes_and_ranges():
    x, y = datasets.banknote_like(1372)
    assert x.shape == (1372, 2) and x.dtype == np.float32
    assert y.shape == (1372,) and y.dtype == np.uint8
    assert int((y == 1).sum()) == 610 and int((y == 0).sum()) == 762  # fake, real
    assert -14 <= x[:, 0].min() and x[:, 0].max() <= 13.5  # skewness, as in the UCI file
    assert -8.6 <= x[:, 1].min() and x[:, 1].max() <= 2.6  # entropy
    assert np.array_equal(x, np.round(x.astype(np.float64), 4).astype(np.float32))
    assert 0 < y[:100].sum() < 100  # shuffled, not sorted by class


def test_banknote_like_is_deterministic():
    a, b, c = datasets.banknote_like(5), datasets.banknote_like(5), datasets.banknote_like(6)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_banknote_like_needs_a_curved_boundary():
    """Like the course notebook: about 0.70 with a straight line, about 0.9 with hidden layers."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    x, y = datasets.banknote_like(1)
    xt, yt = datasets.banknote_like(2, 3000, 2400)
    linear = LogisticRegression().fit(x, y).score(xt, yt)
    curved = KNeighborsClassifier(25).fit(x, y).score(xt, yt)
    assert 0.64 < linear < 0.76
    assert curved > 0.88


def _write_uci(path: Path, rows, header: bool = False) -> Path:
    lines = (["variance,skewness,curtosis,entropy,class"] if header else []) + [",".join(map(str, r)) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


UCI_SAMPLE = [
    (3.6216, 8.6661, -2.8073, -0.44699, 0),
    (4.5459, 8.1674, -2.4586, -1.4621, 0),
    (3.866, -2.6383, 1.9242, 0.10645, 0),
    (-1.3971, 3.3191, -1.3927, -1.9948, 1),
    (0.39012, -0.14279, -0.031994, 0.35084, 1),
    (-1.6677, -7.1535, 7.8929, 0.96765, 1),
]


@pytest.mark.parametrize("header", [False, True])
def test_load_banknote_file_reads_skewness_and_entropy(tmp_path, header):
    x, y = datasets.load_banknote_file(_write_uci(tmp_path / "data_banknote_authentication.txt", UCI_SAMPLE, header))
    assert x.shape == (6, 2) and x.dtype == np.float32 and y.dtype == np.uint8
    assert np.allclose(x[0], [8.6661, -0.44699]) and np.allclose(x[5], [-7.1535, 0.96765])
    assert y.tolist() == [0, 0, 0, 1, 1, 1]


@pytest.mark.parametrize(
    "rows,message",
    [
        ([(1, 2, 3, 4)], "expected 5"),
        ([(1, 2, 3, 4, 2)], "class must be 0 or 1"),
        ([(1, 2, 3, 4, 0), ("a", 2, 3, 4, 0)], "not a number"),
        ([], "no data rows"),
    ],
)
def test_load_banknote_file_refuses_other_files(tmp_path, rows, message):
    with pytest.raises(ValueError, match=message):
        datasets.load_banknote_file(_write_uci(tmp_path / "f.txt", rows))


def test_the_real_banknote_file_is_split_into_training_and_heldout(tmp_path):
    rows = [(0.1 * i, float(i), 0.0, -0.01 * i, i % 2) for i in range(40)]
    path = _write_uci(tmp_path / "banknotes.txt", rows)
    data = {"source": "uci", "file": str(path)}
    train = datasets.training_data("train_banknote", {"data": 1, "heldout": 2}, data)
    held = datasets.heldout_data("train_banknote", {"data": 1, "heldout": 2}, data)
    x_train, x_held = train["data/banknote_x.npy"], held["data/banknote_x.npy"]
    assert len(x_train) == 28 and len(x_held) == 12  # 30 % of each class held out
    assert not set(x_train[:, 0].tolist()) & set(x_held[:, 0].tolist())
    assert held["data/banknote_y.npy"].sum() == 6


# --------------------------------------------------------------------------- sin


def test_sin_data():
    x, y = datasets.sin_data(3, 500)
    assert x.shape == (500, 10) and x.dtype == np.float32 and 0 <= x.min() and x.max() < 1
    assert np.allclose(y, np.sin((x.astype(np.float64) ** 2).sum(axis=1)), atol=1e-6)
    classes = datasets.sin_classes(y)
    assert classes.dtype == np.uint8 and np.array_equal(classes, (y >= 0).astype(np.uint8))
    assert 0.35 < classes.mean() < 0.5  # y >= 0 where the sum of squares is below pi, mostly
    assert np.array_equal(datasets.sin_data(3, 500)[0], x)


# --------------------------------------------------------------------------- digits


def test_digits_split_is_stratified_and_disjoint():
    s = seeds("train_digits")
    images, labels = datasets.sklearn_digits()
    kept, held = datasets.stratified_split(labels, datasets.DIGITS_HELDOUT_FRACTION, s["heldout"])
    assert len(kept) + len(held) == len(labels) == 1797 and not set(kept) & set(held)
    assert 490 < len(held) < 520
    assert np.all(np.bincount(labels[held], minlength=10) >= 45)
    train = datasets.training_data("train_digits", s)
    x, y = train["data/digits_x.npy"], train["data/digits_y.npy"]
    assert x.shape == (len(kept), 8, 8) and x.dtype == np.uint8 and x.max() == 16
    assert sorted(y.tolist()) == sorted(labels[kept].tolist())


def _write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_idx_loader_on_tiny_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    for split, n in (("train", 7), ("t10k", 3)):
        images = rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte", images, compress)
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte", labels, compress)
        x, y = datasets.load_mnist(tmp_path, split)
        assert x.shape == (n, 28, 28) and x.dtype == np.uint8 and np.array_equal(x, images)
        assert np.array_equal(y, labels)
    data = {"source": "mnist", "folder": str(tmp_path), "rows": 5}
    train = datasets.training_data("train_digits", {"data": 1, "heldout": 2}, data)
    held = datasets.heldout_data("train_digits", {"data": 1, "heldout": 2}, data)
    assert train["data/digits_x.npy"].shape == (5, 28, 28) and held["data/digits_x.npy"].shape == (3, 28, 28)


def test_idx_reader_refuses_broken_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="magic"):
        datasets.read_idx(tmp_path / "bad")
    _write_idx(tmp_path / "short", np.zeros((2, 3), dtype=np.uint8), False)
    (tmp_path / "short").write_bytes((tmp_path / "short").read_bytes()[:-1])
    with pytest.raises(ValueError, match="announces"):
        datasets.read_idx(tmp_path / "short")
    with pytest.raises(FileNotFoundError):
        datasets.load_mnist(tmp_path, "train")


# --------------------------------------------------------------------------- what ships


@pytest.mark.parametrize("exercise", TASKS)
def test_shipped_data_is_the_training_split_of_course_yaml(exercise):
    settings = settings_of(exercise)
    folder = REPO / "exercises" / exercise
    expected = datasets.training_data(exercise, settings["seeds"], settings.get("data"))
    shipped = {str(p.relative_to(folder)): p for p in (folder / "data").iterdir()}
    assert sorted(shipped) == sorted(expected), "data/ holds exactly the training files"
    for name, array in expected.items():
        on_disk = np.load(shipped[name], allow_pickle=False)
        assert on_disk.dtype == array.dtype and np.array_equal(on_disk, array), name
    for task in settings["tasks"].values():  # the files course.yaml trains on are there
        assert task["x"] in shipped and task["y"] in shipped


@pytest.mark.parametrize("exercise", TASKS)
def test_heldout_set_is_not_shipped(exercise):
    settings = settings_of(exercise)
    train = datasets.training_data(exercise, settings["seeds"], settings.get("data"))
    held = datasets.heldout_data(exercise, settings["seeds"], settings.get("data"))
    assert set(held) <= set(train)  # keyed by the training file each array stands for
    for name in held:
        assert len(held[name]) >= 500
    x_name = next(n for n in held if n.endswith("_x.npy"))
    seen = {row.tobytes() for row in train[x_name]}
    overlap = sum(row.tobytes() in seen for row in held[x_name])
    assert overlap <= 0.01 * len(held[x_name])  # digits: a few images occur twice in scikit-learn's set


def test_shipped_data_is_small():
    total = sum(p.stat().st_size for ex in TASKS for p in (REPO / "exercises" / ex / "data").iterdir())
    assert total < 640_000  # train_sin's 10,000 rows of the slides are 450 KB of it
