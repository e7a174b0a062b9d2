"""HadamardStream: blocks back to back, every size, natural order, exact, the lag."""

from __future__ import annotations

import numpy as np
import pytest
from hwsim import simulate

from hw.components.hadamard_stream import HadamardStream
from lst.transform.matrices import hadamard_matrix


@pytest.mark.parametrize(("size", "width"), [(2, 4), (8, 8), (32, 8), (32, 13)])
def test_blocks_match_sylvester(size, width):
    dut = HadamardStream(size=size, width=width)
    assert dut.lag == size - 1 + size.bit_length() - 1
    rng = np.random.default_rng(size + width)
    lo, hi = -(1 << (width - 1)), 1 << (width - 1)
    blocks = rng.integers(lo, hi, (3, size))
    blocks[0] = lo  # the extremes: every sum at its largest magnitude
    blocks[1] = hi - 1
    h = np.rint(hadamard_matrix(size) * np.sqrt(size)).astype(np.int64)
    want = (blocks @ h.T).ravel()
    samples = [*blocks.ravel().tolist(), *[0] * dut.lag]
    got = []

    async def tb(ctx):
        ctx.set(dut.restart, 1)
        await ctx.tick()
        ctx.set(dut.restart, 0)
        for t, v in enumerate(samples):
            ctx.set(dut.x, v)
            ctx.set(dut.en, 1)
            if t >= dut.lag:  # coefficient t − lag leaves while sample t enters
                got.append(ctx.get(dut.y))
            await ctx.tick()

    simulate(dut, tb)
    np.testing.assert_array_equal(got, want)


def test_holds_without_enable():
    """Idle cycles in the middle of a block change nothing."""
    size = 8
    dut = HadamardStream(size=size, width=6)
    block = np.arange(-8, 8, 2)
    h = np.rint(hadamard_matrix(size) * np.sqrt(size)).astype(np.int64)
    got = []

    async def tb(ctx):
        ctx.set(dut.restart, 1)
        await ctx.tick()
        ctx.set(dut.restart, 0)
        for t, v in enumerate([*block.tolist(), *[0] * dut.lag]):
            ctx.set(dut.en, 0)
            if t % 3:
                await ctx.tick().repeat(t % 3)
            ctx.set(dut.x, v)
            ctx.set(dut.en, 1)
            if t >= dut.lag:
                got.append(ctx.get(dut.y))
            await ctx.tick()

    simulate(dut, tb)
    np.testing.assert_array_equal(got, h @ block)


def test_bad_arguments():
    with pytest.raises(ValueError, match="size must be a power of two, at least 2, not 28"):
        HadamardStream(size=28, width=8)
    with pytest.raises(ValueError, match="width must be a positive integer"):
        HadamardStream(size=8, width=0)
