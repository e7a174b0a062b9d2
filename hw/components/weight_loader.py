"""``WeightLoader``: a load image, word by word, into the core's memories, with its CRC-32."""

from __future__ import annotations

from amaranth import Const, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["CRC32_POLY_REFLECTED", "WeightLoader", "crc32_update"]

#: CRC-32 (IEEE 802.3, zlib) polynomial 0x04C11DB7, bit-reversed for LSB-first data.
CRC32_POLY_REFLECTED = 0xEDB88320


def crc32_update(state: int, word: int) -> int:
    """The CRC-32 register after shifting in ``word``'s bits 0…31 (no initial value or
    final complement: those belong to the caller)."""
    for i in range(32):
        feedback = (state ^ (word >> i)) & 1
        state = (state >> 1) ^ (CRC32_POLY_REFLECTED if feedback else 0)
    return state


def _crc32_matrix():
    """For each bit of the next state: the state bits and word bits it is the XOR of
    (the update is linear over GF(2))."""
    rows = []
    for j in range(32):
        s = [i for i in range(32) if crc32_update(1 << i, 0) >> j & 1]
        w = [i for i in range(32) if crc32_update(0, 1 << i) >> j & 1]
        rows.append((s, w))
    return rows


class WeightLoader(wiring.Component):
    """Writes a load image (:mod:`hw.plan.load_image`) into the weight, bias, output-bias and
    activation-table memories, one 32-bit word per accepted beat, and keeps the CRC-32
    of the words accepted since ``restart``.

    Parameters
    ----------
    lanes : int
        Lanes per weight word.
    sizes : tuple of int
        Words of the four regions (weights, biases, out_biases, tanh), in order.

    Ports
    -----
    words : In(stream.Signature(32, always_ready=True))
        The load image's words, in order. Words after the last region's are counted
        and digested but written nowhere.
    restart : In(1)
        Back to the first word; count 0, CRC register 0xFFFFFFFF (takes priority).
    count : Out(32)
        Words accepted since ``restart``.
    crc : Out(32)
        CRC-32 (zlib's) of those words as little-endian bytes; valid the cycle after the
        last word.
    w_addr, w_lanes, b_addr, ob_addr, t_addr : Out
        Write addresses: weight word and one-hot lane, bias, output bias, table entry.
    w_en, b_en, ob_en, t_en : Out(1)
        Write strobes, one cycle after the word is accepted.
    data : Out(32)
        The value to write (the memory keeps its low bits).
    """

    def __init__(self, *, lanes: int, sizes):
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) != 4 or min(sizes) < 1 or sizes[0] % lanes:
            raise ValueError(
                f"sizes must be 4 positive counts, weights a multiple of lanes: {sizes}"
            )
        self.lanes = lanes
        self.sizes = sizes
        self.weight_words = sizes[0] // lanes
        super().__init__(
            {
                "words": In(stream.Signature(32, always_ready=True)),
                "restart": In(1),
                "count": Out(32),
                "crc": Out(32),
                "w_addr": Out(range(self.weight_words)),
                "w_lanes": Out(lanes),
                "b_addr": Out(range(max(2, sizes[1]))),
                "ob_addr": Out(range(max(2, sizes[2]))),
                "t_addr": Out(range(max(2, sizes[3]))),
                "w_en": Out(1),
                "b_en": Out(1),
                "ob_en": Out(1),
                "t_en": Out(1),
                "data": Out(32),
            }
        )

    def elaborate(self, platform):
        m = Module()
        L = self.lanes
        depths = (self.weight_words, *self.sizes[1:])
        region = Signal(range(5))  # 4: past the image
        addr = Signal(range(max(depths)))
        lane = Signal(range(max(2, L)))
        state = Signal(32, init=0xFFFFFFFF)
        m.d.comb += self.crc.eq(~state)

        # The CRC register after this word: each bit an XOR of state and word bits.
        word = self.words.payload
        nxt = Signal(32)
        for j, (s_bits, w_bits) in enumerate(_crc32_matrix()):
            terms = [state[i] for i in s_bits] + [word[i] for i in w_bits]
            acc = terms[0]
            for t in terms[1:]:
                acc = acc ^ t
            m.d.comb += nxt[j].eq(acc)

        # Strobes last one cycle; the addresses are those of the word just accepted.
        m.d.sync += [self.w_en.eq(0), self.b_en.eq(0), self.ob_en.eq(0), self.t_en.eq(0)]
        with m.If(self.restart):
            m.d.sync += [region.eq(0), addr.eq(0), lane.eq(0), state.eq(state.init)]
            m.d.sync += self.count.eq(0)
        with m.Elif(self.words.valid):
            m.d.sync += [self.count.eq(self.count + 1), state.eq(nxt), self.data.eq(word)]
            strobes = (self.w_en, self.b_en, self.ob_en, self.t_en)
            addrs = (self.w_addr, self.b_addr, self.ob_addr, self.t_addr)
            with m.Switch(region):
                for r in range(4):
                    with m.Case(r):
                        m.d.sync += [strobes[r].eq(1), addrs[r].eq(addr)]
                        last_addr = addr == depths[r] - 1
                        if r == 0:
                            m.d.sync += self.w_lanes.eq(Const(1, L) << lane)
                            with m.If(lane == L - 1):
                                m.d.sync += lane.eq(0)
                            with m.Else():
                                m.d.sync += lane.eq(lane + 1)
                            step = lane == L - 1
                        else:
                            step = 1
                        with m.If(step):
                            with m.If(last_addr):
                                m.d.sync += [addr.eq(0), region.eq(r + 1)]
                            with m.Else():
                                m.d.sync += addr.eq(addr + 1)
        return m
