"""``HadamardStream``: the Walsh–Hadamard transform of a sample stream, no multiplier."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["HadamardStream"]


class HadamardStream(wiring.Component):
    """The unnormalised Walsh–Hadamard transform (natural, Sylvester order) of blocks of
    ``size`` samples, one sample in and one coefficient out per enabled cycle.

    A pipeline of ``log2(size)`` butterfly stages with single-path delay feedback: the
    stage of span ``D`` (``size/2``, …, 2, 1) keeps ``D`` values in a shift register.
    In the first half of each block of ``2D`` it stores its input and sends out what
    it stored before (the differences of the previous block); in the second half it
    sends ``a + b`` and stores ``a − b``, ``a`` the stored sample, ``b`` the input.
    ``H_2m = [[H_m, H_m], [H_m, −H_m]]``: the sums then the differences, each
    transformed by the next stages, is the natural order. Each stage adds one bit and
    one register; everything moves only with ``en``.

    Ports
    -----
    x : In(signed(width)); en : In(1)
        A sample per enabled cycle, blocks back to back.
    restart : In(1)
        Strobe: the next enabled sample starts a block (aligns every stage).
    y : Out(signed(width + log2(size)))
        Coefficient ``k`` of block ``b`` ``LAG`` enabled cycles after sample ``k`` of
        block ``b`` entered (``LAG = size − 1 + log2(size)``).
    """

    def __init__(self, *, size: int, width: int):
        if not isinstance(size, int) or size < 2 or size & (size - 1):
            raise ValueError(f"size must be a power of two, at least 2, not {size!r}")
        if not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be a positive integer, not {width!r}")
        self.size, self.width = size, width
        self.stages = size.bit_length() - 1
        self.lag = size - 1 + self.stages
        super().__init__(
            {
                "x": In(signed(width)),
                "en": In(1),
                "restart": In(1),
                "y": Out(signed(width + self.stages)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        x, w = self.x, self.width
        offset = 0  # enabled cycles from the stream's first sample to this stage's
        for k in range(self.stages):
            d = self.size >> (k + 1)
            out = Signal(signed(w + 1), name=f"s{k}")
            # No reset: a value is always written before it is read, and without one the
            # delay line maps onto shift-register LUTs (SRL16/SRL32) instead of flip-flops.
            regs = [Signal(signed(w + 1), name=f"s{k}_fifo{i}", reset_less=True) for i in range(d)]
            count = Signal(range(2 * d), name=f"s{k}_count")
            head = regs[-1]
            second = count >= d if d > 1 else count[0]
            with m.If(self.restart):
                # The stage's first block starts `offset` enabled cycles after the input's.
                m.d.sync += count.eq((-offset) % (2 * d))
            with m.Elif(self.en):
                m.d.sync += count.eq(count + 1 if d > 1 else ~count)
                m.d.sync += out.eq(Mux(second, head + x, head))
                m.d.sync += regs[0].eq(Mux(second, head - x, x))
                m.d.sync += [regs[i].eq(regs[i - 1]) for i in range(1, d)]
            x, w = out, w + 1
            offset += d + 1
        m.d.comb += self.y.eq(x)
        return m
