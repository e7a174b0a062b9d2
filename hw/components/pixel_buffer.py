"""``PixelBuffer``: the input stream into a ping-pong image memory."""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

__all__ = ["PixelBuffer", "centred_pixel"]

N = 28


def centred_pixel(word, byte, pixels_per_beat: int):
    """Pixel ``byte`` of a buffer word as ``x = p − 128``: the byte with its MSB inverted,
    to be read as signed 8 bits (``byte`` is ignored at one pixel per word)."""
    pixel = word.word_select(byte, 8) if pixels_per_beat > 1 else word
    return Cat(pixel[:7], ~pixel[7])


class PixelBuffer(wiring.Component):
    """Two image buffers: one fills from the stream while the other is read.

    Pixels arrive row-major, ``pixels_per_beat`` per beat (pixel ``k`` of a beat in
    bits ``8k…8k+7``), 784 per image; the count alone delimits images. Image row
    ``i`` goes to bank ``i mod banks``, so that ``banks`` rows can be read at once
    (``banks`` from 1 to 28; where it does not divide 28, the last rows leave some
    banks without one, and their words are read and ignored).

    Ports
    -----
    pixels : In(stream.Signature(unsigned(8 · pixels_per_beat)))
        Ready while the buffer being filled is free; never waits for valid.
    full : Out(1)
        The buffer being read holds a complete image.
    release : In(1)
        Strobe: the reader is done with that image; the buffer is free again.
    rd_addr : In(unsigned)
        Word ``(i // banks)·(28 / pixels_per_beat) + k // pixels_per_beat`` of the
        buffer being read, the same in every bank.
    rd_data : Out(ArrayLayout(unsigned(8 · pixels_per_beat), banks))
        The addressed word of each bank, one cycle after ``rd_addr``.
    """

    def __init__(self, *, pixels_per_beat: int = 1, banks: int = 1):
        if pixels_per_beat < 1 or N % pixels_per_beat:
            raise ValueError(f"pixels_per_beat must divide 28, not {pixels_per_beat}")
        if not isinstance(banks, int) or not 1 <= banks <= N:
            raise ValueError(f"banks must be an integer from 1 to 28, not {banks!r}")
        self.pixels_per_beat = pixels_per_beat
        self.banks = banks
        self.words_per_row = N // pixels_per_beat
        # Words per bank per image: the most rows a bank holds (banks that do not
        # divide 28 hold ceil(28 / banks) or one fewer).
        self.depth = -(-N // banks) * self.words_per_row
        width = 8 * pixels_per_beat
        super().__init__(
            {
                "pixels": In(stream.Signature(unsigned(width))),
                "full": Out(1),
                "release": In(1),
                "rd_addr": In(range(self.depth)),
                "rd_data": Out(data.ArrayLayout(unsigned(width), banks)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        width = 8 * self.pixels_per_beat
        full = Signal(2)  # per half: holds a complete, unread image
        wr_half = Signal()
        rd_half = Signal()
        row = Signal(range(N))
        # At least one bit: with 28 pixels per beat the word index is always 0, and a
        # zero-width signal would be emitted as an illegal `[-1:0]` range.
        word = Signal(range(max(2, self.words_per_row)))

        m.d.comb += [
            self.pixels.ready.eq(~full.bit_select(wr_half, 1)),
            self.full.eq(full.bit_select(rd_half, 1)),
        ]
        accept = self.pixels.valid & self.pixels.ready
        last_beat = (row == N - 1) & (word == self.words_per_row - 1)

        # The bank of a row is row mod banks: the row's low bits for a power of two; for
        # 7 banks a counter stepped with the row (Yosys builds row % 7 as a divider: 35
        # logic levels, the 196-lane core's critical path on the ECP5).
        banks_pow2 = self.banks & (self.banks - 1) == 0
        if self.banks == 1:
            bank_of_row = 0
        elif banks_pow2:
            bank_of_row = row % self.banks
        else:
            bank_of_row = Signal(range(self.banks), name="bank_of_row")
        # Each half starts at a power of two, so the half is the address MSB (no adder
        # on either port); the word within the half, (row // banks)·words_per_row +
        # word, is a counter stepped with row and word (no multiplier).
        abits = max(1, (self.depth - 1).bit_length())
        wr_word = Signal(abits, name="wr_word")
        wr_addr = Cat(wr_word, wr_half)
        rd_addr = Cat(self.rd_addr, Const(0, abits - len(self.rd_addr)), rd_half)
        for b in range(self.banks):
            # The reader never reads the half being written (ping-pong, full flags),
            # so a read/write collision cannot matter: no_rw_check spares the
            # collision-emulation logic (address comparator, bypass register) that
            # Yosys otherwise adds in front of the block RAM's output.
            mem = Memory(
                shape=unsigned(width),
                depth=2 << abits,
                init=[],
                attrs={"no_rw_check": 1},
            )
            m.submodules[f"bank{b}"] = mem
            wp, rp = mem.write_port(), mem.read_port()
            m.d.comb += [
                wp.addr.eq(wr_addr),
                wp.data.eq(self.pixels.payload),
                wp.en.eq(accept & (bank_of_row == b)),
                rp.addr.eq(rd_addr),
                self.rd_data[b].eq(rp.data),
            ]

        with m.If(accept):
            with m.If(word == self.words_per_row - 1):
                m.d.sync += [word.eq(0), row.eq(Mux(row == N - 1, 0, row + 1))]
                if self.banks > 1 and not banks_pow2:
                    wrap = (row == N - 1) | (bank_of_row == self.banks - 1)
                    m.d.sync += bank_of_row.eq(Mux(wrap, 0, bank_of_row + 1))
                with m.If(row == N - 1):
                    m.d.sync += wr_word.eq(0)
                if self.banks > 1:
                    # The bank's next row starts after this one only after the last bank.
                    with m.Elif(bank_of_row != self.banks - 1):
                        m.d.sync += wr_word.eq(wr_word - (self.words_per_row - 1))
                with m.Else():
                    m.d.sync += wr_word.eq(wr_word + 1)
            with m.Else():
                m.d.sync += [word.eq(word + 1), wr_word.eq(wr_word + 1)]

        # The two halves change hands independently; each flag bit has one writer
        # per event, and a half being filled is never the half being released.
        set_full = accept & last_beat
        for h in range(2):
            with m.If(set_full & (wr_half == h)):
                m.d.sync += full[h].eq(1)
            with m.Elif(self.release & (rd_half == h)):
                m.d.sync += full[h].eq(0)
        with m.If(set_full):
            m.d.sync += wr_half.eq(~wr_half)
        with m.If(self.release):
            m.d.sync += rd_half.eq(~rd_half)
        return m
