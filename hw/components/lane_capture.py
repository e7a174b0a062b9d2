"""``LaneCapture``: finished dot products out of the lanes, and who reads them."""

from __future__ import annotations

from amaranth import Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["LaneCapture"]


class LaneCapture(wiring.Component):
    """Copies the lane accumulators into a result register when a dot product ends and
    starts the lane drain (row and column passes) or the output layer's readout.

    The lanes are free to start the next dot product in the cycle after its last op,
    so the sums must be copied out before the next last op: the register holds them
    for the drain (``group_lanes`` ≤ 28 cycles) or the readout (≤ 10 cycles).

    Parameters
    ----------
    lanes, width : int
        Lanes and their signed accumulator width.
    bias_depth : int
        Range of the drain's bias address.
    dest_shape : shape
        Of the destination tag (:func:`hw.components.activation_buffers.destination_layout`).

    Ports
    -----
    acc : In(ArrayLayout(signed(width), lanes))
        The MAC array's accumulators.
    en, last, output : In(1)
        The op entering the lanes this cycle: valid, a dot product's last tap, of the
        output layer.
    bias_base : In(range(bias_depth)), dest : In(dest_shape)
        The op's drain bias address and destination.
    results : Out(ArrayLayout(signed(width), lanes))
        Captured sums, from the cycle after ``drain_start``/``readout``.
    drain_start, readout : Out(1)
        Strobes, two cycles after the last op's ``en``.
    drain_bias_base : Out(range(bias_depth)), drain_dest : Out(dest_shape)
        With ``drain_start``.
    """

    def __init__(self, *, lanes: int, width: int, bias_depth: int, dest_shape):
        super().__init__(
            {
                "acc": In(data.ArrayLayout(signed(width), lanes)),
                "en": In(1),
                "last": In(1),
                "output": In(1),
                "bias_base": In(range(bias_depth)),
                "dest": In(dest_shape),
                "results": Out(data.ArrayLayout(signed(width), lanes)),
                "drain_start": Out(1),
                "readout": Out(1),
                "drain_bias_base": Out(range(bias_depth)),
                "drain_dest": Out(dest_shape),
            }
        )

    def elaborate(self, platform):
        m = Module()
        # The accumulators hold the finished sums one cycle after the last op enters.
        last2, output2 = Signal(), Signal()
        m.d.sync += [
            last2.eq(self.last & self.en),
            output2.eq(self.output),
            self.drain_bias_base.eq(self.bias_base),
            self.drain_dest.eq(self.dest),
        ]
        with m.If(last2):
            m.d.sync += self.results.eq(self.acc)
        m.d.comb += [
            self.drain_start.eq(last2 & ~output2),
            self.readout.eq(last2 & output2),
        ]
        return m
