"""MMCM divider search: exact cases, impossible cases, the -1 limits."""

from __future__ import annotations

from fractions import Fraction

import pytest

from hw.fpga.mmcm import LIMITS_7SERIES_1, MMCMSettings, mmcm_settings
from lst.errors import ConfigError


def _check_limits(s: MMCMSettings):
    lim = LIMITS_7SERIES_1
    assert 1 <= s.divclk <= 106
    assert 2 <= s.mult <= 64 and (s.mult * 8).denominator == 1
    assert (s.divide == 1) or (2 <= s.divide <= 128 and (s.divide * 8).denominator == 1)
    assert lim["f_pfd"][0] <= s.f_pfd_mhz <= lim["f_pfd"][1]
    assert lim["f_vco"][0] <= s.f_vco_mhz <= lim["f_vco"][1]
    assert s.f_out_mhz == s.f_in_mhz * s.mult / (s.divclk * s.divide)


@pytest.mark.parametrize(
    "mhz, expect",
    [
        (100, (1, 8, 10)),  # VCO 1000
        (125, (1, 9, 9)),  # VCO 1125
        (50, (1, 8, 20)),
        (200, (1, 8, 5)),
        (80, (5, 48, 15)),  # integer dividers preferred to 1 × 8 / 12.5
    ],
)
def test_exact(mhz, expect):
    s = mmcm_settings(mhz)
    assert (s.divclk, s.mult, s.divide) == tuple(Fraction(v) for v in expect)
    assert s.f_out_mhz == mhz and s.period_ns == Fraction(1000, mhz)
    assert not s.fractional
    _check_limits(s)


@pytest.mark.parametrize("mhz", [4.69, 10, 33.333, 62.5, 95, 110, 142.857, 166.667, 250, 600, 800])
def test_within_tolerance_and_limits(mhz):
    s = mmcm_settings(mhz)
    assert abs(float(s.f_out_mhz) - mhz) / mhz <= 1e-3
    _check_limits(s)


def test_fractional_dividers_when_needed():
    # 125 × 20 / (3 × 6.75) = 123.456790… MHz: only a fractional O gets this close.
    s = mmcm_settings(123.45679, tolerance=1e-6)
    assert s.fractional and (s.mult * 8).denominator == 1 and (s.divide * 8).denominator == 1
    assert abs(float(s.f_out_mhz) - 123.45679) / 123.45679 <= 1e-6
    _check_limits(s)


def test_exact_only_refuses_what_cannot_be_made():
    with pytest.raises(ConfigError, match=r"--clock-mhz 123.457: no MMCM dividers .* within 0 %"):
        mmcm_settings(123.4567, tolerance=0)
    # But the same frequency within 0.1 % works.
    assert mmcm_settings(123.4567).f_out_mhz


@pytest.mark.parametrize("mhz", [4.6, 1, 801, 1000])
def test_outside_the_mmcm_limits(mhz):
    with pytest.raises(ConfigError, match=r"an MMCM output must be 4.69–800 MHz"):
        mmcm_settings(mhz)


@pytest.mark.parametrize("mhz", [0, -5, float("nan"), float("inf"), "100"])
def test_bad_values(mhz):
    with pytest.raises(ConfigError, match="positive number"):
        mmcm_settings(mhz)


def test_input_limit_and_tolerance():
    with pytest.raises(ConfigError, match="MMCM input clock 5 MHz"):
        mmcm_settings(100, f_in_mhz=5)
    with pytest.raises(ConfigError, match="tolerance"):
        mmcm_settings(100, tolerance=1.5)


def test_settings_dict():
    d = mmcm_settings(100).to_dict()
    assert d == {
        "f_in_mhz": 125.0,
        "DIVCLK_DIVIDE": 1,
        "CLKFBOUT_MULT_F": 8.0,
        "CLKOUT0_DIVIDE_F": 10.0,
        "f_pfd_mhz": 125.0,
        "f_vco_mhz": 1000.0,
        "f_out_mhz": 100.0,
        "period_ns": 10.0,
    }
