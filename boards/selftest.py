"""``SelfTest``: the core checking itself against the golden model's results, on chip.

Board-independent logic of the stand-alone self-test (the board top,
:mod:`boards.selftest_top`, adds the clock, the reset and the pins).
"""

from __future__ import annotations

import numpy as np
from amaranth import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from hw.config import CLASSES, CoreConfig
from hw.core import LSTCore
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


def expected_rom(expected: InferenceResult, logit_width: int) -> list[int]:
    """The expected-result ROM: for image ``i``, word ``16·i + c`` is logit ``c``
    (two's complement, ``logit_width`` bits) for ``c`` < 10, word ``16·i + 10`` the class;
    the other words are 0."""
    words = []
    for cls, logits in zip(expected.classes.tolist(), expected.logits.tolist(), strict=True):
        row = [*to_unsigned(logits, logit_width), int(cls)]
        words += row + [0] * (EXPECTED_STRIDE - len(row))
    return words


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
    Each result is checked in 14 cycles while the core holds it, far less than the
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
        # The ROM is read at the address of the next beat, so its output is always the
        # beat being offered, and the payload holds still while the core refuses it.
        # Four beats per ROM word: a quarter of the initialiser statements (tools parse
        # them one by one), the same block RAM bits.
        beats = k * 784 // ppb  # a multiple of 4 for every supported ppb
        flat = self.images.reshape(beats // IMAGE_PACK, IMAGE_PACK * ppb).astype(np.int64)
        words = [sum(int(p) << (8 * i) for i, p in enumerate(row)) for row in flat]
        m.submodules.image_rom = image_rom = Memory(
            shape=8 * ppb * IMAGE_PACK,
            depth=len(words),
            init=words,
            attrs={"ram_style": "block"},
        )
        img_rd = image_rom.read_port()
        beat = Signal(range(beats))
        beat_next = Signal.like(beat)
        primed = Signal()  # the ROM output is valid from the first cycle after reset
        m.d.sync += primed.eq(1)
        transfer = core.pixels.valid & core.pixels.ready
        m.d.comb += [
            beat_next.eq(Mux(transfer, Mux(beat == beats - 1, 0, beat + 1), beat)),
            img_rd.addr.eq(beat_next // IMAGE_PACK),
            core.pixels.payload.eq(img_rd.data.word_select(beat % IMAGE_PACK, 8 * ppb)),
            core.pixels.valid.eq(primed),
        ]
        m.d.sync += beat.eq(beat_next)

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
        with m.If(compare & (got != exp_rd.data)):
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
            with m.State("LAST"):  # the class word is compared in this cycle
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
