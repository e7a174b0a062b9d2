"""One fixed-point format type for the quantizer, the golden model and the RTL generator.

A :class:`FixedFormat` states everything about a fixed-point number: total width,
fractional bits, signedness, how values are rounded when precision is dropped and
what happens when they leave the range. A value ``v`` is stored as the integer
``q = v · 2**frac``; every arithmetic helper here works on integer NumPy arrays and
never goes through floating point, except :meth:`FixedFormat.quantize` (float in)
and :meth:`FixedFormat.to_float` (float out).

Notation: ``Qm.n`` has ``m`` integer bits *including the sign bit* and ``n``
fractional bits, ``m + n`` bits in all; so ``q5.7`` is 12-bit signed with 7
fractional bits, range [−16, 16 − 2⁻⁷]. ``uq0.8`` is unsigned. ``m`` may be negative
or zero and ``n`` negative, as long as the width is at least 1.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

import numpy as np

from lst.errors import ConfigError

__all__ = ["FixedFormat", "Overflow", "Rounding", "q", "round_shift"]


class Rounding(enum.StrEnum):
    """How a value between two representable ones is resolved."""

    #: Truncate toward minus infinity: drop the low bits (free in hardware).
    FLOOR = "floor"
    #: Round to nearest, ties toward plus infinity: add half an LSB, then floor.
    HALF_UP = "half_up"
    #: Round to nearest, ties to the even neighbour (convergent rounding).
    HALF_EVEN = "half_even"


class Overflow(enum.StrEnum):
    """What happens to a value outside the format's range."""

    #: Clamp to the nearest representable extreme.
    SATURATE = "saturate"
    #: Keep the low ``width`` bits (two's complement wrap-around).
    WRAP = "wrap"


def round_shift(x, shift: int, rounding: Rounding | str = Rounding.HALF_UP) -> np.ndarray:
    """Divide integers by ``2**shift`` with the given rounding; integer-only.

    ``shift`` ≤ 0 multiplies exactly by ``2**-shift``.
    """
    x = np.asarray(x, dtype=np.int64)
    rounding = Rounding(rounding)
    if shift <= 0:
        return x << -shift
    if rounding is Rounding.FLOOR:
        return x >> shift
    half = np.int64(1) << (shift - 1)
    if rounding is Rounding.HALF_UP:
        return (x + half) >> shift
    # HALF_EVEN: round half up, then pull exact ties with an odd result back down.
    up = (x + half) >> shift
    tie = (x & ((np.int64(1) << shift) - 1)) == half
    return up - (tie & (up & 1).astype(bool))


_NAME = re.compile(r"^(u?)q(-?\d+)\.(-?\d+)$")


@dataclass(frozen=True)
class FixedFormat:
    """A fixed-point format: ``width`` bits, ``frac`` of them fractional.

    Parameters
    ----------
    width : int
        Total bits, sign included (≥ 1, ≤ 62 so that products fit in int64 checks).
    frac : int
        Fractional bits; the value of integer ``q`` is ``q · 2**-frac``.
    signed : bool
        Two's complement if true.
    rounding : Rounding
        Used when precision is dropped (quantizing floats, requantizing).
    overflow : Overflow
        Used when a value leaves ``[min_int, max_int]``.
    """

    width: int
    frac: int
    signed: bool = True
    rounding: Rounding = Rounding.HALF_UP
    overflow: Overflow = Overflow.SATURATE

    def __post_init__(self):
        if not isinstance(self.width, int) or isinstance(self.width, bool):
            raise TypeError(f"width must be an integer, not {self.width!r}")
        if not isinstance(self.frac, int) or isinstance(self.frac, bool):
            raise TypeError(f"frac must be an integer, not {self.frac!r}")
        if not 1 <= self.width <= 62:
            raise ConfigError(f"width must be between 1 and 62 bits, not {self.width}")
        if self.signed and self.width < 2:
            raise ConfigError("a signed format needs at least 2 bits")
        object.__setattr__(self, "rounding", Rounding(self.rounding))
        object.__setattr__(self, "overflow", Overflow(self.overflow))

    # ------------------------------------------------------------ naming

    @classmethod
    def parse(cls, name: str, **kwargs) -> FixedFormat:
        """Parse ``"q5.7"`` (signed) or ``"uq0.8"`` (unsigned); keywords set the modes."""
        if isinstance(name, FixedFormat):
            return name.with_modes(**kwargs) if kwargs else name
        m = _NAME.match(str(name).strip().lower())
        if not m:
            raise ConfigError(
                f"bad fixed-point format {name!r}: expected q<int>.<frac> such as q5.7 "
                "(int bits include the sign) or uq<int>.<frac> for unsigned"
            )
        unsigned, int_bits, frac = m.group(1) == "u", int(m.group(2)), int(m.group(3))
        return cls(int_bits + frac, frac, signed=not unsigned, **kwargs)

    @property
    def name(self) -> str:
        return f"{'' if self.signed else 'u'}q{self.int_bits}.{self.frac}"

    def __str__(self) -> str:
        return self.name

    def with_modes(self, **kwargs) -> FixedFormat:
        """A copy with other ``rounding`` / ``overflow`` (or any other field)."""
        fields = {
            "width": self.width,
            "frac": self.frac,
            "signed": self.signed,
            "rounding": self.rounding,
            "overflow": self.overflow,
        }
        fields.update(kwargs)
        return FixedFormat(**fields)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "width": self.width,
            "frac": self.frac,
            "signed": self.signed,
            "rounding": self.rounding.value,
            "overflow": self.overflow.value,
        }

    @classmethod
    def from_dict(cls, d: dict) -> FixedFormat:
        return cls(d["width"], d["frac"], d["signed"], d["rounding"], d["overflow"])

    # ------------------------------------------------------------ range

    @property
    def int_bits(self) -> int:
        """Integer bits, sign bit included."""
        return self.width - self.frac

    @property
    def min_int(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_int(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def lsb(self) -> float:
        return 2.0**-self.frac

    @property
    def min_value(self) -> float:
        return self.min_int * self.lsb

    @property
    def max_value(self) -> float:
        return self.max_int * self.lsb

    def in_range(self, q) -> np.ndarray:
        q = np.asarray(q)
        return (q >= self.min_int) & (q <= self.max_int)

    def check(self, q, what: str = "value") -> np.ndarray:
        """Return ``q`` as int64 if every element is representable, else raise ValueError."""
        q = np.asarray(q)
        if q.dtype.kind not in "iu":
            raise TypeError(f"{what}: expected integers, got {q.dtype}")
        q = q.astype(np.int64)
        bad = ~self.in_range(q)
        if bad.any():
            v = int(q[bad].flat[0])
            raise ConfigError(
                f"{what}: {int(bad.sum())} value(s) outside {self.name} "
                f"[{self.min_int}, {self.max_int}], e.g. {v}"
            )
        return q

    # ------------------------------------------------------------ conversions

    def overflow_handle(self, q) -> np.ndarray:
        """Apply the overflow mode to integers already at this format's scale."""
        q = np.asarray(q, dtype=np.int64)
        if self.overflow is Overflow.SATURATE:
            return np.clip(q, self.min_int, self.max_int)
        mask = (1 << self.width) - 1
        low = q & mask
        if self.signed:
            low = np.where(low > self.max_int, low - (1 << self.width), low)
        return low

    def quantize(self, x, *, return_count: bool = False):
        """Floats to integers: scale by ``2**frac``, round, handle overflow.

        With ``return_count`` also return how many elements were out of range (and
        were saturated or wrapped). NaN or infinite input raises ValueError.
        """
        x = np.asarray(x, dtype=np.float64)
        if not np.all(np.isfinite(x)):
            raise ConfigError("cannot quantize NaN or infinite values")
        scaled = np.ldexp(x, self.frac)
        if self.rounding is Rounding.FLOOR:
            r = np.floor(scaled)
        elif self.rounding is Rounding.HALF_UP:
            r = np.floor(scaled + 0.5)
        else:
            r = np.round(scaled)  # NumPy rounds exact halves to even
        limit = float(1 << 62)
        r = np.clip(r, -limit, limit).astype(np.int64)
        out_of_range = int(np.count_nonzero(~self.in_range(r)))
        q = self.overflow_handle(r)
        return (q, out_of_range) if return_count else q

    def to_float(self, q) -> np.ndarray:
        """Integers to their real values (float64, exact for widths ≤ 53)."""
        return np.ldexp(np.asarray(q, dtype=np.float64), -self.frac)

    def requantize(self, q, src: FixedFormat) -> np.ndarray:
        """Integers in format ``src`` to this format: rescale (this format's rounding),
        then this format's overflow handling. Integer-only."""
        q = np.asarray(q, dtype=np.int64)
        return self.overflow_handle(round_shift(q, src.frac - self.frac, self.rounding))

    def product(self, other: FixedFormat) -> FixedFormat:
        """The exact (full-width) format of a product of this and ``other``."""
        signed = self.signed or other.signed
        width = self.width + other.width
        if signed and not (self.signed and other.signed):
            width += 1  # signed × unsigned needs one more bit for the sign
        return FixedFormat(width, self.frac + other.frac, signed, self.rounding, self.overflow)


def q(name: str, **kwargs) -> FixedFormat:
    """Shorthand: ``q("q5.7")``."""
    return FixedFormat.parse(name, **kwargs)


def bits_for(lo: int, hi: int, signed: bool = True) -> int:
    """Smallest width whose integer range holds [lo, hi]."""
    if not signed:
        if lo < 0:
            raise ConfigError("an unsigned format cannot hold negative values")
        return max(1, int(hi).bit_length())
    w = 1
    while not (-(1 << (w - 1)) <= lo and hi <= (1 << (w - 1)) - 1):
        w += 1
    return max(w, 2)
