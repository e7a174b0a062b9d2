"""ResNets with transform-domain layers (the paper's CIFAR-10 and ImageNet models).

CIFAR-10 (32×32 inputs, logits out)
    ``resnet20``: ResNet-20 (3 stages × 3 basic blocks, widths 16/32/64, 1×1-convolution +
    batch-norm shortcuts where the shape changes), as the authors' baseline.
    ``resnet20-{P}c-{dct,ht,bwt}``: the second 3×3 convolution of every block replaced by a
    P-path layer (P = 1 with its shortcut, P ≥ 2 without). ``resnet20-all-{dct,ht,bwt}``:
    every 3×3 convolution except the stem replaced by a single-path layer (a stride-2
    convolution becomes 2×2 average pooling + the layer at the reduced size, as in the
    authors' code). ``resnet20-plus-1c-dct``: the baseline with one single-path DCT layer +
    batch norm before global average pooling.
ImageNet (224×224 inputs, logits out)
    ``resnet18`` and ``resnet50`` follow torchvision's definitions exactly (BasicBlock /
    Bottleneck with the stride on the 3×3 convolution, "v1.5"; torchvision's
    initialisation, zero-init of the last batch norm off); their parameter counts are
    checked against torchvision's (11,689,512 and 25,557,032).
    ``resnet18-{1,3}c-{dct,ht,bwt}``: the second 3×3 convolution of every basic block
    replaced; ``resnet50-3c-{dct,ht,bwt}``: the 3×3 convolution of every second bottleneck
    of each stage (blocks 1, 3, 5 counted from 0), as in the authors' ImageNet code.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .layers import TransformDomainLayer

__all__ = [
    "CifarResNet",
    "ImageNetResNet",
    "LayerSpec",
    "make_cifar_resnet20",
    "make_resnet18",
    "make_resnet50",
]


@dataclass(frozen=True)
class LayerSpec:
    """A transform-domain layer replacing a 3×3 convolution: family and number of paths."""

    kind: str
    paths: int = 1


def _spatial_layer(
    in_channels: int, out_channels: int, stride: int, out_size: int, spec: LayerSpec | None
) -> nn.Module:
    """A 3×3 convolution (``spec`` None) or its transform-domain replacement.

    The replacement works at the output size; a strided convolution becomes average
    pooling by the stride followed by the layer. The single-path layer keeps its
    shortcut when the channel count does not change.
    """
    if spec is None:
        return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
    layer = TransformDomainLayer(
        spec.kind,
        in_channels,
        out_channels,
        out_size,
        out_size,
        paths=spec.paths,
        residual=spec.paths == 1 and in_channels == out_channels,
    )
    return nn.Sequential(nn.AvgPool2d(stride), layer) if stride > 1 else layer


# ------------------------------------------------------------------ CIFAR ResNet-20


class CifarBlock(nn.Module):
    """Basic block: conv1 → BN → ReLU → conv2 → BN, plus the shortcut, then ReLU."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int,
        out_size: int,
        conv1: LayerSpec | None = None,
        conv2: LayerSpec | None = None,
    ):
        super().__init__()
        self.conv1 = _spatial_layer(in_channels, out_channels, stride, out_size, conv1)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _spatial_layer(out_channels, out_channels, 1, out_size, conv2)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        # Functional ReLU after the sum, as in the authors' code (ptflops does not count it).
        return F.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    """ResNet-20-style CIFAR network on ``(batch, 3, 32, 32)`` inputs; returns logits.

    Parameters
    ----------
    conv1, conv2 : LayerSpec or None
        Replacement of the first / second 3×3 convolution of every block (None keeps it).
    extra : LayerSpec or None
        A transform-domain layer + batch norm inserted before global average pooling.
    blocks : int
        Blocks per stage (3 for ResNet-20).
    """

    def __init__(
        self,
        *,
        conv1: LayerSpec | None = None,
        conv2: LayerSpec | None = None,
        extra: LayerSpec | None = None,
        blocks: int = 3,
        num_classes: int = 10,
        image_size: int = 32,
    ):
        super().__init__()
        self.image_size = image_size
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True)
        )
        stages = []
        in_channels, size = 16, image_size
        for stage, width in enumerate((16, 32, 64)):
            layers = []
            for b in range(blocks):
                stride = 2 if stage > 0 and b == 0 else 1
                size //= stride
                layers.append(CifarBlock(in_channels, width, stride, size, conv1, conv2))
                in_channels = width
            stages.append(nn.Sequential(*layers))
        self.layer1, self.layer2, self.layer3 = stages
        if extra is not None:
            self.extra = nn.Sequential(_spatial_layer(64, 64, 1, size, extra), nn.BatchNorm2d(64))
        else:
            self.extra = nn.Identity()
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1:] != (3, self.image_size, self.image_size):
            raise ValueError(
                f"expected (batch, 3, {self.image_size}, {self.image_size}) images, "
                f"got shape {tuple(x.shape)}"
            )
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        x = self.avgpool(self.extra(x))
        return self.fc(torch.flatten(x, 1))


def make_cifar_resnet20(variant: str = "baseline", kind: str = "dct", paths: int = 1):
    """ResNet-20 or a variant: ``"baseline"``, ``"conv2"`` (second convolution of every block
    replaced by a ``paths``-path layer), ``"all"`` (every 3×3 convolution but the stem
    replaced by a single-path layer) or ``"plus"`` (one single-path layer + BN before
    pooling)."""
    spec = LayerSpec(kind, paths)
    if variant == "baseline":
        return CifarResNet()
    if variant == "conv2":
        return CifarResNet(conv2=spec)
    if variant == "all":
        return CifarResNet(conv1=LayerSpec(kind, 1), conv2=LayerSpec(kind, 1))
    if variant == "plus":
        return CifarResNet(extra=LayerSpec(kind, 1))
    raise ValueError(f"unknown ResNet-20 variant {variant!r}; choose baseline, conv2, all or plus")


# ------------------------------------------------------------------ ImageNet ResNet-18/50
# Same module names, shapes, wiring and initialisation as torchvision.models.resnet.


def _conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)


def _conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """torchvision's BasicBlock; ``spec`` replaces ``conv2`` by a transform-domain layer."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, *, out_size, spec=None):
        super().__init__()
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _spatial_layer(planes, planes, 1, out_size, spec)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """torchvision's Bottleneck (stride on the 3×3 convolution, "ResNet v1.5");
    ``spec`` replaces ``conv2`` by a transform-domain layer."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, *, out_size, spec=None):
        super().__init__()
        width = planes
        self.conv1 = _conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = _spatial_layer(width, width, stride, out_size, spec)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = _conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ImageNetResNet(nn.Module):
    """torchvision's ResNet on ``(batch, 3, image_size, image_size)`` inputs; returns logits.

    ``replace(stage, block)`` (0-based) returns the :class:`LayerSpec` replacing that
    block's 3×3 ``conv2``, or None to keep the convolution.
    """

    def __init__(self, block, layers, *, replace=None, num_classes=1000, image_size=224):
        super().__init__()
        replace = replace or (lambda stage, index: None)
        self.image_size = image_size
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        size = image_size // 4
        stages = []
        for stage, (planes, count) in enumerate(zip((64, 128, 256, 512), layers, strict=True)):
            stride = 1 if stage == 0 else 2
            size //= stride
            stages.append(self._make_layer(block, planes, count, stride, size, stage, replace))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, count, stride, size, stage, replace):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                _conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        blocks = [
            block(self.inplanes, planes, stride, downsample, out_size=size, spec=replace(stage, 0))
        ]
        self.inplanes = planes * block.expansion
        for index in range(1, count):
            blocks.append(block(self.inplanes, planes, out_size=size, spec=replace(stage, index)))
        return nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1:] != (3, self.image_size, self.image_size):
            raise ValueError(
                f"expected (batch, 3, {self.image_size}, {self.image_size}) images, "
                f"got shape {tuple(x.shape)}"
            )
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def make_resnet18(kind: str | None = None, paths: int = 1, **kwargs) -> ImageNetResNet:
    """ResNet-18; with ``kind``, ``conv2`` of every basic block is a ``paths``-path layer."""
    spec = LayerSpec(kind, paths) if kind else None
    return ImageNetResNet(BasicBlock, (2, 2, 2, 2), replace=lambda s, i: spec, **kwargs)


def make_resnet50(kind: str | None = None, paths: int = 3, **kwargs) -> ImageNetResNet:
    """ResNet-50; with ``kind``, ``conv2`` of blocks 1, 3, 5 of each stage is a
    ``paths``-path layer (the authors' placement)."""
    spec = LayerSpec(kind, paths) if kind else None
    return ImageNetResNet(
        Bottleneck, (3, 4, 6, 3), replace=lambda s, i: spec if i % 2 == 1 else None, **kwargs
    )
