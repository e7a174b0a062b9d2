"""A second checkpoint of the same shape and format for the loadable-weights checks: the
shipped one with every tensor perturbed deterministically (no training, no torch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["perturbed_checkpoint"]


def perturbed_checkpoint(source, dest, *, seed: int = 13, scale: float = 0.1) -> Path:
    """Write ``source``'s tensors times ``1 + scale·u`` (``u`` uniform in [−1, 1) from a
    generator seeded with ``seed``, tensor by tensor in name order) to ``dest``."""
    from lst.checkpoint import load_checkpoint, save_checkpoint

    tensors, meta = load_checkpoint(source)
    rng = np.random.default_rng(seed)
    out = {}
    for name in sorted(tensors):
        t = np.asarray(tensors[name], dtype=np.float64)
        out[name] = t * (1 + scale * rng.uniform(-1, 1, t.shape))
    keep = {k: meta[k] for k in ("model",) if k in meta}
    return save_checkpoint(dest, out, {**keep, "perturbed_from": str(source), "seed": seed})
