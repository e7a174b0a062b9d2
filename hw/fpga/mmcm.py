"""MMCM divider search for a 7-series -1 part (the Zybo Z7's XC7Z010/XC7Z020).

The output frequency of an MMCME2 is ``f_in × M / (D × O)`` with ``M`` =
CLKFBOUT_MULT_F, ``D`` = DIVCLK_DIVIDE and ``O`` = CLKOUT0_DIVIDE_F. Ranges of the
attributes from UG472 (7 Series Clocking Resources, table 3-7): ``D`` integer 1–106;
``M`` 2.000–64.000 in steps of 0.125; ``O`` integer 1–128 or 2.000–128.000 in steps
of 0.125. Frequency limits for speed grade -1 from DS187 (Zynq-7000 Z-7010/7015/7020
DC and AC switching characteristics, "MMCM Switching Characteristics"): input 10–800
MHz, phase-detector input (``f_in / D``) 10–450 MHz, VCO (``f_in × M / D``) 600–1200
MHz, output 4.69–800 MHz.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from lst.errors import ConfigError

__all__ = ["LIMITS_7SERIES_1", "MMCMSettings", "mmcm_settings"]

#: DS187, speed grade -1, MHz.
LIMITS_7SERIES_1 = {
    "f_in": (10, 800),
    "f_pfd": (10, 450),
    "f_vco": (600, 1200),
    "f_out": (Fraction(469, 100), 800),
}
#: UG472: attribute ranges (eighths for the fractional ones).
D_RANGE = (1, 106)
M_EIGHTHS = (16, 512)  # 2.000 … 64.000
O_EIGHTHS = (16, 1024)  # 2.000 … 128.000 (fractional); 1 is allowed as an integer

#: Default relative tolerance when a frequency cannot be made exactly (0.1 %).
DEFAULT_TOLERANCE = 1e-3


@dataclass(frozen=True)
class MMCMSettings:
    """One MMCME2 configuration: ``f_out = f_in × mult / (divclk × divide)``.

    ``mult`` (CLKFBOUT_MULT_F) and ``divide`` (CLKOUT0_DIVIDE_F) are exact multiples of
    1/8; frequencies are exact fractions in MHz.
    """

    f_in_mhz: Fraction
    divclk: int
    mult: Fraction
    divide: Fraction

    @property
    def f_pfd_mhz(self) -> Fraction:
        return self.f_in_mhz / self.divclk

    @property
    def f_vco_mhz(self) -> Fraction:
        return self.f_in_mhz * self.mult / self.divclk

    @property
    def f_out_mhz(self) -> Fraction:
        return self.f_vco_mhz / self.divide

    @property
    def period_ns(self) -> Fraction:
        return 1000 / self.f_out_mhz

    @property
    def fractional(self) -> bool:
        return self.mult.denominator != 1 or self.divide.denominator != 1

    def to_dict(self) -> dict:
        return {
            "f_in_mhz": float(self.f_in_mhz),
            "DIVCLK_DIVIDE": self.divclk,
            "CLKFBOUT_MULT_F": float(self.mult),
            "CLKOUT0_DIVIDE_F": float(self.divide),
            "f_pfd_mhz": round(float(self.f_pfd_mhz), 6),
            "f_vco_mhz": round(float(self.f_vco_mhz), 6),
            "f_out_mhz": round(float(self.f_out_mhz), 6),
            "period_ns": round(float(self.period_ns), 6),
        }


def _within(value, limits) -> bool:
    return limits[0] <= value <= limits[1]


def mmcm_settings(
    f_out_mhz: float, *, f_in_mhz: float = 125, tolerance: float = DEFAULT_TOLERANCE
) -> MMCMSettings:
    """Dividers making ``f_out_mhz`` from ``f_in_mhz`` within the -1 limits.

    An exact solution is preferred; otherwise the closest one whose relative error is
    at most ``tolerance``. Among equally close ones: integer dividers, then the
    smallest ``D`` (highest phase-detector frequency), then the highest VCO frequency;
    all three lower the output jitter.

    Raises
    ------
    ConfigError
        When the input or output frequency is outside the MMCM's limits, or no
        dividers come within ``tolerance``.
    """
    lim = LIMITS_7SERIES_1
    if not (isinstance(f_out_mhz, int | float) and math.isfinite(f_out_mhz) and f_out_mhz > 0):
        raise ConfigError(f"clock frequency must be a positive number of MHz, not {f_out_mhz!r}")
    if not 0 <= tolerance < 1:
        raise ConfigError(f"clock tolerance must be in [0, 1), not {tolerance!r}")
    f_in = Fraction(f_in_mhz).limit_denominator(1_000_000)
    target = Fraction(f_out_mhz).limit_denominator(1_000_000)
    if not _within(f_in, lim["f_in"]):
        raise ConfigError(
            f"MMCM input clock {float(f_in):g} MHz is outside {lim['f_in'][0]}–{lim['f_in'][1]} MHz"
        )
    if not _within(target, lim["f_out"]):
        raise ConfigError(
            f"--clock-mhz {f_out_mhz:g}: an MMCM output must be "
            f"{float(lim['f_out'][0]):g}–{lim['f_out'][1]} MHz (DS187, speed grade -1)"
        )
    best = None
    for d in range(D_RANGE[0], D_RANGE[1] + 1):
        if not _within(f_in / d, lim["f_pfd"]):
            continue
        # M (in eighths) putting the VCO in its range.
        m8_lo = max(M_EIGHTHS[0], math.ceil(lim["f_vco"][0] * 8 * d / f_in))
        m8_hi = min(M_EIGHTHS[1], math.floor(lim["f_vco"][1] * 8 * d / f_in))
        for m8 in range(m8_lo, m8_hi + 1):
            # O (in eighths) nearest the target, in integers: f_out = f_in·m8 / (d·o8).
            ideal = f_in * m8 / (d * target)
            cands = {math.floor(ideal), math.ceil(ideal)}
            if ideal < O_EIGHTHS[0]:
                cands.add(8)  # O = 1 (integer only)
            for o8 in cands:
                if not (o8 == 8 or O_EIGHTHS[0] <= o8 <= O_EIGHTHS[1]):
                    continue
                f_out = f_in * m8 / (d * o8)
                if not _within(f_out, lim["f_out"]):
                    continue
                err = abs(f_out - target) / target
                fractional = m8 % 8 != 0 or o8 % 8 != 0
                key = (err, fractional, d, -m8)
                if best is None or key < best[0]:
                    best = (key, (d, m8, o8))
    if best is not None:
        d, m8, o8 = best[1]
        best = (best[0], MMCMSettings(f_in, d, Fraction(m8, 8), Fraction(o8, 8)))
    if best is None or best[0][0] > Fraction(tolerance):
        near = f", nearest {float(best[1].f_out_mhz):.9g} MHz" if best else ""
        raise ConfigError(
            f"--clock-mhz {f_out_mhz:g}: no MMCM dividers make it from {float(f_in):g} MHz "
            f"within {100 * tolerance:g} %{near}"
        )
    return best[1]
