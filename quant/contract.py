"""The fixed-point contract of LST inference: formats, widths and the tanh table.

This module is the executable form of ``docs/fixed-point.md``. Given the weight
format (default ``q5.7``) it derives, for every multiply-accumulate stage of a
model, the operand formats, the bias and accumulator formats and the narrowing to
the activation, so that the golden model and the RTL generator read the same
numbers. A test checks the document's tables against this code.

Summary (``Qm.n``: ``m`` integer bits including the sign, ``n`` fractional):

* input: pixel ``p`` enters as ``x = p − 128``, read as ``q1.7`` (the MSB of ``p``
  inverted). The float model's ``p/127.5 − 1`` is reproduced exactly by folding a
  scale of 256/255 into W1 and an offset into b1 of the first block (see
  :mod:`quant.quantize`);
* weights: the weight format ``w`` (``q5.7``);
* activations (tanh outputs): ``q1.f`` with ``f`` = the weight format's fractional
  bits, symmetric range ``[−(2^f − 1), 2^f − 1]``;
* each stage: ``acc = bias + Σ w·x`` exactly, in a format wide enough for any
  weights of the format and any input (no overflow by construction); biases are
  stored at the product precision;
* narrowing: ``t = sat((acc + 2^(s−1)) >> s)`` to the tanh input format
  ``q(r+1).g`` (round half up, saturate), then the table ``T[t] =
  round_half_away(2^f · tanh(t / 2^g))`` (exactly rounded, odd-symmetric);
* output layer: logits are the exact accumulators (no narrowing); the class is the
  first index of the maximum logit (ties go to the lower class).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from lst.arch import LSTArch
from lst.errors import ConfigError

from .fixed import FixedFormat, Overflow, Rounding, q

__all__ = [
    "INPUT_FORMAT",
    "MAX_WEIGHT_WIDTH",
    "MIN_WEIGHT_WIDTH",
    "FixedConfig",
    "Stage",
    "bits_for_count",
    "logit_format",
    "stages",
]

#: Pixels enter as p − 128 with 7 fractional bits: [−1, 127/128].
INPUT_FORMAT = FixedFormat(8, 7)

#: Default weight format of the hardware (the paper's FPGA realization).
DEFAULT_FORMAT = "q5.7"


def bits_for_count(n: int) -> int:
    """Extra accumulator bits to add ``n`` values of one format: ``ceil(log2(n))``."""
    return max(0, math.ceil(math.log2(n)))


#: Weight widths the contract supports: at least a sign and one bit, at most one
#: DSP48E1 multiplier port (18 bits), which also keeps every accumulator within int64.
MIN_WEIGHT_WIDTH, MAX_WEIGHT_WIDTH = 2, 18


@dataclass(frozen=True)
class FixedConfig:
    """The numeric configuration of one quantized model.

    Parameters
    ----------
    weight : FixedFormat
        Format of every weight matrix (``q5.7`` by default). Values outside it
        saturate when quantized.
    act_frac : int, optional
        Fractional bits of the activations (tanh outputs, ``q1.act_frac``);
        default: the weight format's fractional bits.
    tanh_frac : int, optional
        Fractional bits of the tanh table's input; default ``act_frac + 1``.
    activation : str
        ``"tanh"``: the exactly rounded tanh (default). ``"paper"``: the paper's
        hardware approximation x·(1 − |x|/4) for |x| < 2, else sign(x), tabulated the
        same way (kept for comparison; see docs/fixed-point.md).
    """

    weight: FixedFormat = field(default_factory=lambda: q(DEFAULT_FORMAT))
    act_frac: int | None = None
    tanh_frac: int | None = None
    activation: str = "tanh"

    def __post_init__(self):
        w = FixedFormat.parse(self.weight) if isinstance(self.weight, str) else self.weight
        w = w.with_modes(rounding=Rounding.HALF_UP, overflow=Overflow.SATURATE)
        object.__setattr__(self, "weight", w)
        if not w.signed:
            raise ConfigError(f"weight format must be signed, not {w.name}")
        if not MIN_WEIGHT_WIDTH <= w.width <= MAX_WEIGHT_WIDTH:
            raise ConfigError(
                f"weight format {w.name} is {w.width} bits; the contract supports "
                f"{MIN_WEIGHT_WIDTH} to {MAX_WEIGHT_WIDTH}"
            )
        if self.act_frac is None:
            object.__setattr__(self, "act_frac", w.frac)
        if self.tanh_frac is None:
            object.__setattr__(self, "tanh_frac", self.act_frac + 1)
        if not 1 <= self.act_frac <= 16:
            raise ConfigError(f"activation fractional bits must be 1..16, not {self.act_frac}")
        if not 0 <= self.tanh_frac <= 18:
            raise ConfigError(f"tanh input fractional bits must be 0..18, not {self.tanh_frac}")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(
                f"activation must be one of {', '.join(ACTIVATIONS)}, not {self.activation!r}"
            )

    @classmethod
    def parse(cls, fmt: str | FixedFormat = DEFAULT_FORMAT, **kwargs) -> FixedConfig:
        return cls(weight=FixedFormat.parse(fmt), **kwargs)

    @property
    def name(self) -> str:
        return self.weight.name

    def to_dict(self) -> dict:
        return {
            "weight": self.weight.to_dict(),
            "input": INPUT_FORMAT.to_dict(),
            "act": self.act.to_dict(),
            "tanh_in": self.tanh_in.to_dict(),
            "act_frac": self.act_frac,
            "tanh_frac": self.tanh_frac,
            "activation": self.activation,
        }

    @classmethod
    def from_dict(cls, d: dict) -> FixedConfig:
        return cls(
            FixedFormat.from_dict(d["weight"]),
            d["act_frac"],
            d["tanh_frac"],
            d.get("activation", "tanh"),
        )

    # ------------------------------------------------------------ activation

    @property
    def act(self) -> FixedFormat:
        """Activation format ``q1.f``; the tanh table only produces ±(2^f − 1)."""
        return FixedFormat(self.act_frac + 1, self.act_frac)

    @property
    def act_max(self) -> int:
        return (1 << self.act_frac) - 1

    @cached_property
    def tanh_range_log2(self) -> int:
        """``r``: the table covers [−2^r, 2^r); beyond it tanh rounds to ±act_max anyway."""
        r = 0
        while round(math.tanh(2.0**r) * 2**self.act_frac) < self.act_max:
            r += 1
        return r

    @property
    def tanh_in(self) -> FixedFormat:
        """Input format of the tanh table: ``q(r+1).g``, saturating, round half up."""
        return FixedFormat(self.tanh_range_log2 + 1 + self.tanh_frac, self.tanh_frac)

    @cached_property
    def tanh_table(self) -> np.ndarray:
        """``T[t − min]`` for every input code ``t`` of :attr:`tanh_in`: the exactly
        rounded ``2^f · tanh(t · 2^−g)`` (half away from zero), clamped to ±act_max."""
        fin = self.tanh_in
        codes = np.arange(fin.min_int, fin.max_int + 1, dtype=np.int64)
        return ACTIVATIONS[self.activation](codes, self.tanh_frac, self.act_frac)

    def tanh(self, t: np.ndarray) -> np.ndarray:
        """Apply the table to tanh-input codes (already saturated)."""
        return self.tanh_table[np.asarray(t, dtype=np.int64) - self.tanh_in.min_int]


def tanh_codes(codes: np.ndarray, in_frac: int, out_frac: int) -> np.ndarray:
    """Exactly rounded tanh of fixed-point codes, odd-symmetric.

    ``round_half_away(2^out · tanh(c · 2^−in))`` computed on ``|c|`` and given the sign
    of ``c``, then clamped to ±(2^out − 1). float64 tanh is within an ulp of the true
    value; the tests check the default tables against 50-digit arithmetic (mpmath), so
    no entry sits close enough to a rounding boundary to be rounded the wrong way.
    """
    codes = np.asarray(codes, dtype=np.int64)
    mag = np.abs(codes)
    y = np.tanh(np.ldexp(mag.astype(np.float64), -in_frac))
    r = np.floor(np.ldexp(y, out_frac) + 0.5).astype(np.int64)
    r = np.minimum(r, (1 << out_frac) - 1)
    return np.where(codes < 0, -r, r)


def paper_codes(codes: np.ndarray, in_frac: int, out_frac: int) -> np.ndarray:
    """The paper's approximation x·(1 − |x|/4) (|x| < 2), else sign(x), rounded half away
    from zero and clamped to ±(2^out − 1) like :func:`tanh_codes`."""
    codes = np.asarray(codes, dtype=np.int64)
    x = np.ldexp(np.abs(codes).astype(np.float64), -in_frac)
    y = np.where(x < 2, x * (1 - x / 4), 1.0)
    r = np.minimum(np.floor(np.ldexp(y, out_frac) + 0.5).astype(np.int64), (1 << out_frac) - 1)
    return np.where(codes < 0, -r, r)


ACTIVATIONS = {"tanh": tanh_codes, "paper": paper_codes}


@dataclass(frozen=True)
class Stage:
    """One multiply-accumulate stage: ``acc = bias + Σ_taps w·x``.

    ``x`` is the data operand format, ``w`` the weight format, ``product`` their exact
    product, ``bias`` the stored bias (at the product's precision), ``acc`` the
    accumulator (wide enough for ``taps`` products plus the bias, for any values of
    those formats). ``shift`` is the narrowing ``acc.frac − tanh_in.frac`` (None for
    the output layer, whose accumulators are the result).
    """

    name: str
    tensor: str
    bias_tensor: str
    taps: int
    outputs: int
    x: FixedFormat
    w: FixedFormat
    product: FixedFormat
    bias: FixedFormat
    acc: FixedFormat
    shift: int | None

    @property
    def takes_pixels(self) -> bool:
        """The first block's row stage: its input is the pixels (and it holds the fold)."""
        return self.name == "blocks.0.row"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "tensor": self.tensor,
            "bias_tensor": self.bias_tensor,
            "taps": self.taps,
            "outputs": self.outputs,
            "x": self.x.name,
            "w": self.w.name,
            "product": self.product.name,
            "bias": self.bias.name,
            "acc": self.acc.name,
            "acc_width": self.acc.width,
            "shift": self.shift,
        }


def _stage(name, tensor, bias_tensor, taps, outputs, x, cfg, narrow=True) -> Stage:
    w = cfg.weight
    product = x.product(w)
    bias = product.with_modes(rounding=Rounding.HALF_UP, overflow=Overflow.SATURATE)
    # taps products and one bias, each within the product format's range.
    acc = FixedFormat(product.width + bits_for_count(taps + 1), product.frac)
    shift = acc.frac - cfg.tanh_in.frac if narrow else None
    if shift is not None and shift < 1:
        raise ConfigError(
            f"{name}: the tanh input has {cfg.tanh_in.frac} fractional bits, as many as the "
            f"accumulator ({acc.frac}); lower tanh_frac"
        )
    return Stage(name, tensor, bias_tensor, taps, outputs, x, w, product, bias, acc, shift)


def stages(arch: LSTArch, cfg: FixedConfig) -> list[Stage]:
    """Every multiply-accumulate stage of ``arch`` in execution order."""
    out = []
    n = arch.n
    x = INPUT_FORMAT
    for b in range(arch.blocks):
        pre = f"blocks.{b}"
        out.append(_stage(f"{pre}.row", f"{pre}.row.weight", f"{pre}.row.bias", n, n * n, x, cfg))
        out.append(
            _stage(f"{pre}.col", f"{pre}.col.weight", f"{pre}.col.bias", n, n * n, cfg.act, cfg)
        )
        x = cfg.act
    feat = cfg.act
    if arch.residual:
        # L3(...) + L1(...): two activations, one more integer bit.
        feat = FixedFormat(cfg.act.width + 1, cfg.act.frac)
    out.append(
        _stage("out", "out.weight", "out.bias", n * n, arch.classes, feat, cfg, narrow=False)
    )
    return out


def feature_format(arch: LSTArch, cfg: FixedConfig) -> FixedFormat:
    """Format of the image the output layer sees."""
    return stages(arch, cfg)[-1].x


def logit_format(arch: LSTArch, cfg: FixedConfig) -> FixedFormat:
    """Format of the logits on the core's result port: ``q16.14`` (for ``q5.7``) for
    every model.

    For LST-1 and LST-2 this is the output stage's accumulator format. ResLST-3's
    accumulator is one bit wider by the generic bound (its features are ``q2.f``), but
    its features never exceed ``2·(2^f − 1)`` in magnitude, not ``2^(f+1)``, so every
    sum fits the same width: ``taps·2(2^f − 1)·2^(w−1) + 2^(f+w+1) < 2^(f+w+10)``.
    The logits are the same exact integers, only carried in fewer bits.
    """
    st = stages(arch, cfg)[-1]
    fmt = FixedFormat(cfg.act.width + cfg.weight.width + bits_for_count(st.taps + 1), st.acc.frac)
    x_max = (2 if arch.residual else 1) * cfg.act_max
    bound = st.taps * x_max * -cfg.weight.min_int + -st.bias.min_int
    if bound > fmt.max_int:  # cannot happen (see above); kept as a guard
        raise ConfigError(f"logits of {arch.name} need more than {fmt.width} bits")
    return fmt
