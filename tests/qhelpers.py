"""Random LST models for the quantizer and golden-model tests."""

from __future__ import annotations

import numpy as np

from lst.arch import get_arch


def random_tensors(model: str = "lst1", seed: int = 0, scale: float = 0.3) -> dict:
    """Float tensors with trained-like magnitudes (non-zero biases included)."""
    rng = np.random.default_rng(seed)
    arch = get_arch(model)
    out = {}
    for name, shape in arch.tensor_shapes().items():
        s = scale if name.endswith("weight") else 0.5
        if name == "out.weight":
            s = 0.15
        out[name] = rng.normal(0, s, shape)
    return out


def sample_images(seed: int = 0, n: int = 6) -> np.ndarray:
    """Random images plus the extremes: all 0, all 255, checkerboard, one hot pixel."""
    rng = np.random.default_rng(seed)
    imgs = [np.zeros((28, 28)), np.full((28, 28), 255)]
    imgs.append((np.indices((28, 28)).sum(axis=0) % 2) * 255)
    hot = np.zeros((28, 28))
    hot[13, 7] = 255
    imgs.append(hot)
    imgs += list(rng.integers(0, 256, (n, 28, 28)))
    return np.array(imgs, dtype=np.uint8)
