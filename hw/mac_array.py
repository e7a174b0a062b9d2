"""``MacArray``: the parallel multiply-accumulate lanes."""

from __future__ import annotations

from amaranth import Module, Mux, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["MacArray"]


class MacArray(wiring.Component):
    """``lanes`` multiply-accumulate units working in lockstep.

    Each cycle with ``en`` asserted, lane ``l`` computes
    ``acc[l] ← (first ? 0 : acc[l]) + x[l]·w[l]``; without ``en`` it holds. Biases are
    added later, on the way out (see :class:`~hw.lane_results.LaneResults`), so each
    lane is a plain multiply-accumulate that maps onto one DSP48E1 slice (multiplier,
    post-adder and P register) with no fabric logic.

    Parameters
    ----------
    lanes : int
        Number of lanes (≥ 1).
    x_width, w_width : int
        Signed widths of the data and weight operands.
    acc_width : int
        Signed width of the accumulators; the caller guarantees that no sum of
        products it requests leaves this range (see ``docs/fixed-point.md``).

    Ports
    -----
    en, first : In(1)
        Accumulate this cycle; start a new dot product with this product.
    x : In(ArrayLayout(signed(x_width), lanes))
    w : In(ArrayLayout(signed(w_width), lanes))
    acc : Out(ArrayLayout(signed(acc_width), lanes))
        Registered: reflects the inputs of the previous enabled cycle (latency 1).
    """

    def __init__(self, *, lanes: int, x_width: int = 8, w_width: int = 12, acc_width: int = 30):
        for name, value, low in (
            ("lanes", lanes, 1),
            ("x_width", x_width, 2),
            ("w_width", w_width, 2),
            ("acc_width", acc_width, 2),
        ):
            if not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer of at least {low}, not {value!r}")
        if acc_width > 48:
            raise ValueError(f"acc_width must be at most 48 (one DSP48E1), not {acc_width}")
        self.lanes = lanes
        super().__init__(
            {
                "en": In(1),
                "first": In(1),
                "x": In(data.ArrayLayout(signed(x_width), lanes)),
                "w": In(data.ArrayLayout(signed(w_width), lanes)),
                "acc": Out(data.ArrayLayout(signed(acc_width), lanes)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        for lane in range(self.lanes):
            acc = self.acc[lane]
            product = self.x[lane] * self.w[lane]
            # Written as one expression so synthesis packs multiplier, adder, the
            # accumulate/restart choice (OPMODE) and the register into a DSP48E1.
            with m.If(self.en):
                m.d.sync += acc.eq(Mux(self.first, 0, acc) + product)
        return m
