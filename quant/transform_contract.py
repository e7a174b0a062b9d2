"""The fixed-point contract of the transform-domain models HT-1, DCT-1 and BWT-1.

The executable form of the transform section of ``docs/fixed-point.md``. The float
model (:class:`lst.transform.models.TransformDomainMnist`) computes, on the image
``X`` padded with −1 to ``P``×``P``::

    c = F X Fᵀ,   z = S_T(v·A ∘ c),   y = G z Gᵀ + X,   logits = W·y + b

with ``F`` the forward and ``G = F⁻¹`` the inverse transform. Because ``G c Gᵀ = X``,
``y = G (z + c) Gᵀ``: the inverse transform and the shortcut fold into the output
layer, whose weights become ``W'[o] = Gᵀ W[o] G``, and the shortcut becomes a sum in
the transform domain. The fixed-point model computes, for pixels ``x = p − 128``
(``q1.7``, as for LST; the padding is folded into constants, so only the 28×28
pixels are multiplied)::

    E  = narrow(x · Mᵀ)                  row pass,    n × P,  n taps
    c  = narrow(M · E)                   column pass, P × P,  n taps
    g  = sat(narrow(a ∘ c + β))          scale,       one product per coefficient
    z  = sign(g) · max(|g| − τ, 0)       soft threshold
    u  = z + c                           shortcut, in the transform domain
    logits = Wq · u + bq                 output layer, P² taps

``M`` is the forward matrix without its padded columns: for the DCT and the block
wavelet the matrix rounded to the weight format; for the Hadamard transform the ±1
Sylvester matrix itself, exact, whose ``1/P`` normalisation of the two passes is a
shift of the binary point (no multiplier). Every narrowing rounds half up; only
``g`` can saturate. ``a``, ``β``, ``τ``, ``Wq`` and ``bq`` hold the learned
parameters with the input encoding and the padding folded in
(:mod:`quant.transform_quantize`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from lst.errors import ConfigError
from lst.transform.arch import TransformArch
from lst.transform.matrices import forward_matrix

from .contract import DEFAULT_FORMAT, INPUT_FORMAT, FixedConfig, bits_for_count
from .fixed import FixedFormat, Overflow, Rounding, bits_for, q

__all__ = ["TransformConfig", "TransformFormats", "formats", "transform_matrix"]

#: The two passes of the Hadamard transform scale by 1/sqrt(P) each: 1/P together.
HADAMARD_MATRIX = FixedFormat(2, 0)


@dataclass(frozen=True)
class TransformConfig:
    """The numeric configuration of one quantized transform-domain model.

    Parameters
    ----------
    weight : FixedFormat or str
        Format of the transform matrix (DCT, BWT), the per-coefficient scales and the
        output layer's weights (``q5.7`` by default); values outside it saturate.
    data_frac : int, optional
        Fractional bits of the row-pass output ``E``, the coefficients ``c`` and
        everything after them up to the output layer; default: the weight format's.
    """

    weight: FixedFormat = field(default_factory=lambda: q(DEFAULT_FORMAT))
    data_frac: int | None = None

    def __post_init__(self):
        # The weight format's rules are LST's: reuse its checks and modes.
        w = FixedConfig(weight=self.weight).weight
        object.__setattr__(self, "weight", w)
        if self.data_frac is None:
            object.__setattr__(self, "data_frac", max(w.frac, 1))
        if isinstance(self.data_frac, bool) or not 1 <= self.data_frac <= 16:
            raise ConfigError(f"data fractional bits must be 1..16, not {self.data_frac}")

    @classmethod
    def parse(cls, fmt: str | FixedFormat = DEFAULT_FORMAT, **kwargs) -> TransformConfig:
        return cls(weight=FixedFormat.parse(fmt) if isinstance(fmt, str) else fmt, **kwargs)

    @property
    def name(self) -> str:
        return self.weight.name

    def to_dict(self) -> dict:
        return {"weight": self.weight.to_dict(), "data_frac": self.data_frac}

    @classmethod
    def from_dict(cls, d: dict) -> TransformConfig:
        return cls(FixedFormat.from_dict(d["weight"]), d["data_frac"])


def transform_matrix(arch: TransformArch, cfg: TransformConfig) -> tuple[np.ndarray, int]:
    """The integer matrix ``M`` (``P``×``n``, int64) of both passes and its fraction:
    the real per-pass matrix is ``M·2^−frac`` (DCT, BWT) or, for the Hadamard transform,
    ``M/sqrt(P)``, which the contract carries as ``frac = log2(P)/2`` per pass."""
    f = forward_matrix(arch.kind, arch.size)[:, : arch.n]
    if arch.kind == "hadamard":
        return np.rint(f * math.sqrt(arch.size)).astype(np.int64), 0
    fmt = matrix_format(arch, cfg)
    return fmt.quantize(f), fmt.frac


def matrix_format(arch: TransformArch, cfg: TransformConfig) -> FixedFormat:
    """The matrix's format: the ±1 Hadamard entries exactly, else the weight format's
    width with the fewest integer bits that hold the matrix (it is fixed, so its
    range is known; the learned values keep the weight format)."""
    if arch.kind == "hadamard":
        return HADAMARD_MATRIX
    peak = float(np.abs(forward_matrix(arch.kind, arch.size)).max())
    width = cfg.weight.width
    for int_bits in range(1, width):
        fmt = FixedFormat(width, width - int_bits)
        if math.floor(peak * 2**fmt.frac + 0.5) <= fmt.max_int:
            return fmt.with_modes(rounding=Rounding.HALF_UP, overflow=Overflow.SATURATE)
    raise ConfigError(f"{arch.name}: no {width}-bit format holds the transform matrix")


def _signed_bound(bound: int) -> int:
    return bits_for(-bound, bound)


@dataclass(frozen=True)
class TransformFormats:
    """Every format of one model's fixed-point inference (see the module docstring).

    ``*_acc`` formats are exact (no value of the operands' formats overflows them);
    ``e_shift`` and ``c_shift`` narrow the two passes' accumulators, ``g_shift`` the
    scale's, each rounding half up.
    """

    arch: TransformArch
    config: TransformConfig
    matrix: FixedFormat
    e_acc: FixedFormat
    e: FixedFormat
    e_shift: int
    c_acc: FixedFormat
    c: FixedFormat
    c_shift: int
    scale: FixedFormat
    beta: FixedFormat
    g_acc: FixedFormat
    g: FixedFormat
    g_shift: int
    tau: FixedFormat
    u: FixedFormat
    out_w: FixedFormat
    out_bias: FixedFormat
    logits: FixedFormat

    def table(self) -> list[tuple[str, FixedFormat, str]]:
        """``(quantity, format, note)`` rows for the documentation and ``--json``."""
        return [
            ("input x = p − 128", INPUT_FORMAT, "28×28 pixels; padding folded into β, bq"),
            ("matrix M", self.matrix, self._matrix_note()),
            ("row-pass accumulator", self.e_acc, f"{self.arch.n} taps, exact"),
            ("E (row pass)", self.e, f"shift {self.e_shift}, round half up"),
            ("column-pass accumulator", self.c_acc, f"{self.arch.n} taps, exact"),
            ("c (coefficients)", self.c, f"shift {self.c_shift}, round half up"),
            ("scale a", self.scale, "per coefficient, saturating"),
            ("offset β", self.beta, "per coefficient, at the product's precision"),
            ("a·c + β", self.g_acc, "exact"),
            ("g", self.g, f"shift {self.g_shift}, round half up, saturating"),
            ("threshold τ", self.tau, "per coefficient, ≥ 0, saturating"),
            ("z = S_τ(g)", self.g, "never wider than g"),
            ("u = z + c", self.u, "exact"),
            ("output weights Wq", self.out_w, "saturating"),
            ("output bias bq", self.out_bias, "at the product's precision"),
            ("logits", self.logits, f"{self.arch.size**2} taps + bias, exact"),
        ]

    def _matrix_note(self) -> str:
        if self.arch.kind == "hadamard":
            return f"±1, exact; 1/{self.arch.size} of both passes is a binary-point shift"
        return "the transform, rounded; the weight width with the fewest integer bits"

    def to_dict(self) -> dict:
        return {
            "model": self.arch.name,
            "config": self.config.to_dict(),
            "e_shift": self.e_shift,
            "c_shift": self.c_shift,
            "g_shift": self.g_shift,
            "formats": {name: fmt.name for name, fmt, _ in self.table()},
            "widths": {name: fmt.width for name, fmt, _ in self.table()},
        }


@functools.lru_cache(maxsize=64)
def formats(arch: TransformArch, cfg: TransformConfig) -> TransformFormats:
    """Derive every format of ``arch`` under ``cfg``.

    The passes' widths come from the matrix itself (it is fixed, not learned): the
    largest row sum of ``|M|`` times the largest input magnitude. Everything after the
    coefficients is bounded by the formats alone.
    """
    w, d = cfg.weight, cfg.data_frac
    m, m_frac = transform_matrix(arch, cfg)
    hadamard = arch.kind == "hadamard"
    matrix = matrix_format(arch, cfg)
    row_sum = int(np.abs(m).sum(axis=1).max())
    x_mag = -INPUT_FORMAT.min_int

    # Row pass: the Hadamard rows stay exact integers; the others narrow to d bits.
    e_acc_frac = INPUT_FORMAT.frac + m_frac
    e_acc_bound = row_sum * x_mag
    e_acc = FixedFormat(_signed_bound(e_acc_bound), e_acc_frac)
    e_shift = 0 if hadamard else e_acc_frac - d
    e_frac = e_acc_frac - e_shift
    e_bound = _round_bound(e_acc_bound, e_shift)
    e = FixedFormat(_signed_bound(e_bound), e_frac)

    # Column pass: the Hadamard accumulator's real value is acc·2^−(7 + log2 P).
    c_acc_frac = e_frac + m_frac + (int(math.log2(arch.size)) if hadamard else 0)
    c_acc_bound = row_sum * e_bound
    c_acc = FixedFormat(_signed_bound(c_acc_bound), c_acc_frac)
    c_shift = c_acc_frac - d
    if e_shift < 0 or c_shift < 0:
        raise ConfigError(
            f"{arch.name}: {d} data fractional bits exceed the passes' precision "
            f"({e_acc_frac} and {c_acc_frac}); lower data_frac"
        )
    c = FixedFormat(_signed_bound(_round_bound(c_acc_bound, c_shift)), d)

    # Scale: a·c + β exactly, narrowed to d bits and saturated at twice c's range.
    product = w.product(c)
    beta = product.with_modes(rounding=Rounding.HALF_UP, overflow=Overflow.SATURATE)
    g_acc = FixedFormat(product.width + 1, product.frac)
    g = FixedFormat(c.width + 1, d)
    tau = FixedFormat(g.width - 1, d, signed=False)
    u = FixedFormat(g.width + 1, d)  # |z| ≤ 2^(gw−1), |c| ≤ 2^(gw−2): the sum fits

    out_product = w.product(u)
    out_bias = out_product.with_modes(rounding=Rounding.HALF_UP, overflow=Overflow.SATURATE)
    logits = FixedFormat(out_product.width + bits_for_count(arch.size**2 + 1), out_product.frac)
    return TransformFormats(
        arch=arch,
        config=cfg,
        matrix=matrix,
        e_acc=e_acc,
        e=e,
        e_shift=e_shift,
        c_acc=c_acc,
        c=c,
        c_shift=c_shift,
        scale=w,
        beta=beta,
        g_acc=g_acc,
        g=g.with_modes(overflow=Overflow.SATURATE),
        g_shift=w.frac,
        tau=tau.with_modes(rounding=Rounding.HALF_UP, overflow=Overflow.SATURATE),
        u=u,
        out_w=w,
        out_bias=out_bias,
        logits=logits,
    )


def _round_bound(bound: int, shift: int) -> int:
    """The largest magnitude of ``round_half_up(v / 2^shift)`` for ``|v| ≤ bound``."""
    if shift <= 0:
        return bound << -shift
    return (bound + (1 << (shift - 1))) >> shift
