"""LaneDrain: captured lanes come out in order, per group, with their shared bias."""

from __future__ import annotations

import numpy as np
import pytest
from hwsim import simulate

from hw.components.lane_drain import LaneDrain


@pytest.mark.parametrize(("lanes", "groups"), [(1, 1), (7, 1), (28, 1), (56, 2)])
def test_drain_order_bias_and_tag(lanes, groups):
    rng = np.random.default_rng(lanes)
    biases = rng.integers(-5000, 5000, 56).tolist()
    dut = LaneDrain(lanes=lanes, groups=groups, width=30, biases=biases)
    S = lanes // groups
    values = rng.integers(-(1 << 24), 1 << 24, lanes).tolist()
    got = [[] for _ in range(groups)]
    tags = []

    async def tb(ctx):
        ctx.set(dut.lanes_in, values)
        for base, tag in ((0, 0), (28, 1)):
            ctx.set(dut.start, 1)
            ctx.set(dut.bias_base, base)
            ctx.set(dut.tag_in, tag)
            await ctx.tick()
            ctx.set(dut.start, 0)
            ctx.set(dut.tag_in, 1 - tag)  # only sampled with start
            for _ in range(S + 4):
                for s in range(groups):
                    o = getattr(dut, f"o{s}")
                    if ctx.get(o.valid):
                        got[s].append(ctx.get(o.payload))
                        if s == 0:
                            tags.append(ctx.get(dut.tag))
                await ctx.tick()

    simulate(dut, tb)
    for s in range(groups):
        want = [values[s * S + i] + biases[base + i] for base in (0, 28) for i in range(S)]
        assert got[s] == want
    assert tags == [0] * S + [1] * S


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")
def test_validation():
    with pytest.raises(ValueError, match="multiple of groups"):
        LaneDrain(lanes=7, groups=2, width=30, biases=[0] * 56)
