"""cocotb on the generated Verilog: Verilator and Icarus, two lane configurations,
MNIST and stress images, idle gaps, backpressure, back-to-back, reset mid-image.
Every logit and class is compared bit for bit with the golden model (sim/core_tb.py)."""

from __future__ import annotations

import numpy as np
import pytest
from qhelpers import sample_images

from hw.config import CoreConfig
from sim.runner import available, run_cocotb


def _images(mnist_test):
    """Eight MNIST test images and the stress set: zeros, 255s, checkerboard, one hot
    pixel, noise."""
    stress = sample_images(seed=11, n=2)
    return np.concatenate([mnist_test.images[:8], stress])


CASES = [
    ("verilator", CoreConfig(lanes=28)),
    ("verilator", CoreConfig(lanes=7, pixels_per_beat=4)),
    ("verilator", CoreConfig(lanes=56)),
    ("icarus", CoreConfig(lanes=28)),
]


@pytest.mark.parametrize(("simulator", "cfg"), CASES, ids=lambda v: getattr(v, "name", v))
def test_cocotb_bit_exact(simulator, cfg, mnist_test):
    ok, why = available(simulator)
    if not ok:
        pytest.skip(why)
    images = _images(mnist_test)
    if simulator == "icarus":
        images = images[[0, 1, 8, 9, 10, 13]]  # Icarus is slow: fewer, still both kinds
    result = run_cocotb(cfg, simulator, images)
    assert result["tests"] == 5, result
    assert result["failed"] == 0, f"see {result['log']}"
    timing = result["timing"]
    assert set(timing["intervals"]) == {cfg.compute_cycles}, timing
