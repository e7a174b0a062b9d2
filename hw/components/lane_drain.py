"""``LaneDrain``: row and column results, one lane per cycle, with their biases."""

from __future__ import annotations

from amaranth import Array, Module, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..plan.latency import LANE_DRAIN

__all__ = ["LaneDrain"]


class LaneDrain(wiring.Component):
    """Reads captured lane accumulators out in lane order and adds their biases.

    After ``start``, group ``s``'s lanes ``s·group_lanes + l`` come out on stream
    ``o{s}`` for ``l = 0 … group_lanes − 1``, one per cycle, as ``lanes[...] +
    bias[bias_base + l]``. All groups share the bias: in the row stage they compute
    the same output columns for different rows, in the column stage the same output
    rows for different columns.

    Parameters
    ----------
    lanes, groups : int
        ``lanes`` divides into ``groups`` groups.
    width : int
        Signed width of the lane values and of the outputs.
    biases : list of int
        The bias ROM (row biases then column biases of each block, rounding constants
        folded in).
    tag_shape : shape, optional
        Shape of the tag that travels with a drain's values (default 1 bit).
    writable : bool
        Add a write port to the bias memory (``wr_*``; ``biases`` are its initial
        contents). Write only while no drain runs.

    Ports
    -----
    lanes_in : In(ArrayLayout(signed(width), lanes))
        Must hold still from the cycle after ``start`` for ``group_lanes`` cycles.
    start : In(1)
    bias_base : In(range(len(biases))), tag_in : In(tag_shape)
        Sampled with ``start``; ``tag`` repeats ``tag_in`` for the values of this drain.
    o0, o1, … : Out(stream.Signature(signed(width), always_ready=True))
        Lane ``l`` of a drain ``LATENCY + l`` cycles after ``start``.
    tag : Out(tag_shape)
        ``tag_in`` of the drain the current output values belong to.
    wr_addr : In(range(len(biases))), wr_data : In(signed(width)), wr_en : In(1)
        With ``writable``: one bias written per cycle with ``wr_en``.
    """

    #: Cycles from ``start`` to lane 0's values on the outputs.
    LATENCY = LANE_DRAIN

    def __init__(self, *, lanes: int, groups: int, width: int, biases, tag_shape=1, writable=False):
        if lanes % groups:
            raise ValueError(f"lanes ({lanes}) must be a multiple of groups ({groups})")
        self.lanes = lanes
        self.groups = groups
        self.group_lanes = lanes // groups
        self.width = width
        self.biases = [int(b) for b in biases]
        self.tag_shape = tag_shape
        self.writable = writable
        members = {
            "lanes_in": In(data.ArrayLayout(signed(width), lanes)),
            "start": In(1),
            "bias_base": In(range(len(self.biases))),
            "tag_in": In(tag_shape),
            "tag": Out(tag_shape),
        }
        if writable:
            members |= {
                "wr_addr": In(range(len(self.biases))),
                "wr_data": In(signed(width)),
                "wr_en": In(1),
            }
        for s in range(groups):
            members[f"o{s}"] = Out(stream.Signature(signed(width), always_ready=True))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        S = self.group_lanes
        m.submodules.bias = bias_rom = Memory(
            shape=signed(self.width), depth=len(self.biases), init=self.biases
        )
        rd = bias_rom.read_port()
        if self.writable:
            wr = bias_rom.write_port()
            m.d.comb += [wr.addr.eq(self.wr_addr), wr.data.eq(self.wr_data), wr.en.eq(self.wr_en)]
        # The lane select is split in two registered steps (within blocks of A lanes,
        # then among the blocks), so no step needs more than a few LUT levels.
        A = 4 if S % 4 == 0 else (2 if S % 2 == 0 else 1)
        blocks = S // A
        active = Signal()
        index = Signal(range(max(2, S)))  # the lane, for the bias address
        lo = Signal(range(max(2, A)))
        hi = Signal(range(max(2, blocks)))
        base = Signal.like(self.bias_base)
        tag = Signal(self.tag_shape)

        with m.If(self.start):
            m.d.sync += [
                active.eq(1),
                index.eq(0),
                lo.eq(0),
                hi.eq(0),
                base.eq(self.bias_base),
                tag.eq(self.tag_in),
            ]
        with m.Elif(active):
            m.d.sync += index.eq(index + 1)
            with m.If(lo == A - 1):
                m.d.sync += [lo.eq(0), hi.eq(hi + 1)]
            with m.Else():
                m.d.sync += lo.eq(lo + 1)
            with m.If(index == S - 1):
                m.d.sync += active.eq(0)

        # Cycle 1: the lane within each block, the bias read. Cycle 2: the block. Cycle
        # 3: add, register. The tag travels with the values, so a drain of the next
        # pass cannot relabel them.
        m.d.comb += rd.addr.eq(base + index)
        hi1 = Signal.like(hi)
        valid1, valid2 = Signal(), Signal()
        bias2 = Signal(signed(self.width))
        tag1, tag2 = Signal(self.tag_shape), Signal(self.tag_shape)
        m.d.sync += [
            hi1.eq(hi),
            valid1.eq(active),
            valid2.eq(valid1),
            bias2.eq(rd.data),
            tag1.eq(tag),
            tag2.eq(tag1),
            self.tag.eq(tag2),
        ]
        for s in range(self.groups):
            group = self.lanes_in.as_value()[s * S * self.width : (s + 1) * S * self.width]
            lanes = data.View(data.ArrayLayout(signed(self.width), S), group)
            cands = []
            for b in range(blocks):
                cand = Signal(signed(self.width), name=f"lane{s}_block{b}")
                m.d.sync += cand.eq(Array(lanes[b * A + a] for a in range(A))[lo])
                cands.append(cand)
            lane = Signal(signed(self.width), name=f"lane{s}")
            m.d.sync += lane.eq(Array(cands)[hi1])
            out = getattr(self, f"o{s}")
            m.d.sync += [out.valid.eq(valid2), out.payload.eq(lane + bias2)]
        return m
