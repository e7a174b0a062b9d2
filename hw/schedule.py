"""The core's operation sequences in plain Python: what every lane does in every cycle.

For a :class:`~hw.config.CoreConfig`, :class:`PassSchedule` says which weight word
each cycle of each pass reads and which element of the pass's input each data bus
carries. The same sequences are used by every block (a block's passes read their
weights from the block's region of the weight ROM, :meth:`PassSchedule.block_base`).
The RTL pass components reproduce them with counters (``tests/test_passes.py``
compares them), the ROM images are packed from them (:mod:`hw.rom_images`) and
:class:`~hw.schedule_model.ScheduleModel` executes them with the contract's
arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import CLASSES, CoreConfig, N

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
        # Group s reads tap (k + s) mod 28, so that two groups never read the same bank.
        rows = (k[:, None] + s) % N
        cols = cc[:, None] * c.groups + s
        base = c.out_groups * N
        return Ops(k == 0, k == N - 1, base + g * N + k, rows, cols, np.stack([cc, g], 1))

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
