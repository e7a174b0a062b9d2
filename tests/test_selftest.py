"""The self-test top's logic in Amaranth's simulator: passes with the right core, and
reports a failure when an expected-result word or a core weight is wrong."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from amaranth.sim import Simulator

from boards.images import stress_images
from boards.selftest import NO_RESULT, SelfTest, expected_rom
from hw.plan.config import CoreConfig
from lst.arch import default_checkpoint
from quant.golden import GoldenModel, InferenceResult
from quant.quantize import quantize_checkpoint

CFG = CoreConfig(lanes=28)
# Two noise images with different classes (checked below), so the display test can
# tell them apart.
IMAGES = stress_images(8)[[6, 7]]


@pytest.fixture(scope="module")
def qmodel():
    return quantize_checkpoint(default_checkpoint("lst1"), CFG.format)


@pytest.fixture(scope="module")
def golden(qmodel):
    ref = GoldenModel(qmodel)(IMAGES)
    assert ref.classes[0] != ref.classes[1]
    return ref


def run(dut, results, *, display=()):
    """Run until ``results`` results have been checked; return what was observed.
    ``display``: (select, ) values to read the class display with afterwards."""
    seen = {"heartbeat": set(), "trace": [], "times": []}

    async def bench(ctx):
        cycles = 0
        last = 0
        while True:
            done = ctx.get(dut.passes) + ctx.get(dut.failures)
            if done != last:
                last = done
                seen["trace"].append(
                    (done, ctx.get(dut.passes), ctx.get(dut.failures), ctx.get(dut.failed))
                )
                seen["times"].append(cycles)
            if done >= results:
                break
            seen["heartbeat"].add(ctx.get(dut.leds) & 1)
            await ctx.tick()
            cycles += 1
            assert cycles < 20_000 * results, "no results"
        for key in ("passes", "failures", "ok", "failed", "leds"):
            seen[key] = ctx.get(getattr(dut, key))
        ctx.set(dut.display, 1)
        shown = []
        for sel in display:
            ctx.set(dut.select, sel)
            await ctx.tick().repeat(2)  # the class RAM is read synchronously
            shown.append(ctx.get(dut.leds))
        seen["shown"] = shown

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return seen


def selftest(qmodel, expected, **kwargs):
    args = dict(heartbeat_cycles=100, debounce_cycles=4)
    args.update(kwargs)
    return SelfTest(config=CFG, qmodel=qmodel, images=IMAGES, expected=expected, **args)


@pytest.mark.parametrize("bank_bits", [16 * 1024, 1024, 32 * 5], ids=["one bank", "13", "79"])
def test_passes_with_the_correct_core(qmodel, golden, bank_bits, monkeypatch):
    # Small image-ROM banks: many banks, the last one partial (the feed reads them all,
    # registers their words and picks one a cycle later).
    monkeypatch.setattr("boards.selftest.IMAGE_BANK_BITS", bank_bits)
    dut = selftest(qmodel, golden)
    seen = run(dut, 3, display=(0, 1, 2))  # one more than K: the stream wraps around
    assert (seen["passes"], seen["failures"]) == (3, 0)
    assert seen["ok"] == 1 and seen["failed"] == 0
    assert seen["trace"] == [(1, 1, 0, 0), (2, 2, 0, 0), (3, 3, 0, 0)]
    # The images stream at the core's full rate: the image feed (a FIFO read ahead of
    # the core) and the 15-cycle check keep up with its initiation interval.
    times = seen["times"]
    assert times[2] - times[1] == times[1] - times[0] == CFG.initiation_interval
    assert seen["heartbeat"] == {0, 1}
    # Status LEDs: round done (bit 1), no stall (bit 2), no mismatch (bit 3).
    assert seen["leds"] & 0b1110 == 0b0010
    # Display mode: the predicted classes; image 2 does not exist (K = 2).
    assert seen["shown"] == [*golden.classes.tolist(), NO_RESULT]


def test_one_corrupted_expected_word_fails(qmodel, golden):
    bad = InferenceResult(golden.classes.copy(), golden.logits.copy())
    bad.logits[1, 3] += 1  # one logit of image 1
    dut = selftest(qmodel, bad)
    seen = run(dut, 3)
    # Image 0 passes, image 1 fails, image 0 passes again: the red light stays latched.
    assert seen["trace"] == [(1, 1, 0, 0), (2, 1, 1, 1), (3, 2, 1, 1)]
    assert seen["ok"] == 0 and seen["failed"] == 1
    assert seen["leds"] & 0b1000


def test_corrupted_class_word_fails(qmodel, golden):
    bad = InferenceResult(golden.classes.copy(), golden.logits.copy())
    bad.classes[0] = (bad.classes[0] + 1) % 10
    seen = run(selftest(qmodel, bad), 1)
    assert (seen["passes"], seen["failures"], seen["failed"]) == (0, 1, 1)


def test_one_corrupted_core_weight_fails(qmodel, golden):
    broken = copy.deepcopy(qmodel)
    w = broken.ints["blocks.0.col.weight"]
    w[5, 7] ^= 1 << 6  # one bit of one column-pass weight
    # The corruption must change image 0's result, or this test could not fail.
    assert not np.array_equal(GoldenModel(broken)(IMAGES[:1]).logits[0], golden.logits[0])
    dut = selftest(broken, golden)  # the core is built from the broken weights
    seen = run(dut, 1)
    assert (seen["passes"], seen["failures"]) == (0, 1)
    assert seen["ok"] == 0 and seen["failed"] == 1


def test_a_stalled_core_turns_red(qmodel, golden):
    # The first result takes about 2,760 cycles; a 300-cycle timeout must fire first.
    dut = selftest(qmodel, golden, timeout_cycles=300)
    state = {}

    async def bench(ctx):
        await ctx.tick().repeat(400)
        state.update(failed=ctx.get(dut.failed), ok=ctx.get(dut.ok), leds=ctx.get(dut.leds))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert state["failed"] == 1 and state["ok"] == 0 and state["leds"] & 0b0100


def test_expected_rom_layout(golden):
    words = expected_rom(golden, 30)
    assert len(words) == 2 * 16
    logit = int(golden.logits[1, 9])
    assert words[16 + 9] == logit & ((1 << 30) - 1)
    assert words[16 + 10] == golden.classes[1] and words[16 + 11 :] == [0] * 5


def test_arguments_are_checked(qmodel, golden):
    with pytest.raises(ValueError, match="expected holds 2 results for 1 images"):
        SelfTest(
            config=CFG,
            qmodel=qmodel,
            images=IMAGES[:1],
            expected=golden,
            heartbeat_cycles=100,
            debounce_cycles=4,
        )
    with pytest.raises(ValueError, match="heartbeat_cycles must be an integer >= 2"):
        selftest(qmodel, golden, heartbeat_cycles=1)
    with pytest.raises(TypeError, match="config must be a CoreConfig"):
        SelfTest(
            config=None,
            qmodel=qmodel,
            images=IMAGES,
            expected=golden,
            heartbeat_cycles=100,
            debounce_cycles=4,
        )


def test_page_buttons_select_the_displayed_image(qmodel):
    """K = 9: two pages. After image 0's result, page 0 shows its class, page 1 (image 8)
    shows 15; BTN1 and BTN2 step the page both ways, wrapping around."""
    images = stress_images(9)
    expected = GoldenModel(qmodel)(images)
    dut = SelfTest(
        config=CFG,
        qmodel=qmodel,
        images=images,
        expected=expected,
        heartbeat_cycles=100,
        debounce_cycles=4,
    )
    shown = []

    async def bench(ctx):
        await ctx.tick().until(dut.passes == 1)
        ctx.set(dut.display, 1)

        async def look():
            await ctx.tick().repeat(3)
            shown.append(ctx.get(dut.leds))

        async def press(button):
            ctx.set(button, 1)
            await ctx.tick().repeat(12)  # held over two samples: one step
            ctx.set(button, 0)
            await ctx.tick().repeat(12)

        await look()  # page 0, image 0
        await press(dut.next_page)
        await look()  # page 1, image 8
        await press(dut.next_page)
        await look()  # wrapped to page 0
        await press(dut.prev_page)
        await look()  # wrapped back to page 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    c0 = int(expected.classes[0])
    assert c0 != NO_RESULT
    assert shown == [c0, NO_RESULT, c0, NO_RESULT]
