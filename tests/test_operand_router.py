"""OperandRouter: the running pass's weight word (in its block's region) and,
``OperandRouter.LATENCY`` cycles later, every lane's operand from the right buffer and
bank (the memories' words registered as they arrive), with the op's bias address and
destination."""

from __future__ import annotations

import numpy as np
import pytest
from hwsim import simulate

from hw.components.operand_router import OperandRouter
from hw.plan.config import CoreConfig
from hw.plan.schedule import PassSchedule

CASES = [
    CoreConfig(model="lst1", lanes=28),
    CoreConfig(model="lst2", lanes=4, pixels_per_beat=4),
    CoreConfig(model="reslst3", lanes=56, pixels_per_beat=2),
    CoreConfig(model="lst2", lanes=98, pixels_per_beat=4),
    CoreConfig(model="reslst3", lanes=196, pixels_per_beat=4),
]


@pytest.mark.parametrize("cfg", CASES, ids=lambda c: c.name)
def test_operands_per_pass_and_block(cfg):
    dut = OperandRouter(cfg, act_width=8, x_width=9 if cfg.residual else 8)
    G, S, P, B = cfg.groups, cfg.group_lanes, cfg.partitions, cfg.blocks
    part = PassSchedule(cfg).out_lane_partition()
    rng = np.random.default_rng(cfg.lanes)
    cases = [("row", b) for b in range(B)] + [("col", b) for b in range(B)] + [("out", 0)]

    async def tb(ctx):
        for kind, block in cases:
            w = int(rng.integers(0, cfg.block_words // 2))
            for name in ("row", "col", "out"):
                on = int(name == kind)
                ctx.set(
                    getattr(dut, name),
                    {"busy": on, "valid": on, "first": on, "last": 0, "w_addr": w if on else 0},
                )
            ctx.set(dut.block, block)
            byte = int(rng.integers(0, cfg.pixels_per_beat))
            e_bank = [int((s + rng.integers(0, G)) % G) for s in range(G)]
            act_bank = [int((s + rng.integers(0, G)) % G) for s in range(G)]
            ctx.set(dut.pix_byte, byte)
            ctx.set(dut.e_bank, e_bank)
            if B > 1:
                ctx.set(dut.act_bank, act_bank)
            ctx.set(dut.row_bias, 5)
            ctx.set(dut.col_bias, 33)
            # Stage 0: the weight word, in the block's region for row and column passes.
            region = block * cfg.block_words if kind != "out" else 0
            assert ctx.get(dut.w_addr) == w + region
            await ctx.tick()
            for name in ("row", "col", "out"):
                ctx.set(
                    getattr(dut, name), {"busy": 0, "valid": 0, "first": 0, "last": 0, "w_addr": 0}
                )
            # Stage 1: memory data arrive.
            pix = rng.integers(0, 256, (G, cfg.pixels_per_beat))
            e = rng.integers(-127, 128, G)
            x = rng.integers(-127, 128, G)
            y = rng.integers(-127, 128, P)
            r = rng.integers(-127, 128, P)
            ctx.set(
                dut.pix_data, [sum(int(v) << (8 * i) for i, v in enumerate(row)) for row in pix]
            )
            ctx.set(dut.e_data, [int(v) for v in e])
            ctx.set(dut.y_data, [int(v) for v in y])
            if B > 1:
                ctx.set(dut.x_data, [int(v) for v in x])
            if cfg.residual:
                ctx.set(dut.r_data, [int(v) for v in r])
            assert not ctx.get(dut.en)  # the operands come one stage later
            await ctx.tick()
            # Stage 2: the registered words; what the memories show now does not matter.
            ctx.set(dut.pix_data, [0] * G)
            ctx.set(dut.e_data, [0] * G)
            ctx.set(dut.y_data, [0] * P)
            assert OperandRouter.LATENCY == 2
            assert ctx.get(dut.en) and ctx.get(dut.first) and not ctx.get(dut.last)
            assert ctx.get(dut.output) == (kind == "out")
            for lane in range(cfg.lanes):
                s, p = lane // S, int(part[lane])
                if kind == "row" and block == 0:
                    want = int(pix[s, byte]) - 128
                elif kind == "row":
                    want = int(x[act_bank[s]])
                elif kind == "col":
                    want = int(e[e_bank[s]])
                else:
                    want = int(y[p]) + (int(r[p]) if cfg.residual else 0)
                assert ctx.get(dut.x[lane]) == want, (kind, block, lane)
            dest = ctx.get(dut.dest)
            if kind != "out":
                bias = (5 if kind == "row" else 33) + 56 * block
                assert ctx.get(dut.bias_base) == bias
                assert dest.shift == int(not (kind == "row" and block == 0))
                assert dest.to_e == int(kind == "row")
                assert dest.to_y == int(kind == "col" and block == B - 1)
                if B > 1:
                    assert dest.to_x == int(kind == "col" and block < B - 1)
                if cfg.residual:
                    assert dest.to_r == int(kind == "col" and block == 0)

    simulate(dut, tb)
