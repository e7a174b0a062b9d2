"""``CoefficientUnit``: scale, soft threshold and shortcut of each coefficient."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..plan.latency import COEFFICIENT_UNIT
from .transform_passes import round_half_up

__all__ = ["CoefficientUnit"]


class CoefficientUnit(wiring.Component):
    """One coefficient per cycle: ``u = S_τ(sat(round(a·c + β))) + c``.

    A column-pass round delivers ``lanes`` coefficients at once (``coeffs_valid``); they
    leave one per cycle, in lane order, from the next cycle on, each with its index
    ``n`` in emission order (``n = column·P + row``, counted per image). The per-
    coefficient constants ``a``, ``β`` and ``τ`` are ROMs in that order. One
    multiplier (a DSP48E1) for ``a·c``; the threshold is a subtraction and a select.

    Parameters
    ----------
    lanes : int
    formats : quant.transform_contract.TransformFormats
    scale, offset, threshold : sequence of int
        ``a``, ``β`` and ``τ`` in emission order (``P²`` each).

    Ports
    -----
    coeffs : In(ArrayLayout(signed(c_width), lanes)); coeffs_valid : In(1)
        Rounds at least ``lanes`` cycles apart.
    u : Out(signed(u_width)); u_valid, u_first, u_last : Out(1); u_index : Out(unsigned)
        ``u`` of coefficient ``u_index`` (``u_first``: index 0, ``u_last``: the image's
        last), ``LATENCY`` cycles after the coefficient left the holding register.
    idle : Out(1)
        No coefficient held or in the pipeline.
    """

    LATENCY = COEFFICIENT_UNIT

    def __init__(self, *, lanes: int, formats, scale, offset, threshold):
        self.lanes = lanes
        self.fmt = formats
        self.count = formats.arch.size**2
        for name, values in (("scale", scale), ("offset", offset), ("threshold", threshold)):
            if len(values) != self.count:
                raise ValueError(f"{name} must have {self.count} entries, not {len(values)}")
        self.scale = [int(v) for v in scale]
        self.offset = [int(v) for v in offset]
        self.threshold = [int(v) for v in threshold]
        f = formats
        super().__init__(
            {
                "coeffs": In(data.ArrayLayout(signed(f.c.width), lanes)),
                "coeffs_valid": In(1),
                "u": Out(signed(f.u.width)),
                "u_valid": Out(1),
                "u_first": Out(1),
                "u_last": Out(1),
                "u_index": Out(range(self.count)),
                "idle": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        f, lanes = self.fmt, self.lanes
        roms = {}
        for name, fmt, values in (
            ("a", f.scale, self.scale),
            ("beta", f.beta, self.offset),
            ("tau", f.tau, self.threshold),
        ):
            shape = signed(fmt.width) if fmt.signed else unsigned(fmt.width)
            mem = Memory(shape=shape, depth=self.count, init=values)
            m.submodules[f"{name}_rom"] = mem
            roms[name] = mem.read_port()

        # Holding register: the round's coefficients, sent one per cycle.
        hold = Signal(data.ArrayLayout(signed(f.c.width), lanes))
        left = Signal(range(lanes + 1))
        pos = Signal(range(max(2, lanes)))
        index = Signal(range(self.count))
        emit = Signal()
        c0 = Signal(signed(f.c.width))
        m.d.comb += [emit.eq(left != 0), c0.eq(hold[pos] if lanes > 1 else hold[0])]
        for rom in roms.values():
            m.d.comb += rom.addr.eq(index)
        with m.If(emit):
            m.d.sync += [
                left.eq(left - 1),
                pos.eq(pos + 1),
                index.eq(Mux(index == self.count - 1, 0, index + 1)),
            ]
        with m.If(self.coeffs_valid):  # after the last send of the previous round
            m.d.sync += [hold.eq(self.coeffs), left.eq(lanes), pos.eq(0)]

        # Stage 1: the constants arrive (registered read); c and the index wait.
        c1, c2, c3 = (Signal(signed(f.c.width), name=f"c{k}") for k in (1, 2, 3))
        n1, n2, n3, n4 = (Signal(range(self.count), name=f"n{k}") for k in (1, 2, 3, 4))
        v1, v2, v3, v4 = (Signal(name=f"v{k}") for k in (1, 2, 3, 4))
        m.d.sync += [c1.eq(c0), n1.eq(index), v1.eq(emit)]
        # Stage 2: the product; β and τ wait.
        prod = Signal(signed(f.scale.width + f.c.width))
        beta2 = Signal(signed(f.beta.width))
        tau2, tau3 = (Signal(unsigned(f.tau.width), name=f"tau{k}") for k in (2, 3))
        m.d.sync += [
            prod.eq(roms["a"].data * c1),
            beta2.eq(roms["beta"].data),
            tau2.eq(roms["tau"].data),
            c2.eq(c1),
            n2.eq(n1),
            v2.eq(v1),
        ]
        # Stage 3: g = sat(round((a·c + β) >> g_shift)).
        g_acc = Signal(signed(f.g_acc.width))
        m.d.comb += g_acc.eq(prod + beta2)
        rounded = Signal(signed(f.g_acc.width - f.g_shift + 1))
        m.d.comb += rounded.eq(round_half_up(g_acc, f.g_shift))
        g3 = Signal(signed(f.g.width))
        m.d.sync += [
            g3.eq(
                Mux(
                    rounded > f.g.max_int,
                    f.g.max_int,
                    Mux(rounded < f.g.min_int, f.g.min_int, rounded),
                )
            ),
            tau3.eq(tau2),
            c3.eq(c2),
            n3.eq(n2),
            v3.eq(v2),
        ]
        # Stage 4: |g| − τ and the sign of g. Stage 5: z = sign(g)·max(|g| − τ, 0).
        # Stage 6: u = z + c. (In one cycle, the threshold's subtract-and-select and the
        # shortcut's adder were the core's longest path.)
        mag4 = Signal(signed(f.g.width + 2))
        neg4 = Signal()
        z5 = Signal(signed(f.g.width + 1))
        c4, c5 = (Signal(signed(f.c.width), name=f"c{k}") for k in (4, 5))
        n5, n6 = (Signal(range(self.count), name=f"n{k}") for k in (5, 6))
        v5, v6 = Signal(name="v5"), Signal(name="v6")
        m.d.sync += [
            mag4.eq(Mux(g3 < 0, -g3, g3) - tau3),
            neg4.eq(g3 < 0),
            c4.eq(c3),
            n4.eq(n3),
            v4.eq(v3),
        ]
        m.d.sync += [
            z5.eq(Mux(mag4 <= 0, 0, Mux(neg4, -mag4, mag4))),
            c5.eq(c4),
            n5.eq(n4),
            v5.eq(v4),
        ]
        m.d.sync += [self.u.eq(z5 + c5), n6.eq(n5), v6.eq(v5)]
        m.d.comb += [
            self.u_valid.eq(v6),
            self.u_index.eq(n6),
            self.u_first.eq(v6 & (n6 == 0)),
            self.u_last.eq(v6 & (n6 == self.count - 1)),
            self.idle.eq(~emit & ~v1 & ~v2 & ~v3 & ~v4 & ~v5 & ~v6),
        ]
        return m
