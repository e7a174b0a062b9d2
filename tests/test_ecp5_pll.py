"""hw.fpga.ecp5_pll: EHXPLLL dividers within the ECP5's limits (FPGA-DS-02012)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from hw.fpga.ecp5_pll import LIMITS_ECP5, PLLSettings, pll_settings
from lst.errors import ConfigError


@pytest.mark.parametrize(
    ("mhz", "dividers"),
    [
        # The same dividers as Project Trellis's ecppll -i 25 -o MHZ.
        (100, (1, 4, 6)),
        (50, (1, 2, 12)),
        (75, (1, 3, 8)),
        (125, (1, 5, 5)),
    ],
)
def test_known_settings(mhz, dividers):
    s = pll_settings(mhz)
    assert (s.clki_div, s.clkfb_div, s.clkop_div) == dividers
    assert s.f_out_mhz == mhz
    assert s.parameters()["CLKOP_CPHASE"] == s.clkop_div - 1


@pytest.mark.parametrize(
    "mhz", [3.125, 12.5, 33.333333, 66.666667, 87.5, 133.333333, 200, 325, 400]
)
def test_every_setting_is_within_the_limits(mhz):
    s = pll_settings(mhz)
    lim = LIMITS_ECP5
    assert lim["f_pfd"][0] <= s.f_pfd_mhz <= lim["f_pfd"][1]
    assert lim["f_vco"][0] <= s.f_vco_mhz <= lim["f_vco"][1]
    assert abs(s.f_out_mhz - Fraction(mhz).limit_denominator(10**6)) <= Fraction(mhz) / 1000
    assert all(1 <= d <= 128 for d in (s.clki_div, s.clkfb_div, s.clkop_div))
    assert s.to_dict()["f_out_mhz"] == float(s.f_out_mhz)


def test_the_frequency_is_exact_when_it_can_be():
    # 25 × 16 / 3 = 133.33…: exact with CLKI_DIV 3, not the nearest integer ratio.
    assert pll_settings(400 / 3).f_out_mhz == Fraction(400, 3)


@pytest.mark.parametrize(
    ("mhz", "message"),
    [
        (401, "an ECP5 PLL output must be 3.125–400 MHz"),
        (3, "an ECP5 PLL output must be 3.125–400 MHz"),
        (3.2, "no EHXPLLL dividers make it from 25 MHz within 0.1%"),
        # The phase detector needs CLKI_DIV ≤ 8: ratios in steps of 1/8 at best.
        (99.9, "no EHXPLLL dividers make it from 25 MHz within 0.1%"),
        (float("nan"), "positive number of MHz"),
        (-5, "positive number of MHz"),
    ],
)
def test_bad_frequencies_are_one_line(mhz, message):
    with pytest.raises(ConfigError, match=message):
        pll_settings(mhz)


def test_bad_input_clock():
    with pytest.raises(ConfigError, match="PLL input clock 5 MHz is outside 8–400 MHz"):
        pll_settings(100, f_in_mhz=5)


def test_settings_are_values():
    assert pll_settings(100) == PLLSettings(Fraction(25), 1, 4, 6)
    assert pll_settings(100).period_ns == 10
