"""RowPass, ColumnPass, OutputLayer: the op sequences and result addresses they
issue equal the schedule (hw/plan/schedule.py), which is itself checked against the
golden model in test_schedule.py; their result addresses follow hw/plan/buffer_layout.py."""

from __future__ import annotations

import numpy as np
import pytest
from hwsim import simulate

from hw.components.column_pass import ColumnPass
from hw.components.output_layer import OutputLayer
from hw.components.row_pass import RowPass
from hw.plan.buffer_layout import BufferLayout
from hw.plan.config import CoreConfig
from hw.plan.schedule import PassSchedule

CONFIGS = [
    CoreConfig(lanes=L, pixels_per_beat=p)
    for L, p in [
        (1, 1),
        (4, 2),
        (7, 1),
        (14, 4),
        (28, 1),
        (56, 7),
        (98, 4),
        (112, 4),
        (140, 4),
        (168, 2),
        (196, 4),
    ]
]


def _schedule(cfg):
    return PassSchedule(cfg)


def _run_ops(dut, n_ops, fields):
    seen = {f: [] for f in fields}
    done_at = []

    async def tb(ctx):
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        for t in range(n_ops + 3):
            if ctx.get(dut.valid):
                for f, getter in fields.items():
                    seen[f].append(getter(ctx))
            if ctx.get(dut.done):
                done_at.append(t)
            await ctx.tick()
        assert not ctx.get(dut.busy)

    simulate(dut, tb)
    return seen, done_at


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.name)
def test_row_pass(cfg):
    ops = _schedule(cfg).row_ops()
    dut = RowPass(cfg)
    ppb = cfg.pixels_per_beat
    seen, done_at = _run_ops(
        dut,
        len(ops),
        {
            "first": lambda c: c.get(dut.first),
            "last": lambda c: c.get(dut.last),
            "w": lambda c: c.get(dut.w_addr),
            "x": lambda c: c.get(dut.x_addr),
            "byte": lambda c: c.get(dut.x_byte),
            "bias": lambda c: c.get(dut.bias_base),
        },
    )
    assert done_at == [len(ops) - 1]
    np.testing.assert_array_equal(seen["first"], ops.first)
    np.testing.assert_array_equal(seen["last"], ops.last)
    np.testing.assert_array_equal(seen["w"], ops.w_addr)
    # Group s reads row r·G + s: word (r·28 + k) // ppb in bank s, byte k % ppb.
    r = ops.row[:, 0] // cfg.groups
    k = ops.col[:, 0]
    np.testing.assert_array_equal(seen["x"], r * (28 // ppb) + k // ppb)
    np.testing.assert_array_equal(seen["byte"], k % ppb)
    np.testing.assert_array_equal(seen["bias"], ops.block[:, 1] * cfg.group_lanes)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.name)
def test_column_pass(cfg):
    sch = _schedule(cfg)
    ops = sch.column_ops()
    dut = ColumnPass(cfg)
    G = cfg.groups
    seen, done_at = _run_ops(
        dut,
        len(ops),
        {
            "first": lambda c: c.get(dut.first),
            "last": lambda c: c.get(dut.last),
            "w": lambda c: c.get(dut.w_addr),
            "banks": lambda c: [c.get(dut.e_bank[s]) for s in range(G)],
            "addrs": lambda c: [c.get(dut.e_addr[b]) for b in range(G)],
        },
    )
    assert done_at == [len(ops) - 1]
    np.testing.assert_array_equal(seen["first"], ops.first)
    np.testing.assert_array_equal(seen["last"], ops.last)
    np.testing.assert_array_equal(seen["w"], ops.w_addr)
    for o in range(len(ops)):
        for s in range(G):
            bank, addr = BufferLayout(cfg).e(ops.row[o, s], ops.col[o, s])
            assert seen["banks"][o][s] == bank
            assert seen["addrs"][o][bank] == addr


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.name)
def test_column_pass_result_addresses(cfg):
    """Results come back in lane order per group: Y[g·S + l, c·G + s] → (bank, word)."""
    dut = ColumnPass(cfg)
    G, S = cfg.groups, cfg.group_lanes
    want = [[] for _ in range(G)]
    for c in range(cfg.rounds_per_pass):  # ragged groups: idle columns 28 … too
        for g in range(cfg.out_groups):
            for lane in range(S):
                for s in range(G):
                    want[s].append(BufferLayout(cfg).y(g * S + lane, c * G + s))
    got = [[] for _ in range(G)]

    async def tb(ctx):
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        ctx.set(dut.wb_valid, 1)
        for _ in range(len(want[0])):
            for s in range(G):
                got[s].append((ctx.get(dut.y_bank[s]), ctx.get(dut.y_addr[s])))
            await ctx.tick()

    simulate(dut, tb)
    assert got == want


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.name)
def test_row_pass_result_addresses(cfg):
    """Results come back as E[r·G + s, j], j = 0 … 27 per row round, and go where
    BufferLayout.e puts them (ragged groups: idle rows 28 … too)."""
    dut = RowPass(cfg)
    G, lay = cfg.groups, BufferLayout(cfg)

    async def tb(ctx):
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        ctx.set(dut.wb_valid, 1)
        for n in range(cfg.pass_writes):
            r, j = divmod(n, 28)
            for s in range(G):
                bank, addr = lay.e(r * G + s, j)
                if cfg.ragged:
                    assert ctx.get(dut.e_wr_bank[s]) == bank
                    assert ctx.get(dut.e_wr_addr[s]) == addr
                else:
                    assert (bank, ctx.get(dut.wb_addr)) == (s, addr)
            await ctx.tick()

    simulate(dut, tb)


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: c.name)
def test_output_layer_ops_and_logits(cfg):
    sch = _schedule(cfg)
    ops = sch.output_ops()
    biases = list(range(-500, 500, 100))
    dut = OutputLayer(cfg, width=30, biases=biases)
    rng = np.random.default_rng(cfg.lanes)
    lanes = rng.integers(-(1 << 20), 1 << 20, cfg.lanes)
    seen = {"first": [], "last": [], "w": [], "y": []}
    logits = []

    async def tb(ctx):
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        ctx.set(dut.lanes_in, [int(v) for v in lanes])
        pending = []
        for t in range(len(ops) + 40):
            if ctx.get(dut.valid):
                seen["first"].append(ctx.get(dut.first))
                seen["last"].append(ctx.get(dut.last))
                seen["w"].append(ctx.get(dut.w_addr))
                seen["y"].append(ctx.get(dut.y_addr))
                if ctx.get(dut.last):
                    pending.append(t + 2)  # the core captures the lanes two cycles later
            ctx.set(dut.readout, bool(pending) and pending[0] == t)
            if pending and pending[0] == t:
                pending.pop(0)
            if ctx.get(dut.logits.valid):
                logits.append(ctx.get(dut.logits.payload))
            await ctx.tick()

    simulate(dut, tb)
    np.testing.assert_array_equal(seen["first"], ops.first)
    np.testing.assert_array_equal(seen["last"], ops.last)
    np.testing.assert_array_equal(seen["w"], ops.w_addr)
    np.testing.assert_array_equal(
        seen["y"],
        ops.row[:, 0] + 28 * ops.col[:, 0] // cfg.partitions
        if cfg.partitions == 1
        else np.arange(len(ops)),
    )
    # Each round's readout: classes in order, partitions summed, bias added.
    want = []
    for rnd in range(cfg.rounds):
        cls = sch.out_lane_class(rnd)
        part = sch.out_lane_partition()
        for c in sorted(set(cls[cls >= 0].tolist())):
            want.append(int(lanes[(cls == c) & (part < cfg.partitions)].sum()) + biases[c])
    assert logits == want


@pytest.mark.parametrize("lanes", [1, 4, 28, 56, 98, 112, 140, 168, 196])
def test_row_pass_reads_previous_block_output(lanes):
    """Later blocks: group s's value X[r·G + s, k] comes from the bank and word of
    BufferLayout.x, every op."""
    cfg = CoreConfig(model="lst2", lanes=lanes)
    ops = PassSchedule(cfg).row_ops()
    lay = BufferLayout(cfg)
    dut = RowPass(cfg)
    G = cfg.groups
    seen, _ = _run_ops(
        dut,
        len(ops),
        {
            "banks": lambda c: [c.get(dut.act_bank[s]) for s in range(G)],
            "addrs": lambda c: [c.get(dut.act_addr[b]) for b in range(G)],
        },
    )
    for o in range(len(ops)):
        for s in range(G):
            bank, addr = lay.x(ops.row[o, s], ops.col[o, s])
            assert seen["banks"][o][s] == bank
            assert seen["addrs"][o][bank] == addr


@pytest.mark.parametrize("lanes", [1, 7, 28, 56, 98, 112, 140, 168, 196])
def test_column_pass_writes_block_output(lanes):
    """Results Y[g·S + l, c·G + s] of a block that feeds another go to BufferLayout.x."""
    cfg = CoreConfig(model="reslst3", lanes=lanes)
    lay = BufferLayout(cfg)
    dut = ColumnPass(cfg)
    G, S = cfg.groups, cfg.group_lanes
    want, got = [], []
    for c in range(cfg.rounds_per_pass):
        for g in range(cfg.out_groups):
            for lane in range(S):
                want.append([lay.x(g * S + lane, c * G + s) for s in range(G)])

    async def tb(ctx):
        ctx.set(dut.start, 1)
        await ctx.tick()
        ctx.set(dut.start, 0)
        ctx.set(dut.wb_valid, 1)
        for _ in range(len(want)):
            addr = ctx.get(dut.xw_addr)
            got.append([(ctx.get(dut.xw_bank[s]), addr) for s in range(G)])
            await ctx.tick()

    simulate(dut, tb)
    assert got == want


def test_output_layer_reads_weights_after_every_block():
    cfg = CoreConfig(model="reslst3", lanes=28)
    assert PassSchedule(cfg).output_ops().w_addr[0] == 3 * cfg.block_words
