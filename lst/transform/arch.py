"""Torch-free description of the MNIST transform-domain models HT-1, DCT-1 and BWT-1.

The fixed-point side (:mod:`quant.transform_contract` and what builds on it) reads the
models through this description, as the LST side reads :class:`lst.arch.LSTArch`. The
PyTorch model is :class:`lst.transform.models.TransformDomainMnist`; the tensor names
and shapes here are its state dict's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .matrices import TRANSFORMS, padded_length

__all__ = [
    "TRANSFORM_MODELS",
    "TransformArch",
    "get_transform_arch",
    "is_transform_model",
    "load_transform_checkpoint",
]


@dataclass(frozen=True)
class TransformArch:
    """A single-path transform-domain model on 28×28 images.

    The image (``n``×``n``, normalised to ``p/127.5 − 1``) is padded with −1 to
    ``size``×``size`` (the next power of two for the Hadamard and block wavelet
    families), transformed (``c = F X Fᵀ``), scaled per coefficient by ``v·A``,
    soft-thresholded, transformed back and added to the padded image; a linear layer
    maps the ``size²`` values to ``classes`` logits.
    """

    name: str
    title: str
    kind: str
    n: int = 28
    classes: int = 10
    trained_accuracy: float | None = None

    def __post_init__(self):
        if self.kind not in TRANSFORMS:
            raise ValueError(f"unknown transform {self.kind!r}")

    @property
    def size(self) -> int:
        """Side of the coefficient image (28 for the DCT, 32 for the others)."""
        return padded_length(self.kind, self.n)

    def tensor_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every parameter tensor, by state-dict name, in a fixed order."""
        p = self.size
        return {
            "layer.filters": (1, p, p),
            "layer.soft_threshold.threshold": (1, 1, p, p),
            "layer.channel_mix": (1, 1, 1),
            "out.weight": (self.classes, p * p),
            "out.bias": (self.classes,),
        }

    @property
    def params(self) -> int:
        return sum(int(np.prod(s)) for s in self.tensor_shapes().values())

    @property
    def pass_macs(self) -> tuple[int, int]:
        """Products of the row pass (``n`` rows × ``size`` outputs × ``n`` taps) and of
        the column pass (``size``² outputs × ``n`` taps): the padding is folded in, so
        neither pass multiplies by a padded pixel."""
        return self.n * self.size * self.n, self.size * self.size * self.n

    @property
    def hardware_macs(self) -> int:
        """Products per image in the fixed-point model: both transform passes (none of
        them multiplications for the Hadamard transform), one scale per coefficient and
        the output layer. The inverse transform is folded into the output layer."""
        return sum(self.pass_macs) + self.size**2 + self.classes * self.size**2


TRANSFORM_MODELS: dict[str, TransformArch] = {
    a.name: a
    for a in (
        TransformArch("ht1", "HT-1", "hadamard", trained_accuracy=94.38),
        TransformArch("dct1", "DCT-1", "dct", trained_accuracy=93.59),
        TransformArch("bwt1", "BWT-1", "bwt", trained_accuracy=94.59),
    )
}


def is_transform_model(name: str | None) -> bool:
    return name in TRANSFORM_MODELS


def get_transform_arch(name: str) -> TransformArch:
    try:
        return TRANSFORM_MODELS[name]
    except KeyError:
        raise ConfigError(
            f"unknown transform-domain model {name!r}; choose one of {', '.join(TRANSFORM_MODELS)}"
        ) from None


def load_transform_checkpoint(path, model: str | None = None):
    """Load and validate a transform-domain checkpoint: ``(arch, tensors, meta)``.

    The model comes from ``model``, else from the checkpoint's metadata; the tensors
    are checked against :meth:`TransformArch.tensor_shapes` (float64 copies)."""
    from ..checkpoint import CheckpointError, check_tensors, load_checkpoint

    path = Path(path)
    tensors, meta = load_checkpoint(path)
    named = meta.get("model")
    if model and named and named != model:
        raise CheckpointError(f"{path}: checkpoint is for model {named}, not {model}")
    name = model or named
    if name not in TRANSFORM_MODELS:
        raise CheckpointError(
            f"{path}: {'model ' + repr(name) if name else 'no model named'}; the transform-"
            f"domain models are {', '.join(TRANSFORM_MODELS)}"
        )
    arch = TRANSFORM_MODELS[name]
    return arch, check_tensors(path, arch, tensors), meta
