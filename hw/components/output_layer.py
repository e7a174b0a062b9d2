"""``OutputLayer``: the op sequence of the 784 → 10 layer and its logits."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..plan.config import CLASSES, CoreConfig
from .loop_nest import LoopNest, drive_pass, pass_members

__all__ = ["OutputLayer"]


class OutputLayer(wiring.Component):
    """Issues the output layer's ops and turns the lane sums into logits.

    Taps run in column-major order ``t' = 28·j + i`` (the order the column stage
    writes Y). With fewer than 10 lanes, round ``rr`` gives lane ``l`` class
    ``rr·lanes + l``, all taps in turn (op ``(rr, u)``, Y word ``u``). With 10 or more,
    lane ``p·10 + c`` sums tap ``t' = u·partitions + p`` of class ``c``, each partition
    reading its own Y bank at word ``u``; the logit of class ``c`` is the sum over
    partitions. Weight word ``blocks·56·out_groups + rr·partition_depth + u`` (the
    output layer's words follow every block's).

    Parameters
    ----------
    config : CoreConfig
    width : int
        Signed width of the logits, the biases and the partition sums.
    biases : list of int
        ``bo`` by class.
    lane_width : int, optional
        Signed width of the lane sums (default ``width``): a lane sums one partition's
        taps only (:func:`hw.plan.config.lane_acc_width`).
    writable : bool
        Add a write port to the bias memory.

    Ports
    -----
    start, busy, valid, first, last, done, w_addr
        As for :class:`~hw.components.row_pass.RowPass`.
    y_addr : Out(range(partition_depth))
        Word read in every Y bank.
    lanes_in : In(ArrayLayout(signed(lane_width), lanes))
        Captured lane sums, valid from the cycle after ``readout``.
    readout : In(1)
        Strobe: a round's sums have been captured.
    logits : Out(stream.Signature(signed(width), always_ready=True))
        The round's logits with their biases, in class order, one per cycle (the sum over
        the partitions is pipelined: one register per level of two-input adders).
    wr_addr : In(range(10)), wr_data : In(signed(width)), wr_en : In(1)
        With ``writable``: one bias written per cycle with ``wr_en`` (while idle).
    """

    def __init__(
        self,
        config: CoreConfig,
        *,
        width: int,
        biases,
        lane_width: int | None = None,
        writable: bool = False,
    ):
        self.cfg = config
        c = config
        if len(biases) != CLASSES:
            raise ValueError(f"expected {CLASSES} output biases, got {len(biases)}")
        lane_width = width if lane_width is None else lane_width
        if not isinstance(lane_width, int) or not 2 <= lane_width <= width:
            raise ValueError(
                f"lane_width must be an integer from 2 to width ({width}), not {lane_width!r}"
            )
        self.width = width
        self.lane_width = lane_width
        self.biases = [int(b) for b in biases]
        self.writable = writable
        members = {
            **pass_members(c.weight_words),
            "y_addr": Out(range(c.partition_depth)),
            "lanes_in": In(data.ArrayLayout(signed(lane_width), c.lanes)),
            "readout": In(1),
            "logits": Out(stream.Signature(signed(width), always_ready=True)),
        }
        if writable:
            members |= {
                "wr_addr": In(range(CLASSES)),
                "wr_data": In(signed(width)),
                "wr_en": In(1),
            }
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        c = self.cfg
        depth, rounds, P = c.partition_depth, c.rounds, c.partitions
        m.submodules.loops = loops = LoopNest((depth, rounds))
        u, rnd = loops.index(0), loops.index(1)
        # Weight words follow the operations one by one: count them from the output
        # layer's first word (no multiplier or adder in front of the weight ROM).
        base = c.blocks * c.block_words
        op = Signal(range(c.weight_words), init=base, name="w_word")
        with m.If(loops.busy):
            m.d.sync += op.eq(Mux(loops.done, base, op + 1))
        drive_pass(m, self, loops)
        m.d.comb += [self.w_addr.eq(op), self.y_addr.eq(u)]

        # The classes of the round whose last op was just issued.
        per_round = c.lanes if c.lanes < CLASSES else CLASSES
        base = Signal(range(CLASSES + per_round))
        with m.If(self.last):
            m.d.sync += base.eq(rnd * per_round)

        # Readout: class base + l for l < per_round (and < 10), summing partitions.
        m.submodules.bias = bias_rom = Memory(
            shape=signed(self.width), depth=CLASSES, init=self.biases
        )
        rd = bias_rom.read_port(domain="comb")
        if self.writable:
            wr = bias_rom.write_port()
            m.d.comb += [wr.addr.eq(self.wr_addr), wr.data.eq(self.wr_data), wr.en.eq(self.wr_en)]
        active = Signal()
        index = Signal(range(max(2, per_round)))
        with m.If(self.readout):
            m.d.sync += [active.eq(1), index.eq(0)]
        with m.Elif(active):
            m.d.sync += index.eq(index + 1)
            with m.If((index == per_round - 1) | (base + index == CLASSES - 1)):
                m.d.sync += active.eq(0)
        # Stage 1 registers each partition's sum of the class and the bias; then one
        # register per level of a tree of two-input adders, so that no path through
        # the readout has more than one adder (or the lane select).
        level, valid = [], Signal(name="sum_valid0")
        LW = self.lane_width  # the select is as narrow as a lane; the sums widen
        for p in range(P):
            sel = Signal(signed(LW), name=f"part{p}")
            lanes = data.View(
                data.ArrayLayout(signed(LW), per_round),
                self.lanes_in.as_value()[p * CLASSES * LW :][: per_round * LW],
            )
            m.d.sync += sel.eq(lanes[index])
            level.append(sel)
        bias = Signal(signed(self.width), name="part_bias")
        m.d.comb += rd.addr.eq(base + index)
        m.d.sync += [bias.eq(rd.data), valid.eq(active)]
        level.append(bias)
        depth = 0
        while len(level) > 1:
            depth += 1
            nxt = []
            for a in range(0, len(level), 2):
                v = Signal(signed(self.width), name=f"sum{depth}_{a // 2}")
                m.d.sync += v.eq(level[a] + level[a + 1] if a + 1 < len(level) else level[a])
                nxt.append(v)
            v_next = Signal(name=f"sum_valid{depth}")
            m.d.sync += v_next.eq(valid)
            level, valid = nxt, v_next
        m.d.comb += [self.logits.valid.eq(valid), self.logits.payload.eq(level[0])]
        return m
