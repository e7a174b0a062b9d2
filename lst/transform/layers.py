"""Transform-domain perceptron layers (Pan, Zhu, Atici, Cetin).

A 3×3 convolution is replaced by filtering in a separable 2-D transform domain
(:class:`lst.transform.transforms.Transform2d`: DCT, Hadamard or block wavelet). With ``T`` the
transform of each channel (zero-padded to ``P_h``×``P_w`` where the family needs it)::

    single path:  y = T⁻¹( S_T( V · (A ∘ T(x)) ) ) + x
    P paths:      y = T⁻¹( Σᵢ S_Tᵢ( Vᵢ · (Aᵢ ∘ T(x)) ) )

``Aᵢ`` (the filter) and ``Tᵢ`` (the threshold) are ``P_h``×``P_w`` and shared across
channels; ``Vᵢ`` is a bias-free 1×1 convolution (``out_channels``×``in_channels``);
``S_T`` is the soft-threshold (:func:`soft_threshold`). Because ``Aᵢ`` is shared by all
channels it commutes with the channel mixing ``Vᵢ``; the layer uses that to mix all paths
with one matrix product and then scales by ``Aᵢ`` — the same function.

Initialisation as the authors': ``A ~ U[0, 1)``, ``T ~ U[0, 0.1)``, ``V`` as PyTorch's
default 1×1 convolution (``U(-1/sqrt(in), 1/sqrt(in))``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .transforms import DEFAULT_WAVELET, TRANSFORMS, Transform2d

__all__ = ["SoftThreshold", "TransformDomainLayer", "soft_threshold"]


def soft_threshold(x: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
    """``S_T(x) = sign(x) · max(|x| − |T|, 0)``, element-wise with broadcasting.

    Zero on ``|x| <= |T|``, ``x − sign(x)|T|`` outside; the sign of ``T`` is ignored.
    """
    return torch.copysign(F.relu(x.abs() - threshold.abs()), x)


class SoftThreshold(nn.Module):
    """Trainable soft-thresholding with a threshold tensor of shape ``shape``.

    The threshold broadcasts against the trailing dimensions of the input. It starts
    ``U[0, init_max)`` (the authors' ``init_max = 0.1``).
    """

    def __init__(self, shape, *, init_max: float = 0.1):
        super().__init__()
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if not shape or any(int(s) < 1 for s in shape):
            raise ValueError(f"threshold shape must be positive sizes, not {shape}")
        if not init_max >= 0:
            raise ValueError(f"init_max must be non-negative, not {init_max}")
        self.threshold = nn.Parameter(torch.rand(shape) * init_max)

    def extra_repr(self) -> str:
        return f"shape={tuple(self.threshold.shape)}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return soft_threshold(x, self.threshold)


class TransformDomainLayer(nn.Module):
    """A P-path transform-domain layer (the single-path layer is ``paths=1``).

    Parameters
    ----------
    kind : {"dct", "hadamard", "bwt"}
        Transform family.
    in_channels, out_channels : int
    height, width : int
        Spatial size of the input (and output); the filters and thresholds are of the
        padded size (the next power of two for the Hadamard and block wavelet transforms).
    paths : int
        Number of parallel paths P.
    residual : bool, optional
        Add the input to the output (the shortcut). Default: ``paths == 1`` (the paper's
        single-path layer has the shortcut, the P-path layer not). Needs
        ``in_channels == out_channels``.
    implementation : str, optional
        Transform implementation (default: :data:`lst.transform.transforms.DEFAULT_IMPLEMENTATION`).

    Shapes
    ------
    ``(batch, in_channels, height, width)`` → ``(batch, out_channels, height, width)``.

    Attributes
    ----------
    filters : Parameter, ``(paths, P_h, P_w)``
        The element-wise filters ``Aᵢ``.
    soft_threshold : SoftThreshold
        Thresholds ``Tᵢ``, shape ``(paths, 1, P_h, P_w)``.
    channel_mix : Parameter, ``(paths, out_channels, in_channels)``
        The 1×1 convolutions ``Vᵢ`` (no bias).
    """

    def __init__(
        self,
        kind: str,
        in_channels: int,
        out_channels: int,
        height: int,
        width: int,
        *,
        paths: int = 1,
        residual: bool | None = None,
        implementation: str | None = None,
        wavelet: str = DEFAULT_WAVELET,
    ):
        super().__init__()
        if kind not in TRANSFORMS:
            raise ValueError(f"unknown transform {kind!r}; choose one of {', '.join(TRANSFORMS)}")
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
        if isinstance(paths, bool) or not isinstance(paths, int) or paths < 1:
            raise ValueError(f"paths must be a positive integer, not {paths!r}")
        if residual is None:
            residual = paths == 1
        if residual and in_channels != out_channels:
            raise ValueError(
                f"the shortcut needs in_channels == out_channels, not {in_channels} -> "
                f"{out_channels}; pass residual=False"
            )
        self.kind = kind
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.paths = paths
        self.residual = bool(residual)
        self.transform = Transform2d(
            kind, height, width, implementation=implementation, wavelet=wavelet
        )
        ph, pw = self.transform.padded_height, self.transform.padded_width
        self.filters = nn.Parameter(torch.rand(paths, ph, pw))
        self.soft_threshold = SoftThreshold((paths, 1, ph, pw))
        bound = in_channels**-0.5
        self.channel_mix = nn.Parameter(
            torch.empty(paths, out_channels, in_channels).uniform_(-bound, bound)
        )

    @property
    def height(self) -> int:
        return self.transform.height

    @property
    def width(self) -> int:
        return self.transform.width

    def extra_repr(self) -> str:
        t = self.transform
        return (
            f"{self.kind}, {self.in_channels} -> {self.out_channels} channels, "
            f"{t.height}x{t.width} (coefficients {t.padded_height}x{t.padded_width}), "
            f"paths={self.paths}, residual={self.residual}"
        )

    def transform_domain(self, x: torch.Tensor) -> torch.Tensor:
        """The summed, thresholded coefficients ``Σᵢ S_Tᵢ(Vᵢ · (Aᵢ ∘ T(x)))`` (before T⁻¹)."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"{self.kind} layer expects (batch, {self.in_channels}, {self.height}, "
                f"{self.width}) input, got shape {tuple(x.shape)}"
            )
        coeffs = self.transform(x)  # (B, Cin, Ph, Pw)
        batch, _, ph, pw = coeffs.shape
        mix = self.channel_mix.reshape(self.paths * self.out_channels, self.in_channels)
        mixed = torch.matmul(mix, coeffs.reshape(batch, self.in_channels, ph * pw))
        mixed = mixed.reshape(batch, self.paths, self.out_channels, ph, pw)
        filtered = mixed * self.filters[:, None]
        return self.soft_threshold(filtered).sum(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.transform.inverse(self.transform_domain(x))
        return y + x if self.residual else y

    def multiplications(self) -> int:
        """Multiply-accumulates per input, the paper's way: the forward transform of the
        input channels and the inverse of the output channels as matrix products (none for
        the Hadamard transform), plus per path ``in·P_h·P_w`` for the filter and
        ``in·out·P_h·P_w`` for the 1×1 convolution; thresholds and the shortcut are not
        counted."""
        t = self.transform
        area = t.padded_height * t.padded_width
        per_path = self.in_channels * area + self.in_channels * self.out_channels * area
        return (
            t.multiplications(self.in_channels)
            + self.paths * per_path
            + t.multiplications(self.out_channels)
        )
