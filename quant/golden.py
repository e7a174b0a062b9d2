"""Bit-exact NumPy golden model of fixed-point LST inference.

Integer-only: images (uint8, N×28×28) in, integers out. The arithmetic is the one
``docs/fixed-point.md`` specifies and the RTL implements; the RTL runners in
:mod:`sim` share the call signature ``model(images) -> InferenceResult``, so the two
are compared with exact equality.

Vectorised over the batch; each stage's dtype is int32 when the contract proves
its accumulator fits in 32 bits, else int64, so no intermediate can overflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .contract import INPUT_FORMAT
from .quantize import QuantizedLST

__all__ = ["GoldenModel", "InferenceModel", "InferenceResult", "check_images"]


@dataclass
class InferenceResult:
    """What a model returns for N images.

    ``classes``: int64 (N,), the index of the first maximum logit.
    ``logits``: int64 (N, classes), the output layer's exact accumulators.
    ``intermediates``: name → int64 array, when asked for (golden model only):
    ``input`` (p − 128), per block ``blocks.B.row.acc`` / ``blocks.B.row`` (E) and
    ``blocks.B.col.acc`` / ``blocks.B.col`` (Y), ``features`` (what the output layer sees).
    """

    classes: np.ndarray
    logits: np.ndarray
    intermediates: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.classes)


class InferenceModel(Protocol):
    """The shared call signature of the golden model and the RTL runners."""

    def __call__(self, images: np.ndarray) -> InferenceResult: ...


def check_images(images, n: int = 28) -> np.ndarray:
    """Validate a uint8 N×n×n batch (a single n×n image becomes a batch of one)."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"images must be uint8, not {images.dtype}")
    if images.ndim == 2:
        images = images[None]
    if images.ndim != 3 or images.shape[1:] != (n, n):
        raise ValueError(f"images must be N×{n}×{n}, not {'×'.join(map(str, images.shape))}")
    return images


def argmax_first(logits: np.ndarray) -> np.ndarray:
    """Index of the maximum per row; ties go to the lowest index."""
    return np.argmax(logits, axis=1).astype(np.int64)


def run_in_chunks(run, images, chunk: int, classes: int, intermediates: bool) -> InferenceResult:
    """``run(images, keep) -> logits`` over ``chunk`` images at a time (``keep``: a dict
    that collects the intermediates, or None); the results joined and classified."""
    logits, keeps = [], []
    for start in range(0, len(images), chunk):
        keep = {} if intermediates else None
        logits.append(run(images[start : start + chunk], keep))
        keeps.append(keep)
    logits = np.concatenate(logits).astype(np.int64) if logits else np.zeros((0, classes), np.int64)
    inter = {}
    if intermediates and keeps:
        inter = {k: np.concatenate([kp[k] for kp in keeps]).astype(np.int64) for k in keeps[0]}
    return InferenceResult(argmax_first(logits), logits, inter)


class GoldenModel:
    """Fixed-point inference of a :class:`~quant.quantize.QuantizedLST`."""

    def __init__(self, qmodel: QuantizedLST, *, chunk: int = 2500):
        self.q = qmodel
        self.arch = qmodel.arch
        self.cfg = qmodel.config
        self.chunk = chunk
        self._stages = {st.name: st for st in qmodel.stages()}
        self._tmin = self.cfg.tanh_in.min_int
        self._tmax = self.cfg.tanh_in.max_int
        self._table = self.cfg.tanh_table

    def _dtype(self, stage):
        return np.int32 if stage.acc.width <= 32 else np.int64

    def _weights(self, stage):
        dt = self._dtype(stage)
        return self.q.ints[stage.tensor].astype(dt), self.q.ints[stage.bias_tensor].astype(dt)

    def activation(self, acc: np.ndarray, stage) -> np.ndarray:
        """Narrow accumulators to the tanh input (round half up, saturate), look up tanh."""
        t = (acc + (1 << (stage.shift - 1))) >> stage.shift
        np.clip(t, self._tmin, self._tmax, out=t)
        return self._table[t - self._tmin]

    def _block(self, x, b, keep):
        row = self._stages[f"blocks.{b}.row"]
        col = self._stages[f"blocks.{b}.col"]
        w1, b1 = self._weights(row)
        acc = x.astype(w1.dtype) @ w1.T + b1  # every row: x[i, :] · W1[j, :] + b1[j]
        e = self.activation(acc, row)
        if keep is not None:
            keep[f"blocks.{b}.row.acc"] = acc
            keep[f"blocks.{b}.row"] = e
        w2, b2 = self._weights(col)
        acc = w2 @ e.astype(w2.dtype) + b2[:, None]  # every column: W2[i, :] · E[:, j] + b2[i]
        y = self.activation(acc, col)
        if keep is not None:
            keep[f"blocks.{b}.col.acc"] = acc
            keep[f"blocks.{b}.col"] = y
        return y

    def _run(self, images, keep):
        x = images.astype(np.int32) - 128  # q1.7: p − 128
        if keep is not None:
            keep["input"] = x
        outs = []
        for b in range(self.arch.blocks):
            x = self._block(x, b, keep)
            outs.append(x)
        feat = outs[2] + outs[0] if self.arch.residual else outs[-1]
        if keep is not None:
            keep["features"] = feat
        st = self._stages["out"]
        wo, bo = self._weights(st)
        logits = feat.reshape(len(feat), -1).astype(wo.dtype) @ wo.T + bo
        return logits

    def __call__(self, images, *, intermediates: bool = False) -> InferenceResult:
        images = check_images(images, self.arch.n)
        return run_in_chunks(self._run, images, self.chunk, self.arch.classes, intermediates)

    def to_float(self, name: str, values: np.ndarray) -> np.ndarray:
        """Real values of an intermediate tensor (for comparisons with the float model)."""
        if name.endswith(".acc"):
            return self._stages[name[: -len(".acc")]].acc.to_float(values)
        if name == "input":
            return INPUT_FORMAT.to_float(values)
        return self.cfg.act.to_float(values)  # activations and features share act's scale
