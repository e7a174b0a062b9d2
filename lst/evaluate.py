"""Float evaluation of checkpoints on the MNIST test set, with plots (PyTorch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .arch import default_checkpoint, normalize
from .data import load_mnist
from .errors import ConfigError

__all__ = ["confusion_matrix", "evaluate_checkpoint", "plot_confusion", "plot_embeddings"]


def load_any_model(model: str, checkpoint=None):
    """Build registry model ``model`` and load ``checkpoint`` (default: the shipped one) into it.

    LST checkpoints (and the authors' ``.pth`` files) go through
    :func:`lst.models.load_model`, which validates names and shapes; other models
    load their safetensors state strictly.
    """
    import torch

    from .arch import LST_MODELS
    from .checkpoint import CheckpointError, load_checkpoint
    from .registry import build_model

    path = Path(checkpoint) if checkpoint else default_checkpoint(model)
    if model in LST_MODELS:
        from .models import load_model

        return (*load_model(path, model), path)
    tensors, meta = load_checkpoint(path)
    if meta.get("model") not in (None, model):
        raise CheckpointError(f"{path}: checkpoint is for model {meta['model']}, not {model}")
    net = build_model(model)
    state = net.state_dict()
    for name, ref in state.items():
        if name not in tensors:
            if ref.dtype.is_floating_point:
                raise CheckpointError(f"{path}: missing tensor {name} for model {model}")
            continue
        if tuple(tensors[name].shape) != tuple(ref.shape):
            raise CheckpointError(
                f"{path}: tensor {name} has shape {tuple(tensors[name].shape)}, "
                f"expected {tuple(ref.shape)}"
            )
        state[name] = torch.from_numpy(tensors[name]).to(ref.dtype)
    extra = sorted(set(tensors) - set(state))
    if extra:
        raise CheckpointError(f"{path}: unexpected tensor {extra[0]} for model {model}")
    net.load_state_dict(state, strict=True)
    net.eval()
    return net, meta, path


def evaluate_checkpoint(model: str, checkpoint=None, *, data_dir=None, limit=None) -> dict:
    """Float test accuracy of a checkpoint: ``{"model", "params", "accuracy", "n", ...}``."""
    from .registry import count_params
    from .train import accuracy, predict

    net, meta, path = load_any_model(model, checkpoint)
    test = load_mnist("test", data_dir, limit=limit)
    pred = predict(net, test.images)
    return {
        "model": model,
        "params": count_params(net),
        "accuracy": accuracy(pred, test.labels),
        "n": len(test),
        "correct": int(np.sum(pred == test.labels)),
        "checkpoint": str(path),
        "recorded_accuracy": meta.get("test_accuracy"),
        "pred": pred,
        "labels": test.labels,
    }


def confusion_matrix(labels: np.ndarray, pred: np.ndarray, classes: int = 10) -> np.ndarray:
    """``m[true, predicted]`` counts."""
    m = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(m, (labels.astype(np.int64), pred.astype(np.int64)), 1)
    return m


def plot_confusion(m: np.ndarray, out, *, title: str = "") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    # Log colour scale (of count + 1, so that 0 maps to the bottom) so the off-diagonal
    # errors stay visible next to ~1000 hits.
    im = ax.imshow(m + 1, cmap="Blues", norm=LogNorm(vmin=1, vmax=max(2, int(m.max()) + 1)))
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m[i, j]:
                ax.text(
                    j,
                    i,
                    str(m[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if i == j else "black",
                )
    ax.set_xticks(range(m.shape[1]))
    ax.set_yticks(range(m.shape[0]))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    acc = 100.0 * np.trace(m) / max(1, m.sum())
    ax.set_title(
        f"{title} confusion matrix (test images per true and predicted class)\n"
        f"accuracy {acc:.2f} %: {np.trace(m):,} of {m.sum():,} on the diagonal",
        fontsize=10,
    )
    counts = [c for c in (0, 1, 10, 100, 1000, 10000) if c <= max(1, int(m.max()))]
    bar = fig.colorbar(im, ax=ax, label="images (log scale)")
    bar.set_ticks([c + 1 for c in counts], labels=[f"{c:,}" for c in counts])
    bar.minorticks_off()
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_embeddings(model: str, checkpoint, index: int, out, *, data_dir=None) -> dict:
    """Plot a test digit and the row-stage (E) and column-stage (Y) images of every block."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from .models import load_model

    path = Path(checkpoint) if checkpoint else default_checkpoint(model)
    net, _ = load_model(path, model)
    test = load_mnist("test", data_dir)
    if not 0 <= index < len(test):
        raise ConfigError(f"--index must be in 0..{len(test) - 1}, not {index}")
    img = test.images[index]
    with torch.no_grad():
        x = torch.from_numpy(normalize(img[None]))
        embeddings = net.get_embeddings(x)
        pred = int(net(x).argmax(dim=1))
    n = img.shape[0]
    blocks = len(embeddings)
    # One row per block: the input beside block 1, then each block's E and Y.
    fig, grid = plt.subplots(
        blocks, 3, figsize=(9.6, 0.6 + 3.0 * blocks), layout="constrained", squeeze=False
    )
    ticks = [0, 7, 14, 21, n - 1]
    pix = grid[0, 0].imshow(img, cmap="gray", vmin=0, vmax=255)
    grid[0, 0].set_title(f"input: label {test.labels[index]}, predicted {pred}", fontsize=9)
    grid[0, 0].set(xlabel="image column k", ylabel="image row i")
    bars = [fig.colorbar(pix, ax=grid[0, 0], shrink=0.75, label="pixel value p")]
    for b in range(1, blocks):
        grid[b, 0].axis("off")
    for b, (e, y) in enumerate(embeddings):
        # E[i, j]: row i of the block's input through the row map, output j.
        # Y[i, j]: column j of E through the column map, output i.
        rows = "image row i" if b == 0 else f"row i of block {b}'s Y"
        panels = (
            ("E", e, "row-map output j", rows),
            ("Y", y, "row-map output j (column of E)", "column-map output i"),
        )
        for k, (name, t, xlabel, ylabel) in enumerate(panels):
            ax = grid[b, 1 + k]
            act = ax.imshow(t[0].numpy(), cmap="coolwarm", vmin=-1, vmax=1)
            ax.set_title(f"block {b + 1}: {name}", fontsize=9)
            ax.set(xlabel=xlabel, ylabel=ylabel)
    bars.append(
        fig.colorbar(
            act, ax=list(grid[:, 1:].ravel()), shrink=0.75, label="activation (tanh output)"
        )
    )
    for bar in bars:
        bar.ax.tick_params(labelsize=7)
        bar.ax.yaxis.label.set_fontsize(8)
    for ax in grid.ravel():
        ax.set_xticks(ticks)
        ax.set_yticks(ticks)
        ax.tick_params(labelsize=7)
        ax.xaxis.label.set_fontsize(8)
        ax.yaxis.label.set_fontsize(8)
    fig.suptitle(
        f"{net.arch.name}, MNIST test image #{index}, X = p/127.5 − 1. Row stage: "
        "E = tanh(X·W1ᵀ + b1), every image row through one shared map.\nColumn stage: "
        "Y = tanh(W2·E + b2), every column of E through one shared map."
        + (" Each block's Y is the next block's X." if blocks > 1 else ""),
        fontsize=9,
    )
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return {
        "model": net.arch.name,
        "index": index,
        "label": int(test.labels[index]),
        "predicted": pred,
        "out": str(out),
    }
