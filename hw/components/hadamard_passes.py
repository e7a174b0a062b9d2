"""``HadamardPasses``: HT-1's two passes as butterfly pipelines, two images at a time."""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..plan.transform_config import TAPS, TransformCoreConfig
from .hadamard_stream import HadamardStream
from .pixel_buffer import centred_pixel
from .transform_passes import round_half_up

__all__ = ["HadamardPasses"]

N = TAPS


class HadamardPasses(wiring.Component):
    """HT-1's row and column passes, each a :class:`HadamardStream` (a butterfly pipeline:
    adders only, one sample per cycle), working on two images at once through a
    two-image ``E`` memory.

    Row side: each image row, padded with zeros to ``P`` samples, goes through the row
    stream; its ``P`` outputs are ``E[row, ·]`` (exact: the contract narrows nothing
    here). Column side: each column of ``E`` (28 values and ``P − 28`` zeros) goes
    through the column stream; its outputs are ``c[·, column]`` in emission order
    (``n = column·P + row``), narrowed and sent one per cycle. The row side fills one
    half of ``E`` while the column side reads the other.

    Ports
    -----
    image_ready : In(1)
        The pixel buffer holds an image (``PixelBuffer.full``).
    release : Out(1)
        Strobe: the row side has read the image's last pixel.
    pix_addr : Out(unsigned); pix_data : In(unsigned(8 · pixels_per_beat))
        The pixel buffer's read port (data one cycle after the address).
    col_allowed : In(1)
        The units after the column pass can take an image (checked before each one).
    coeffs : Out(ArrayLayout(signed(c_width), 1)); coeffs_valid : Out(1)
        One coefficient per cycle, in emission order, while ``coeffs_valid``.
    """

    def __init__(self, config: TransformCoreConfig, *, formats):
        if config.arch.kind != "hadamard":
            raise ValueError(
                f"the butterfly passes compute the Hadamard transform, not {config.model}'s"
            )
        if formats.e_shift != 0:
            raise ValueError("the Hadamard row pass must be exact (e_shift 0)")
        self.cfg, self.fmt = config, formats
        self.size = config.size
        ppb = config.pixels_per_beat
        self.row_stream = HadamardStream(size=self.size, width=8)
        self.col_stream = HadamardStream(size=self.size, width=formats.e.width)
        if self.row_stream.y.shape().width != formats.e.width:
            raise ValueError("the row stream's output must be E's width")
        super().__init__(
            {
                "image_ready": In(1),
                "release": Out(1),
                "pix_addr": Out(range(N * N // ppb)),
                "pix_data": In(unsigned(8 * ppb)),
                "col_allowed": In(1),
                "coeffs": Out(data.ArrayLayout(signed(formats.c.width), 1)),
                "coeffs_valid": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        p, f, ppb = self.size, self.fmt, self.cfg.pixels_per_beat
        m.submodules.row_stream = rs = self.row_stream
        m.submodules.col_stream = cs = self.col_stream
        lag = rs.lag
        half_words = p * p
        abits = (half_words - 1).bit_length()
        emem = Memory(shape=signed(f.e.width), depth=2 * half_words, init=[])
        m.submodules.emem = emem
        e_wr, e_rd = emem.write_port(), emem.read_port()
        e_full = Signal(2)
        wr_half, rd_half = Signal(), Signal()

        # ---- Row side: samples q = row·P + j (j ≥ 28 and rows ≥ 28: zeros), then `lag`
        # more to flush the pipeline. Reads are issued at q, samples enter at q + 1.
        row_samples = N * p
        row_on = Signal()
        q = Signal(range(row_samples + lag + 1))
        j = Signal(range(p))
        pix_row = Signal(range(N * N // ppb + 1))
        pix_word = Signal(range(max(2, N // ppb)))
        pix_byte = Signal(range(max(2, ppb)))
        real = Signal()  # sample q is an image pixel
        m.d.comb += [
            real.eq(row_on & (q < row_samples) & (j < N)),
            self.pix_addr.eq(pix_row + pix_word),
        ]
        start_row = ~row_on & self.image_ready & ~e_full.bit_select(wr_half, 1)
        m.d.comb += rs.restart.eq(start_row)
        with m.If(start_row):
            m.d.sync += [row_on.eq(1), q.eq(0), j.eq(0)]
            m.d.sync += [pix_row.eq(0), pix_word.eq(0), pix_byte.eq(0)]
        with m.If(row_on):
            m.d.sync += q.eq(q + 1)
            m.d.sync += j.eq(Mux(j == p - 1, 0, j + 1))
            with m.If(real):
                with m.If(pix_byte == ppb - 1):
                    m.d.sync += [pix_byte.eq(0), pix_word.eq(pix_word + 1)]
                with m.Else():
                    m.d.sync += pix_byte.eq(pix_byte + 1)
            with m.If(j == p - 1):
                m.d.sync += [pix_word.eq(0), pix_byte.eq(0), pix_row.eq(pix_row + N // ppb)]
            with m.If(q == row_samples + lag - 1):
                m.d.sync += [row_on.eq(0), wr_half.eq(~wr_half)]
                m.d.sync += e_full.bit_select(wr_half, 1).eq(1)
        m.d.comb += self.release.eq(row_on & (q == row_samples - 1))

        # Sample entering: the registered read's byte, or a zero.
        row_en, real_d = Signal(), Signal()
        sel_byte = Signal.like(pix_byte)
        q_d = Signal.like(q)
        wr_half_d = Signal()  # the half of the sample entering (wr_half turns after the last)
        m.d.sync += [row_en.eq(row_on), real_d.eq(real), sel_byte.eq(pix_byte), q_d.eq(q)]
        m.d.sync += wr_half_d.eq(wr_half)
        pixel_x = Signal(signed(8))
        m.d.comb += pixel_x.eq(centred_pixel(self.pix_data, sel_byte, ppb))
        m.d.comb += [rs.en.eq(row_en), rs.x.eq(Mux(real_d, pixel_x, 0))]
        # Coefficient k of the row stream leaves while sample k + lag enters: E word k.
        e_index = Signal(range(row_samples + lag + 1))
        m.d.comb += [
            e_index.eq(q_d - lag),
            e_wr.addr.eq(Cat(e_index[:abits], wr_half_d)),
            e_wr.data.eq(rs.y),
            e_wr.en.eq(row_en & (q_d >= lag)),
        ]

        # ---- Column side: samples s = column·P + i (i ≥ 28: zeros) read E[i, column].
        col_samples = p * p
        col_on = Signal()
        s = Signal(range(col_samples + lag + 1))
        i = Signal(range(p))
        column = Signal(range(p))
        start_col = ~col_on & e_full.bit_select(rd_half, 1) & self.col_allowed
        m.d.comb += cs.restart.eq(start_col)
        with m.If(start_col):
            m.d.sync += [col_on.eq(1), s.eq(0), i.eq(0), column.eq(0)]
        with m.If(col_on):
            m.d.sync += s.eq(s + 1)
            with m.If(i == p - 1):
                m.d.sync += [i.eq(0), column.eq(column + 1)]
            with m.Else():
                m.d.sync += i.eq(i + 1)
            with m.If(s == col_samples + lag - 1):
                m.d.sync += [col_on.eq(0), rd_half.eq(~rd_half)]
                m.d.sync += e_full.bit_select(rd_half, 1).eq(0)
        col_real = Signal()
        m.d.comb += [
            col_real.eq(col_on & (s < col_samples) & (i < N)),
            # E word of (row i, column): i·P + column, in the half being read.
            e_rd.addr.eq(Cat(Cat(column, i)[:abits], rd_half)),
        ]
        col_en, col_real_d = Signal(), Signal()
        s_d = Signal.like(s)
        m.d.sync += [col_en.eq(col_on), col_real_d.eq(col_real), s_d.eq(s)]
        m.d.comb += [cs.en.eq(col_en), cs.x.eq(Mux(col_real_d, e_rd.data, 0))]
        m.d.comb += [
            self.coeffs[0].eq(round_half_up(cs.y, f.c_shift)),
            self.coeffs_valid.eq(col_en & (s_d >= lag)),
        ]
        return m
