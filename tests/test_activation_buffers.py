"""ActivationBuffers: activations land where their destination and the layouts say,
and read back from every bank."""

from __future__ import annotations

import numpy as np
import pytest
from hwsim import simulate

from hw.components.activation_buffers import ActivationBuffers, destination_layout
from hw.plan.buffer_layout import BufferLayout
from hw.plan.config import CoreConfig

N = 28


@pytest.mark.parametrize(
    "cfg",
    [
        CoreConfig(model="lst2", lanes=7),
        CoreConfig(model="reslst3", lanes=56),
        CoreConfig(model="reslst3", lanes=196),
    ],
    ids=lambda c: c.name,
)
def test_writes_follow_destination_and_layout(cfg):
    dut = ActivationBuffers(cfg, act_width=8)
    lay = BufferLayout(cfg)
    G = cfg.groups
    rng = np.random.default_rng(cfg.lanes)
    vals = {k: rng.integers(-127, 128, (N, N)) for k in "exyr"}
    got = {k: np.full((N, N), 999) for k in "exyr"}
    blank = dict.fromkeys(destination_layout(cfg).members, 0)

    async def tb(ctx):
        # E: a row pass's results, group s = row r·G + s, the same word in every bank.
        for r in range(N // G):
            for j in range(N):
                ctx.set(dut.act_valid, 1)
                ctx.set(dut.dest, blank | {"to_e": 1})
                ctx.set(dut.e_wr_addr, lay.e(r * G, j)[1])
                ctx.set(dut.act, [int(vals["e"][r * G + s, j]) for s in range(G)])
                assert ctx.get(dut.e_written) and not ctx.get(dut.col_written)
                await ctx.tick()
        # Column results (i, c·G + s) to X, then Y, then R (each write touches one buffer).
        for dest, keys in (({"to_x": 1}, "x"), ({"to_y": 1}, "y"), ({"to_r": 1}, "r")):
            if next(iter(dest)) not in blank:
                continue
            for c in range(N // G):
                for i in range(N):
                    ctx.set(dut.dest, blank | {k: v for k, v in dest.items() if k in blank})
                    src = vals[keys[0]]
                    ctx.set(dut.act, [int(src[i, c * G + s]) for s in range(G)])
                    ctx.set(dut.x_wr_addr, lay.x(i, c * G)[1])
                    ctx.set(dut.x_wr_bank, [lay.x(i, c * G + s)[0] for s in range(G)])
                    ctx.set(dut.y_wr_bank, [lay.y(i, c * G + s)[0] for s in range(G)])
                    ctx.set(dut.y_wr_addr, [lay.y(i, c * G + s)[1] for s in range(G)])
                    assert ctx.get(dut.col_written) and not ctx.get(dut.e_written)
                    await ctx.tick()
        ctx.set(dut.act_valid, 0)
        # Read everything back, bank by bank.
        for i in range(N):
            for j in range(N):
                be, we = lay.e(i, j)
                bx, wx = lay.x(i, j)
                by, wy = lay.y(i, j)
                ctx.set(dut.e_rd_addr, [we] * G)
                ctx.set(dut.x_rd_addr, [wx] * G)
                ctx.set(dut.y_rd_addr, wy)
                await ctx.tick()
                got["e"][i, j] = ctx.get(dut.e_data[be])
                got["x"][i, j] = ctx.get(dut.x_data[bx])
                got["y"][i, j] = ctx.get(dut.y_data[by])
                if cfg.residual:
                    got["r"][i, j] = ctx.get(dut.r_data[by])

    simulate(dut, tb)
    for k in "exy" + ("r" if cfg.residual else ""):
        np.testing.assert_array_equal(got[k], vals[k], err_msg=k)


def test_lst1_has_no_x_or_r():
    dut = ActivationBuffers(CoreConfig(lanes=28), act_width=8)
    names = set(dut.signature.members)
    assert "x_data" not in names and "r_data" not in names
