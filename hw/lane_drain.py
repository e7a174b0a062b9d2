"""``LaneDrain``: row and column results, one lane per cycle, with their biases."""

from __future__ import annotations

from amaranth import Module, Signal, signed
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

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
        Two cycles after the lane is read.
    tag : Out(tag_shape)
        ``tag_in`` of the drain the current output values belong to.
    wr_addr : In(range(len(biases))), wr_data : In(signed(width)), wr_en : In(1)
        With ``writable``: one bias written per cycle with ``wr_en``.
    """

    #: Cycles from ``start`` to lane 0's values on the outputs.
    LATENCY = 3

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
        active = Signal()
        index = Signal(range(max(2, S)))
        base = Signal.like(self.bias_base)
        read = Signal()
        tag = Signal(self.tag_shape)

        with m.If(self.start):
            m.d.sync += [active.eq(1), index.eq(0), base.eq(self.bias_base), tag.eq(self.tag_in)]
        with m.Elif(active):
            m.d.sync += index.eq(index + 1)
            with m.If(index == S - 1):
                m.d.sync += active.eq(0)

        # Cycle 1: select the lane, read its bias. Cycle 2: add, register. The tag
        # travels with the values, so a drain of the next pass cannot relabel them.
        m.d.comb += rd.addr.eq(base + index)
        tag_read = Signal(self.tag_shape)
        m.d.sync += [read.eq(active), tag_read.eq(tag), self.tag.eq(tag_read)]
        for s in range(self.groups):
            lane = Signal(signed(self.width), name=f"lane{s}")
            group = self.lanes_in.as_value()[s * S * self.width : (s + 1) * S * self.width]
            lanes = data.View(data.ArrayLayout(signed(self.width), S), group)
            m.d.sync += lane.eq(lanes[index])
            out = getattr(self, f"o{s}")
            m.d.sync += [out.valid.eq(read), out.payload.eq(lane + rd.data)]
        return m
