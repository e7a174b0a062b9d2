"""``ScheduleModel``: the core's schedule and ROM images executed in Python.

It runs every pass op by op as the lanes do, with the weights read from the packed
ROM image and the biases from the drain's ROM, so the ROM packing and the op
sequences are checked against the golden model (``tests/test_schedule.py``) without
simulating any hardware. Same call signature as the golden model.
"""

from __future__ import annotations

import numpy as np

from quant.golden import InferenceResult, argmax_first, check_images
from quant.quantize import QuantizedLST

from .config import CLASSES, CoreConfig, N
from .rom_images import RomImages
from .schedule import Ops, PassSchedule

__all__ = ["ScheduleModel"]


class ScheduleModel:
    """Executes a configuration's schedule on images with the contract's arithmetic."""

    def __init__(self, config: CoreConfig, qmodel: QuantizedLST):
        self.cfg = config
        self.q = qmodel
        self.roms = RomImages(config, qmodel)
        self.schedule = PassSchedule(config)

    def _activation(self, acc, stage):
        cfg = self.q.config
        return cfg.tanh(np.clip(acc >> stage.shift, cfg.tanh_in.min_int, cfg.tanh_in.max_int))

    def _row_pass(self, x, b, wrom, brom):
        c, sch = self.cfg, self.schedule
        s, li = sch.lane_group, sch.lane_index
        ops = sch.row_ops()
        x = _padded(x, c)  # ragged groups: idle groups read rows 28 … and write them
        prod = wrom[sch.block_base(b) + ops.w_addr] * x[ops.row[:, s], ops.col[:, s]]
        e = _padded(np.zeros((N, N), dtype=np.int64), c)
        stage = self.roms.stages[f"blocks.{b}.row"]
        for blk, acc in _dot_products(ops, prod):
            r, g = blk
            j = g * c.group_lanes + li
            e[r * c.groups + s, j] = self._activation(acc + brom[2 * N * b + j], stage)
        return e[:N, :N]

    def _column_pass(self, e, b, wrom, brom):
        c, sch = self.cfg, self.schedule
        s, li = sch.lane_group, sch.lane_index
        ops = sch.column_ops()
        e = _padded(e, c)
        prod = wrom[sch.block_base(b) + ops.w_addr] * e[ops.row[:, s], ops.col[:, s]]
        y = _padded(np.zeros((N, N), dtype=np.int64), c)
        stage = self.roms.stages[f"blocks.{b}.col"]
        for blk, acc in _dot_products(ops, prod):
            cc, g = blk
            i = g * c.group_lanes + li
            y[i, cc * c.groups + s] = self._activation(acc + brom[2 * N * b + N + i], stage)
        return y[:N, :N]

    def output_rounds(self, features, wrom=None) -> list[tuple[int, np.ndarray]]:
        """The output layer's rounds for one image's ``features`` (28×28): ``(round,
        lane sums)`` in the order the lanes finish them, without the output biases; lane
        ``l`` of round ``r`` adds into class ``schedule.out_lane_class(r)[l]`` (−1: none)."""
        c, sch = self.cfg, self.schedule
        wrom = self.roms.weight_rom() if wrom is None else wrom
        ops = sch.output_ops()
        part = sch.out_lane_partition()
        taps = ops.col[:, part] * N + ops.row[:, part]
        f = np.asarray(features, dtype=np.int64)
        fflat = np.concatenate([f.T.ravel(), np.zeros(c.partitions, np.int64)])  # t' order
        prod = wrom[ops.w_addr] * fflat[np.minimum(taps, N * N)]
        return [(int(blk[0]), acc) for blk, acc in _dot_products(ops, prod)]

    def _output_pass(self, f, wrom):
        out = np.zeros(CLASSES, dtype=np.int64)
        for rnd, acc in self.output_rounds(f, wrom):
            cls = self.schedule.out_lane_class(rnd)
            for lane in np.flatnonzero(cls >= 0):
                out[cls[lane]] += acc[lane]
        return out + self.roms.output_biases()

    def __call__(self, images) -> InferenceResult:
        images = check_images(images)
        wrom, brom = self.roms.weight_rom(), self.roms.drain_biases()
        logits = []
        for img in images:
            x = img.astype(np.int64) - 128
            outputs = []
            for b in range(self.cfg.blocks):
                x = self._column_pass(self._row_pass(x, b, wrom, brom), b, wrom, brom)
                outputs.append(x)
            # ResLST-3: the exact sum of the last and the first block's outputs (q2.f).
            features = outputs[-1] + outputs[0] if self.cfg.residual else outputs[-1]
            logits.append(self._output_pass(features, wrom))
        logits = np.array(logits, dtype=np.int64).reshape(-1, CLASSES)
        return InferenceResult(argmax_first(logits), logits)

    run = __call__


def _padded(a: np.ndarray, c: CoreConfig) -> np.ndarray:
    """``a`` (28 × 28) with zero rows and columns up to ``groups · rounds_per_pass``, where
    ragged groups' idle lanes read and write."""
    n = max(N, c.groups * c.rounds_per_pass)
    out = np.zeros((n, n), dtype=np.int64)
    out[:N, :N] = a
    return out


def _dot_products(ops: Ops, prod: np.ndarray):
    """Sum the lane products of each dot product (first..last); yield (block, sums)."""
    starts = np.flatnonzero(ops.first)
    ends = np.flatnonzero(ops.last)
    for a, b in zip(starts, ends, strict=True):
        yield ops.block[a], prod[a : b + 1].sum(axis=0)
