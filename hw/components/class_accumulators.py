"""``ClassAccumulators``: the output layer of the transform-domain core, streamed."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["ClassAccumulators"]


class ClassAccumulators(wiring.Component):
    """``logits[o] = Σ_n Wq[o, n]·u_n + bq[o]``, one ``u`` per cycle as it is produced.

    A multiply-accumulate lane per class (one DSP48E1 each), with the weights of all
    classes in one ROM word per coefficient, in emission order. After the image's last
    ``u`` the sums and biases are added and the logits leave one per cycle, class 0
    first.

    Parameters
    ----------
    formats : quant.transform_contract.TransformFormats
    weights : sequence of sequence of int
        ``Wq[o][n]`` (``classes`` × ``P²``), ``n`` in emission order.
    biases : sequence of int
        ``bq[o]``, at the product's precision.

    Ports
    -----
    u : In(signed(u_width)); u_valid, u_first, u_last : In(1); u_index : In(unsigned)
    logits : Out(stream.Signature(signed(logit_width), always_ready=True))
        Starts four cycles after ``u_last``; ten cycles, class order.
    idle : Out(1)
        No image being accumulated and no logits being sent.
    """

    def __init__(self, *, formats, weights, biases):
        self.fmt = formats
        self.classes = len(weights)
        self.count = formats.arch.size**2
        if len(biases) != self.classes or any(len(w) != self.count for w in weights):
            raise ValueError(f"weights must be {self.classes}×{self.count} with one bias each")
        self.weights = [[int(v) for v in w] for w in weights]
        self.biases = [int(b) for b in biases]
        f = formats
        super().__init__(
            {
                "u": In(signed(f.u.width)),
                "u_valid": In(1),
                "u_first": In(1),
                "u_last": In(1),
                "u_index": In(range(self.count)),
                "logits": Out(stream.Signature(signed(f.logits.width), always_ready=True)),
                "idle": Out(1),
            }
        )

    def rom_words(self) -> list[int]:
        bits = self.fmt.out_w.width
        mask = (1 << bits) - 1
        return [
            sum((self.weights[o][n] & mask) << (o * bits) for o in range(self.classes))
            for n in range(self.count)
        ]

    def elaborate(self, platform):
        m = Module()
        f, k = self.fmt, self.classes
        bits = f.out_w.width
        rom = Memory(
            shape=unsigned(bits * k),
            depth=self.count,
            init=self.rom_words(),
            attrs={"rom_style": "block"},
        )
        m.submodules.rom = rom
        rd = rom.read_port()
        m.d.comb += rd.addr.eq(self.u_index)

        # Stage 1: weights arrive with u. Stage 2: products. Stage 3: sums.
        u1 = Signal(signed(f.u.width))
        v1, first1, last1, v2, first2, last2, last3 = (Signal() for _ in range(7))
        m.d.sync += [
            u1.eq(self.u),
            v1.eq(self.u_valid),
            first1.eq(self.u_first),
            last1.eq(self.u_last),
            v2.eq(v1),
            first2.eq(first1),
            last2.eq(last1),
            last3.eq(last2 & v2),
        ]
        prod_w = f.out_w.width + f.u.width
        accs = []
        for o in range(k):
            w = Signal(signed(bits), name=f"w{o}")
            p = Signal(signed(prod_w), name=f"p{o}")
            acc = Signal(signed(f.logits.width), name=f"acc{o}")
            m.d.comb += w.eq(rd.data.word_select(o, bits))
            m.d.sync += p.eq(w * u1)
            with m.If(v2):
                m.d.sync += acc.eq(Mux(first2, 0, acc) + p)
            accs.append(acc)

        # The logits: sums plus biases, captured once, then sent one per cycle.
        out = Signal(data.ArrayLayout(signed(f.logits.width), k))
        sending = Signal()
        which = Signal(range(k))
        with m.If(last3):
            m.d.sync += [out[o].eq(accs[o] + self.biases[o]) for o in range(k)]
            m.d.sync += [sending.eq(1), which.eq(0)]
        with m.Elif(sending):
            m.d.sync += which.eq(which + 1)
            with m.If(which == k - 1):
                m.d.sync += sending.eq(0)
        busy = Signal()
        with m.If(self.u_valid):
            m.d.sync += busy.eq(1)
        with m.Elif(last3):
            m.d.sync += busy.eq(0)
        m.d.comb += [
            self.logits.valid.eq(sending),
            self.logits.payload.eq(out[which]),
            self.idle.eq(~busy & ~sending & ~self.u_valid & ~v1 & ~v2),
        ]
        return m
