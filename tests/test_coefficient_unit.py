"""CoefficientUnit: rounds of coefficients in, u = S_τ(sat(round(a·c + β))) + c out, one
per cycle in emission order, at the extremes of every format."""

from __future__ import annotations

import numpy as np
import pytest
from hwsim import simulate

from hw.components.coefficient_unit import CoefficientUnit
from lst.transform.arch import get_transform_arch
from quant.fixed import round_shift
from quant.transform_contract import TransformConfig, formats


def reference(f, a, beta, tau, c):
    g = f.g.overflow_handle(round_shift(a * c + beta, f.g_shift))
    z = np.sign(g) * np.maximum(np.abs(g) - tau, 0)
    return z + c


@pytest.mark.parametrize("lanes", [8, 32])
def test_stream_matches_contract(lanes):
    f = formats(get_transform_arch("ht1"), TransformConfig())
    count = 32 * 32
    rng = np.random.default_rng(lanes)
    a = rng.integers(f.scale.min_int, f.scale.max_int + 1, count)
    beta = rng.integers(f.beta.min_int, f.beta.max_int + 1, count)
    tau = rng.integers(0, f.tau.max_int + 1, count)
    c = rng.integers(f.c.min_int, f.c.max_int + 1, count)
    # Extremes: both saturations of g, a zero threshold, the largest threshold.
    a[:4] = [f.scale.min_int, f.scale.max_int, f.scale.min_int, 0]
    c[:4] = [f.c.min_int, f.c.min_int, f.c.max_int, f.c.max_int]
    tau[:4] = [0, f.tau.max_int, 0, 3]
    dut = CoefficientUnit(lanes=lanes, formats=f, scale=a, offset=beta, threshold=tau)
    want = reference(f, a, beta, tau, c)
    period = max(28, lanes)
    got = []

    async def feed(ctx):
        for r in range(count // lanes):
            for lane in range(lanes):
                ctx.set(dut.coeffs[lane], int(c[r * lanes + lane]))
            ctx.set(dut.coeffs_valid, 1)
            await ctx.tick()
            ctx.set(dut.coeffs_valid, 0)
            await ctx.tick().repeat(period - 1)

    async def collect(ctx):
        while len(got) < count:
            await ctx.tick()
            if ctx.get(dut.u_valid):
                n = ctx.get(dut.u_index)
                assert ctx.get(dut.u_first) == (n == 0)
                assert ctx.get(dut.u_last) == (n == count - 1)
                got.append((n, ctx.get(dut.u)))

    simulate(dut, feed, collect)
    assert [n for n, _ in got] == list(range(count))
    np.testing.assert_array_equal([u for _, u in got], want)
    assert (np.abs(want) > 0).any() and (want == c).any()  # some pass, some are zeroed


def test_bad_tables():
    f = formats(get_transform_arch("dct1"), TransformConfig())
    with pytest.raises(ValueError, match="scale must have 784 entries, not 3"):
        CoefficientUnit(lanes=4, formats=f, scale=[0] * 3, offset=[0] * 784, threshold=[0] * 784)
