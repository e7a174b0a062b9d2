"""Bit-exact NumPy golden model of the transform-domain models, and their float
reference.

:class:`TransformGoldenModel` is integer-only and evaluates
:mod:`quant.transform_contract` literally; it shares the call signature of LST's
golden model and of the RTL runners (``model(images) -> InferenceResult``).
:func:`transform_float_forward` is the float64 model as trained (padding, forward
transform, scale, soft threshold, inverse transform, shortcut, output layer), without
torch and without the contract's folds.
"""

from __future__ import annotations

import numpy as np

from lst.arch import normalize
from lst.transform.arch import TransformArch
from lst.transform.matrices import forward_matrix, inverse_matrix

from .fixed import round_shift
from .golden import InferenceResult, check_images, run_in_chunks
from .transform_quantize import QuantizedTransform

__all__ = ["TransformGoldenModel", "transform_float_forward"]


class TransformGoldenModel:
    """Fixed-point inference of a :class:`~quant.transform_quantize.QuantizedTransform`.

    ``intermediates=True`` also returns ``input`` (``p − 128``), ``row.acc``, ``row``
    (``E``), ``col.acc``, ``col`` (``c``), ``scale`` (``g``), ``threshold`` (``z``)
    and ``features`` (``u``), as int64 arrays.
    """

    def __init__(self, qmodel: QuantizedTransform, *, chunk: int = 1000):
        self.q = qmodel
        self.arch = qmodel.arch
        self.fmt = qmodel.formats
        self.chunk = chunk
        self._m = qmodel.ints["matrix"]

    def _run(self, images, keep):
        f, ints = self.fmt, self.q.ints
        x = images.astype(np.int64) - 128
        e_acc = x @ self._m.T  # every row i: E[i, k] = Σ_j x[i, j]·M[k, j]
        e = round_shift(e_acc, f.e_shift)
        c_acc = self._m @ e  # every column: c[k, l] = Σ_i M[k, i]·E[i, l]
        c = round_shift(c_acc, f.c_shift)
        g_acc = ints["scale"] * c + ints["offset"]
        g = f.g.overflow_handle(round_shift(g_acc, f.g_shift))
        z = np.sign(g) * np.maximum(np.abs(g) - ints["threshold"], 0)
        u = z + c
        logits = u.reshape(len(u), -1) @ ints["out.weight"].T + ints["out.bias"]
        if keep is not None:
            keep.update(
                {
                    "input": x,
                    "row.acc": e_acc,
                    "row": e,
                    "col.acc": c_acc,
                    "col": c,
                    "scale": g,
                    "threshold": z,
                    "features": u,
                }
            )
        return logits

    def __call__(self, images, *, intermediates: bool = False) -> InferenceResult:
        images = check_images(images, self.arch.n)
        return run_in_chunks(self._run, images, self.chunk, self.arch.classes, intermediates)


def transform_float_forward(
    arch: TransformArch, tensors: dict[str, np.ndarray], images: np.ndarray, *, chunk=2500
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Logits (N×classes, float64) of the model as trained, and its coefficients
    ``coefficients`` (``c``) and ``features`` (``y``, before the output layer)."""
    p, n = arch.size, arch.n
    fw, inv = forward_matrix(arch.kind, p), inverse_matrix(arch.kind, p)
    v = float(np.asarray(tensors["layer.channel_mix"]).reshape(()))
    a = v * np.asarray(tensors["layer.filters"], np.float64).reshape(p, p)
    t = np.abs(np.asarray(tensors["layer.soft_threshold.threshold"], np.float64)).reshape(p, p)
    w = np.asarray(tensors["out.weight"], np.float64)
    b = np.asarray(tensors["out.bias"], np.float64)
    logits, coeffs, feats = [], [], []
    for start in range(0, len(images), chunk):
        x = normalize(check_images(images[start : start + chunk], n)).astype(np.float64)
        xp = np.full((len(x), p, p), -1.0)
        xp[:, :n, :n] = x
        c = fw @ xp @ fw.T
        g = a * c
        z = np.sign(g) * np.maximum(np.abs(g) - t, 0.0)
        y = inv @ z @ inv.T + xp
        logits.append(y.reshape(len(y), -1) @ w.T + b)
        coeffs.append(c)
        feats.append(y)
    if not logits:
        return np.zeros((0, arch.classes)), {}
    return np.concatenate(logits), {
        "coefficients": np.concatenate(coeffs),
        "features": np.concatenate(feats),
    }
