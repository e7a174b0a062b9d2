"""The fixed-point format type: rounding, overflow, requantization, round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from quant.fixed import FixedFormat, Overflow, Rounding, bits_for, q, round_shift


def test_q5_7():
    f = q("q5.7")
    assert (f.width, f.frac, f.signed, f.int_bits) == (12, 7, True, 5)
    assert (f.min_int, f.max_int) == (-2048, 2047)
    assert (f.min_value, f.max_value) == (-16.0, 16 - 1 / 128)
    assert f.name == str(f) == "q5.7"
    assert q("uq0.8").max_int == 255 and not q("uq0.8").signed


@pytest.mark.parametrize("bad", ["q5", "5.7", "qa.b", "q0.0", "", "uq"])
def test_parse_errors(bad):
    with pytest.raises(ValueError, match="bad fixed-point format|width must be"):
        q(bad)


def test_constructor_validation():
    with pytest.raises(ValueError, match="between 1 and 62"):
        FixedFormat(0, 0)
    with pytest.raises(ValueError, match="at least 2 bits"):
        FixedFormat(1, 0)
    with pytest.raises(TypeError, match="width must be an integer"):
        FixedFormat(8.0, 4)
    with pytest.raises(ValueError):
        FixedFormat(8, 4, rounding="nearest")


def test_rounding_modes_on_ties_and_negatives():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.25, 0.75]) / 128
    floor = q("q5.7", rounding=Rounding.FLOOR).quantize(x * 128 / 128)
    half_up = q("q5.7", rounding="half_up").quantize(x)
    half_even = q("q5.7", rounding="half_even").quantize(x)
    assert floor.tolist() == [-3, -2, -1, 0, 1, 2, -1, 0]
    assert half_up.tolist() == [-2, -1, 0, 1, 2, 3, 0, 1]
    assert half_even.tolist() == [-2, -2, 0, 0, 2, 2, 0, 1]


def test_saturation_and_wrap_at_extremes():
    sat = q("q5.7")
    v, n = sat.quantize([16.0, -16.0, -16.01, 15.999, 1e9, -1e9], return_count=True)
    assert v.tolist() == [2047, -2048, -2048, 2047, 2047, -2048]
    assert n == 5  # all but -16.0: 15.999 rounds up to 2048, -16.01 down to -2049
    wrap = q("q5.7", overflow=Overflow.WRAP)
    assert wrap.quantize([16.0, -16.0 - 1 / 128]).tolist() == [-2048, 2047]
    assert q("uq0.8").quantize([-0.1, 1.5]).tolist() == [0, 255]


def test_nan_and_inf_refused():
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match="NaN or infinite"):
            q("q5.7").quantize([0.0, bad])


def test_check():
    f = q("q1.7")
    assert f.check(np.array([-128, 127])).tolist() == [-128, 127]
    with pytest.raises(ValueError, match=r"1 value\(s\) outside q1.7 \[-128, 127\], e.g. 128"):
        f.check(np.array([0, 128]), "x")
    with pytest.raises(TypeError):
        f.check(np.array([0.5]))


def test_round_shift_matches_exact_rounding():
    x = np.arange(-40, 41)
    for shift in (1, 2, 3):
        exact = x / 2**shift
        assert (round_shift(x, shift, "floor") == np.floor(exact)).all()
        assert (round_shift(x, shift, "half_up") == np.floor(exact + 0.5)).all()
        assert (round_shift(x, shift, "half_even") == np.round(exact)).all()
    assert round_shift(np.array([3, -3]), -2).tolist() == [12, -12]


def test_requantize():
    src = q("q6.14")
    dst = q("q3.8")
    ints = np.array([0, 32, 31, -32, -33, 64 * 2047, -(1 << 19)])
    out = dst.requantize(ints, src)  # shift by 6, round half up, saturate to 11 bits
    assert out.tolist() == [0, 1, 0, 0, -1, 1023, -1024]
    # Widening is exact.
    assert q("q6.14").requantize(np.array([5, -7]), q("q3.8")).tolist() == [320, -448]


@given(st.lists(st.floats(-15.99, 15.99, allow_nan=False), min_size=1, max_size=50))
def test_float_fixed_float_round_trip(xs):
    f = q("q5.7")
    x = np.array(xs)
    back = f.to_float(f.quantize(x))
    assert np.all(np.abs(back - x) <= f.lsb / 2)
    # And integers survive the other way exactly.
    ints = f.quantize(x)
    assert (f.quantize(f.to_float(ints)) == ints).all()


@given(st.integers(2, 20), st.integers(-4, 12), st.lists(st.integers(-(2**22), 2**22), max_size=30))
def test_requantize_equals_float_rounding(width, frac, values):
    src = FixedFormat(24, 10)
    dst = FixedFormat(width, frac)
    ints = np.array(values, dtype=np.int64)
    expect = dst.quantize(src.to_float(ints))
    assert (dst.requantize(ints, src) == expect).all()


def test_product_format():
    assert q("q5.7").product(q("q1.7")).name == "q6.14"
    assert q("q5.7").product(q("uq0.8")).width == 21


def test_dict_round_trip():
    f = q("q3.9", rounding="floor", overflow="wrap")
    assert FixedFormat.from_dict(f.to_dict()) == f


def test_bits_for():
    assert bits_for(-128, 127) == 8
    assert bits_for(-129, 0) == 9
    assert bits_for(0, 255, signed=False) == 8
