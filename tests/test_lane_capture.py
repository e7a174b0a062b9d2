"""LaneCapture: sums copied when a dot product ends; drain or readout two cycles after
the last op, with its bias address and destination."""

from __future__ import annotations

from hwsim import simulate

from hw.components.activation_buffers import destination_layout
from hw.components.lane_capture import LaneCapture
from hw.plan.config import CoreConfig


def test_capture_and_strobes():
    dest = destination_layout(CoreConfig(model="reslst3"))
    dut = LaneCapture(lanes=3, width=20, bias_depth=168, dest_shape=dest)
    seen = []

    async def tb(ctx):
        # cycle 0: last op of a row pass (bias 60, dest to_e); cycle 1: output last op.
        steps = [
            dict(en=1, last=1, output=0, bias=60, to_e=1),
            dict(en=1, last=1, output=1, bias=0, to_e=0),
            dict(en=1, last=0, output=0, bias=7, to_e=0),
            dict(en=0, last=1, output=0, bias=7, to_e=0),  # not an op: ignored
        ]
        for t in range(8):
            st = steps[t] if t < len(steps) else dict(en=0, last=0, output=0, bias=0, to_e=0)
            ctx.set(dut.en, st["en"])
            ctx.set(dut.last, st["last"])
            ctx.set(dut.output, st["output"])
            ctx.set(dut.bias_base, st["bias"])
            ctx.set(dut.dest.to_e, st["to_e"])
            ctx.set(dut.acc, [t, -t, 100 + t])  # the accumulators change every cycle
            seen.append(
                (
                    ctx.get(dut.drain_start),
                    ctx.get(dut.readout),
                    ctx.get(dut.drain_bias_base),
                    ctx.get(dut.drain_dest.to_e),
                )
            )
            await ctx.tick()

    simulate(dut, tb)
    strobes = [(t, s[0], s[1]) for t, s in enumerate(seen) if s[0] or s[1]]
    # The last op enters at t, its sum is in the lanes at t + 1, captured at t + 2.
    assert strobes == [(1, 1, 0), (2, 0, 1)]
    assert seen[1][2:] == (60, 1)


def test_results_hold_the_sum_after_the_strobe():
    dut = LaneCapture(lanes=2, width=12, bias_depth=56, dest_shape=1)

    async def tb(ctx):
        ctx.set(dut.en, 1)
        ctx.set(dut.last, 1)
        ctx.set(dut.acc, [5, -6])
        await ctx.tick()
        ctx.set(dut.last, 0)
        ctx.set(dut.acc, [1, 2])  # the accumulators as they are in the strobe's cycle
        assert ctx.get(dut.drain_start)
        await ctx.tick()
        ctx.set(dut.acc, [3, 4])
        assert [ctx.get(dut.results[i]) for i in range(2)] == [1, 2]
        for _ in range(5):
            await ctx.tick()
            assert [ctx.get(dut.results[i]) for i in range(2)] == [1, 2]

    simulate(dut, tb)
