"""Models built from the transform-domain layers, registered in :mod:`lst.registry`.

CIFAR-10 and ImageNet
    The ResNets of :mod:`lst.transform.resnets` (registered here).
MNIST (28×28 normalised inputs, log-softmax out, like LST-1)
    ``dct1``: a single-path DCT layer on the 28×28 image, then Linear(784, 10).
    ``ht1`` / ``bwt1``: the image padded to 32×32 (with −1, the normalised background),
    a single-path Hadamard / block-wavelet layer, then Linear(1024, 10).

Multiply-accumulates (:func:`count_macs`) follow the paper: the transform-domain layers
by :meth:`lst.transform.layers.TransformDomainLayer.multiplications` (transforms as matrix
products, none for Hadamard), everything else as the ptflops tool counts modules
(convolutions and linear layers with their biases, 2 per batch-norm element, 1 per
element of every ``nn.ReLU`` module call and of every pooling input). That convention
reproduces the paper's CIFAR-10 totals exactly. ``convention="core"`` counts only the
convolutions, linear layers and transform-domain layers (no biases): the convention of
the LST models, used for the MNIST models here.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

from ..registry import ModelInfo, register
from .layers import TransformDomainLayer
from .resnets import (
    CifarResNet,
    ImageNetResNet,
    LayerSpec,
    make_cifar_resnet20,
    make_resnet18,
    make_resnet50,
)

__all__ = [
    "CifarResNet",
    "ImageNetResNet",
    "LayerSpec",
    "TransformDomainMnist",
    "count_macs",
    "make_cifar_resnet20",
    "make_resnet18",
    "make_resnet50",
]

#: Short names of the transform families in model names.
FAMILY_NAMES = {"dct": "dct", "ht": "hadamard", "bwt": "bwt"}
FAMILY_TITLES = {"dct": "DCT", "hadamard": "HT", "bwt": "BWT"}


# ------------------------------------------------------------------ MNIST


class TransformDomainMnist(nn.Module):
    """LST-1's counterpart: one single-path transform-domain layer, then the output layer.

    Input: normalised images ``(batch, 28, 28)`` (``p/127.5 − 1``). For ``size`` > 28 the
    image is first padded (bottom and right) to ``size``×``size`` with ``pad_value`` (−1,
    the normalised background). Output: log-probabilities ``(batch, 10)``. Dropout
    (``dropout``) acts on the layer's output image while training.
    """

    def __init__(
        self,
        kind: str,
        *,
        size: int = 28,
        dropout: float = 0.1,
        pad_value: float = -1.0,
        implementation: str | None = None,
    ):
        super().__init__()
        if size < 28:
            raise ValueError(f"size must be at least 28, not {size}")
        self.kind = kind
        self.size = size
        self.pad_value = pad_value
        self.layer = TransformDomainLayer(
            kind, 1, 1, size, size, paths=1, residual=True, implementation=implementation
        )
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(size * size, 10)
        nn.init.xavier_uniform_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The ``size``×``size`` image the output layer sees (``batch × size × size``)."""
        if x.dim() != 3 or x.shape[1:] != (28, 28):
            raise ValueError(f"expected (batch, 28, 28) images, got shape {tuple(x.shape)}")
        if self.size > 28:
            pad = self.size - 28
            x = F.pad(x, (0, pad, 0, pad), value=self.pad_value)
        return self.layer(x[:, None])[:, 0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.out(self.drop(self.features(x).flatten(1)))
        return torch.log_softmax(logits, dim=1)


# ------------------------------------------------------------------ MAC counting

_POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)
_FREE = (nn.Dropout, nn.Identity, nn.Flatten)
CONVENTIONS = ("paper", "core")


def _module_macs(module: nn.Module, x: torch.Tensor, y: torch.Tensor, paper: bool) -> int:
    if isinstance(module, TransformDomainLayer):
        return module.multiplications()
    if isinstance(module, nn.Conv2d):
        per_output = module.in_channels // module.groups * module.kernel_size[0]
        per_output *= module.kernel_size[1]
        bias = 1 if (paper and module.bias is not None) else 0
        return y[0].numel() * (per_output + bias)
    if isinstance(module, nn.Linear):
        rows = x[0].numel() // module.in_features
        bias = module.out_features if (paper and module.bias is not None) else 0
        return rows * (module.in_features * module.out_features + bias)
    if not paper:
        return 0
    if isinstance(module, nn.BatchNorm2d):
        return x[0].numel() * (2 if module.affine else 1)
    if isinstance(module, nn.ReLU):
        return y[0].numel()
    if isinstance(module, _POOLS):
        return x[0].numel()
    return 0


def count_macs(model: nn.Module, input_shape: tuple[int, ...], *, convention: str = "paper"):
    """Multiply-accumulates of one input of shape ``input_shape`` (without the batch axis).

    Runs one forward pass (batch of one, eval mode, no gradients) with hooks; see the
    module docstring for the two conventions. Raises ``TypeError`` on a leaf module with
    parameters that has no counting rule, so nothing is silently left out.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {', '.join(CONVENTIONS)}, not {convention!r}")
    paper = convention == "paper"
    inside = {
        id(sub)
        for m in model.modules()
        if isinstance(m, TransformDomainLayer)
        for sub in m.modules()
        if sub is not m
    }
    counted = (TransformDomainLayer, nn.Conv2d, nn.Linear, nn.BatchNorm2d, nn.ReLU, *_POOLS)
    total = [0]
    handles = []
    for m in model.modules():
        if id(m) in inside:
            continue
        if isinstance(m, counted):
            handles.append(
                m.register_forward_hook(
                    lambda mod, inputs, output: total.__setitem__(
                        0, total[0] + _module_macs(mod, inputs[0], output, paper)
                    )
                )
            )
        elif (
            not isinstance(m, _FREE)
            and not list(m.children())
            and any(True for _ in m.parameters(recurse=False))
        ):
            raise TypeError(f"no MAC counting rule for {type(m).__name__}")
    was_training = model.training
    param = next(model.parameters(), None)
    dtype = param.dtype if param is not None else torch.float32
    device = param.device if param is not None else None
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1, *input_shape), dtype=dtype, device=device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return total[0]


# ------------------------------------------------------------------ registry


def _no_dropout(name: str, dataset: str, train_hint: str):
    def check(dropout):
        if dropout is not None:
            raise ValueError(f"model {name} ({dataset}) has no dropout; {train_hint}")

    return check


def _macs_on_meta(factory, input_shape, convention):
    @functools.lru_cache(maxsize=1)
    def macs() -> int:
        with torch.device("meta"):
            model = factory()
        return count_macs(model, input_shape, convention=convention)

    return macs


def _register_fixed_data(name, title, factory, paper, description, *, dataset, shape, how):
    """Register a model trained elsewhere (no dropout knob), with MACs by the paper's rule."""
    check = _no_dropout(name, dataset, how)

    def build(dropout=None):
        check(dropout)
        return factory()

    register(
        ModelInfo(
            name=name,
            title=title,
            dataset=dataset,
            build=build,
            macs=_macs_on_meta(factory, shape, "paper"),
            paper=paper,
            description=description,
        )
    )


def _register_cifar(name, title, factory, paper, description):
    _register_fixed_data(
        name,
        title,
        factory,
        paper,
        description,
        dataset="cifar10",
        shape=(3, 32, 32),
        how="train it with 'lst cifar-train'",
    )


def _register_imagenet(name, title, factory, paper, description):
    _register_fixed_data(
        name,
        title,
        factory,
        paper,
        description,
        dataset="imagenet",
        shape=(3, 224, 224),
        how="ImageNet training is not part of this project",
    )


#: Figures quoted from the paper (CIFAR-10 parameter counts exact; MACs in millions).
PAPER_CIFAR = {
    "resnet20": {"params": 272_474, "macs_millions": 41.32},
    "resnet20-1c-dct": {"params": 151_514, "macs_millions": 30.79},
    "resnet20-2c-dct": {"params": 175_706},
    "resnet20-3c-dct": {"params": 199_898, "macs_millions": 35.68},
    "resnet20-4c-dct": {"params": 224_090},
    "resnet20-5c-dct": {"params": 248_282},
    "resnet20-all-dct": {"params": 51_034},
    "resnet20-plus-1c-dct": {"params": 276_826},
    # The paper's 22.53 M / 27.42 M: by our reading the 1-path / 3-path HT models (the DCT
    # models' totals less the DCT matrix products, which the Hadamard butterfly does not need).
    "resnet20-1c-ht": {"macs_millions": 22.53},
    "resnet20-3c-ht": {"macs_millions": 27.42},
}
PAPER_IMAGENET = {
    "resnet18": {"torchvision_params": 11_689_512},
    "resnet50": {"torchvision_params": 25_557_032},
    "resnet18-1c-dct": {"params_millions": 6.14},
    "resnet18-3c-dct": {"params_millions": 7.56},
    "resnet50-3c-dct": {"params_millions": 22.62},
}


def _register_all() -> None:
    _register_cifar(
        "resnet20",
        "ResNet-20",
        make_cifar_resnet20,
        PAPER_CIFAR["resnet20"],
        "3 stages x 3 basic blocks, widths 16/32/64, 1x1-conv + BN shortcuts",
    )
    for short, kind in FAMILY_NAMES.items():
        label = FAMILY_TITLES[kind]
        for paths in (1, 2, 3, 4, 5) if kind == "dct" else (1, 3):
            name = f"resnet20-{paths}c-{short}"
            _register_cifar(
                name,
                f"{paths}C-{label}-ResNet-20",
                functools.partial(make_cifar_resnet20, "conv2", kind, paths),
                PAPER_CIFAR.get(name, {}),
                f"ResNet-20, second 3x3 conv of every block -> {paths}-path {label} layer"
                + (" with shortcut" if paths == 1 else ""),
            )
        name = f"resnet20-all-{short}"
        _register_cifar(
            name,
            f"ResNet-20 all-{label}",
            functools.partial(make_cifar_resnet20, "all", kind),
            PAPER_CIFAR.get(name, {}),
            f"every 3x3 conv except the stem -> single-path {label} layer "
            "(stride 2: 2x2 average pooling first)",
        )
    _register_cifar(
        "resnet20-plus-1c-dct",
        "ResNet-20 + 1C-DCT-P",
        functools.partial(make_cifar_resnet20, "plus", "dct"),
        PAPER_CIFAR["resnet20-plus-1c-dct"],
        "ResNet-20 + single-path DCT layer + BN before global average pooling",
    )
    _register_imagenet(
        "resnet18",
        "ResNet-18",
        make_resnet18,
        PAPER_IMAGENET["resnet18"],
        "torchvision's ResNet-18 (ImageNet, 224x224)",
    )
    _register_imagenet(
        "resnet50",
        "ResNet-50",
        make_resnet50,
        PAPER_IMAGENET["resnet50"],
        "torchvision's ResNet-50 v1.5 (ImageNet, 224x224)",
    )
    for short, kind in FAMILY_NAMES.items():
        label = FAMILY_TITLES[kind]
        for paths in (1, 3):
            name = f"resnet18-{paths}c-{short}"
            _register_imagenet(
                name,
                f"{paths}C-{label}-ResNet-18",
                functools.partial(make_resnet18, kind, paths),
                PAPER_IMAGENET.get(name, {}),
                f"ResNet-18, conv2 of every basic block -> {paths}-path {label} layer",
            )
        name = f"resnet50-3c-{short}"
        _register_imagenet(
            name,
            f"3C-{label}-ResNet-50",
            functools.partial(make_resnet50, kind, 3),
            PAPER_IMAGENET.get(name, {}),
            f"ResNet-50, conv2 of bottlenecks 1, 3, 5 of each stage -> 3-path {label} layer",
        )
    for short, kind, size in (("dct", "dct", 28), ("ht", "hadamard", 32), ("bwt", "bwt", 32)):
        label = FAMILY_TITLES[kind]

        def build(dropout: float = 0.1, kind=kind, size=size):
            return TransformDomainMnist(kind, size=size, dropout=dropout)

        register(
            ModelInfo(
                name=f"{short}1",
                title=f"{label}-1",
                dataset="mnist",
                build=build,
                macs=_macs_on_meta(
                    functools.partial(TransformDomainMnist, kind, size=size), (28, 28), "core"
                ),
                description=(
                    f"single-path {label} layer on the "
                    + ("28x28 image" if size == 28 else "image padded to 32x32")
                    + f", {size * size} -> 10 output layer"
                ),
            )
        )


_register_all()
