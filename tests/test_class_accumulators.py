"""ClassAccumulators: a stream of u into ten sums with their biases, logits out in order."""

from __future__ import annotations

import numpy as np
import pytest
from hwsim import simulate

from hw.components.class_accumulators import ClassAccumulators
from lst.transform.arch import get_transform_arch
from quant.transform_contract import TransformConfig, formats


@pytest.mark.parametrize("model", ["dct1", "ht1"])
def test_two_images_match_reference(model):
    f = formats(get_transform_arch(model), TransformConfig())
    count = f.arch.size**2
    rng = np.random.default_rng(3)
    w = rng.integers(f.out_w.min_int, f.out_w.max_int + 1, (10, count))
    w[:, 0] = f.out_w.min_int  # the most negative weight times the most negative u
    b = rng.integers(f.out_bias.min_int, f.out_bias.max_int + 1, 10)
    images = rng.integers(f.u.min_int, f.u.max_int + 1, (2, count))
    images[:, 0] = f.u.min_int
    dut = ClassAccumulators(formats=f, weights=w.tolist(), biases=b.tolist())
    want = images @ w.T + b
    got = []

    async def feed(ctx):
        for img in images:
            for n, u in enumerate(img):
                ctx.set(dut.u, int(u))
                ctx.set(dut.u_index, n)
                ctx.set(dut.u_valid, 1)
                ctx.set(dut.u_first, n == 0)
                ctx.set(dut.u_last, n == count - 1)
                await ctx.tick()
            ctx.set(dut.u_valid, 0)
            ctx.set(dut.u_last, 0)
            await ctx.tick().repeat(20)

    async def collect(ctx):
        while len(got) < 20:
            await ctx.tick()
            if ctx.get(dut.logits.valid):
                got.append(ctx.get(dut.logits.payload))
        await ctx.tick().repeat(3)
        assert ctx.get(dut.idle)

    simulate(dut, feed, collect)
    np.testing.assert_array_equal(np.array(got).reshape(2, 10), want)


def test_bad_shapes():
    f = formats(get_transform_arch("dct1"), TransformConfig())
    with pytest.raises(ValueError, match="weights must be 10×784 with one bias each"):
        ClassAccumulators(formats=f, weights=[[0] * 784] * 10, biases=[0] * 9)
