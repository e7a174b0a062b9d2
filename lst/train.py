"""Training and float evaluation of the MNIST models (PyTorch, CPU).

The defaults are the paper's recipe: Adam, lr 2e-3, weight decay 1e-5, batch 1000,
300 epochs, NLL loss on log-softmax outputs, the 60,000 training images only.

Checkpoint rule: the model after the **last** epoch is saved. Test accuracy is
measured after every epoch for the log only; it never chooses a checkpoint or a
hyper-parameter inside a run.
"""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .arch import normalize
from .checkpoint import save_checkpoint, source_commit
from .data import MnistSplit, load_mnist
from .errors import ConfigError, LSTError, OutputError
from .jsonconfig import JSONConfig
from .outputs import check_files, write_files

__all__ = [
    "RunOutput",
    "TrainConfig",
    "accuracy",
    "evaluate_model",
    "predict",
    "run_epoch",
    "run_metadata",
    "train",
    "write_log",
]

SCHEDULES = ("constant", "cosine")


@dataclass
class TrainConfig(JSONConfig):
    """One training run. Round-trips through JSON (:meth:`to_json` / :meth:`from_json`)."""

    model: str = "lst1"
    epochs: int = 300
    lr: float = 2e-3
    weight_decay: float = 1e-5
    batch_size: int = 1000
    seed: int = 0
    #: Learning-rate schedule: ``constant`` (the paper's) or ``cosine`` (to lr·``lr_min_ratio``).
    schedule: str = "constant"
    lr_min_ratio: float = 0.0
    dropout: float = 0.1
    #: Torch intra-op threads; results are reproducible for a fixed value.
    threads: int = 1
    #: Train on the first ``train_limit`` training images only (smoke tests).
    train_limit: int | None = None
    #: Evaluate on the first ``test_limit`` test images only (smoke tests).
    test_limit: int | None = None
    #: Hold out the last ``val_split`` training images as a validation set (for choosing
    #: between recipes without looking at the test set); 0 trains on all of them.
    val_split: int = 0
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        def at_least(name, minimum, *, optional=False):
            value = getattr(self, name)
            if optional and value is None:
                return
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ConfigError(f"{name} must be an integer >= {minimum}, not {value!r}")

        def finite(name, lo, hi, *, lo_open=False, hi_open=False):
            value = getattr(self, name)
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            ok = ok and math.isfinite(value) and (value > lo if lo_open else value >= lo)
            ok = ok and (value < hi if hi_open else value <= hi)
            if not ok:
                lo_s, hi_s = (
                    ("(" if lo_open else "[") + f"{lo}",
                    f"{hi}" + (")" if hi_open else "]"),
                )
                raise ConfigError(
                    f"{name} must be a finite number in {lo_s}, {hi_s}, not {value!r}"
                )

        at_least("epochs", 1)
        at_least("batch_size", 1)
        at_least("threads", 1)
        at_least("seed", 0)
        at_least("val_split", 0)
        at_least("train_limit", 1, optional=True)
        at_least("test_limit", 1, optional=True)
        finite("lr", 0, math.inf, lo_open=True, hi_open=True)
        finite("weight_decay", 0, math.inf, hi_open=True)
        finite("lr_min_ratio", 0, 1)
        finite("dropout", 0, 1, hi_open=True)
        if self.schedule not in SCHEDULES:
            raise ConfigError(
                f"schedule must be one of {', '.join(SCHEDULES)}, not {self.schedule!r}"
            )

    def lr_at(self, epoch: int) -> float:
        """Learning rate for 0-based ``epoch``."""
        if self.schedule == "constant":
            return self.lr
        lo = self.lr * self.lr_min_ratio
        return lo + 0.5 * (self.lr - lo) * (1 + math.cos(math.pi * epoch / self.epochs))


def _as_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(normalize(images))


@torch.no_grad()
def predict(model: nn.Module, images: np.ndarray, *, batch_size: int = 2000) -> np.ndarray:
    """Predicted classes of uint8 images (N×28×28) with the model in eval mode."""
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, len(images), batch_size):
        x = _as_tensor(images[start : start + batch_size])
        out.append(model(x).argmax(dim=1).numpy())
    model.train(was_training)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def accuracy(pred: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy in percent, rounded to 4 decimals (exact for up to 10⁶ images)."""
    return round(100.0 * float(np.mean(pred == labels)), 4) if len(labels) else float("nan")


def evaluate_model(model: nn.Module, split: MnistSplit) -> dict:
    pred = predict(model, split.images)
    return {"accuracy": accuracy(pred, split.labels), "n": len(split), "pred": pred}


def train(
    config: TrainConfig,
    *,
    data_dir=None,
    out: str | Path | None = None,
    progress: bool = True,
    build=None,
    force: bool = False,
) -> dict:
    """Train one model; write the checkpoint and its per-epoch log; return a summary.

    ``out`` is the checkpoint path (``.safetensors``); the log is written beside it
    as ``<stem>.log.csv`` (see :class:`RunOutput`: checked before training, written
    atomically after it, nothing left behind by a failed run; ``force`` replaces files
    that ``lst train`` did not write). ``build`` makes the model from the config
    (default: the model registry).
    """
    from tqdm import tqdm

    from .registry import build_model

    run = RunOutput(out, force=force)
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)

    train_split = load_mnist("train", data_dir, limit=config.train_limit)
    test_split = load_mnist("test", data_dir, limit=config.test_limit)
    val_split = None
    if config.val_split:
        if config.val_split >= len(train_split):
            raise ConfigError(
                f"--val-split {config.val_split} leaves no training images "
                f"(there are {len(train_split)})"
            )
        cut = len(train_split) - config.val_split
        val_split = MnistSplit(train_split.images[cut:], train_split.labels[cut:])
        train_split = MnistSplit(train_split.images[:cut], train_split.labels[:cut])
    x_train = _as_tensor(train_split.images)
    y_train = torch.from_numpy(train_split.labels.astype(np.int64))

    model = (build or build_model)(config.model, dropout=config.dropout)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    loss_fn = nn.NLLLoss()

    with run:
        log_rows = []
        bar = tqdm(
            range(config.epochs),
            desc=f"train {config.model}",
            unit="epoch",
            file=sys.stderr,
            disable=not progress,
        )
        start_time = time.time()
        for epoch in bar:
            lr = config.lr_at(epoch)
            for group in opt.param_groups:
                group["lr"] = lr
            model.train()
            t0 = time.time()
            train_loss, train_acc = run_epoch(
                model, opt, loss_fn, x_train, y_train, config.batch_size, gen
            )
            if not math.isfinite(train_loss):
                raise LSTError(
                    f"training diverged in epoch {epoch + 1} (loss {train_loss}); try a lower --lr"
                )
            test_acc = evaluate_model(model, test_split)["accuracy"]
            row = {
                "epoch": epoch + 1,
                "loss": round(train_loss, 6),
                "train_accuracy": round(train_acc, 4),
            }
            if val_split is not None:
                row["val_accuracy"] = round(evaluate_model(model, val_split)["accuracy"], 4)
            row.update(
                {
                    "test_accuracy": round(test_acc, 4),
                    "lr": lr,
                    "seconds": round(time.time() - t0, 3),
                }
            )
            log_rows.append(row)
            bar.set_postfix(
                loss=f"{train_loss:.4f}", train=f"{train_acc:.2f}", test=f"{test_acc:.2f}"
            )
            run.write_log(log_rows)

        model.eval()
        final = evaluate_model(model, test_split)
        summary = {
            "model": config.model,
            "params": params,
            "epochs": config.epochs,
            "seed": config.seed,
            "test_accuracy": final["accuracy"],
            "final_train_accuracy": log_rows[-1]["train_accuracy"],
            "final_loss": log_rows[-1]["loss"],
            "n_train": len(train_split),
            "n_val": len(val_split) if val_split is not None else 0,
            "final_val_accuracy": log_rows[-1].get("val_accuracy"),
            "n_test": final["n"],
            "seconds": round(time.time() - start_time, 1),
            "checkpoint_rule": "last epoch",
        }
        run.save(model, summary, config, normalization="p/127.5 - 1")
    return summary


def run_epoch(
    model, opt, loss_fn, x, y, batch_size: int, gen, *, transform=None, on_batch=None
) -> tuple[float, float]:
    """One pass over ``x`` in a random order drawn from ``gen``; return the mean loss and
    the training accuracy (%) of the batches as they were seen. ``transform`` maps a
    batch of inputs before the model (augmentation, normalisation)."""
    perm = torch.randperm(len(x), generator=gen)
    total_loss, correct = 0.0, 0
    for start in range(0, len(perm), batch_size):
        idx = perm[start : start + batch_size]
        xb, yb = x[idx], y[idx]
        if transform is not None:
            xb = transform(xb)
        opt.zero_grad(set_to_none=True)
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        total_loss += loss.item() * len(idx)
        correct += int((out.argmax(dim=1) == yb).sum())
        if on_batch is not None:
            on_batch()
    return total_loss / len(perm), 100.0 * correct / len(perm)


def run_metadata(summary: dict, config, *, normalization: str, log_name: str) -> dict:
    """A trained model's checkpoint metadata: the run's summary, recipe and provenance."""
    return {
        **summary,
        "recipe": json.loads(config.to_json()),
        "normalization": normalization,
        "source_commit": source_commit(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "torch": torch.__version__,
        "log": log_name,
    }


class RunOutput:
    """The checkpoint and per-epoch log of one training run.

    Made before training, it checks at once that both files may be written
    (:func:`lst.outputs.check_files`: a directory, a file ``lst train`` did not write or
    the input are refused), so that a refusal never comes after a long run. During the
    run the log is kept under a hidden name beside the checkpoint (``.NAME.log.csv.running``,
    readable while training goes on); at the end checkpoint and log are written together
    by :func:`lst.outputs.write_files`. Used as a context manager, a failed or interrupted
    run removes the running log and leaves nothing else behind. ``out=None`` writes nothing.
    """

    def __init__(self, out: str | Path | None, *, force: bool = False):
        self.checkpoint = self.log = self.running = None
        self.force = force
        if out is None:
            return
        path = Path(out)
        if str(out).endswith(("/", "\\")) or path.is_dir():
            raise OutputError(
                f"{out}: is a directory; --out takes the checkpoint's file name, "
                f"e.g. {path / 'model.safetensors'}"
            )
        if path.suffix != ".safetensors":
            raise OutputError(f"{out}: the checkpoint's name must end in .safetensors")
        self.checkpoint = path
        self.log = path.with_name(path.stem + ".log.csv")
        check_files([self.checkpoint, self.log], kind="train", force=force)
        self.running = self.log.with_name(f".{self.log.name}.running")

    def __enter__(self) -> RunOutput:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self.discard()
        return False

    def write_log(self, rows: list[dict]) -> None:
        if self.running is not None:
            write_log(self.running, rows)

    def discard(self) -> None:
        if self.running is not None:
            self.running.unlink(missing_ok=True)

    def save(self, model, summary: dict, config, *, normalization: str) -> None:
        """Write the checkpoint and the log; note their paths in ``summary``."""
        if self.checkpoint is None:
            return
        from .registry import state_tensors

        meta = run_metadata(summary, config, normalization=normalization, log_name=self.log.name)
        tensors = state_tensors(model)
        running = self.running
        write_files(
            {
                self.checkpoint: lambda tmp: save_checkpoint(tmp, tensors, meta),
                self.log: lambda tmp: tmp.write_bytes(running.read_bytes()),
            },
            kind="train",
            force=self.force,
        )
        self.discard()
        summary["checkpoint"] = str(self.checkpoint)
        summary["log"] = str(self.log)


def write_log(path: Path, rows: list[dict]) -> None:
    """Write per-epoch rows as CSV, atomically (readable while training goes on)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)
