"""``TransformLanes``: the accumulating lanes of the transform passes."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..plan.latency import TRANSFORM_LANES

__all__ = ["TransformLanes"]

#: Weight kinds: a signed matrix entry (a multiplier per lane) or a ±1 sign bit.
KINDS = ("multiply", "sign")


class TransformLanes(wiring.Component):
    """``lanes`` accumulators that share one data value per cycle.

    Each cycle with ``en``, lane ``l`` computes ``acc[l] ← (first ? 0 : acc[l]) +
    x·w[l]``; without ``en`` it holds. ``kind="multiply"``: ``w[l]`` is a signed
    ``w_width``-bit matrix entry and the product a multiplier (a DSP48E1 on the
    XC7Z010). ``kind="sign"``: ``w[l]`` is one bit, 1 for −1 and 0 for +1, and the lane
    adds or subtracts ``x``: no multiplier at all (the Hadamard passes).

    Three register stages in both kinds: operands, product (or signed operand), sum;
    ``acc`` shows an op's contribution ``LATENCY`` cycles after it is presented.

    Ports
    -----
    x : In(signed(x_width))
    w : In(ArrayLayout(signed(w_width) or unsigned(1), lanes))
    en, first : In(1)
    acc : Out(ArrayLayout(signed(acc_width), lanes))
    """

    LATENCY = TRANSFORM_LANES

    def __init__(self, *, lanes: int, x_width: int, w_width: int, acc_width: int, kind: str):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        for name, v in (("lanes", lanes), ("x_width", x_width), ("acc_width", acc_width)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, not {v!r}")
        if kind == "multiply" and not (isinstance(w_width, int) and w_width >= 2):
            raise ValueError(f"w_width must be at least 2 for products, not {w_width!r}")
        self.lanes, self.kind = lanes, kind
        self.x_width, self.acc_width = x_width, acc_width
        self.w_width = 1 if kind == "sign" else w_width
        w_shape = unsigned(1) if kind == "sign" else signed(w_width)
        super().__init__(
            {
                "x": In(signed(x_width)),
                "w": In(data.ArrayLayout(w_shape, lanes)),
                "en": In(1),
                "first": In(1),
                "acc": Out(data.ArrayLayout(signed(acc_width), lanes)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        x_r = Signal(signed(self.x_width))
        en_r, first_r, en_p, first_p = Signal(), Signal(), Signal(), Signal()
        m.d.sync += [x_r.eq(self.x), en_r.eq(self.en), first_r.eq(self.first)]
        m.d.sync += [en_p.eq(en_r), first_p.eq(first_r)]
        p_width = self.x_width + (1 if self.kind == "sign" else self.w_width)
        for lane in range(self.lanes):
            w_r = Signal.like(self.w[lane], name=f"w_r{lane}")
            p = Signal(signed(p_width), name=f"p{lane}")
            m.d.sync += w_r.eq(self.w[lane])
            if self.kind == "sign":
                # ±x: a negation and a select, no multiplier.
                m.d.sync += p.eq(Mux(w_r, -x_r, x_r))
            else:
                m.d.sync += p.eq(x_r * w_r)
            acc = self.acc[lane]
            with m.If(en_p):
                m.d.sync += acc.eq(Mux(first_p, 0, acc) + p)
        return m
