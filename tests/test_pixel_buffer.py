"""PixelBuffer: the input stream lands in the right bank and word; ping-pong flow."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hwsim import simulate

from hw.components.pixel_buffer import PixelBuffer


def _beats(image, ppb):
    flat = image.ravel()
    return [sum(int(flat[b + i]) << (8 * i) for i in range(ppb)) for b in range(0, 784, ppb)]


@pytest.mark.parametrize(
    ("ppb", "banks"), [(1, 1), (4, 1), (1, 2), (7, 2), (28, 1), (4, 7), (1, 7), (4, 5), (2, 6)]
)
def test_images_land_in_banks_and_ping_pong(ppb, banks):
    dut = PixelBuffer(pixels_per_beat=ppb, banks=banks)
    rng = random.Random(ppb * 10 + banks)
    images = [
        np.random.default_rng(i).integers(0, 256, (28, 28)).astype(np.uint8) for i in range(4)
    ]
    read_back = []

    async def source(ctx):
        for img in images:
            for word in _beats(img, ppb):
                while rng.random() < 0.3:
                    ctx.set(dut.pixels.valid, 0)
                    await ctx.tick()
                ctx.set(dut.pixels.payload, word)
                ctx.set(dut.pixels.valid, 1)
                await ctx.tick().until(dut.pixels.ready)
            ctx.set(dut.pixels.valid, 0)

    async def reader(ctx):
        words_per_row = 28 // ppb
        for _ in images:
            await ctx.tick().until(dut.full)
            await ctx.tick().repeat(rng.randint(0, 900))  # a slow reader: the source waits
            img = np.zeros((28, 28), np.int64)
            for r in range(-(-28 // banks)):  # 5 and 6 banks: the last rows fill some banks
                for w in range(words_per_row):
                    ctx.set(dut.rd_addr, r * words_per_row + w)
                    await ctx.tick()
                    for b in range(min(banks, 28 - r * banks)):
                        word = ctx.get(dut.rd_data[b])
                        for i in range(ppb):
                            img[r * banks + b, w * ppb + i] = (word >> (8 * i)) & 0xFF
            read_back.append(img)
            ctx.set(dut.release, 1)
            await ctx.tick()
            ctx.set(dut.release, 0)

    simulate(dut, source, reader)
    for got, want in zip(read_back, images, strict=True):
        np.testing.assert_array_equal(got, want)


def test_ready_falls_when_both_buffers_are_full():
    dut = PixelBuffer()

    async def tb(ctx):
        ctx.set(dut.pixels.valid, 1)
        for _ in range(2 * 784):
            assert ctx.get(dut.pixels.ready)
            await ctx.tick()
        assert ctx.get(dut.full) and not ctx.get(dut.pixels.ready)
        await ctx.tick().repeat(5)
        assert not ctx.get(dut.pixels.ready)
        ctx.set(dut.release, 1)
        await ctx.tick()
        ctx.set(dut.release, 0)
        assert ctx.get(dut.pixels.ready) and ctx.get(dut.full)  # the second image is next

    simulate(dut, tb)


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")
def test_validation():
    with pytest.raises(ValueError, match="pixels_per_beat must divide 28"):
        PixelBuffer(pixels_per_beat=3)
    with pytest.raises(ValueError, match="banks must be an integer from 1 to 28, not 29"):
        PixelBuffer(banks=29)
