"""FabricMultiplier: every style exact against Python's integer products."""

from __future__ import annotations

import random

import pytest
from amaranth import Const
from hwsim import simulate

from hw.components.fabric_multiplier import FabricMultiplier
from hw.plan.config import DEFAULT_STYLE, FABRIC_STYLES


def products(dut, pairs, *, en=None):
    """Drive one ``(a, b)`` per cycle; return ``p`` after each clock edge."""
    en = en or [1] * len(pairs)
    seen = []

    async def tb(ctx):
        for (a, b), e in zip(pairs, en, strict=True):
            ctx.set(dut.a, a)
            ctx.set(dut.b, b)
            ctx.set(dut.en, e)
            await ctx.tick()
            seen.append(ctx.get(dut.p))

    simulate(dut, tb)
    return seen


def edge_and_random(width, n, seed):
    lo, hi = -(2 ** (width - 1)), 2 ** (width - 1) - 1
    rng = random.Random(seed)
    return sorted({lo, lo + 1, hi, -1, 0, 1} | {rng.randint(lo, hi) for _ in range(n)})


@pytest.mark.parametrize("style", FABRIC_STYLES)
def test_every_8bit_a_against_12bit_weights(style):
    """All 256 values of ``a`` times the extremes of ``b`` and 40 random weights."""
    dut = FabricMultiplier(a_width=8, b_width=12, style=style)
    pairs = [(a, b) for b in edge_and_random(12, 40, 11) for a in range(-128, 128)]
    assert products(dut, pairs) == [a * b for a, b in pairs]


@pytest.mark.slow
@pytest.mark.parametrize("style", FABRIC_STYLES)
def test_every_8x8_product(style):
    dut = FabricMultiplier(a_width=8, b_width=8, style=style)
    pairs = [(a, b) for b in range(-128, 128) for a in range(-128, 128)]
    assert products(dut, pairs) == [a * b for a, b in pairs]


@pytest.mark.parametrize("style", FABRIC_STYLES)
@pytest.mark.parametrize(("a_width", "b_width"), [(9, 12), (2, 2), (3, 5), (7, 4), (10, 6)])
def test_other_widths(style, a_width, b_width):
    """Odd data widths (ResLST-3's 9 bits: a fifth Booth digit) and small corners."""
    dut = FabricMultiplier(a_width=a_width, b_width=b_width, style=style)
    pairs = [
        (a, b)
        for a in edge_and_random(a_width, 30, a_width)
        for b in edge_and_random(b_width, 20, b_width)
    ]
    assert products(dut, pairs) == [a * b for a, b in pairs]


@pytest.mark.parametrize("style", FABRIC_STYLES)
def test_enable_holds_the_product(style):
    """Latency 1: ``p`` is the product of the last enabled cycle's operands."""
    dut = FabricMultiplier(a_width=8, b_width=12, style=style)
    pairs = [(5, 7), (-128, -2048), (3, 3), (127, 2047), (-1, 1)]
    en = [1, 1, 0, 1, 0]
    assert products(dut, pairs, en=en) == [35, 262144, 262144, 259969, 259969]


class WrongSignRow(FabricMultiplier):
    """A deliberately broken multiplier: one Booth row's +1 is dropped."""

    def booth_rows(self, m):
        rows = super().booth_rows(m)
        u, _ = rows[2]
        rows[2] = (u, Const(0, 1))
        return rows


@pytest.mark.parametrize("style", ["booth", "booth_chain"])
def test_a_wrong_partial_product_is_detected(style):
    """The check above fails on a multiplier one partial-product bit off."""
    dut = WrongSignRow(a_width=8, b_width=12, style=style)
    pairs = [(a, b) for b in (-2048, -1, 1, 7) for a in range(-128, 128)]
    wrong = [p != a * b for p, (a, b) in zip(products(dut, pairs), pairs, strict=True)]
    # Row 2's digit is negative exactly when bit 5 of a is set: those products are off.
    assert wrong == [bool((a >> 5) & 1) for a, _ in pairs]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"a_width": 1, "b_width": 8}, "a_width must be an integer of at least 2, not 1"),
        ({"a_width": 8, "b_width": 0}, "b_width must be an integer of at least 2, not 0"),
        ({"a_width": 8.0, "b_width": 8}, "a_width must be an integer of at least 2, not 8.0"),
        ({"a_width": True, "b_width": 8}, "a_width must be an integer of at least 2, not True"),
        (
            {"a_width": 8, "b_width": 8, "style": "wallace"},
            "style must be one of booth, booth_chain, yosys, not 'wallace'",
        ),
    ],
)
def test_constructor_validation(kwargs, message):
    with pytest.raises(ValueError) as e:
        FabricMultiplier(**kwargs)
    assert str(e.value) == message


def test_constructor_is_keyword_only():
    with pytest.raises(TypeError):
        FabricMultiplier(8, 12)


def test_default_style_is_a_fabric_style():
    assert DEFAULT_STYLE in FABRIC_STYLES
    assert FabricMultiplier(a_width=8, b_width=12).style == DEFAULT_STYLE


@pytest.mark.slow
def test_default_style_area(tmp_path):
    """Yosys at 12 × 8: at most 5 LUT levels register to register, and no DSP48E1,
    even where Yosys may use DSP slices (it has no ``*`` to map to one)."""
    from report.fabric_area import multiplier_area

    a = multiplier_area(a_width=8, b_width=12, style=DEFAULT_STYLE, work=tmp_path / "nodsp")
    assert a["logic_depth"] <= 5
    assert a["DSP48E1"] == 0
    assert 0 < a["LUT"] < 150
    d = multiplier_area(a_width=8, b_width=12, style=DEFAULT_STYLE, work=tmp_path / "dsp", dsp=True)
    assert d["DSP48E1"] == 0
    y = multiplier_area(a_width=8, b_width=12, style="yosys", work=tmp_path / "yosys", dsp=True)
    assert y["DSP48E1"] == 1  # the same check does see a DSP when there is one
