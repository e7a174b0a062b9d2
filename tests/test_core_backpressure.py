"""LSTCore in Amaranth's simulator under long backpressure: results refused for several
images' compute time.

A result offered and not accepted must keep its payload (the stream rules), the core
must stall behind it rather than start the next image's output layer into it, and
every image must produce exactly one result, in order, equal to the golden model's.
The cocotb counterpart on the generated Verilog is ``test_long_stall`` in
``sim/core_tb.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hwsim import pixel_feeder, simulate
from qhelpers import sample_images

from hw.core import LSTCore
from hw.plan.config import CoreConfig
from quant.golden import GoldenModel
from quant.quantize import quantize_checkpoint


def run_core_with_holds(cfg: CoreConfig, images: np.ndarray, qm, holds: dict[int, int]):
    """Stream ``images`` in at full rate; refuse result ``k`` for ``holds[k]`` cycles after
    it appears (accept the others at once). Every cycle, check the stream rules: a
    result offered and not yet accepted stays offered with the same payload. After the
    last result, check for ``2 · initiation_interval`` cycles that no further result
    comes (none duplicated). Returns the accepted payloads as (class, logits)."""
    dut = LSTCore(cfg, qm)
    payload = dut.result.payload.as_value()
    ppb = cfg.pixels_per_beat
    results = []

    feed = pixel_feeder(dut, images, ppb)

    async def sink(ctx):
        held = None  # payload offered and not yet accepted
        waited = 0
        while len(results) < len(images):
            valid = ctx.get(dut.result.valid)
            if held is not None:
                assert valid, f"result {len(results)} withdrawn before it was accepted"
                assert ctx.get(payload) == held, (
                    f"result {len(results)}'s payload changed after {waited} refused cycles"
                )
            ready = 0
            if valid:
                if held is None:
                    held, waited = ctx.get(payload), 0
                ready = int(waited >= holds.get(len(results), 0))
            ctx.set(dut.result.ready, ready)
            await ctx.tick()
            waited += 1
            if valid and ready:
                r = dut.result.payload.shape().from_bits(held)
                results.append((int(r.cls), [int(r.logits[i]) for i in range(10)]))
                held = None
        ctx.set(dut.result.ready, 1)
        for _ in range(2 * cfg.initiation_interval):
            assert not ctx.get(dut.result.valid), "a result beyond the images sent"
            await ctx.tick()

    simulate(dut, feed, sink)
    return results


@pytest.mark.parametrize(
    "cfg",
    [
        CoreConfig(lanes=56, pixels_per_beat=4),  # the fewest cycles per image
        # Output layer in two rounds (fewer lanes than classes); 8 times the cycles.
        pytest.param(CoreConfig(lanes=7, pixels_per_beat=7), marks=pytest.mark.slow),
    ],
    ids=lambda c: c.name,
)
def test_long_backpressure(cfg):
    """Results refused for several images' compute time: the waiting result's payload
    holds still, the core stalls behind it, and every result arrives once, in order.

    Result 0 waits 4 initiation intervals (the next image finishes its column pass and
    two more fill the input buffer meanwhile); result 2 waits 3.5, result 3 one cycle."""
    qm = quantize_checkpoint(cfg.checkpoint_path(), cfg.format)
    images = sample_images(seed=5, n=2)  # zeros, 255s, checkerboard, hot pixel, noise
    ii = cfg.initiation_interval
    holds = {0: 4 * ii, 2: 7 * ii // 2, 3: 1}
    ref = GoldenModel(qm)(images)
    got = run_core_with_holds(cfg, images, qm, holds)
    assert [g[1] for g in got] == ref.logits.tolist()
    assert [g[0] for g in got] == ref.classes.tolist()
