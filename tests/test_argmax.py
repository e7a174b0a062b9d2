"""Argmax: first maximum, all logits passed on, stream rules under backpressure."""

from __future__ import annotations

import random

import pytest
from hwsim import simulate

from hw.components.argmax import Argmax


def _images(rng, n):
    out = []
    for _ in range(n):
        logits = [rng.randint(-(1 << 29), (1 << 29) - 1) for _ in range(10)]
        if rng.random() < 0.5:  # ties on the maximum
            m = max(logits)
            for c in rng.sample(range(10), 3):
                logits[c] = m
        out.append(logits)
    out.append([5] * 10)  # all equal: class 0
    out.append([-7] * 9 + [-6])
    return out


@pytest.mark.parametrize("stall", [0.0, 0.7])
def test_first_maximum_and_backpressure(stall):
    rng = random.Random(int(stall * 10))
    dut = Argmax(logit_width=30)
    images = _images(rng, 12)
    got = []

    async def feed(ctx):
        for logits in images:
            await ctx.tick().until(dut.idle)
            for v in logits:
                ctx.set(dut.logits.valid, 1)
                ctx.set(dut.logits.payload, v)
                await ctx.tick()
                ctx.set(dut.logits.valid, 0)
                for _ in range(rng.randint(0, 2)):
                    await ctx.tick()

    async def sink(ctx):
        held = None
        while len(got) < len(images):
            ready = rng.random() >= stall
            ctx.set(dut.result.ready, ready)
            valid = ctx.get(dut.result.valid)
            payload = None
            if valid:
                r = ctx.get(dut.result.payload)
                payload = (r.cls, [r.logits[i] for i in range(10)])
                assert held is None or held == payload, "payload changed while stalled"
                held = payload
            else:
                assert held is None, "valid dropped before the transfer"
            await ctx.tick()
            if valid and ready:
                got.append(payload)
                held = None

    simulate(dut, feed, sink)
    for (cls, logits), want in zip(got, images, strict=True):
        assert logits == want
        assert cls == want.index(max(want))


def test_not_idle_while_collecting_or_holding():
    dut = Argmax(logit_width=8)

    async def tb(ctx):
        assert ctx.get(dut.idle)
        ctx.set(dut.logits.valid, 1)
        for v in range(10):
            ctx.set(dut.logits.payload, v)
            await ctx.tick()
            assert not ctx.get(dut.idle)
        ctx.set(dut.logits.valid, 0)
        await ctx.tick()
        assert ctx.get(dut.result.valid) and not ctx.get(dut.idle)
        ctx.set(dut.result.ready, 1)
        await ctx.tick()
        assert ctx.get(dut.idle) and not ctx.get(dut.result.valid)

    simulate(dut, tb)
