"""MacArray: lockstep multiply-accumulate lanes against a Python model."""

from __future__ import annotations

import random

import pytest
from hwsim import simulate

from hw.components.mac_array import MacArray


@pytest.mark.parametrize(("lanes", "dsp_lanes"), [(1, 1), (4, 2), (7, 7), (3, 0)])
def test_random_sequences(lanes, dsp_lanes):
    """DSP and fabric lanes alike: the accumulators include each enabled cycle's
    products ``MacArray.latency`` cycles later, with gaps and restarts anywhere."""
    dut = MacArray(lanes=lanes, x_width=8, w_width=12, acc_width=30, dsp_lanes=dsp_lanes)
    rng = random.Random(lanes)
    checked = []
    history = []  # the model's accumulators after each cycle's inputs

    async def tb(ctx):
        acc = [0] * lanes
        for t in range(300):
            x = [rng.randint(-128, 127) for _ in range(lanes)]
            w = [rng.randint(-2048, 2047) for _ in range(lanes)]
            first, en = rng.random() < 0.1, rng.random() < 0.8
            ctx.set(dut.x, x)
            ctx.set(dut.w, w)
            ctx.set(dut.first, first)
            ctx.set(dut.en, en)
            await ctx.tick()
            if en:
                acc = [(0 if first else a) + xi * wi for a, xi, wi in zip(acc, x, w, strict=True)]
            history.append(acc)
            if t >= MacArray.latency - 1:
                want = history[t - (MacArray.latency - 1)]
                assert [ctx.get(dut.acc[i]) for i in range(lanes)] == want
                checked.append(1)

    simulate(dut, tb)
    assert len(checked) == 300 - (MacArray.latency - 1)


def test_extremes_fill_the_accumulator():
    """784 products of −128 × −2048 (the largest) fit a 29-bit sum exactly."""
    dut = MacArray(lanes=2, acc_width=30)

    async def tb(ctx):
        ctx.set(dut.x, [-128, 127])
        ctx.set(dut.w, [-2048, -2048])
        ctx.set(dut.en, 1)
        for t in range(784):
            ctx.set(dut.first, t == 0)
            await ctx.tick()
        ctx.set(dut.en, 0)
        for _ in range(MacArray.latency - 1):
            await ctx.tick()
        assert ctx.get(dut.acc[0]) == 784 * 128 * 2048
        assert ctx.get(dut.acc[1]) == -784 * 127 * 2048

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


@pytest.mark.slow
def test_dsp_lanes_use_every_register_and_fabric_lanes_no_dsp(tmp_path):
    """Yosys maps each DSP lane onto one DSP48E1 with its input, multiplier and output
    registers (AREG = BREG = MREG = PREG = 1), and the fabric lanes onto none."""
    import json

    from amaranth import Module, unsigned
    from amaranth.back import verilog
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out

    from hw.verilog import settle_at_time_zero
    from report.synthesis import area

    class Harness(wiring.Component):
        # Plain vector ports around the array (Yosys 0.70's ABC step trips over the
        # array's own port names at the top level).
        def __init__(self):
            super().__init__(
                {
                    "xs": In(unsigned(8 * 3)),
                    "ws": In(unsigned(12 * 3)),
                    "en": In(1),
                    "first": In(1),
                    "accs": Out(unsigned(30 * 3)),
                }
            )

        def elaborate(self, platform):
            m = Module()
            m.submodules.macs = macs = MacArray(
                lanes=3, x_width=8, w_width=12, acc_width=30, dsp_lanes=2
            )
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
    assert a["DSP48E1"] == 2
    cells = json.loads((tmp_path / "synth" / "netlist.json").read_text())["modules"]["macs"]
    for cell in cells["cells"].values():
        if cell["type"] == "DSP48E1":
            regs = {k: int(cell["parameters"][k], 2) for k in ("AREG", "BREG", "MREG", "PREG")}
            assert regs == dict.fromkeys(regs, 1), regs
    assert a["LUT"] > 40  # the fabric lane's multiplier and accumulator
