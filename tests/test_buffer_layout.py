"""BufferLayout: every value has its own place, and the values needed (or written) in
the same cycle sit in different banks, for every lane count."""

from __future__ import annotations

import pytest

from hw.plan.buffer_layout import BufferLayout
from hw.plan.config import SUPPORTED_LANES, CoreConfig
from hw.plan.schedule import PassSchedule

N = 28


@pytest.mark.parametrize("lanes", SUPPORTED_LANES)
@pytest.mark.parametrize("buffer", ["e", "x", "y"])
def test_locations_unique(lanes, buffer):
    lay = BufferLayout(CoreConfig(lanes=lanes))
    where = {getattr(lay, buffer)(i, j) for i in range(N) for j in range(N)}
    assert len(where) == N * N


@pytest.mark.parametrize("lanes", SUPPORTED_LANES)
def test_groups_never_share_a_bank(lanes):
    cfg = CoreConfig(lanes=lanes, model="lst2")
    lay, sch = BufferLayout(cfg), PassSchedule(cfg)
    G = cfg.groups
    ops = sch.row_ops()  # a later block's row pass reads X
    for o in range(len(ops)):
        assert len({lay.x(ops.row[o, s], ops.col[o, s])[0] for s in range(G)}) == G
    ops = sch.column_ops()  # reads E
    for o in range(len(ops)):
        assert len({lay.e(ops.row[o, s], ops.col[o, s])[0] for s in range(G)}) == G
    # The column pass's G results of a cycle, (i, c·G + s), go to X and Y together.
    for c in range(N // G):
        for i in range(N):
            assert len({lay.x(i, c * G + s)[0] for s in range(G)}) == G
            assert len({lay.y(i, c * G + s)[0] for s in range(G)}) == G


@pytest.mark.parametrize("lanes", [1, 28, 56])
def test_x_is_filled_in_column_order_by_a_counter(lanes):
    """Down a column the word steps by 28/G; the next column starts one word later
    (what ColumnPass.xw_addr counts)."""
    cfg = CoreConfig(lanes=lanes, model="lst2")
    lay, G = BufferLayout(cfg), cfg.groups
    words = [lay.x(i, c * G)[1] for c in range(N // G) for i in range(N)]
    assert words == [(N // G) * i + c for c in range(N // G) for i in range(N)]


def test_sizes_count_every_buffer():
    lst1 = BufferLayout(CoreConfig(lanes=28)).sizes(8)
    res = BufferLayout(CoreConfig(model="reslst3", lanes=56)).sizes(8)
    assert set(lst1) == {"pixels", "e", "y"}
    assert set(res) == {"pixels", "e", "x", "y", "r"}
    assert lst1["pixels"]["bits"] == 2 * 784 * 8 and lst1["e"]["bits"] == 784 * 8
    assert res["x"]["banks"] == 2 and res["r"] == res["y"]
    assert res["y"]["banks"] * res["y"]["words"] >= 784


@pytest.mark.parametrize("lanes", SUPPORTED_LANES)
@pytest.mark.parametrize("buffer", ["e", "x", "y"])
def test_every_address_fits_its_bank_and_idle_groups_hit_no_value(lanes, buffer):
    """Ragged groups (140, 168 lanes) write their idle rows and columns, 28 … G·R − 1,
    too: those places are inside the banks (act_depth, y_depth) and hold no value."""
    cfg = CoreConfig(lanes=lanes)
    lay = BufferLayout(cfg)
    where = getattr(lay, buffer)
    banks, depth = (cfg.partitions, cfg.y_depth) if buffer == "y" else (cfg.groups, cfg.act_depth)
    n = cfg.groups * cfg.rounds_per_pass
    assert cfg.ragged == (n > N)
    valid = {where(i, j) for i in range(N) for j in range(N)}
    idle = {where(i, j) for i in range(n) for j in range(n) if max(i, j) >= N}
    # Y: only the idle columns are written (a column pass's rows are all real).
    if buffer == "y":
        idle = {where(i, j) for i in range(N) for j in range(N, n)}
    assert not valid & idle
    for b, w in valid | idle:
        assert 0 <= b < banks and 0 <= w < depth
    if buffer == "y":  # the output layer reads words below partition_depth only
        assert all(w < cfg.partition_depth for _, w in valid)
