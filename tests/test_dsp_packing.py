"""DSP packing: two products per DSP48E1, the shift, the reference model and the lanes."""

from __future__ import annotations

import numpy as np
import pytest

from hw.components.mac_array import MacArray
from hw.plan.dsp_packing import (
    DSP48E1_A_WIDTH,
    DSP48E1_B_WIDTH,
    packed_products,
    packing_shift,
)
from lst.errors import ConfigError


def _signed_range(bits: int) -> np.ndarray:
    return np.arange(-(1 << (bits - 1)), 1 << (bits - 1), dtype=np.int64)


def _mismatches(x_width: int, w_width: int, k: int) -> int:
    """Operand triples (every data value × every weight pair) where the model's ``lo`` or
    ``hi`` differs from the exact product; one data value per numpy chunk."""
    w_lo, w_hi = np.meshgrid(_signed_range(w_width), _signed_range(w_width), indexing="ij")
    w_lo, w_hi = w_lo.ravel(), w_hi.ravel()
    bad = 0
    for x in _signed_range(x_width):
        lo, hi = packed_products(x, w_lo, w_hi, k)
        bad += int(np.count_nonzero((lo != w_lo * x) | (hi != w_hi * x)))
    return bad


@pytest.mark.parametrize(
    ("x_width", "w_width", "k"), [(8, 8, 16), (8, 7, 15), (8, 6, 14), (7, 8, 15), (2, 2, 4)]
)
def test_packed_products_exhaustive(x_width, w_width, k):
    """Every data value against every weight pair (16.7 M triples at 8 × 8): both
    products exact with the shift ``packing_shift`` gives, and the shift is the smallest
    (one less breaks some lower product)."""
    assert packing_shift(x_width, w_width) == k
    assert _mismatches(x_width, w_width, k) == 0
    assert _mismatches(x_width, w_width, k - 1) > 0


def test_extreme_products():
    """The corners, where the lower product needs all ``k`` bits and ``A`` all 25."""
    k = packing_shift(8, 8)
    v = np.array([-128, 127, 0, -1], dtype=np.int64)
    x, w_lo, w_hi = (a.ravel() for a in np.meshgrid(v, v, v, indexing="ij"))
    lo, hi = packed_products(x, w_lo, w_hi, k)
    assert np.array_equal(lo, w_lo * x) and np.array_equal(hi, w_hi * x)
    assert lo.max() == 1 << (k - 2) == 16384  # −128 × −128: the one product that needs 16 bits
    a_min = (-128 << k) - 128  # both weights −128: needs all 25 bits of the port
    assert -(1 << (DSP48E1_A_WIDTH - 1)) <= a_min < -(1 << (DSP48E1_A_WIDTH - 2))


def test_nine_bit_data_with_eight_bit_weights_is_refused():
    """8-bit weights with 9-bit data (ResLST-3) would need a 26-bit ``A``; at 25 bits
    (the port, or the smaller shift) some products come out wrong."""
    with pytest.raises(ConfigError) as e:
        packing_shift(9, 8)
    assert str(e.value) == (
        "two products of 8-bit weights and 9-bit data do not fit one DSP48E1: "
        "the packed weight needs 26 bits, the port has 25"
    )
    assert _mismatches(9, 8, 17) > 0  # A cut to the 25-bit port
    assert _mismatches(9, 8, 16) > 0  # A fits, but −256 × −128 does not fit 16 bits


@pytest.mark.parametrize(
    ("x_width", "w_width", "msg"),
    [
        (
            8,
            12,
            "two products of 12-bit weights and 8-bit data do not fit one DSP48E1: "
            "the packed weight needs 33 bits, the port has 25",
        ),
        (
            9,
            12,
            "two products of 12-bit weights and 9-bit data do not fit one DSP48E1: "
            "the packed weight needs 34 bits, the port has 25",
        ),
        (
            19,
            2,
            "two products of 2-bit weights and 19-bit data do not fit one DSP48E1: "
            "the data need 19 bits, the port has 18",
        ),
        (8, 1, "w_width must be an integer of at least 2, not 1"),
        (True, 8, "x_width must be an integer of at least 2, not True"),
    ],
)
def test_refusals(x_width, w_width, msg):
    with pytest.raises(ConfigError) as e:
        packing_shift(x_width, w_width)
    assert str(e.value) == msg


def test_widest_data_that_fits():
    """18-bit data (the port) packs with 2-bit weights: ``A`` has 2 + 1 + 20 bits."""
    assert packing_shift(DSP48E1_B_WIDTH, 2) == 20
    assert _mismatches(2, 2, packing_shift(2, 2)) == 0


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        (
            {"packed_pairs": -1},
            r"packed_pairs must be an integer from 0 to 2 \(dsp_lanes // 2\), not -1",
        ),
        (
            {"packed_pairs": 3},
            r"packed_pairs must be an integer from 0 to 2 \(dsp_lanes // 2\), not 3",
        ),
        (
            {"packed_pairs": 2, "dsp_lanes": 3},
            r"packed_pairs must be an integer from 0 to 1 \(dsp_lanes // 2\), not 2",
        ),
        ({"packed_pairs": True}, "packed_pairs must be an integer from 0 to 2"),
        (
            {"packed_pairs": 1, "w_width": 12},
            "^two products of 12-bit weights and 8-bit data do not fit one DSP48E1: "
            "the packed weight needs 33 bits, the port has 25$",
        ),
        ({"packed_pairs": 1, "x_width": 9}, "the packed weight needs 26 bits, the port has 25"),
    ],
)
def test_mac_array_packing_validation(kwargs, msg):
    """Refused in the constructor; the widths' refusal is packing_shift's ConfigError,
    which is also a ValueError like the other parameter errors."""
    args = {"lanes": 5, "x_width": 8, "w_width": 8, "acc_width": 26, "dsp_lanes": 4} | kwargs
    with pytest.raises(ValueError, match=msg):
        MacArray(**args)


def test_unpacked_arrays_accept_any_width():
    """Without packed pairs the widths are not checked against the packing limits."""
    dut = MacArray(lanes=2, x_width=8, w_width=12, acc_width=30)
    assert dut.packed_pairs == 0 and dut.shift is None
    assert MacArray(lanes=2, x_width=8, w_width=8, packed_pairs=1).shift == 16
