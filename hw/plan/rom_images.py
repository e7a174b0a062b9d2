"""The contents of the core's ROMs: packed weights, biases and the activation table."""

from __future__ import annotations

import numpy as np

from quant.quantize import QuantizedLST

from .config import CLASSES, CoreConfig, N
from .schedule import PassSchedule

__all__ = ["RomImages"]


class RomImages:
    """ROM images of one configuration and quantized model.

    Raises
    ------
    ConfigError
        If the model is not the configuration's.
    """

    def __init__(self, config: CoreConfig, qmodel: QuantizedLST):
        from lst.errors import ConfigError

        if qmodel.arch.name != config.model:
            raise ConfigError(
                f"the configuration is for {config.model}, the quantized model is "
                f"{qmodel.arch.name}"
            )
        self.cfg = config
        self.q = qmodel
        self.schedule = PassSchedule(config)
        self.stages = {st.name: st for st in qmodel.stages()}

    def weight_rom(self) -> np.ndarray:
        """Weight words × lanes: the weight each lane uses in the cycle that reads the word.

        Block ``b``'s region (:meth:`PassSchedule.block_base`) holds its row pass's words
        ``28g + k`` and then its column pass's; the output layer's words follow the blocks.
        """
        c, sch = self.cfg, self.schedule
        rom = np.zeros((c.weight_words, c.lanes), dtype=np.int64)
        s, li = sch.lane_group, sch.lane_index
        for b in range(c.blocks):
            w1 = self.q.ints[f"blocks.{b}.row.weight"]
            w2 = self.q.ints[f"blocks.{b}.col.weight"]
            base = sch.block_base(b)
            for g in range(c.out_groups):
                for k in range(N):
                    rom[base + g * N + k] = w1[g * c.group_lanes + li, k]
                    rom[base + c.out_groups * N + g * N + k] = w2[
                        g * c.group_lanes + li, sch.column_tap(k, s)
                    ]
        wo = self.q.ints["out.weight"]
        ops = sch.output_ops()
        part = sch.out_lane_partition()
        for o in range(len(ops)):
            cls = sch.out_lane_class(int(ops.block[o, 0]))
            tap = ops.col[o, part] * N + ops.row[o, part]  # t' = 28·j + i per lane
            i, j = ops.row[o, part], ops.col[o, part]
            ok = (cls >= 0) & (tap < N * N)
            vals = np.zeros(c.lanes, dtype=np.int64)
            vals[ok] = wo[cls[ok], (i * N + j)[ok]]  # Wo is indexed row-major (28·i + j)
            rom[ops.w_addr[o]] = vals
        return rom

    def drain_biases(self) -> np.ndarray:
        """Row and column biases in drain order, 56 per block (``b1`` at ``56b + j``,
        ``b2`` at ``56b + 28 + i``), at the product precision.

        The half LSB of the narrowing to the tanh input is folded in (the contract's
        round-half-up), so the drain only adds, shifts and clamps.
        """
        parts = []
        for b in range(self.cfg.blocks):
            for kind in ("row", "col"):
                st = self.stages[f"blocks.{b}.{kind}"]
                parts.append(self.q.ints[st.bias_tensor] + (1 << (st.shift - 1)))
        return np.concatenate(parts).astype(np.int64)

    def output_biases(self) -> np.ndarray:
        """``bo`` by class."""
        out = self.q.ints["out.bias"].astype(np.int64)
        assert len(out) == CLASSES
        return out

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

    def shifts(self) -> tuple[int, int]:
        """Narrowing shifts: the first row stage's (pixel input) and every other stage's."""
        first = self.stages["blocks.0.row"].shift
        rest = {st.shift for name, st in self.stages.items() if st.shift and name != "blocks.0.row"}
        assert len(rest) == 1, rest  # all take q1.f activations
        return first, rest.pop()
