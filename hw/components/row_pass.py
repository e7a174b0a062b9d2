"""``RowPass``: the op sequence of the row stage (every image row × W1ᵀ)."""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..plan.config import CoreConfig, N
from .loop_nest import LoopNest, drive_pass, lookup, pass_members, weight_counter

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
        Groups that divide 28: where it goes in each E bank (group ``s`` writes bank
        ``s``).
    e_wr_bank, e_wr_addr : Out(ArrayLayout(…, groups))
        Ragged groups (``config.ragged``): the E bank and word of group ``s``'s value,
        ``E[r·groups + s, j]`` at bank ``(s + j) mod groups``, word ``rounds·(r·groups +
        s) + j // groups`` (``hw.plan.buffer_layout``).
    act_addr : Out(ArrayLayout(range(784 // groups), groups))
        Models of several blocks only: for a later block, whose input is the previous
        block's output ``X[r·groups + s, k]``, the word read in each X bank
        (``hw.plan.buffer_layout``: bank ``(i + j) mod groups``, word ``(28·i + j) // groups``).
    act_bank : Out(ArrayLayout(range(groups), groups))
        The X bank whose data group ``s`` uses (one cycle later).
    """

    def __init__(self, config: CoreConfig):
        self.cfg = config
        c = config
        super().__init__(
            {
                **pass_members(c.weight_words),
                "x_addr": Out(range(c.rounds_per_pass * (N // c.pixels_per_beat))),
                "x_byte": Out(range(max(2, c.pixels_per_beat))),
                "bias_base": Out(range(N)),
                "wb_valid": In(1),
                **(
                    {
                        "e_wr_bank": Out(data.ArrayLayout(range(c.groups), c.groups)),
                        "e_wr_addr": Out(data.ArrayLayout(range(c.act_depth), c.groups)),
                    }
                    if c.ragged
                    else {"wb_addr": Out(range(c.act_depth))}
                ),
                **(
                    {
                        "act_addr": Out(data.ArrayLayout(range(c.act_depth), c.groups)),
                        "act_bank": Out(data.ArrayLayout(range(max(2, c.groups)), c.groups)),
                    }
                    if c.blocks > 1
                    else {}
                ),
            }
        )

    def elaborate(self, platform):
        m = Module()
        c = self.cfg
        R = c.rounds_per_pass
        m.submodules.loops = loops = LoopNest((N, c.out_groups, R))
        k, g, r = loops.index(0), loops.index(1), loops.index(2)
        ppb = c.pixels_per_beat
        drive_pass(m, self, loops)
        # Weight word g·28 + k, counted (no adder in front of the weight ROM).
        weight_counter(m, self, loops, base=0)
        m.d.comb += [
            self.x_byte.eq(k % ppb),
            self.bias_base.eq(g * c.group_lanes),
        ]
        if c.blocks > 1:
            if c.groups == 1:
                m.d.comb += [self.act_bank[0].eq(0), self.act_addr[0].eq(r * N + k)]
            else:
                # Group s reads X[r·G + s, k] from bank (s + k) mod G, word
                # R·G·r + R·s + k // G; bank b serves group (b − k) mod G.
                G = c.groups
                for s in range(G):
                    m.d.comb += self.act_bank[s].eq(lookup([(s + kk) % G for kk in range(N)], k))
                for b in range(G):
                    words = [R * ((b - kk) % G) + kk // G for kk in range(N)]
                    m.d.comb += self.act_addr[b].eq(r * (G * R) + lookup(words, k))

        # x_addr = r·(28/ppb) + k // ppb, kept as a register stepped with the loop
        # counters (same cycle, same conditions as LoopNest): no multiplier or adder
        # between the counters and the pixel buffer's address.
        W = N // ppb
        step = 1 if ppb == 1 else lookup([int(kk % ppb == ppb - 1) for kk in range(N)], k)
        with m.If(loops.busy):
            with m.If(loops.last):  # k = 27
                with m.If(g == c.out_groups - 1):
                    with m.If(r == R - 1):
                        m.d.sync += self.x_addr.eq(0)
                    with m.Else():  # next row: (r + 1)·W = r·W + (W − 1) + 1
                        m.d.sync += self.x_addr.eq(self.x_addr + 1)
                with m.Else():  # next output group, same row: back to r·W
                    m.d.sync += self.x_addr.eq(self.x_addr - (W - 1))
            with m.Else():
                m.d.sync += self.x_addr.eq(self.x_addr + step)
        with m.Elif(self.start):
            m.d.sync += self.x_addr.eq(0)

        restart = self.start & ~loops.busy
        if not c.ragged:
            # Results return in E order within each bank; restart with the pass.
            with m.If(restart):
                m.d.sync += self.wb_addr.eq(0)
            with m.Elif(self.wb_valid):
                m.d.sync += self.wb_addr.eq(self.wb_addr + 1)
            return m
        # Ragged: the values of row round r come with j = 0 … 27; group s's goes to bank
        # (s + j) mod G at word R·G·r + R·s + j // G (tables of j, one base register).
        G = c.groups
        j = Signal(range(N), name="wb_col")
        base = Signal(range(c.act_depth), name="wb_base")
        with m.If(restart):
            m.d.sync += [j.eq(0), base.eq(0)]
        with m.Elif(self.wb_valid):
            with m.If(j == N - 1):
                m.d.sync += [j.eq(0), base.eq(base + G * R)]
            with m.Else():
                m.d.sync += j.eq(j + 1)
        for s in range(G):
            m.d.comb += [
                self.e_wr_bank[s].eq(lookup([(s + jj) % G for jj in range(N)], j)),
                self.e_wr_addr[s].eq(base + lookup([R * s + jj // G for jj in range(N)], j)),
            ]
        return m
