"""ResetControl: reset held until the MMCM locks; the button resets synchronously."""

from __future__ import annotations

import pytest
from amaranth.sim import Simulator

from boards.reset_control import ResetControl


def test_reset_follows_lock_and_button():
    dut = ResetControl(hold_cycles=5)
    trace = []

    async def bench(ctx):
        async def step(n, **inputs):
            for name, value in inputs.items():
                ctx.set(getattr(dut, name), value)
            for _ in range(n):
                await ctx.tick()
                trace.append(ctx.get(dut.rst))

        assert ctx.get(dut.rst) == 1  # from configuration
        await step(20, locked=0, button=0)
        assert set(trace) == {1}  # never released while unlocked
        trace.clear()
        await step(12, locked=1)
        # 2 synchroniser cycles, then hold_cycles + 1 counted cycles.
        assert trace.index(0) == 2 + 5 + 1 - 1
        assert trace[trace.index(0) :] == [0] * (12 - trace.index(0))
        trace.clear()
        await step(4, button=1)
        assert trace == [0, 0, 1, 1]  # synchronised: high from the third edge
        trace.clear()
        await step(12, button=0)
        # The synchronised button falls on the third edge, then hold_cycles + 1 cycles.
        assert trace == [1] * 7 + [0] * 5
        trace.clear()
        await step(4, locked=0)  # losing lock resets again
        assert trace[-1] == 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


def test_hold_cycles_checked():
    with pytest.raises(ValueError, match="hold_cycles must be a positive integer"):
        ResetControl(hold_cycles=0)
