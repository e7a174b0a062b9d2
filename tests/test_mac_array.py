"""MacArray: lockstep multiply-accumulate lanes against a Python model."""

from __future__ import annotations

import random

import pytest
from hwsim import simulate

from hw.components.mac_array import MacArray


def _operand(rng: random.Random, bits: int) -> int:
    """Half the time an extreme (most negative, most positive, 0, −1), else uniform."""
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return rng.choice([lo, hi, 0, -1]) if rng.random() < 0.5 else rng.randint(lo, hi)


@pytest.mark.parametrize(
    ("lanes", "dsp_lanes", "packed_pairs", "w_width"),
    [
        (1, 1, 0, 12),
        (4, 2, 0, 12),
        (7, 7, 0, 12),
        (3, 0, 0, 12),
        # Two lanes per DSP48E1 slice (hw.plan.dsp_packing), beside DSP and fabric lanes.
        (5, 4, 2, 8),
        (5, 4, 1, 8),
        (2, 2, 1, 8),
        (3, 2, 1, 7),
        (4, 4, 2, 6),
    ],
)
def test_random_sequences(lanes, dsp_lanes, packed_pairs, w_width):
    """DSP, fabric and packed lanes alike: the accumulators include each enabled cycle's
    products ``MacArray.latency`` cycles later, with gaps and restarts anywhere; a packed
    pair's hi lane uses its lo lane's data (its own ``x`` is ignored)."""
    dut = MacArray(
        lanes=lanes,
        x_width=8,
        w_width=w_width,
        acc_width=30,
        dsp_lanes=dsp_lanes,
        packed_pairs=packed_pairs,
    )
    rng = random.Random(lanes * 100 + packed_pairs * 10 + w_width)
    history = []  # the model's accumulators after each cycle's inputs
    checked = []
    cycles = 300

    async def tb(ctx):
        acc = [0] * lanes
        for t in range(cycles):
            x = [_operand(rng, 8) for _ in range(lanes)]
            w = [_operand(rng, w_width) for _ in range(lanes)]
            xm = [
                x[lane - 1] if lane < 2 * packed_pairs and lane % 2 else x[lane]
                for lane in range(lanes)
            ]
            first, en = rng.random() < 0.1, rng.random() < 0.8
            ctx.set(dut.x, x)
            ctx.set(dut.w, w)
            ctx.set(dut.first, first)
            ctx.set(dut.en, en)
            await ctx.tick()
            if en:
                acc = [(0 if first else a) + xi * wi for a, xi, wi in zip(acc, xm, w, strict=True)]
            history.append(acc)
            if t >= MacArray.latency - 1:
                want = history[t - (MacArray.latency - 1)]
                assert [ctx.get(dut.acc[i]) for i in range(lanes)] == want, t
                checked.append(t)

    simulate(dut, tb)
    assert len(checked) == cycles - (MacArray.latency - 1)


@pytest.mark.parametrize(
    ("kwargs", "x", "w"),
    [
        # −128 × −2048 (the largest product) 784 times fits a 29-bit sum exactly.
        ({"lanes": 2, "acc_width": 30}, [-128, 127], [-2048, -2048]),
        # Packed pairs: 784 × 16384 (−128 × −128) fits 26 bits, as do the most negative.
        (
            {"lanes": 5, "w_width": 8, "acc_width": 26, "dsp_lanes": 4, "packed_pairs": 2},
            [-128, -128, 127, 127, -128],
            [-128, 127, -128, 127, -128],
        ),
    ],
)
def test_extremes_fill_the_accumulator(kwargs, x, w):
    """784 products of the operands' extremes in every lane, exactly."""
    dut = MacArray(x_width=8, **kwargs)

    async def tb(ctx):
        ctx.set(dut.x, x)
        ctx.set(dut.w, w)
        ctx.set(dut.en, 1)
        for t in range(784):
            ctx.set(dut.first, t == 0)
            await ctx.tick()
        ctx.set(dut.en, 0)
        for _ in range(MacArray.latency - 1):
            await ctx.tick()
        got = [ctx.get(dut.acc[i]) for i in range(len(x))]
        assert got == [784 * xi * wi for xi, wi in zip(x, w, strict=True)]

    simulate(dut, tb)


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"lanes": 0}, "lanes must be"),
        ({"lanes": 2, "acc_width": 49}, "at most 48"),
        ({"lanes": 2, "x_width": 1}, "x_width must be"),
        ({"lanes": 2, "dsp_lanes": 3}, "dsp_lanes must be an integer from 0 to 2, not 3"),
        ({"lanes": 2, "fabric_style": "magic"}, "fabric_style must be one of"),
    ],
)
@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")
def test_parameter_validation(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        MacArray(**kwargs)


def _synthesize(tmp_path, **kwargs) -> tuple[dict, list[dict]]:
    """Yosys's area of ``MacArray(**kwargs)`` and its DSP48E1 cells' register parameters
    (AREG, …, and USE_DPORT), as integers."""
    import json

    from amaranth import Module, unsigned
    from amaranth.back import verilog
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out

    from hw.verilog import settle_at_time_zero
    from report.synthesis import area

    n = kwargs["lanes"]
    widths = {"x": kwargs["x_width"], "w": kwargs["w_width"], "acc": kwargs["acc_width"]}

    class Harness(wiring.Component):
        # Plain vector ports around the array (Yosys 0.70's ABC step trips over the
        # array's own port names at the top level).
        def __init__(self):
            super().__init__(
                {
                    "xs": In(unsigned(widths["x"] * n)),
                    "ws": In(unsigned(widths["w"] * n)),
                    "en": In(1),
                    "first": In(1),
                    "accs": Out(unsigned(widths["acc"] * n)),
                }
            )

        def elaborate(self, platform):
            m = Module()
            m.submodules.macs = macs = MacArray(**kwargs)
            m.d.comb += [
                macs.x.as_value().eq(self.xs),
                macs.w.as_value().eq(self.ws),
                macs.en.eq(self.en),
                macs.first.eq(self.first),
                self.accs.eq(macs.acc.as_value()),
            ]
            return m

    src = tmp_path / "macs.v"
    src.write_text(settle_at_time_zero(verilog.convert(Harness(), name="macs", emit_src=False)))
    a = area(src, tmp_path / "synth", top="macs")
    cells = json.loads((tmp_path / "synth" / "netlist.json").read_text())["modules"]["macs"]
    keys = ("AREG", "BREG", "DREG", "ADREG", "MREG", "PREG")
    dsps = [
        {k: int(cell["parameters"][k], 2) for k in keys}
        | {"USE_DPORT": cell["parameters"]["USE_DPORT"] == "TRUE"}
        for cell in cells["cells"].values()
        if cell["type"] == "DSP48E1"
    ]
    return a, dsps


@pytest.mark.slow
def test_dsp_lanes_use_every_register_and_fabric_lanes_no_dsp(tmp_path):
    """Yosys maps each DSP lane onto one DSP48E1 with its input, multiplier and output
    registers (AREG = BREG = MREG = PREG = 1), and the fabric lanes onto none."""
    a, dsps = _synthesize(tmp_path, lanes=3, x_width=8, w_width=12, acc_width=30, dsp_lanes=2)
    assert a["DSP48E1"] == 2
    for regs in dsps:
        assert {k: regs[k] for k in ("AREG", "BREG", "MREG", "PREG")} == dict.fromkeys(
            ("AREG", "BREG", "MREG", "PREG"), 1
        ), regs
    assert a["LUT"] > 40  # the fabric lane's multiplier and accumulator


@pytest.mark.slow
def test_packed_pair_uses_one_dsp_and_its_pre_adder(tmp_path):
    """A packed pair is one DSP48E1: the packed weight's sum goes into the pre-adder
    (USE_DPORT, ADREG as the operand register), the product into MREG, and the two
    accumulators into the fabric, one LUT per bit (2 × 26, plus the carry in's
    inverter); the two unpacked DSP lanes keep every register."""
    a, dsps = _synthesize(
        tmp_path, lanes=4, x_width=8, w_width=8, acc_width=26, dsp_lanes=4, packed_pairs=1
    )
    assert a["DSP48E1"] == 3
    packed = [regs for regs in dsps if regs["USE_DPORT"]]
    assert packed == [
        {"AREG": 0, "BREG": 1, "DREG": 0, "ADREG": 1, "MREG": 1, "PREG": 0, "USE_DPORT": True}
    ]
    for regs in dsps:
        if not regs["USE_DPORT"]:
            assert {k: regs[k] for k in ("AREG", "BREG", "MREG", "PREG")} == dict.fromkeys(
                ("AREG", "BREG", "MREG", "PREG"), 1
            ), regs
    # Measured 52 LUT, 1 INV, 56 FF (52 accumulator bits, 4 control), 14 CARRY4.
    assert a["LUT"] <= 56 and a["cells"].get("INV", 0) <= 2, a["cells"]
    assert a["FF"] == 2 * 26 + 4
