"""The core's schedule in plain Python: what every lane does in every cycle.

This module decides, for a :class:`~hw.config.CoreConfig`, which weight each lane
multiplies by which data value in each cycle of each pass, and from that builds the
ROM images (weights packed one word per cycle, biases in drain order) and the
buffer layouts. The RTL pass components reproduce the same sequences with counters
(their tests compare them with :meth:`Schedule.row_ops` and friends), and
:meth:`Schedule.run` executes the schedule with the contract's arithmetic, so the
ROM packing and the address maps are checked against the golden model without
simulating any hardware.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quant.golden import InferenceResult, argmax_first, check_images
from quant.quantize import QuantizedLST

from .config import CLASSES, CoreConfig, N

__all__ = ["Ops", "Schedule"]


@dataclass
class Ops:
    """One pass as arrays over its cycles (ops).

    ``first``/``last`` mark a dot product's first and last tap; ``w_addr`` is the
    weight ROM word; ``row``/``col`` (ops × groups or ops × partitions) say which
    element of the pass's input each data bus carries; ``block`` identifies the dot
    product (its row/column and output group) for the drain.
    """

    first: np.ndarray
    last: np.ndarray
    w_addr: np.ndarray
    row: np.ndarray
    col: np.ndarray
    block: np.ndarray

    def __len__(self) -> int:
        return len(self.first)


class Schedule:
    """Lane-by-lane schedule, ROM images and buffer layouts of one configuration."""

    def __init__(self, config: CoreConfig, qmodel: QuantizedLST):
        if qmodel.arch.name != "lst1":
            raise ValueError(f"the core implements LST-1, not {qmodel.arch.name}")
        self.cfg = config
        self.q = qmodel
        self.stages = {st.name: st for st in qmodel.stages()}
        L, S = config.lanes, config.group_lanes
        self.lane_group = np.arange(L) // S  # group s of lane l
        self.lane_index = np.arange(L) % S  # position of lane l in its group

    # ------------------------------------------------------------ op sequences

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
        base = 2 * c.out_groups * N
        return Ops(u == 0, u == depth - 1, base + o, taps % N, taps // N, rr[:, None])

    # ------------------------------------------------------------ ROM images

    def out_lane_class(self, rnd: int) -> np.ndarray:
        """Class of each lane in output round ``rnd`` (−1: idle), and its partition."""
        c = self.cfg
        lanes = np.arange(c.lanes)
        if c.lanes < CLASSES:
            cls = rnd * c.lanes + lanes
            return np.where(cls < CLASSES, cls, -1)
        return np.where(lanes < c.active_out_lanes, lanes % CLASSES, -1)

    def out_lane_partition(self) -> np.ndarray:
        lanes = np.arange(self.cfg.lanes)
        if self.cfg.lanes < CLASSES:
            return np.zeros_like(lanes)
        return np.minimum(lanes // CLASSES, self.cfg.partitions - 1)  # idle lanes: any bus

    def weight_rom(self) -> np.ndarray:
        """Weight words × lanes: the weight each lane uses in the cycle that reads the word."""
        c = self.cfg
        w1 = self.q.ints["blocks.0.row.weight"]
        w2 = self.q.ints["blocks.0.col.weight"]
        wo = self.q.ints["out.weight"]
        rom = np.zeros((c.weight_words, c.lanes), dtype=np.int64)
        s, li = self.lane_group, self.lane_index
        for g in range(c.out_groups):
            for k in range(N):
                rom[g * N + k] = w1[g * c.group_lanes + li, k]
                rom[c.out_groups * N + g * N + k] = w2[g * c.group_lanes + li, (k + s) % N]
        ops = self.output_ops()
        part = self.out_lane_partition()
        for o in range(len(ops)):
            cls = self.out_lane_class(int(ops.block[o, 0]))
            tap = ops.col[o, part] * N + ops.row[o, part]  # t' = 28·j + i per lane
            i, j = ops.row[o, part], ops.col[o, part]
            ok = (cls >= 0) & (tap < N * N)
            vals = np.zeros(c.lanes, dtype=np.int64)
            vals[ok] = wo[cls[ok], (i * N + j)[ok]]  # Wo is indexed row-major (28·i + j)
            rom[ops.w_addr[o]] = vals
        return rom

    def bias_rom(self) -> np.ndarray:
        """Biases in drain order: b1 (28), b2 (28), bo (10), at the product precision.

        The half LSB of the narrowing to the tanh input is folded into b1 and b2
        (the contract's round-half-up), so the drain only adds, shifts and clamps.
        """
        row, col = self.stages["blocks.0.row"], self.stages["blocks.0.col"]
        return np.concatenate(
            [
                self.q.ints["blocks.0.row.bias"] + (1 << (row.shift - 1)),
                self.q.ints["blocks.0.col.bias"] + (1 << (col.shift - 1)),
                self.q.ints["out.bias"],
            ]
        ).astype(np.int64)

    @property
    def bias_width(self) -> int:
        """Signed width of the bias ROM words (one more bit than the bias format, for the
        folded rounding constant)."""
        return max(st.bias.width for st in self.stages.values()) + 1

    def tanh_rom(self) -> np.ndarray:
        """Activation table addressed by the raw two's complement bits of the tanh input."""
        cfg = self.q.config
        w = cfg.tanh_in.width
        codes = np.arange(1 << w)
        return cfg.tanh(np.where(codes >= 1 << (w - 1), codes - (1 << w), codes))

    # ------------------------------------------------------------ buffer layouts

    def xbuf_location(self, i, k, half=0):
        """(bank, word address, byte in word) of pixel (i, k) in image buffer ``half``."""
        c = self.cfg
        words_per_row = N // c.pixels_per_beat
        depth = (N // c.groups) * words_per_row
        return (
            i % c.groups,
            half * depth + (i // c.groups) * words_per_row + k // c.pixels_per_beat,
            k % c.pixels_per_beat,
        )

    def ebuf_location(self, i, j):
        return i % self.cfg.groups, (i // self.cfg.groups) * N + j

    def ybuf_location(self, i, j):
        t = j * N + i
        return t % self.cfg.partitions, t // self.cfg.partitions

    # ------------------------------------------------------------ execution

    def _activation(self, acc, stage):
        return self.q.config.tanh(
            np.clip(
                acc >> stage.shift, self.q.config.tanh_in.min_int, self.q.config.tanh_in.max_int
            )
        )

    def run(self, images) -> InferenceResult:
        """Execute the schedule on images with the contract's arithmetic."""
        images = check_images(images)
        c = self.cfg
        wrom, brom = self.weight_rom(), self.bias_rom()
        S = c.group_lanes
        s, li = self.lane_group, self.lane_index
        logits = []
        for img in images:
            x = img.astype(np.int64) - 128
            # Row pass: every op multiplies each lane's weight by its group's data value.
            ops = self.row_ops()
            prod = wrom[ops.w_addr] * x[ops.row[:, s], ops.col[:, s]]
            e = np.zeros((N, N), dtype=np.int64)
            for blk, acc in self._dot_products(ops, prod):
                r, g = blk
                j = g * S + li
                e[r * c.groups + s, j] = self._activation(
                    acc + brom[j], self.stages["blocks.0.row"]
                )
            ops = self.column_ops()
            prod = wrom[ops.w_addr] * e[ops.row[:, s], ops.col[:, s]]
            y = np.zeros((N, N), dtype=np.int64)
            for blk, acc in self._dot_products(ops, prod):
                cc, g = blk
                i = g * S + li
                y[i, cc * c.groups + s] = self._activation(
                    acc + brom[N + i], self.stages["blocks.0.col"]
                )
            ops = self.output_ops()
            part = self.out_lane_partition()
            taps = ops.col[:, part] * N + ops.row[:, part]
            yflat = np.concatenate([y.T.ravel(), np.zeros(c.partitions, np.int64)])  # t' order
            prod = wrom[ops.w_addr] * yflat[np.minimum(taps, N * N)]
            out = np.zeros(CLASSES, dtype=np.int64)
            for blk, acc in self._dot_products(ops, prod):
                cls = self.out_lane_class(int(blk[0]))
                for lane in np.flatnonzero(cls >= 0):
                    out[cls[lane]] += acc[lane]
            out += brom[2 * N :]
            logits.append(out)
        logits = np.array(logits, dtype=np.int64).reshape(-1, CLASSES)
        return InferenceResult(argmax_first(logits), logits)

    @staticmethod
    def _dot_products(ops: Ops, prod: np.ndarray):
        """Sum the lane products of each dot product (first..last); yield (block, sums)."""
        starts = np.flatnonzero(ops.first)
        ends = np.flatnonzero(ops.last)
        for a, b in zip(starts, ends, strict=True):
            yield ops.block[a], prod[a : b + 1].sum(axis=0)
