"""``MacArray``: the parallel multiply-accumulate lanes, DSP48E1 slices and fabric."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..plan.config import DEFAULT_STYLE, FABRIC_STYLES
from ..plan.latency import MAC_ARRAY
from .fabric_multiplier import FabricMultiplier

__all__ = ["MacArray"]


class MacArray(wiring.Component):
    """``lanes`` multiply-accumulate units working in lockstep, pipelined like a DSP48E1.

    Each cycle with ``en`` asserted, lane ``l`` computes
    ``acc[l] ← (first ? 0 : acc[l]) + x[l]·w[l]``; without ``en`` it holds. Biases are
    added later, on the way out (:class:`~hw.components.lane_drain.LaneDrain`), so each lane is a
    plain multiply-accumulate.

    Three register stages, as in a DSP48E1 with its input, multiplier and output
    registers (AREG/BREG = 1, MREG = 1, PREG = 1): the operands, the product, the
    accumulator. ``en`` and ``first`` travel with the operands, so the pipeline itself
    never stalls. Lanes ``0 … dsp_lanes − 1`` are written as one multiply-add per
    stage, which synthesis maps onto one DSP48E1 slice each; the other lanes use a
    :class:`~hw.components.fabric_multiplier.FabricMultiplier` (LUTs and carry chains, which
    synthesis cannot turn into a DSP slice) and a fabric accumulator.

    Parameters
    ----------
    lanes : int
        Number of lanes (≥ 1).
    x_width, w_width : int
        Signed widths of the data and weight operands.
    acc_width : int
        Signed width of the accumulators; the caller guarantees that no sum of
        products it requests leaves this range (see ``docs/fixed-point.md``).
    dsp_lanes : int
        Lanes built for DSP48E1 slices (default: all of them).
    fabric_style : str
        The fabric lanes' multiplier (:data:`hw.components.fabric_multiplier.FABRIC_STYLES`).

    Ports
    -----
    en, first : In(1)
        Accumulate this cycle's operands; start a new dot product with their product.
    x : In(ArrayLayout(signed(x_width), lanes))
    w : In(ArrayLayout(signed(w_width), lanes))
    acc : Out(ArrayLayout(signed(acc_width), lanes))
        Registered: includes the operands of an enabled cycle :attr:`latency` (3)
        cycles later.
    """

    #: Cycles from an enabled cycle's operands to the accumulator that includes them.
    latency = MAC_ARRAY

    def __init__(
        self,
        *,
        lanes: int,
        x_width: int = 8,
        w_width: int = 12,
        acc_width: int = 30,
        dsp_lanes: int | None = None,
        fabric_style: str | None = None,
    ):
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
        if dsp_lanes is None:
            dsp_lanes = lanes
        if not isinstance(dsp_lanes, int) or not 0 <= dsp_lanes <= lanes:
            raise ValueError(f"dsp_lanes must be an integer from 0 to {lanes}, not {dsp_lanes!r}")
        fabric_style = DEFAULT_STYLE if fabric_style is None else fabric_style
        if fabric_style not in FABRIC_STYLES:
            raise ValueError(
                f"fabric_style must be one of {', '.join(FABRIC_STYLES)}, not {fabric_style!r}"
            )
        self.lanes = lanes
        self.x_width, self.w_width = x_width, w_width
        self.dsp_lanes = dsp_lanes
        self.fabric_style = fabric_style
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
        product = signed(self.x_width + self.w_width)
        # Control follows the operands through the operand and product registers.
        en1, first1, en2, first2 = Signal(), Signal(), Signal(), Signal()
        m.d.sync += [en1.eq(self.en), first1.eq(self.first), en2.eq(en1), first2.eq(first1)]
        for lane in range(self.lanes):
            x1 = Signal(signed(self.x_width), name=f"x{lane}")
            w1 = Signal(signed(self.w_width), name=f"w{lane}")
            m.d.sync += [x1.eq(self.x[lane]), w1.eq(self.w[lane])]
            if lane < self.dsp_lanes:
                p2 = Signal(product, name=f"p{lane}")
                m.d.sync += p2.eq(x1 * w1)
            else:
                mul = FabricMultiplier(
                    a_width=self.x_width, b_width=self.w_width, style=self.fabric_style
                )
                m.submodules[f"fabric{lane}"] = mul
                m.d.comb += [mul.a.eq(x1), mul.b.eq(w1), mul.en.eq(1)]
                p2 = mul.p
            acc = self.acc[lane]
            # One expression: with the registers above, synthesis packs the restart
            # choice (OPMODE), the adder and this register into the slice.
            with m.If(en2):
                m.d.sync += acc.eq(Mux(first2, 0, acc) + p2)
        return m
