"""``SelfTest``: the core checking itself against the golden model's results, on chip.

Board-independent logic of the stand-alone self-test (the board top,
:mod:`boards.selftest_top`, adds the clock, the reset and the pins).
"""

from __future__ import annotations

import numpy as np
from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.core import LSTCore
from hw.plan.config import CLASSES, CoreConfig
from quant.golden import InferenceResult, check_images
from quant.quantize import QuantizedLST
from quant.rom import to_unsigned

__all__ = ["EXPECTED_STRIDE", "NO_RESULT", "SelfTest", "expected_rom"]

#: Words per image in the expected-result ROM: logits 0–9, then the class, then padding.
EXPECTED_STRIDE = 16
#: What the class display shows for an image with no result yet.
NO_RESULT = 0xF
#: Input beats per word of the image ROM.
IMAGE_PACK = 4
#: Beats the image feed's FIFO holds (read ahead of the core).
FEED_DEPTH = 8
#: Bits of one image ROM bank: one 7-series RAMB18 or ECP5 DP16KD (16 Kbit of data).
IMAGE_BANK_BITS = 16 * 1024


def expected_rom(expected: InferenceResult, logit_width: int) -> list[int]:
    """The expected-result ROM: for image ``i``, word ``16·i + c`` is logit ``c``
    (two's complement, ``logit_width`` bits) for ``c`` < 10, word ``16·i + 10`` the class;
    the other words are 0."""
    words = []
    for cls, logits in zip(expected.classes.tolist(), expected.logits.tolist(), strict=True):
        row = [*to_unsigned(logits, logit_width), int(cls)]
        words += row + [0] * (EXPECTED_STRIDE - len(row))
    return words


def _any(values):
    """The bitwise OR of ``values`` (at most one of them non-zero here), as a tree."""
    while len(values) > 1:
        values = [values[i] | values[i + 1] if i + 1 < len(values) else values[i]
                  for i in range(0, len(values), 2)]  # fmt: skip
    return values[0]


class SelfTest(wiring.Component):
    """Streams ``K`` images through an :class:`~hw.core.LSTCore` forever and compares
    every result (class and ten logits) with the golden model's.

    Parameters
    ----------
    config : CoreConfig
        The core's configuration.
    qmodel : QuantizedLST
        The quantized model the core is built from.
    images : uint8 array, K × 28 × 28
        The test images (ROM).
    expected : InferenceResult
        Their expected results (ROM; normally the golden model's for ``qmodel``).
    heartbeat_cycles : int
        Period of the heartbeat blink (the clock frequency for 1 Hz).
    debounce_cycles : int
        Sampling interval of the page buttons (about 10 ms of clock).
    timeout_cycles : int, optional
        A result later than this after the previous one (or after reset) counts as a
        stall; default four times the time from an image's first pixel to its result.

    Ports
    -----
    display : In(1)
        0: status on ``leds``; 1: the predicted class of the selected image.
    select : In(3)
        Image ``8·page + select`` is shown in display mode.
    next_page, prev_page : In(1)
        Buttons (synchronised, active high): page ± 1, modulo ``⌈K/8⌉``.
    leds : Out(4)
        Status mode: bit 0 heartbeat, bit 1 a full round of K images checked, bit 2
        stall, bit 3 mismatch. Display mode: the class in binary, 15 if none yet.
    ok : Out(1)
        At least one result checked, and every result so far correct.
    failed : Out(1)
        A mismatch or a stall has happened (latched until reset).
    passes, failures : Out(32)
        Results that matched / did not match (wrap around at 2^32).

    Timing
    ------
    Each result is checked in 15 cycles while the core holds it, far less than the
    core's initiation interval, so images stream at the core's full rate.
    """

    def __init__(
        self,
        *,
        config: CoreConfig,
        qmodel: QuantizedLST,
        images,
        expected: InferenceResult,
        heartbeat_cycles: int,
        debounce_cycles: int,
        timeout_cycles: int | None = None,
    ):
        if not isinstance(config, CoreConfig):
            raise TypeError(f"config must be a CoreConfig, not {config!r}")
        images = check_images(images)
        k = len(images)
        if k < 1:
            raise ValueError("images must hold at least one image")
        if len(expected) != k:
            raise ValueError(f"expected holds {len(expected)} results for {k} images")
        for name, v in (
            ("heartbeat_cycles", heartbeat_cycles),
            ("debounce_cycles", debounce_cycles),
        ):
            if not isinstance(v, int) or v < 2:
                raise ValueError(f"{name} must be an integer >= 2, not {v!r}")
        if timeout_cycles is None:
            timeout_cycles = 4 * (config.load_cycles + config.compute_cycles + 64)
        if not isinstance(timeout_cycles, int) or timeout_cycles < 1:
            raise ValueError(f"timeout_cycles must be a positive integer, not {timeout_cycles!r}")
        self.cfg = config
        self.images = images
        self.expected = expected
        self.heartbeat_cycles = heartbeat_cycles
        self.debounce_cycles = debounce_cycles
        self.timeout_cycles = timeout_cycles
        self.core = LSTCore(config, qmodel)
        super().__init__(
            {
                "display": In(1),
                "select": In(3),
                "next_page": In(1),
                "prev_page": In(1),
                "leds": Out(4),
                "ok": Out(1),
                "failed": Out(1),
                "passes": Out(32),
                "failures": Out(32),
            }
        )

    @property
    def k(self) -> int:
        return len(self.images)

    def elaborate(self, platform):
        m = Module()
        c = self.cfg
        k = self.k
        ppb = c.pixels_per_beat
        m.submodules.core = core = self.core
        lw = core.logit_width

        # ------------------------------------------------------------ image feed
        # The images are read ahead into a small FIFO whose output register drives the
        # core's pixel stream. The image ROM is split into block-RAM-sized banks, each
        # read every cycle and its word registered at once; a registered one-hot select
        # then picks the bank's word (an AND-OR of a few LUT levels) into a register, and
        # only then is the beat taken from the word. A single deep ROM would put the
        # tools' bank multiplexer right after the block RAMs' clock-to-output time (5.8 ns
        # on an ECP5 DP16KD: the ULX3S top missed 100 MHz by 4 ns that way). Four beats
        # per ROM word: a quarter of the initialiser statements (tools parse them one by
        # one), the same block RAM bits.
        beats = k * 784 // ppb  # a multiple of 4 for every supported ppb
        flat = self.images.reshape(beats // IMAGE_PACK, IMAGE_PACK * ppb).astype(np.int64)
        words = [sum(int(p) << (8 * i) for i, p in enumerate(row)) for row in flat]
        width = 8 * ppb * IMAGE_PACK
        bank_words = max(1, IMAGE_BANK_BITS // width)
        banks = -(-len(words) // bank_words)
        beat = Signal(range(beats))  # the next beat to read
        bank = Signal(range(max(2, banks)))  # its bank
        offset = Signal(range(max(2, bank_words)))  # and its word in the bank
        place = Signal(range(IMAGE_PACK))  # and its place in the word
        # Stage 1: every bank reads ``offset``; 2: the banks' words registered, the bank's
        # one-hot select too; 3: the bank's word registered; then into the FIFO.
        read = [Signal(name=f"read{i}") for i in (1, 2, 3)]
        bank1 = Signal.like(bank)
        select2 = Signal(banks)
        place1, place2, place3 = (Signal.like(place, name=f"place{i}") for i in (1, 2, 3))
        word3 = Signal(width)
        held = []
        for b in range(banks):
            part = words[b * bank_words : (b + 1) * bank_words]
            m.submodules[f"image_rom{b}"] = rom = Memory(
                shape=width, depth=len(part), init=part, attrs={"ram_style": "block"}
            )
            rd = rom.read_port()
            q = Signal(width, name=f"image_word{b}")
            m.d.comb += rd.addr.eq(offset[: len(rd.addr)])
            m.d.sync += q.eq(rd.data)
            held.append(q & select2[b].replicate(width))
        m.submodules.feed = feed = SyncFIFOBuffered(width=8 * ppb, depth=FEED_DEPTH)
        # Read only when the beat will find room when it arrives (three cycles later).
        room = feed.w_level + read[0] + read[1] + read[2] < FEED_DEPTH - 1
        m.d.sync += [
            read[0].eq(room),
            read[1].eq(read[0]),
            read[2].eq(read[1]),
            bank1.eq(bank),
            select2.eq(1 << bank1),
            place1.eq(place),
            place2.eq(place1),
            place3.eq(place2),
            word3.eq(_any(held)),
        ]
        with m.If(room):
            last = beat == beats - 1
            m.d.sync += [
                beat.eq(Mux(last, 0, beat + 1)),
                place.eq(Mux(last, 0, place + 1)),
            ]
            with m.If(last):
                m.d.sync += [bank.eq(0), offset.eq(0)]
            with m.Elif(place == IMAGE_PACK - 1):
                with m.If(offset == bank_words - 1):
                    m.d.sync += [bank.eq(bank + 1), offset.eq(0)]
                with m.Else():
                    m.d.sync += offset.eq(offset + 1)
        m.d.comb += [
            feed.w_data.eq(word3.word_select(place3, 8 * ppb)),
            feed.w_en.eq(read[2]),
            core.pixels.payload.eq(feed.r_data),
            core.pixels.valid.eq(feed.r_rdy),
            feed.r_en.eq(core.pixels.ready),
        ]

        # ------------------------------------------------------------ result check
        # The core holds its result while ``ready`` is low: compare it word by word
        # with the expected ROM (one read per cycle), then accept it.
        m.submodules.expected_rom = exp_rom = Memory(
            shape=lw,
            depth=k * EXPECTED_STRIDE,
            init=expected_rom(self.expected, lw),
            attrs={"ram_style": "block"},
        )
        exp_rd = exp_rom.read_port()
        img = Signal(range(k))  # the image the pending result belongs to
        word = Signal(range(EXPECTED_STRIDE))  # word being read
        compare = Signal()  # the ROM output holds word ``word_d`` this cycle
        word_d = Signal.like(word)
        bad = Signal()
        payload = core.result.payload
        got = Signal(lw)
        with m.Switch(word_d):
            for i in range(CLASSES):
                with m.Case(i):
                    m.d.comb += got.eq(payload.logits[i])
            with m.Default():
                m.d.comb += got.eq(payload.cls)
        # The ROM's word and the result's are registered before they are compared: a
        # block RAM's clock-to-output time and a 30-bit comparison do not share a cycle.
        got_q, exp_q, compare_q = Signal(lw), Signal(lw), Signal()
        m.d.sync += [got_q.eq(got), exp_q.eq(exp_rd.data), compare_q.eq(compare)]
        with m.If(compare_q & (got_q != exp_q)):
            m.d.sync += bad.eq(1)
        m.d.comb += exp_rd.addr.eq(img * EXPECTED_STRIDE + word)
        m.d.sync += [word_d.eq(word), compare.eq(0)]

        passes = Signal(32)
        failures = Signal(32)
        mismatch = Signal()
        stalled = Signal()
        checked = Signal()
        round_done = Signal()
        accept = Signal()
        with m.FSM():
            with m.State("WAIT"), m.If(core.result.valid):
                m.d.sync += [word.eq(0), bad.eq(0)]
                m.next = "READ"
            with m.State("READ"):
                m.d.sync += [compare.eq(1), word.eq(word + 1)]
                with m.If(word == CLASSES):
                    m.next = "LAST"
            with m.State("LAST"):  # the class word is read out in this cycle
                m.next = "COMPARE"
            with m.State("COMPARE"):  # ... and compared in this one
                m.next = "DECIDE"
            with m.State("DECIDE"):
                m.d.comb += [accept.eq(1), core.result.ready.eq(1)]
                m.next = "WAIT"
        with m.If(accept):
            m.d.sync += [checked.eq(1), img.eq(Mux(img == k - 1, 0, img + 1))]
            with m.If(img == k - 1):
                m.d.sync += round_done.eq(1)
            with m.If(bad):
                m.d.sync += [failures.eq(failures + 1), mismatch.eq(1)]
            with m.Else():
                m.d.sync += passes.eq(passes + 1)

        # A core that stops producing results must not leave the green light on.
        idle = Signal(range(self.timeout_cycles + 1))
        with m.If(accept):
            m.d.sync += idle.eq(0)
        with m.Elif(idle == self.timeout_cycles):
            m.d.sync += stalled.eq(1)
        with m.Else():
            m.d.sync += idle.eq(idle + 1)

        failed = mismatch | stalled
        m.d.comb += [
            self.ok.eq(checked & ~failed),
            self.failed.eq(failed),
            self.passes.eq(passes),
            self.failures.eq(failures),
        ]

        # ------------------------------------------------------------ heartbeat
        half = self.heartbeat_cycles // 2
        beat_count = Signal(range(half))
        heartbeat = Signal()
        with m.If(beat_count == half - 1):
            m.d.sync += [beat_count.eq(0), heartbeat.eq(~heartbeat)]
        with m.Else():
            m.d.sync += beat_count.eq(beat_count + 1)

        # ------------------------------------------------------------ class display
        # The latest predicted class of every image, 15 until it has one.
        pages = -(-k // 8)
        m.submodules.classes = classes = Memory(
            shape=4, depth=8 * pages, init=[NO_RESULT] * (8 * pages)
        )
        cls_wr = classes.write_port()
        cls_rd = classes.read_port()
        m.d.comb += [cls_wr.addr.eq(img), cls_wr.data.eq(payload.cls), cls_wr.en.eq(accept)]
        page = Signal(range(pages))
        m.d.comb += cls_rd.addr.eq(Cat(self.select, page))
        # Buttons are sampled every ``debounce_cycles`` (longer than their bounce); a
        # sampled rising edge steps the page.
        tick = Signal(range(self.debounce_cycles))
        sample = Signal()
        m.d.comb += sample.eq(tick == self.debounce_cycles - 1)
        m.d.sync += tick.eq(Mux(sample, 0, tick + 1))
        prev_next, prev_prev = Signal(), Signal()
        with m.If(sample):
            m.d.sync += [prev_next.eq(self.next_page), prev_prev.eq(self.prev_page)]
            with m.If(self.next_page & ~prev_next):
                m.d.sync += page.eq(Mux(page == pages - 1, 0, page + 1))
            with m.Elif(self.prev_page & ~prev_prev):
                m.d.sync += page.eq(Mux(page == 0, pages - 1, page - 1))

        m.d.comb += self.leds.eq(
            Mux(self.display, cls_rd.data, Cat(heartbeat, round_done, stalled, mismatch))
        )
        return m
