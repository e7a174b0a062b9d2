"""TanhUnit: narrowing and table lookup equal the contract for every table input."""

from __future__ import annotations

import numpy as np
import pytest
from hwsim import simulate

from hw.components.tanh_unit import TanhUnit
from quant.contract import FixedConfig
from quant.fixed import q


def _reference(cfg, acc, shift):
    t = np.clip(np.asarray(acc) >> shift, cfg.tanh_in.min_int, cfg.tanh_in.max_int)
    return cfg.tanh(t)


@pytest.mark.parametrize(("fmt", "ports"), [("q5.7", 1), ("q5.7", 2), ("q3.5", 1)])
def test_every_code_and_saturation(fmt, ports):
    cfg = FixedConfig(q(fmt))
    shift = 7 + cfg.weight.frac - cfg.tanh_in.frac
    width = 30
    dut = TanhUnit(config=cfg, acc_width=width, shifts=(shift,), ports=ports)
    fin = cfg.tanh_in
    # Every table input (with random low bits below the shift), then extremes.
    rng = np.random.default_rng(0)
    codes = np.arange(fin.min_int, fin.max_int + 1)
    accs = list(codes * (1 << shift) + rng.integers(0, 1 << shift, len(codes)))
    accs += [
        -(1 << (width - 1)),
        (1 << (width - 1)) - 1,
        (fin.max_int + 1) << shift,
        ((fin.min_int - 1) << shift) + 3,
        0,
        -1,
    ]
    want = _reference(cfg, accs, shift).tolist()
    got = [[] for _ in range(ports)]

    async def drive(ctx):
        for n in range(len(accs)):
            for p in range(ports):
                i = getattr(dut, f"i{p}")
                ctx.set(i.payload, int(accs[(n + p) % len(accs)]))
                ctx.set(i.valid, 1)
            await ctx.tick()
        for p in range(ports):
            ctx.set(getattr(dut, f"i{p}").valid, 0)

    async def collect(ctx):
        while len(got[0]) < len(accs):
            await ctx.tick()
            for p in range(ports):
                o = getattr(dut, f"o{p}")
                if ctx.get(o.valid):
                    got[p].append(ctx.get(o.payload))

    simulate(dut, drive, collect)
    for p in range(ports):
        assert got[p] == [want[(n + p) % len(accs)] for n in range(len(accs))]


def test_latency_is_two():
    cfg = FixedConfig()
    dut = TanhUnit(config=cfg, acc_width=30, shifts=(6,))

    async def tb(ctx):
        ctx.set(dut.i0.payload, 256 << 6)  # tanh(1.0)
        ctx.set(dut.i0.valid, 1)
        await ctx.tick()
        ctx.set(dut.i0.valid, 0)
        assert not ctx.get(dut.o0.valid)
        await ctx.tick()
        assert ctx.get(dut.o0.valid) and ctx.get(dut.o0.payload) == round(128 * np.tanh(1.0))
        await ctx.tick()
        assert not ctx.get(dut.o0.valid)

    simulate(dut, tb)


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")
def test_validation():
    with pytest.raises(ValueError, match="too narrow"):
        TanhUnit(config=FixedConfig(), acc_width=12, shifts=(6,))
    with pytest.raises(ValueError, match="ports must be a positive integer, not 0"):
        TanhUnit(config=FixedConfig(), acc_width=30, shifts=(6,), ports=0)
