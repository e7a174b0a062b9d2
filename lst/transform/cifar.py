"""CIFAR-10 in the standard binary format, and the paper's CIFAR-10 training recipe.

The data set is read from a local directory holding the *binary* version
(``cifar-10-binary.tar.gz`` extracted: ``data_batch_1.bin`` … ``data_batch_5.bin`` and
``test_batch.bin``, directly or in a ``cifar-10-batches-bin`` subdirectory). Each file
is a sequence of 3073-byte records: one label byte (0–9), then the 32×32 image as 1024
red, 1024 green and 1024 blue bytes, each plane row-major. Nothing is downloaded and
nothing is unpickled (the Python version of the data set is a pickle; it is not read).

Training follows the authors' CIFAR-10 script: SGD with learning rate 0.1, momentum
0.9, weight decay 1e-4 on every parameter except biases, batch 128, 200 epochs, the
learning rate divided by 10 after epochs 82, 122 and 163, cross-entropy on the logits,
random 32×32 crops of the image zero-padded by 4 pixels and random horizontal flips,
and per-channel normalisation with mean (0.4914, 0.4822, 0.4465) and standard
deviation (0.2023, 0.1994, 0.2010). As in :mod:`lst.train`, the model after the
**last** epoch is saved; test accuracy is logged per epoch and chooses nothing.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import DataError
from ..errors import ConfigError
from ..jsonconfig import JSONConfig

__all__ = [
    "CIFAR_MEAN",
    "CIFAR_STD",
    "TEST_FILES",
    "TRAIN_FILES",
    "CifarSplit",
    "CifarTrainConfig",
    "augment",
    "default_cifar_dir",
    "evaluate_cifar",
    "load_cifar10",
    "normalize_cifar",
    "read_cifar_file",
    "train_cifar",
    "write_cifar_file",
]

TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILES = ("test_batch.bin",)
RECORD_BYTES = 1 + 3 * 32 * 32
SUBDIR = "cifar-10-batches-bin"
CIFAR_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_STD = (0.2023, 0.1994, 0.2010)


@dataclass(frozen=True)
class CifarSplit:
    """Images ``uint8 (N, 3, 32, 32)`` (channels R, G, B) and labels ``uint8 (N,)``."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, limit: int) -> CifarSplit:
        return CifarSplit(self.images[:limit], self.labels[:limit])


def default_cifar_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """``data_dir``, else ``$CIFAR10_DIR``, else ``data/cifar10``; a ``cifar-10-batches-bin``
    subdirectory holding the files is used when the directory itself does not."""
    root = Path(data_dir or os.environ.get("CIFAR10_DIR") or "data/cifar10")
    if not (root / TEST_FILES[0]).is_file() and (root / SUBDIR / TEST_FILES[0]).is_file():
        return root / SUBDIR
    return root


def read_cifar_file(path: str | os.PathLike) -> CifarSplit:
    """Read one binary CIFAR-10 batch file.

    Raises
    ------
    DataError
        One line naming the file: unreadable, empty, a length that is not a whole
        number of 3073-byte records, or a label outside 0–9 (with its record index).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not data:
        raise DataError(f"{path}: empty file, expected 3073-byte CIFAR-10 records")
    if len(data) % RECORD_BYTES:
        raise DataError(
            f"{path}: {len(data)} bytes is not a whole number of 3073-byte CIFAR-10 records "
            f"({len(data) // RECORD_BYTES} records and {len(data) % RECORD_BYTES} bytes left over);"
            " is this the binary version of the data set?"
        )
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    labels = records[:, 0].copy()
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        raise DataError(
            f"{path}: record {int(bad[0])} has label {int(labels[bad[0]])}, outside 0..9"
        )
    images = records[:, 1:].reshape(-1, 3, 32, 32).copy()
    return CifarSplit(images, labels)


def write_cifar_file(path: str | os.PathLike, images: np.ndarray, labels: np.ndarray) -> Path:
    """Write ``images`` (uint8 ``(N, 3, 32, 32)``) and ``labels`` (0–9) as a binary batch file
    (for synthetic data sets in the standard format)."""
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (3, 32, 32):
        raise ValueError(f"images must be uint8 (N, 3, 32, 32), not {images.dtype} {images.shape}")
    if labels.shape != (len(images),) or (
        labels.size and not 0 <= labels.min() <= labels.max() <= 9
    ):
        raise ValueError(f"labels must be {len(images)} integers in 0..9")
    records = np.concatenate(
        [labels.astype(np.uint8)[:, None], images.reshape(len(images), -1)], axis=1
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(records.tobytes())
    return path


def load_cifar10(
    split: str = "test", data_dir: str | os.PathLike | None = None, *, limit: int | None = None
) -> CifarSplit:
    """Load the ``"train"`` (five batch files) or ``"test"`` split from ``data_dir``.

    Raises
    ------
    DataError
        One line naming the directory and the missing files, or a malformed file.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    root = default_cifar_dir(data_dir)
    names = TRAIN_FILES if split == "train" else TEST_FILES
    missing = [n for n in names if not (root / n).is_file()]
    if missing:
        raise DataError(
            f"CIFAR-10 not found in {root} (missing {', '.join(missing)}): extract the binary "
            "version (cifar-10-binary.tar.gz) there, or point --data-dir or CIFAR10_DIR at it"
        )
    parts = [read_cifar_file(root / n) for n in names]
    out = CifarSplit(
        np.concatenate([p.images for p in parts]), np.concatenate([p.labels for p in parts])
    )
    return out.subset(limit) if limit is not None else out


# ------------------------------------------------------------------ augmentation (torch)


def normalize_cifar(images):
    """uint8 ``(B, 3, 32, 32)`` tensor → float32 ``(x/255 − mean) / std`` per channel."""
    import torch

    mean = torch.tensor(CIFAR_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR_STD).view(1, 3, 1, 1)
    return (images.float() / 255.0 - mean) / std


def augment(images, generator, *, padding: int = 4):
    """Random crops of the zero-padded images and random horizontal flips (p = 0.5).

    ``images`` is a uint8 ``(B, 3, H, W)`` tensor; returns a uint8 tensor of the same
    shape: image ``b`` is the ``H``×``W`` window at a uniformly random offset
    ``(0..2·padding, 0..2·padding)`` of the image padded by ``padding`` zeros on every
    side, mirrored left–right with probability one half.
    """
    import torch
    import torch.nn.functional as F

    b, _, h, w = images.shape
    padded = F.pad(images, (padding, padding, padding, padding))
    dy = torch.randint(0, 2 * padding + 1, (b,), generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (b,), generator=generator)
    flip = torch.rand(b, generator=generator) < 0.5
    rows = (dy[:, None] + torch.arange(h)[None, :])[:, None, :, None]  # (B, 1, H, 1)
    cols = dx[:, None] + torch.arange(w)[None, :]
    cols = torch.where(flip[:, None], cols.flip(1), cols)[:, None, None, :]  # (B, 1, 1, W)
    batch = torch.arange(b)[:, None, None, None]
    channel = torch.arange(images.shape[1])[None, :, None, None]
    return padded[batch, channel, rows, cols]


# ------------------------------------------------------------------ training


@dataclass
class CifarTrainConfig(JSONConfig):
    """One CIFAR-10 run; the defaults are the paper's recipe. Round-trips through JSON."""

    model: str = "resnet20"
    epochs: int = 200
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    batch_size: int = 128
    milestones: tuple[int, ...] = (82, 122, 163)
    gamma: float = 0.1
    augment: bool = True
    seed: int = 0
    threads: int = 1
    train_limit: int | None = None
    test_limit: int | None = None

    def __post_init__(self):
        self.milestones = tuple(int(m) for m in self.milestones)
        if self.epochs < 1:
            raise ConfigError(f"epochs must be at least 1, not {self.epochs}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, not {self.batch_size}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be positive, not {self.lr}")
        if list(self.milestones) != sorted(self.milestones):
            raise ConfigError(f"milestones must be increasing, not {self.milestones}")

    def lr_at(self, epoch: int) -> float:
        """Learning rate of 0-based ``epoch``: ``lr · gamma^(milestones passed)``, as PyTorch's
        ``MultiStepLR`` stepped once per epoch (epoch 82, the 83rd, is the first at 0.01)."""
        return self.lr * self.gamma ** sum(epoch >= m for m in self.milestones)


def _parameter_groups(model, weight_decay: float) -> list[dict]:
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if name.endswith("bias") else decay).append(p)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def _check_cifar_model(name: str):
    from ..registry import get_info

    info = get_info(name)
    if info.dataset != "cifar10":
        raise ConfigError(f"model {name} is a {info.dataset} model, not a CIFAR-10 one")
    return info


def predict_cifar(model, images: np.ndarray, *, batch_size: int = 500) -> np.ndarray:
    """Predicted classes of uint8 ``(N, 3, 32, 32)`` images, model in eval mode."""
    import torch

    was_training = model.training
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            x = normalize_cifar(torch.from_numpy(images[start : start + batch_size]))
            out.append(model(x).argmax(dim=1).numpy())
    model.train(was_training)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def train_cifar(
    config: CifarTrainConfig,
    *,
    data_dir=None,
    out: str | os.PathLike | None = None,
    progress: bool = True,
    force: bool = False,
) -> dict:
    """Train one registry CIFAR-10 model; write the checkpoint and its per-epoch log
    (:class:`lst.train.RunOutput`: nothing is left behind by a failed run).

    ``out`` is the checkpoint path (``.safetensors``); the log goes beside it as
    ``<stem>.log.csv`` (epoch, loss, train and test accuracy, learning rate, seconds).
    A tqdm bar on stderr shows the batches of all epochs. Returns a summary dict.
    """
    import torch
    from torch import nn
    from tqdm import tqdm

    from ..registry import count_params
    from ..train import RunOutput, accuracy, run_epoch

    info = _check_cifar_model(config.model)
    run = RunOutput(out, force=force)
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)

    train_split = load_cifar10("train", data_dir, limit=config.train_limit)
    test_split = load_cifar10("test", data_dir, limit=config.test_limit)
    x_train = torch.from_numpy(train_split.images)
    y_train = torch.from_numpy(train_split.labels.astype(np.int64))

    model = info.build()
    opt = torch.optim.SGD(
        _parameter_groups(model, config.weight_decay), lr=config.lr, momentum=config.momentum
    )
    loss_fn = nn.CrossEntropyLoss()
    steps = (len(x_train) + config.batch_size - 1) // config.batch_size
    bar = tqdm(
        total=config.epochs * steps,
        desc=f"train {config.model}",
        unit="batch",
        file=sys.stderr,
        disable=not progress,
    )
    log_rows = []
    start_time = time.time()
    try:
        for epoch in range(config.epochs):
            lr = config.lr_at(epoch)
            for group in opt.param_groups:
                group["lr"] = lr
            model.train()
            t0 = time.time()

            def prepare(xb):
                return normalize_cifar(augment(xb, gen) if config.augment else xb)

            loss, train_acc = run_epoch(
                model,
                opt,
                loss_fn,
                x_train,
                y_train,
                config.batch_size,
                gen,
                transform=prepare,
                on_batch=lambda: bar.update(1),
            )
            test_acc = accuracy(predict_cifar(model, test_split.images), test_split.labels)
            row = {
                "epoch": epoch + 1,
                "loss": round(loss, 6),
                "train_accuracy": round(train_acc, 4),
                "test_accuracy": round(test_acc, 4),
                "lr": lr,
                "seconds": round(time.time() - t0, 3),
            }
            log_rows.append(row)
            bar.set_postfix(epoch=epoch + 1, loss=f"{row['loss']:.4f}", test=f"{test_acc:.2f}")
            run.write_log(log_rows)
    except BaseException:
        run.discard()
        raise
    finally:
        bar.close()

    model.eval()
    final_acc = accuracy(predict_cifar(model, test_split.images), test_split.labels)
    summary = {
        "model": config.model,
        "dataset": "cifar10",
        "params": count_params(model),
        "epochs": config.epochs,
        "seed": config.seed,
        "test_accuracy": final_acc,
        "final_train_accuracy": log_rows[-1]["train_accuracy"],
        "final_loss": log_rows[-1]["loss"],
        "n_train": len(train_split),
        "n_test": len(test_split),
        "seconds": round(time.time() - start_time, 1),
        "checkpoint_rule": "last epoch",
    }
    with run:
        run.save(
            model,
            summary,
            config,
            normalization=f"(p/255 - {list(CIFAR_MEAN)}) / {list(CIFAR_STD)}",
        )
    return summary


def evaluate_cifar(model: str, checkpoint, *, data_dir=None, limit: int | None = None) -> dict:
    """Test accuracy of a CIFAR-10 checkpoint: ``{"model", "params", "accuracy", "n", ...}``."""
    from ..evaluate import load_any_model
    from ..registry import count_params
    from ..train import accuracy

    _check_cifar_model(model)
    net, meta, path = load_any_model(model, checkpoint)
    test = load_cifar10("test", data_dir, limit=limit)
    pred = predict_cifar(net, test.images)
    return {
        "model": model,
        "params": count_params(net),
        "accuracy": accuracy(pred, test.labels),
        "n": len(test),
        "correct": int(np.sum(pred == test.labels)),
        "checkpoint": str(path),
        "recorded_accuracy": meta.get("test_accuracy"),
    }
