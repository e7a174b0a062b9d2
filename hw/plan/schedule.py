"""The core's operation sequences in plain Python: what every lane does in every cycle.

For a :class:`~hw.plan.config.CoreConfig`, :class:`PassSchedule` says which weight word
each cycle of each pass reads and which element of the pass's input each data bus
carries. The same sequences are used by every block (a block's passes read their
weights from the block's region of the weight ROM, :meth:`PassSchedule.block_base`).
The RTL pass components reproduce them with counters (``tests/test_passes.py``
compares them), the ROM images are packed from them (:mod:`hw.plan.rom_images`) and
:class:`~hw.plan.schedule_model.ScheduleModel` executes them with the contract's
arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .latency import ACTIVATION_WRITE, LANE_DRAIN, MAC_ARRAY, OPERAND_ROUTER, TANH_UNIT
from .shape import CLASSES, N

if TYPE_CHECKING:  # the configuration imports this module for its cycle counts
    from .config import CoreConfig

__all__ = ["Ops", "PassSchedule"]


@dataclass
class Ops:
    """One pass as arrays over its cycles (ops).

    ``first``/``last`` mark a dot product's first and last tap; ``w_addr`` is the
    weight ROM word (relative to the block's region for row and column passes);
    ``row``/``col`` (ops × groups or ops × partitions) say which element of the pass's
    input each data bus carries; ``block`` identifies the dot product (its row/column
    and output group) for the drain.
    """

    first: np.ndarray
    last: np.ndarray
    w_addr: np.ndarray
    row: np.ndarray
    col: np.ndarray
    block: np.ndarray

    def __len__(self) -> int:
        return len(self.first)


class PassSchedule:
    """Op sequences of the row, column and output passes of one configuration."""

    def __init__(self, config: CoreConfig):
        self.cfg = config
        L, S = config.lanes, config.group_lanes
        self.lane_group = np.arange(L) // S  # group s of lane l
        self.lane_index = np.arange(L) % S  # position of lane l in its group

    def block_base(self, block: int) -> int:
        """First weight word of ``block``'s region (row pass words, then column pass)."""
        return block * self.cfg.block_words

    @property
    def output_base(self) -> int:
        """First weight word of the output layer."""
        return self.cfg.blocks * self.cfg.block_words

    def row_ops(self) -> Ops:
        c = self.cfg
        o = np.arange(c.row_cycles)
        r, g, k = o // (c.out_groups * N), (o // N) % c.out_groups, o % N
        rows = r[:, None] * c.groups + np.arange(c.groups)[None, :]
        cols = np.repeat(k[:, None], c.groups, axis=1)
        return Ops(k == 0, k == N - 1, g * N + k, rows, cols, np.stack([r, g], 1))

    def column_ops(self) -> Ops:
        c = self.cfg
        o = np.arange(c.column_cycles)
        cc, g, k = o // (c.out_groups * N), (o // N) % c.out_groups, o % N
        s = np.arange(c.groups)[None, :]
        rows = self.column_tap(k[:, None], s)
        cols = cc[:, None] * c.groups + s
        base = c.out_groups * N
        return Ops(k == 0, k == N - 1, base + g * N + k, rows, cols, np.stack([cc, g], 1))

    def column_tap(self, k, s):
        """The E row group ``s`` reads at tap ``k`` of a column pass: ``(k + s) mod 28``,
        so that two groups never read the same bank (E bank ``i mod groups``); with
        ragged groups row ``k`` for every group (E bank ``(i + j) mod groups``)."""
        if self.cfg.ragged:
            return k + 0 * s
        return (k + s) % N

    def output_ops(self) -> Ops:
        """Taps ``t'`` run column-major (t' = 28·j + i), the order the column pass writes Y."""
        c = self.cfg
        o = np.arange(c.output_cycles)
        depth = c.partition_depth
        rr, u = o // depth, o % depth
        taps = u[:, None] * c.partitions + np.arange(c.partitions)[None, :]  # t'
        return Ops(u == 0, u == depth - 1, self.output_base + o, taps % N, taps // N, rr[:, None])

    def out_lane_class(self, rnd: int) -> np.ndarray:
        """Class of each lane in output round ``rnd`` (−1: idle)."""
        c = self.cfg
        lanes = np.arange(c.lanes)
        if c.lanes < CLASSES:
            cls = rnd * c.lanes + lanes
            return np.where(cls < CLASSES, cls, -1)
        return np.where(lanes < c.active_out_lanes, lanes % CLASSES, -1)

    def out_lane_partition(self) -> np.ndarray:
        """The output-layer partition (Y bank) each lane reads."""
        lanes = np.arange(self.cfg.lanes)
        if self.cfg.lanes < CLASSES:
            return np.zeros_like(lanes)
        return np.minimum(lanes // CLASSES, self.cfg.partitions - 1)  # idle lanes: any bus


def writeback_latency() -> int:
    """Cycles from the issue of a dot product's last op to the write of its first
    drained activation (lane 0 of each group; lane ``l`` follows ``l`` cycles later):
    the router's operand stages, the lanes' pipeline (the capture starts the drain in
    the cycle the sums are final), the drain, the activation table and the buffers'
    write register."""
    return OPERAND_ROUTER + MAC_ARRAY + LANE_DRAIN + TANH_UNIT + ACTIVATION_WRITE


def pass_gaps(config: CoreConfig, latency: int | None = None) -> dict[str, int]:
    """Idle cycles the sequencer leaves between two passes so that every value a pass
    reads was written before (``row_to_column``: E; ``column_to_row``: X, between
    blocks; ``column_to_output``: Y, and R, which is written with the first block's Y).

    A value written in cycle ``t`` can be read by an op issued in cycle ``t + 1``.
    Writes come ``latency`` (:func:`writeback_latency`) cycles after the last op of
    their dot product, lane by lane; the next pass's op ``o`` is issued ``gap + o``
    cycles after the previous pass's last op (``gap + o + 1`` after its last op's cycle).
    """
    c = config
    sch = PassSchedule(c)
    L = writeback_latency() if latency is None else latency
    S, G = c.group_lanes, c.groups
    lane = np.arange(S)

    def write_times(ops: Ops, element) -> dict:
        """Element → cycle written, relative to the pass's first op."""
        out = {}
        for o in np.flatnonzero(ops.last):
            a, g = (int(v) for v in ops.block[o])
            for s in range(G):
                for li in lane:
                    out[element(a, g, s, int(li))] = int(o) + L + int(li)
        return out

    def first_reads(ops: Ops, buses: int, valid=lambda i, j: i < N and j < N) -> dict:
        # Ragged groups' idle reads (row or column 28 or more) need no write before them.
        out = {}
        for o in range(len(ops)):
            for b in range(buses):
                i, j = int(ops.row[o, b]), int(ops.col[o, b])
                if valid(i, j):
                    out.setdefault((i, j), o)
        return out

    def gap(writes: dict, n_prev: int, reads: dict) -> int:
        # Relative to the previous pass's first op: written at writes[e], read by the
        # op issued at n_prev + gap + reads[e]; the write must come first.
        worst = max((writes[e] - n_prev - reads[e] + 1 for e in reads if e in writes), default=0)
        return max(0, worst)

    row, col, out = sch.row_ops(), sch.column_ops(), sch.output_ops()
    e_writes = write_times(row, lambda r, g, s, li: (r * G + s, g * S + li))
    y_writes = write_times(col, lambda cc, g, s, li: (g * S + li, cc * G + s))
    gaps = {
        "row_to_column": gap(e_writes, len(row), first_reads(col, G)),
        "column_to_output": gap(y_writes, len(col), first_reads(out, c.partitions)),
        "column_to_row": 0,
    }
    if c.blocks > 1:
        gaps["column_to_row"] = gap(y_writes, len(col), first_reads(row, G))
    return gaps
