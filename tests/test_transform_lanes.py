"""TransformLanes: both kinds against a NumPy model, op by op, with restarts and holds."""

from __future__ import annotations

import numpy as np
import pytest
from hwsim import simulate

from hw.components.transform_lanes import TransformLanes


@pytest.mark.parametrize("kind", ["multiply", "sign"])
def test_lanes_match_reference(kind):
    lanes, xw, ww, aw = 4, 13, 12, 28
    dut = TransformLanes(lanes=lanes, x_width=xw, w_width=ww, acc_width=aw, kind=kind)
    rng = np.random.default_rng(2)
    n = 200
    xs = rng.integers(-(1 << (xw - 1)), 1 << (xw - 1), n)
    xs[:4] = [-(1 << (xw - 1)), (1 << (xw - 1)) - 1, -(1 << (xw - 1)), 0]  # extremes
    if kind == "sign":
        ws = rng.integers(0, 2, (n, lanes))
        values = np.where(ws == 1, -1, 1)
    else:
        ws = rng.integers(-(1 << (ww - 1)), 1 << (ww - 1), (n, lanes))
        ws[:2] = -(1 << (ww - 1))
        values = ws
    en = rng.random(n) < 0.8
    first = rng.random(n) < 0.1
    first[0] = en[0] = True
    want, acc = [], np.zeros(lanes, dtype=np.int64)
    for t in range(n):
        if en[t]:
            acc = (0 if first[t] else acc) + xs[t] * values[t]
        want.append(acc.copy())
    got = []

    async def tb(ctx):
        for t in range(n + TransformLanes.LATENCY):
            if t < n:
                ctx.set(dut.x, int(xs[t]))
                for lane in range(lanes):
                    ctx.set(dut.w[lane], int(ws[t, lane]))
                ctx.set(dut.en, bool(en[t]))
                ctx.set(dut.first, bool(first[t]))
            else:
                ctx.set(dut.en, 0)
            await ctx.tick()
            if t + 1 >= TransformLanes.LATENCY:
                got.append([ctx.get(dut.acc[lane]) for lane in range(lanes)])

    simulate(dut, tb)
    # acc after the tick of op t shows op t - LATENCY + 1: compare aligned.
    np.testing.assert_array_equal(np.array(got[:n]), np.array(want))


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind must be one of multiply, sign, not 'add'"):
        TransformLanes(lanes=2, x_width=8, w_width=8, acc_width=16, kind="add")
    with pytest.raises(ValueError, match="lanes must be a positive integer"):
        TransformLanes(lanes=0, x_width=8, w_width=8, acc_width=16, kind="sign")
    with pytest.raises(ValueError, match="w_width must be at least 2"):
        TransformLanes(lanes=2, x_width=8, w_width=1, acc_width=16, kind="multiply")
