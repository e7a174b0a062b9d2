"""LSTCore in Amaranth's simulator: bit-exact against the golden model, per configuration.

The cocotb tests (test_sim_core.py) run the generated Verilog on Verilator and Icarus
with flow-control patterns; these run the Amaranth design itself, quickly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hwsim import simulate
from qhelpers import sample_images

from hw.config import CoreConfig
from hw.core import LSTCore
from lst.arch import default_checkpoint
from quant.golden import GoldenModel
from quant.quantize import quantize_checkpoint


def run_core(cfg: CoreConfig, images: np.ndarray, qm):
    dut = LSTCore(cfg, qm)
    ppb = cfg.pixels_per_beat
    results = []

    async def feed(ctx):
        for img in images:
            flat = img.ravel()
            for b in range(0, 784, ppb):
                ctx.set(dut.pixels.payload, sum(int(flat[b + i]) << (8 * i) for i in range(ppb)))
                ctx.set(dut.pixels.valid, 1)
                await ctx.tick().until(dut.pixels.ready)
        ctx.set(dut.pixels.valid, 0)

    async def collect(ctx):
        ctx.set(dut.result.ready, 1)
        for _ in images:
            await ctx.tick().until(dut.result.valid)
            r = ctx.get(dut.result.payload)
            results.append((r.cls, [r.logits[i] for i in range(10)]))

    simulate(dut, feed, collect)
    return results


@pytest.mark.parametrize(
    "cfg",
    [
        CoreConfig(lanes=4),
        CoreConfig(lanes=14, pixels_per_beat=4),
        CoreConfig(lanes=28),
        CoreConfig(lanes=56, pixels_per_beat=2),
        CoreConfig(lanes=7, format="q5.9"),
    ],
    ids=lambda c: c.name,
)
def test_bit_exact_against_golden(cfg):
    qm = quantize_checkpoint(default_checkpoint("lst1"), cfg.format)
    images = sample_images(seed=cfg.lanes, n=1)[[0, 1, 2, 4]]  # zeros, 255s, checker, noise
    ref = GoldenModel(qm)(images)
    got = run_core(cfg, images, qm)
    assert [g[1] for g in got] == ref.logits.tolist()
    assert [g[0] for g in got] == ref.classes.tolist()


def test_mnist_images_8_bit_format(mnist_test):
    """An 8-bit weight format through the same core (auto8 from the shipped weights)."""
    from lst.checkpoint import load_lst_checkpoint
    from quant.quantize import auto_format

    arch, tensors, _ = load_lst_checkpoint(default_checkpoint("lst1"))
    fmt = auto_format(8, tensors, arch).name
    cfg = CoreConfig(lanes=28, format=fmt)
    qm = quantize_checkpoint(default_checkpoint("lst1"), fmt)
    images = mnist_test.images[:3]
    ref = GoldenModel(qm)(images)
    got = run_core(cfg, images, qm)
    assert [g[1] for g in got] == ref.logits.tolist()
