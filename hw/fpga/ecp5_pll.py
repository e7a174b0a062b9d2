"""EHXPLLL divider search for the Lattice ECP5 (the ULX3S's LFE5U-85F/-45F).

With the primary output fed back (``FEEDBK_PATH="CLKOP"``), an EHXPLLL makes
``f_out = f_in / CLKI_DIV × CLKFB_DIV`` and runs its VCO at ``f_out × CLKOP_DIV``.
Limits from the ECP5 and ECP5-5G family data sheet (Lattice FPGA-DS-02012, "sysCLOCK
PLL Timing"), the same figures as Project Trellis's ``ecppll`` tool: input 8–400 MHz,
phase-detector input (``f_in / CLKI_DIV``) 3.125–400 MHz, VCO 400–800 MHz, output
3.125–400 MHz; every divider 1–128.

The search is exhaustive over exact fractions: the smallest frequency error, then the
VCO nearest 600 MHz (``ecppll``'s rule, the middle of its range), then the smallest
``CLKI_DIV`` (the highest phase-detector frequency, the least jitter). 25 → 100 MHz
gives CLKI_DIV 1, CLKFB_DIV 4, CLKOP_DIV 6 (VCO 600 MHz), as ``ecppll -i 25 -o 100``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from lst.errors import ConfigError

__all__ = ["LIMITS_ECP5", "PLLSettings", "pll_settings"]

#: FPGA-DS-02012, MHz.
LIMITS_ECP5 = {
    "f_in": (8, 400),
    "f_pfd": (Fraction(3125, 1000), 400),
    "f_vco": (400, 800),
    "f_out": (Fraction(3125, 1000), 400),
}
#: CLKI_DIV, CLKFB_DIV and CLKOP_DIV.
DIVIDERS = range(1, 129)
#: Default relative tolerance when a frequency cannot be made exactly (0.1 %).
DEFAULT_TOLERANCE = 1e-3


@dataclass(frozen=True)
class PLLSettings:
    """One EHXPLLL configuration with CLKOP as its feedback."""

    f_in_mhz: Fraction
    clki_div: int
    clkfb_div: int
    clkop_div: int

    @property
    def f_pfd_mhz(self) -> Fraction:
        return self.f_in_mhz / self.clki_div

    @property
    def f_out_mhz(self) -> Fraction:
        return self.f_pfd_mhz * self.clkfb_div

    @property
    def f_vco_mhz(self) -> Fraction:
        return self.f_out_mhz * self.clkop_div

    @property
    def period_ns(self) -> Fraction:
        return 1000 / self.f_out_mhz

    def parameters(self) -> dict[str, int]:
        """The EHXPLLL's divider parameters. ``CLKOP_CPHASE = CLKOP_DIV − 1`` is
        Lattice's 0° setting; with CLKOP as feedback the loop aligns CLKOP to CLKI
        whatever the phase, so it only fixes the secondary outputs' reference."""
        return {
            "CLKI_DIV": self.clki_div,
            "CLKFB_DIV": self.clkfb_div,
            "CLKOP_DIV": self.clkop_div,
            "CLKOP_CPHASE": self.clkop_div - 1,
            "CLKOP_FPHASE": 0,
        }

    def to_dict(self) -> dict:
        return {
            **self.parameters(),
            "f_in_mhz": float(self.f_in_mhz),
            "f_pfd_mhz": float(self.f_pfd_mhz),
            "f_vco_mhz": float(self.f_vco_mhz),
            "f_out_mhz": float(self.f_out_mhz),
            "period_ns": round(float(self.period_ns), 6),
        }


def _within(value, limits) -> bool:
    return limits[0] <= value <= limits[1]


def pll_settings(
    f_out_mhz: float, *, f_in_mhz: float = 25, tolerance: float = DEFAULT_TOLERANCE
) -> PLLSettings:
    """Dividers making ``f_out_mhz`` from ``f_in_mhz`` (the ULX3S's 25 MHz oscillator)
    within the ECP5's limits; exact if possible, else within ``tolerance``.

    Raises
    ------
    ConfigError
        When a frequency is outside the PLL's limits or no dividers come close enough.
    """
    lim = LIMITS_ECP5
    if not (isinstance(f_out_mhz, int | float) and math.isfinite(f_out_mhz) and f_out_mhz > 0):
        raise ConfigError(f"clock frequency must be a positive number of MHz, not {f_out_mhz!r}")
    f_in = Fraction(f_in_mhz).limit_denominator(1_000_000)
    target = Fraction(f_out_mhz).limit_denominator(1_000_000)
    if not _within(f_in, lim["f_in"]):
        raise ConfigError(
            f"PLL input clock {float(f_in):g} MHz is outside {lim['f_in'][0]}–{lim['f_in'][1]} MHz"
        )
    if not _within(target, lim["f_out"]):
        raise ConfigError(
            f"--clock-mhz {f_out_mhz:g}: an ECP5 PLL output must be "
            f"{float(lim['f_out'][0]):g}–{lim['f_out'][1]} MHz (FPGA-DS-02012)"
        )
    best, best_key = None, None
    for clki in DIVIDERS:
        pfd = f_in / clki
        if pfd < lim["f_pfd"][0]:
            break
        if pfd > lim["f_pfd"][1]:
            continue
        for fb in DIVIDERS:
            out = pfd * fb
            if out > lim["f_out"][1]:
                break
            if out < lim["f_out"][0]:
                continue
            error = abs(out - target)
            for op in DIVIDERS:
                vco = out * op
                if vco > lim["f_vco"][1]:
                    break
                if vco < lim["f_vco"][0]:
                    continue
                key = (error, abs(vco - 600), clki)
                if best_key is None or key < best_key:
                    best, best_key = PLLSettings(f_in, clki, fb, op), key
    if best is None or best_key[0] > Fraction(tolerance).limit_denominator(10**9) * target:
        raise ConfigError(
            f"--clock-mhz {f_out_mhz:g}: no EHXPLLL dividers make it from {float(f_in):g} MHz "
            f"within {tolerance:.1%}"
        )
    return best
