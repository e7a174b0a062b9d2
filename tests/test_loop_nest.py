"""LoopNest: nested counters in order, with their first/last/done marks."""

from __future__ import annotations

import itertools

import pytest
from hwsim import simulate

from hw.components.loop_nest import LoopNest


@pytest.mark.parametrize("bounds", [(3,), (3, 2, 2), (28, 1, 14), (1, 1)])
def test_sequence(bounds):
    dut = LoopNest(bounds)
    want = [tuple(reversed(t)) for t in itertools.product(*[range(b) for b in reversed(bounds)])]
    seen = []

    async def tb(ctx):
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        for n in range(len(want) + 3):
            if ctx.get(dut.busy):
                idx = tuple(ctx.get(dut.index(i)) for i in range(len(bounds)))
                seen.append(idx)
                assert ctx.get(dut.first) == (idx[0] == 0)
                assert ctx.get(dut.last) == (idx[0] == bounds[0] - 1)
                assert ctx.get(dut.done) == (n == len(want) - 1)
                ctx.set(dut.start, 1)  # ignored while busy
            else:
                ctx.set(dut.start, 0)
                assert not ctx.get(dut.done)
            await ctx.tick()

    simulate(dut, tb)
    assert seen == want


def test_restart_right_after_done():
    dut = LoopNest((2, 2))

    async def tb(ctx):
        ctx.set(dut.start, 1)
        await ctx.tick()
        count = 0
        for _ in range(4):
            count += ctx.get(dut.busy)
            await ctx.tick()  # start held: the nest restarts on the cycle after it ends
        assert count == 4
        assert not ctx.get(dut.busy)
        await ctx.tick()
        assert ctx.get(dut.busy) and ctx.get(dut.index(0)) == 0

    simulate(dut, tb)


def test_validation():
    with pytest.raises(ValueError, match="positive trip counts"):
        LoopNest((3, 0))
