"""``RowPass``: the op sequence of the row stage (every image row × W1ᵀ)."""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .config import CoreConfig, N

__all__ = ["RowPass"]


class RowPass(wiring.Component):
    """Issues one op per cycle for the row stage and addresses its results.

    Op ``o`` = (``r``, ``g``, ``k``) in loop order: group ``s`` of lanes multiplies image
    pixel ``X[r·groups + s, k]`` by lane weights ``W1[g·group_lanes + l, k]`` (weight
    word ``g·28 + k``); ``first``/``last`` mark ``k = 0`` and ``k = 27``. The drained
    results of each dot product come back in lane order, ``E[r·groups + s,
    g·group_lanes + l]``, which is consecutive in each E bank: ``wb_addr`` counts them.

    Ports
    -----
    start : In(1)
        Strobe; the first op is issued in the next cycle. Ignored while busy.
    busy : Out(1)
    valid, first, last : Out(1)
        This cycle's op.
    done : Out(1)
        This cycle's op is the pass's last.
    w_addr : Out(range(weight_words))
    x_addr : Out(range(image words per bank)), x_byte : Out(range(pixels_per_beat))
        Pixel word (same in every bank) and the pixel's position in it.
    bias_base : Out(range(28))
        Bias ROM address of lane 0 of the current output group.
    wb_valid : In(1)
        One activation per group arrives for this pass (in lane order).
    wb_addr : Out(range(784 // groups))
        Where it goes in each E bank.
    """

    def __init__(self, config: CoreConfig):
        self.cfg = config
        c = config
        super().__init__(
            {
                "start": In(1),
                "busy": Out(1),
                "valid": Out(1),
                "first": Out(1),
                "last": Out(1),
                "done": Out(1),
                "w_addr": Out(range(c.weight_words)),
                "x_addr": Out(range((N // c.groups) * (N // c.pixels_per_beat))),
                "x_byte": Out(range(max(2, c.pixels_per_beat))),
                "bias_base": Out(range(N)),
                "wb_valid": In(1),
                "wb_addr": Out(range(N * N // c.groups)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        c = self.cfg
        r = Signal(range(N // c.groups))
        g = Signal(range(max(2, c.out_groups)))
        k = Signal(range(N))
        busy = Signal()
        end_k = k == N - 1
        end_g = g == c.out_groups - 1
        end_r = r == N // c.groups - 1
        ppb = c.pixels_per_beat

        m.d.comb += [
            self.busy.eq(busy),
            self.valid.eq(busy),
            self.first.eq(busy & (k == 0)),
            self.last.eq(busy & end_k),
            self.done.eq(busy & end_k & end_g & end_r),
            self.w_addr.eq(g * N + k),
            self.x_addr.eq(r * (N // ppb) + k // ppb),
            self.x_byte.eq(k % ppb),
            self.bias_base.eq(g * c.group_lanes),
        ]
        with m.If(busy):
            m.d.sync += k.eq(k + 1)
            with m.If(end_k):
                m.d.sync += [k.eq(0), g.eq(g + 1)]
                with m.If(end_g):
                    m.d.sync += [g.eq(0), r.eq(r + 1)]
                    with m.If(end_r):
                        m.d.sync += [r.eq(0), busy.eq(0)]
        with m.Elif(self.start):
            m.d.sync += [busy.eq(1), r.eq(0), g.eq(0), k.eq(0)]

        # Results return in E order within each bank; restart with the pass.
        with m.If(self.start & ~busy):
            m.d.sync += self.wb_addr.eq(0)
        with m.Elif(self.wb_valid):
            m.d.sync += self.wb_addr.eq(self.wb_addr + 1)
        return m
