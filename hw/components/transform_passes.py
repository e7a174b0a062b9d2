"""``TransformPasses``: the row and column passes of the transform-domain core."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..plan.latency import TRANSFORM_LANES
from ..plan.transform_config import READ_LATENCY, TAPS, TransformCoreConfig
from .pixel_buffer import centred_pixel
from .transform_lanes import TransformLanes

__all__ = ["TransformPasses", "round_half_up"]

N = TAPS


def round_half_up(value, shift: int):
    """The contract's narrowing: add half an LSB, then drop ``shift`` bits (an arithmetic
    shift of a signed value)."""
    if shift == 0:
        return value
    return (value + (1 << (shift - 1))) >> shift


class TransformPasses(wiring.Component):
    """Both passes of the 2-D transform on shared lanes: ``E = x·Mᵀ``, then ``c = M·E``.

    Parameters
    ----------
    config : TransformCoreConfig
    matrix : list of list of int
        ``M`` (``P``×28): signed entries of ``matrix_width`` bits, or ±1 for the
        Hadamard transform (stored as a sign bit, lanes without multipliers).
    formats : quant.transform_contract.TransformFormats
        The contract's widths and shifts.

    Ports
    -----
    start_row, start_col : In(1)
        Strobes, while ``busy`` is low: run the row pass (the pixel buffer holds an
        image) or the column pass (``E`` holds the row pass's results).
    busy : Out(1)
        A pass is issuing or its last sums are still in the lanes.
    row_done, col_done : Out(1)
        Strobes with the pass's last write (``E``) or last coefficients.
    pix_addr : Out(unsigned)
        Word of the image to read (``PixelBuffer.rd_addr``); ``pix_data`` one cycle later.
    coeffs : Out(ArrayLayout(signed(c_width), lanes))
        ``c[r·lanes + l, column]`` of a column-pass round, narrowed; valid in the cycle of
        ``coeffs_valid`` only.
    """

    def __init__(self, config: TransformCoreConfig, *, matrix, formats):
        self.cfg = config
        self.fmt = formats
        self.sign = config.arch.kind == "hadamard"
        n_rows = len(matrix)
        if n_rows != config.size or any(len(row) != N for row in matrix):
            raise ValueError(f"matrix must be {config.size}×{N}")
        self.matrix = [[int(v) for v in row] for row in matrix]
        if self.sign and any(v not in (-1, 1) for row in self.matrix for v in row):
            raise ValueError("the Hadamard matrix must hold ±1 only")
        self.w_width = 1 if self.sign else formats.matrix.width
        self.x_width = max(8, formats.e.width)
        self.acc_width = max(formats.e_acc.width, formats.c_acc.width)
        ppb = config.pixels_per_beat
        super().__init__(
            {
                "start_row": In(1),
                "start_col": In(1),
                "busy": Out(1),
                "row_done": Out(1),
                "col_done": Out(1),
                "pix_addr": Out(range(N * N // ppb)),
                "pix_data": In(unsigned(8 * ppb)),
                "coeffs": Out(data.ArrayLayout(signed(formats.c.width), config.lanes)),
                "coeffs_valid": Out(1),
            }
        )

    def weight_words(self) -> list[int]:
        """The matrix ROM: word ``r·28 + tap`` holds ``M[r·lanes + l, tap]`` in lane ``l``'s
        field (the sign bit for ±1 entries)."""
        lanes, bits = self.cfg.lanes, self.w_width
        words = []
        for r in range(self.cfg.rounds):
            for tap in range(N):
                word = 0
                for lane in range(lanes):
                    v = self.matrix[r * lanes + lane][tap]
                    field = int(v < 0) if self.sign else v & ((1 << bits) - 1)
                    word |= field << (lane * bits)
                words.append(word)
        return words

    def elaborate(self, platform):
        m = Module()
        c, f = self.cfg, self.fmt
        lanes, rounds, ppb = c.lanes, c.rounds, c.pixels_per_beat
        m.submodules.lanes = mac = TransformLanes(
            lanes=lanes,
            x_width=self.x_width,
            w_width=self.w_width,
            acc_width=self.acc_width,
            kind="sign" if self.sign else "multiply",
        )
        wrom = Memory(
            shape=unsigned(self.w_width * lanes),
            depth=c.weight_words,
            init=self.weight_words(),
            attrs={"rom_style": "block"} if not self.sign else {},
        )
        m.submodules.wrom = wrom
        w_rd = wrom.read_port()
        emem = Memory(shape=data.ArrayLayout(signed(f.e.width), lanes), depth=c.e_words, init=[])
        m.submodules.emem = emem
        e_rd, e_wr = emem.read_port(), emem.write_port()

        # Counters. Row pass: image row i, round r, tap j. Column pass: column
        # (col_word·lanes + col_lane), round r, cycle i of the round (taps while i < 28).
        i = Signal(range(max(N, c.round_cycles)))
        r = Signal(range(max(2, rounds)))
        j = Signal(range(N))
        w_addr = Signal(range(c.weight_words))
        pix_row = Signal(range(N * N // ppb))
        pix_word = Signal(range(max(2, N // ppb)))
        pix_byte = Signal(range(max(2, ppb)))
        col_word = Signal(range(max(2, rounds)))
        col_lane = Signal(range(max(2, lanes)))
        e_row_addr = Signal(range(c.e_words))  # i·rounds + r, row pass
        row_on = Signal()
        col_on = Signal()

        # The op of this cycle, its controls delayed to the lanes and to the sums.
        op_valid = Signal()
        op_first = Signal()
        op_last = Signal()  # the round's last tap
        op_final = Signal()  # the pass's last op
        m.d.comb += [
            self.pix_addr.eq(pix_row + pix_word),
            w_rd.addr.eq(w_addr),
            e_rd.addr.eq(Mux(col_on, i * rounds + col_word, 0)),
        ]
        # Row pass ops: one per cycle, no gaps. Column pass: 28 taps, then the cycles
        # the round's coefficients need to leave (round_cycles − 28), idle.
        with m.If(row_on):
            m.d.comb += [
                op_valid.eq(1),
                op_first.eq(j == 0),
                op_last.eq(j == N - 1),
                op_final.eq((j == N - 1) & (r == rounds - 1) & (i == N - 1)),
            ]
        with m.If(col_on):
            m.d.comb += [
                op_valid.eq(i < N),
                op_first.eq(i == 0),
                op_last.eq(i == N - 1),
                op_final.eq(
                    (i == N - 1)
                    & (r == rounds - 1)
                    & (col_word == rounds - 1)
                    & (col_lane == lanes - 1)
                ),
            ]

        # Registered read: data, byte select and lane select one cycle later.
        sel_byte = Signal.like(pix_byte)
        sel_lane = Signal.like(col_lane)
        col_r = Signal()
        en_d, first_d = Signal(), Signal()
        m.d.sync += [
            sel_byte.eq(pix_byte),
            sel_lane.eq(col_lane),
            col_r.eq(col_on),
            en_d.eq(op_valid),
            first_d.eq(op_first),
        ]
        # A pixel p enters as x = p − 128: the byte with its MSB inverted, signed.
        pixel_x = Signal(signed(8))
        m.d.comb += pixel_x.eq(centred_pixel(self.pix_data, sel_byte, ppb))
        e_value = Signal(signed(f.e.width))
        m.d.comb += e_value.eq(e_rd.data[sel_lane] if lanes > 1 else e_rd.data[0])
        m.d.comb += [
            mac.x.eq(Mux(col_r, e_value, pixel_x)),
            mac.en.eq(en_d),
            mac.first.eq(first_d),
        ]
        for lane in range(lanes):
            m.d.comb += mac.w[lane].eq(w_rd.data.word_select(lane, self.w_width))

        # The sums: an op's contribution is in the accumulators READ + LANES cycles
        # after it was issued.
        delay = READ_LATENCY + TRANSFORM_LANES
        names = ("e_write", "c_write", "row_final", "col_final")
        sigs = [Signal(name=name) for name in names] + [e_row_addr]
        m.d.comb += [
            sigs[0].eq(op_last & row_on),
            sigs[1].eq(op_last & col_on),
            sigs[2].eq(op_final & row_on),
            sigs[3].eq(op_final & col_on),
        ]
        for stage in range(delay):
            nxt = [Signal.like(s, name=f"{s.name}_d{stage + 1}") for s in sigs]
            m.d.sync += [a.eq(b) for a, b in zip(nxt, sigs, strict=True)]
            sigs = nxt
        e_write, c_write, row_final, col_final, e_addr_d = sigs
        for lane in range(lanes):
            m.d.comb += [
                e_wr.data[lane].eq(round_half_up(mac.acc[lane], f.e_shift)),
                self.coeffs[lane].eq(round_half_up(mac.acc[lane], f.c_shift)),
            ]
        m.d.comb += [
            e_wr.addr.eq(e_addr_d),
            e_wr.en.eq(e_write),
            self.coeffs_valid.eq(c_write),
            self.row_done.eq(row_final),
            self.col_done.eq(col_final),
        ]

        # Busy from a start until the pass's last sum is out.
        pending = Signal()
        with m.If(self.start_row | self.start_col):
            m.d.sync += pending.eq(1)
        with m.Elif(self.row_done | self.col_done):
            m.d.sync += pending.eq(0)
        m.d.comb += self.busy.eq(pending)

        with m.If(self.start_row):
            m.d.sync += [row_on.eq(1), i.eq(0), r.eq(0), j.eq(0), w_addr.eq(0)]
            m.d.sync += [pix_row.eq(0), pix_word.eq(0), pix_byte.eq(0), e_row_addr.eq(0)]
        with m.If(self.start_col):
            m.d.sync += [col_on.eq(1), i.eq(0), r.eq(0), w_addr.eq(0)]
            m.d.sync += [col_word.eq(0), col_lane.eq(0)]

        with m.If(row_on):
            # Taps: pixel byte and word, weight word.
            m.d.sync += w_addr.eq(Mux(w_addr == c.weight_words - 1, 0, w_addr + 1))
            with m.If(pix_byte == ppb - 1):
                m.d.sync += [pix_byte.eq(0), pix_word.eq(pix_word + 1)]
            with m.Else():
                m.d.sync += pix_byte.eq(pix_byte + 1)
            with m.If(j == N - 1):
                m.d.sync += [j.eq(0), pix_word.eq(0), pix_byte.eq(0), e_row_addr.eq(e_row_addr + 1)]
                with m.If(r == rounds - 1):
                    m.d.sync += [r.eq(0), i.eq(i + 1), pix_row.eq(pix_row + N // ppb)]
                    with m.If(i == N - 1):
                        m.d.sync += [row_on.eq(0), pix_row.eq(0)]
                with m.Else():
                    m.d.sync += r.eq(r + 1)
            with m.Else():
                m.d.sync += j.eq(j + 1)

        with m.If(col_on):
            with m.If(i < N):
                m.d.sync += w_addr.eq(Mux(w_addr == c.weight_words - 1, 0, w_addr + 1))
            with m.If(i == c.round_cycles - 1):
                m.d.sync += i.eq(0)
                with m.If(r == rounds - 1):
                    m.d.sync += r.eq(0)
                    with m.If(col_lane == lanes - 1):
                        m.d.sync += [col_lane.eq(0), col_word.eq(col_word + 1)]
                        with m.If(col_word == rounds - 1):
                            m.d.sync += col_on.eq(0)
                    with m.Else():
                        m.d.sync += col_lane.eq(col_lane + 1)
                with m.Else():
                    m.d.sync += r.eq(r + 1)
            with m.Else():
                m.d.sync += i.eq(i + 1)
        return m
