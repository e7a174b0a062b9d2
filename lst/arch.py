"""Torch-free description of the LST model family.

The PyTorch models (:mod:`lst.models`), the checkpoint loader, the quantizer and the
fixed-point golden model all build on this one description, so that tensor names,
shapes and the block wiring are defined in a single place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ConfigError

__all__ = [
    "LST_MODELS",
    "MODELS_DIR",
    "LSTArch",
    "default_checkpoint",
    "get_arch",
    "normalize",
]

#: Shipped checkpoints live here (``<repo>/models``).
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


@dataclass(frozen=True)
class LSTArch:
    """An LST model: ``blocks`` L2DST blocks of size ``n``×``n``, then ``n²`` → ``classes``.

    ``residual`` (ResLST-3 only): the output layer sees ``L3(L2(L1(x))) + L1(x)``.
    """

    name: str
    title: str
    blocks: int
    residual: bool = False
    n: int = 28
    classes: int = 10
    paper_accuracy: float | None = None

    def __post_init__(self):
        if self.residual and self.blocks != 3:
            raise ValueError("the residual wiring is defined for exactly 3 blocks")

    def tensor_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every parameter tensor of the model, by checkpoint name, in a fixed order."""
        shapes: dict[str, tuple[int, ...]] = {}
        for b in range(self.blocks):
            shapes[f"blocks.{b}.row.weight"] = (self.n, self.n)
            shapes[f"blocks.{b}.row.bias"] = (self.n,)
            shapes[f"blocks.{b}.col.weight"] = (self.n, self.n)
            shapes[f"blocks.{b}.col.bias"] = (self.n,)
        shapes["out.weight"] = (self.classes, self.n * self.n)
        shapes["out.bias"] = (self.classes,)
        return shapes

    @property
    def params(self) -> int:
        return sum(int(np.prod(s)) for s in self.tensor_shapes().values())

    @property
    def macs(self) -> int:
        """Multiply-accumulates per image: two n³ passes per block plus the output layer."""
        return self.blocks * 2 * self.n**3 + self.classes * self.n * self.n


LST_MODELS: dict[str, LSTArch] = {
    a.name: a
    for a in (
        LSTArch("lst1", "LST-1", blocks=1, paper_accuracy=98.02),
        LSTArch("lst2", "LST-2", blocks=2, paper_accuracy=98.34),
        LSTArch("reslst3", "ResLST-3", blocks=3, residual=True, paper_accuracy=98.53),
    )
}


def get_arch(name: str) -> LSTArch:
    try:
        return LST_MODELS[name]
    except KeyError:
        raise ConfigError(
            f"unknown LST model {name!r}; choose one of {', '.join(LST_MODELS)}"
        ) from None


def default_checkpoint(name: str) -> Path:
    """Path of the shipped checkpoint of model ``name``."""
    return MODELS_DIR / f"{name}.safetensors"


def normalize(images: np.ndarray) -> np.ndarray:
    """Map uint8 pixels p ∈ [0, 255] to p/127.5 − 1 ∈ [−1, 1] (float32)."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"images must be uint8, not {images.dtype}")
    return images.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
