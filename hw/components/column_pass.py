"""``ColumnPass``: the op sequence of the column stage (W2 × every column of E)."""

from __future__ import annotations

from amaranth import Module, Mux, Signal
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..plan.config import CoreConfig, N
from .loop_nest import LoopNest, drive_pass, lookup, pass_members, weight_counter

__all__ = ["ColumnPass"]


class ColumnPass(wiring.Component):
    """Issues one op per cycle for the column stage and addresses its results.

    Op ``o`` = (``c``, ``g``, ``k``): group ``s`` works on column ``j = c·groups + s`` and
    reads tap ``κ = (k + s) mod 28``, i.e. ``E[κ, j]``, which lives in E bank
    ``κ mod groups`` (rotating the taps keeps two groups off the same bank); with
    ragged groups tap ``κ = k``, in bank ``(k + j) mod groups`` at the same word
    ``rounds·k + c`` for every group (``hw.plan.buffer_layout``); lane ``l``
    multiplies it by ``W2[g·group_lanes + l, κ]`` (weight word ``28·out_groups + 28·g +
    k``). Results ``Y[g·group_lanes + l, j]`` are stored at tap ``t' = 28·j + i`` of the
    output layer, in Y bank ``t' mod partitions`` at word ``t' // partitions``.

    Ports
    -----
    start, busy, valid, first, last, done, w_addr
        As for :class:`~hw.components.row_pass.RowPass`.
    e_addr : Out(ArrayLayout(range(784 // groups), groups))
        Read address for each E bank.
    e_bank : Out(ArrayLayout(range(groups), groups))
        The bank whose data group ``s`` uses (one cycle later).
    bias_base : Out(range(56))
        Bias ROM address of lane 0 of the current output group (28 + g·group_lanes).
    wb_valid : In(1)
        One activation per group arrives for this pass.
    y_bank, y_addr : Out(ArrayLayout(…, groups))
        Where group ``s``'s activation goes in the Y (and R) buffer.
    xw_bank : Out(ArrayLayout(range(groups), groups)), xw_addr : Out(range(784 // groups))
        Models of several blocks only: where it goes in the X buffer, which feeds the
        next block (bank ``(i + j) mod groups``, word ``(28·i + j) // groups``, the same
        word for every group).
    """

    def __init__(self, config: CoreConfig):
        self.cfg = config
        c = config
        G, P = c.groups, c.partitions
        super().__init__(
            {
                **pass_members(c.weight_words),
                "e_addr": Out(data.ArrayLayout(range(c.act_depth), G)),
                "e_bank": Out(data.ArrayLayout(range(max(2, G)), G)),
                "bias_base": Out(range(2 * N)),
                "wb_valid": In(1),
                "y_bank": Out(data.ArrayLayout(range(max(2, P)), G)),
                "y_addr": Out(data.ArrayLayout(range(c.y_depth), G)),
                **(
                    {
                        "xw_bank": Out(data.ArrayLayout(range(max(2, G)), G)),
                        "xw_addr": Out(range(c.act_depth)),
                    }
                    if c.blocks > 1
                    else {}
                ),
            }
        )

    def elaborate(self, platform):
        m = Module()
        c = self.cfg
        G, S, P = c.groups, c.group_lanes, c.partitions
        R = c.rounds_per_pass
        m.submodules.loops = loops = LoopNest((N, c.out_groups, R))
        k, g, column = loops.index(0), loops.index(1), loops.index(2)
        drive_pass(m, self, loops)
        # Weight word 28·out_groups + 28·g + k, counted (no adder before the weight ROM).
        weight_counter(m, self, loops, base=c.out_groups * N)
        m.d.comb += [
            self.bias_base.eq(N + g * S),
        ]
        # Tap of each group, and which E bank serves it.
        # The counter-dependent part of the E address is kept as a register stepped
        # with the loop counters (same cycle, same conditions as LoopNest), so no
        # multiplier sits between them and the E buffer: e_base = k·28 + column with
        # one group, column·G with several, k·R + column with ragged groups.
        e_base = Signal(range(c.act_depth), name="e_base")
        if G == 1 or c.ragged:
            k_step, col_step = R, 1
        else:
            k_step, col_step = 0, G
        with m.If(loops.busy):
            with m.If(loops.last):  # k = 27: back to k = 0
                with m.If(g == c.out_groups - 1):
                    with m.If(column == R - 1):
                        m.d.sync += e_base.eq(0)
                    with m.Else():  # next column
                        m.d.sync += e_base.eq(e_base - (N - 1) * k_step + col_step)
                with m.Else():  # next output group, same column
                    m.d.sync += e_base.eq(e_base - (N - 1) * k_step)
            with m.Else():
                m.d.sync += e_base.eq(e_base + k_step)
        with m.Elif(self.start):
            m.d.sync += e_base.eq(0)
        if G == 1:
            m.d.comb += [self.e_bank[0].eq(0), self.e_addr[0].eq(e_base)]
        elif c.ragged:
            # Every group reads row k, each from bank (k + s) mod G, at word e_base.
            for s in range(G):
                m.d.comb += self.e_bank[s].eq(lookup([(kk + s) % G for kk in range(N)], k))
            m.d.comb += [self.e_addr[b].eq(e_base) for b in range(G)]
        else:
            # Group s reads tap κ = (k + s) mod 28 of column c·G + s, in bank κ mod G at
            # word (κ // G)·28 + c·G + s. Bank b serves group (b − k) mod G: both depend
            # on k alone, so each is one small table (LUTs) of the tap counter.
            for s in range(G):
                m.d.comb += self.e_bank[s].eq(lookup([(kk + s) % N % G for kk in range(N)], k))
            for b in range(G):
                words = []
                for kk in range(N):
                    s_b = (b - kk) % G
                    words.append((kk + s_b) % N // G * N + s_b)
                m.d.comb += self.e_addr[b].eq(lookup(words, k) + e_base)
        # Result tap t' of group s: 28·(c·G + s) + i, i counting 0..27 per column;
        # kept as (t' mod P, t' // P) so no division is needed.
        row = Signal(range(N))
        restart = self.start & ~loops.busy
        with m.If(restart):
            m.d.sync += row.eq(0)
        with m.Elif(self.wb_valid):
            m.d.sync += row.eq(_wrap(row + 1))
        for s in range(G):
            bank, addr = self.y_bank[s], self.y_addr[s]
            start_t = N * s
            with m.If(restart):
                m.d.sync += [bank.eq(start_t % P), addr.eq(start_t // P)]
            with m.Elif(self.wb_valid):
                # +1 within a column; at a column's end skip the other groups' columns.
                step_in = 1
                step_next = 1 + N * (G - 1)
                for cond, step in ((row != N - 1, step_in), (row == N - 1, step_next)):
                    with m.If(cond):
                        nb = bank + step % P
                        carry = nb >= P
                        m.d.sync += [
                            bank.eq(nb - carry * P),
                            addr.eq(addr + step // P + carry),
                        ]
        if c.blocks > 1:
            # X[i, c·G + s] at word R·i + c of bank (i + s) mod G: down a column the
            # word steps by R; the next column starts one word after the last one's.
            stride = R
            with m.If(restart):
                m.d.sync += self.xw_addr.eq(0)
            with m.Elif(self.wb_valid):
                with m.If(row == N - 1):
                    m.d.sync += self.xw_addr.eq(self.xw_addr - (N - 1) * stride + 1)
                with m.Else():
                    m.d.sync += self.xw_addr.eq(self.xw_addr + stride)
            for s in range(G):
                bank = lookup([(i + s) % G for i in range(N)], row) if G > 1 else 0
                m.d.comb += self.xw_bank[s].eq(bank)
        return m


def _wrap(value):
    """``value`` modulo 28 for values below 56."""
    return Mux(value >= N, value - N, value)
