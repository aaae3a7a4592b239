"""The data of the timed training tasks: what students get, and what they never see.

Nothing is downloaded: every data set is generated deterministically or ships with a package.

    train_banknote  two features of a banknote scan (skewness, entropy of the wavelet-transformed
                    image), 1372 notes, 762 real (label 0) and 610 fake (label 1), like the UCI
                    "banknote authentication" file. The UCI file cannot be downloaded here, so
                    `banknote_like` generates notes that behave like it: a straight line separates
                    about 70 % of them, a network with hidden layers about 90 %.
                    `load_banknote_file` reads the real file for a teacher who has it.
    train_sin       10 inputs uniform in [0, 1), y = sin(x_1^2 + ... + x_10^2): a regression (y)
                    and a classification (y >= 0), as in the slides.
    train_digits    scikit-learn's 8x8 handwritten digits (1797 images, shipped with scikit-learn),
                    standing in for (Fashion-)MNIST; `load_mnist` reads MNIST or Fashion-MNIST idx
                    files for a teacher who has them.

The seeds come from course.yaml (`seeds: {data: ..., heldout: ...}` of each exercise). The
training split is written to `exercises/<id>/data/` (`python -m solutions.datasets`); the
held-out split is made in the grader's process when it judges, and never written under
exercises/.
"""

from __future__ import annotations

import argparse
import gzip
import struct
from functools import lru_cache
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------- banknotes

BANKNOTE_REAL = 762  # label 0: genuine notes in the UCI file
BANKNOTE_FAKE = 610  # label 1: forged notes
BANKNOTE_FEATURES = ("skewness", "entropy")
BANKNOTE_HELDOUT_ROWS = 2 * (BANKNOTE_REAL + BANKNOTE_FAKE)
BANKNOTE_HELDOUT_FRACTION = 0.3  # of the real file, when a teacher uses it


def _arch(s, top, depth, centre, width):
    """Entropy as a function of skewness: highest at `centre`, falling by `depth` far from it."""
    return top - depth * (1.0 - np.exp(-(((s - centre) / width) ** 2)))


def banknote_like(seed: int, n_real: int = BANKNOTE_REAL, n_fake: int = BANKNOTE_FAKE):
    """(x, y): `n_real + n_fake` notes in random order; x (n, 2) float32 (skewness, entropy),
    y (n,) uint8, 1 for a fake note.

    Each class lies along its own arch in the (skewness, entropy) plane: real notes have
    higher skewness on average, and at the same skewness a real note has the higher entropy,
    except far out where its arch falls below the fake one. Skewness alone gives about 70 %
    (a straight line), the arches about 92 % (a curved boundary). The values are rounded to
    4 decimals and lie in the ranges of the UCI file (skewness -13.8..13, entropy -8.5..2.5).
    """
    rng = np.random.default_rng(seed)
    s_real = np.clip(rng.normal(3.5, 5.0, n_real), -13.5, 13.0)
    e_real = _arch(s_real, 1.8, 8.0, 3.0, 8.0) + rng.normal(0.0, 0.5, n_real)
    s_fake = np.clip(rng.normal(-0.5, 5.4, n_fake), -13.8, 13.0)
    e_fake = _arch(s_fake, -0.3, 4.0, -1.0, 9.0) + rng.normal(0.0, 0.5, n_fake)
    x = np.concatenate([np.stack([s_real, e_real], 1), np.stack([s_fake, e_fake], 1)])
    x[:, 1] = np.clip(x[:, 1], -8.5, 2.5)
    y = np.concatenate([np.zeros(n_real), np.ones(n_fake)])
    order = rng.permutation(len(y))
    return np.round(x[order], 4).astype(np.float32), y[order].astype(np.uint8)


def load_banknote_file(path):
    """(x, y) from the UCI file `data_banknote_authentication.txt`: comma-separated rows
    variance, skewness, curtosis, entropy, class (0 genuine, 1 forged), no header.
    x holds the two features of the course, (skewness, entropy), as float32; y is uint8."""
    path = Path(path)
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != 5:
            raise ValueError(f"{path}, line {number}: expected 5 comma-separated values "
                             f"(variance, skewness, curtosis, entropy, class), got {len(fields)}")
        try:
            values = [float(f) for f in fields]
        except ValueError:
            if number == 1:  # a header line, which the UCI file does not have but a copy may
                continue
            raise ValueError(f"{path}, line {number}: not a number in {line!r}") from None
        if values[4] not in (0.0, 1.0):
            raise ValueError(f"{path}, line {number}: the class must be 0 or 1, got {fields[4]}")
        rows.append(values)
    if not rows:
        raise ValueError(f"{path}: no data rows")
    data = np.asarray(rows)
    return data[:, [1, 3]].astype(np.float32), data[:, 4].astype(np.uint8)


def stratified_split(y, fraction: float, seed: int):
    """(kept, held_out) row indices: `fraction` of each class held out, drawn with `seed`."""
    rng = np.random.default_rng(seed)
    held = []
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        held.append(rng.choice(rows, size=int(round(fraction * len(rows))), replace=False))
    held = np.sort(np.concatenate(held))
    kept = np.setdiff1d(np.arange(len(y)), held)
    return kept, held


# --------------------------------------------------------------------------- sin

SIN_INPUTS = 10
SIN_ROWS = 10_000  # the slides' 10,000 rows: 400 KB of float32 inputs shipped
SIN_HELDOUT_ROWS = 20000


def sin_data(seed: int, n: int = SIN_ROWS):
    """(x, y): x (n, 10) float32 uniform in [0, 1), y = sin(sum of x_k^2) (n,) float32."""
    x = np.random.default_rng(seed).random((n, SIN_INPUTS)).astype(np.float32)
    y = np.sin(np.sum(x.astype(np.float64) ** 2, axis=1)).astype(np.float32)
    return x, y


def sin_classes(y):
    """The classification task's labels: 1 where y >= 0, as uint8."""
    return (np.asarray(y) >= 0).astype(np.uint8)


# --------------------------------------------------------------------------- digits

DIGITS_HELDOUT_FRACTION = 0.28  # 503 of scikit-learn's 1797 digits
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "t10k": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@lru_cache(maxsize=1)
def sklearn_digits():
    """(x, y): scikit-learn's 1797 digits, x (1797, 8, 8) uint8 in 0..16, y (1797,) uint8."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images.astype(np.uint8), digits.target.astype(np.uint8)


def read_idx(path):
    """An array from an idx file (the format of MNIST and Fashion-MNIST), gzipped or not."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_TYPES:
        raise ValueError(f"{path}: not an idx file (bad magic number)")
    dtype, ndim = np.dtype(IDX_TYPES[data[2]]), data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated idx header")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    size = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != size:
        raise ValueError(f"{path}: idx data of {len(data) - header} bytes, the header announces {size}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _idx_file(folder: Path, name: str) -> Path:
    for candidate in (name, name + ".gz", name.replace("-idx", ".idx"), name.replace("-idx", ".idx") + ".gz"):
        if (folder / candidate).is_file():
            return folder / candidate
    raise FileNotFoundError(f"{folder}: no {name} or {name}.gz")


def load_mnist(folder, split: str = "train"):
    """(x, y) from MNIST or Fashion-MNIST idx files in `folder` (`train-images-idx3-ubyte[.gz]`,
    `train-labels-idx1-ubyte[.gz]`, and `t10k-...` for `split="t10k"`): x (n, 28, 28) uint8,
    y (n,) uint8."""
    folder = Path(folder)
    images, labels = (read_idx(_idx_file(folder, name)) for name in MNIST_FILES[split])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"{folder}: {split} images {images.shape} and labels {labels.shape} do not match")
    return images.astype(np.uint8), labels.astype(np.uint8)


# --------------------------------------------------------------------------- per exercise

# The files each exercise ships in data/, and the arrays a Train probe reads from them.
FILES = {
    "train_banknote": {"x": "data/banknote_x.npy", "y": "data/banknote_y.npy"},
    "train_sin": {"x": "data/sin_x.npy", "y": "data/sin_y.npy", "y_class": "data/sin_y_class.npy"},
    "train_digits": {"x": "data/digits_x.npy", "y": "data/digits_y.npy"},
}


def _source(data: dict | None, default: str) -> str:
    return str((data or {}).get("source", default))


def training_data(exercise: str, seeds: dict, data: dict | None = None) -> dict[str, np.ndarray]:
    """{file name under the exercise folder: array}: the training split shipped to students.

    `seeds` is the exercise's `seeds` of course.yaml; `data` its optional `data` setting,
    which points at a real file for a teacher who has one (`{source: uci, file: ...}` for the
    banknotes, `{source: mnist, folder: ..., rows: ...}` for the digits).
    """
    files = FILES[exercise]
    if exercise == "train_banknote":
        if _source(data, "generated") == "uci":
            x, y = load_banknote_file(data["file"])
            kept, _ = stratified_split(y, BANKNOTE_HELDOUT_FRACTION, seeds["heldout"])
            x, y = x[kept], y[kept]
        else:
            x, y = banknote_like(seeds["data"])
        return {files["x"]: x, files["y"]: y}
    if exercise == "train_sin":
        x, y = sin_data(seeds["data"])
        return {files["x"]: x, files["y"]: y, files["y_class"]: sin_classes(y)}
    if exercise == "train_digits":
        if _source(data, "sklearn") == "mnist":
            x, y = load_mnist(data["folder"], "train")
            rows = int(data.get("rows", len(y)))
            pick = np.sort(np.random.default_rng(seeds["data"]).permutation(len(y))[:rows])
            x, y = x[pick], y[pick]
        else:
            x, y = sklearn_digits()
            kept, _ = stratified_split(y, DIGITS_HELDOUT_FRACTION, seeds["heldout"])
            order = np.random.default_rng(seeds["data"]).permutation(kept)
            x, y = x[order], y[order]
        return {files["x"]: x, files["y"]: y}
    raise KeyError(f"no training data for exercise {exercise!r}")


def heldout_data(exercise: str, seeds: dict, data: dict | None = None) -> dict[str, np.ndarray]:
    """{training file name: held-out array}: the held-out set, keyed by the training file each
    array stands for (held-out inputs under `data/sin_x.npy`, ...). Made in the grader's
    process and never shipped. Same `seeds` and `data` as `training_data`."""
    files = FILES[exercise]
    return {files[key]: array for key, array in _heldout(exercise, seeds, data).items()}


def _heldout(exercise: str, seeds: dict, data: dict | None) -> dict[str, np.ndarray]:
    if exercise == "train_banknote":
        if _source(data, "generated") == "uci":
            x, y = load_banknote_file(data["file"])
            _, held = stratified_split(y, BANKNOTE_HELDOUT_FRACTION, seeds["heldout"])
            return {"x": x[held], "y": y[held]}
        share = BANKNOTE_HELDOUT_ROWS / (BANKNOTE_REAL + BANKNOTE_FAKE)
        x, y = banknote_like(seeds["heldout"], round(BANKNOTE_REAL * share), round(BANKNOTE_FAKE * share))
        return {"x": x, "y": y}
    if exercise == "train_sin":
        x, y = sin_data(seeds["heldout"], SIN_HELDOUT_ROWS)
        return {"x": x, "y": y, "y_class": sin_classes(y)}
    if exercise == "train_digits":
        if _source(data, "sklearn") == "mnist":
            x, y = load_mnist(data["folder"], "t10k")
            return {"x": x, "y": y}
        x, y = sklearn_digits()
        _, held = stratified_split(y, DIGITS_HELDOUT_FRACTION, seeds["heldout"])
        return {"x": x[held], "y": y[held]}
    raise KeyError(f"no held-out data for exercise {exercise!r}")


def write_training_data(exercise: str, seeds: dict, data: dict | None = None, root: Path | None = None) -> list[Path]:
    """Write the training split into `<root>/<exercise>/data/` (root: the repository's exercises/)."""
    folder = (root or REPO_ROOT / "exercises") / exercise
    written = []
    for name, array in training_data(exercise, seeds, data).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, array, allow_pickle=False)
        written.append(path)
    return written


def _training_of(course, exercise: str):
    """The exercise's `training` settings, from the course model (validated as the grader reads them)."""
    entry = course.exercise(exercise)
    if entry is None or entry.training is None:
        raise SystemExit(f"{course.path}: no training task {exercise!r}")
    return entry.training


def main(argv=None) -> None:
    from autograder.course import CourseError, load_course

    parser = argparse.ArgumentParser(description="Write the training data of the timed training tasks into exercises/<id>/data/.")
    parser.add_argument("exercises", nargs="*", default=list(FILES), help="exercise ids (default: all three)")
    parser.add_argument("--course", type=Path, default=REPO_ROOT / "course.yaml", help="course.yaml with the seeds and data settings")
    args = parser.parse_args(argv)
    try:
        course = load_course(args.course)
    except CourseError as exc:
        raise SystemExit(str(exc)) from None
    for exercise in args.exercises:
        training = _training_of(course, exercise)
        seeds = training.seeds.model_dump(exclude_none=True)
        data = training.data.model_dump(exclude_none=True) if training.data else None
        for path in write_training_data(exercise, seeds, data, args.course.parent / "exercises"):
            print(f"{path}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
