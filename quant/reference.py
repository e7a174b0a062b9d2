"""Float64 NumPy reference of the LST models (no torch).

The same formulas as :mod:`lst.models`, evaluated in float64 on the checkpoint's
float weights: the float side of ``lst accuracy`` and of the fixed-vs-float error
bound tests.
"""

from __future__ import annotations

import numpy as np

from lst.arch import LSTArch, normalize

__all__ = ["float_forward"]


def float_forward(
    arch: LSTArch, tensors: dict[str, np.ndarray], images: np.ndarray, *, chunk: int = 2500
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Logits (N×classes, float64) and intermediates, named as in the golden model:
    ``blocks.B.row.acc`` (pre-activation), ``blocks.B.row`` (E), ``blocks.B.col.acc``,
    ``blocks.B.col`` (Y), ``features``."""
    t = {k: np.asarray(v, dtype=np.float64) for k, v in tensors.items()}
    logits, keep = [], {}
    for start in range(0, len(images), chunk):
        x = normalize(images[start : start + chunk]).astype(np.float64)
        inter = {}
        outs = []
        for b in range(arch.blocks):
            pre = f"blocks.{b}"
            acc = x @ t[f"{pre}.row.weight"].T + t[f"{pre}.row.bias"]
            e = np.tanh(acc)
            acc2 = t[f"{pre}.col.weight"] @ e + t[f"{pre}.col.bias"][:, None]
            y = np.tanh(acc2)
            inter.update(
                {f"{pre}.row.acc": acc, f"{pre}.row": e, f"{pre}.col.acc": acc2, f"{pre}.col": y}
            )
            outs.append(y)
            x = y
        feat = outs[2] + outs[0] if arch.residual else outs[-1]
        inter["features"] = feat
        logits.append(feat.reshape(len(feat), -1) @ t["out.weight"].T + t["out.bias"])
        for k, v in inter.items():
            keep.setdefault(k, []).append(v)
    out = np.concatenate(logits) if logits else np.zeros((0, arch.classes))
    return out, {k: np.concatenate(v) for k, v in keep.items()}
