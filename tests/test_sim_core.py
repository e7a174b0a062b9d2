"""cocotb on the generated Verilog: Verilator and Icarus, four lane configurations (one
with fabric lanes), MNIST and stress images (stress images alone without MNIST), idle
gaps, random and long backpressure, back-to-back, reset mid-image.
Every logit and class is compared bit for bit with the golden model (sim/core_tb.py)."""

from __future__ import annotations

import numpy as np
import pytest
from qhelpers import sample_images

from hw.plan.config import CoreConfig
from sim.runner import available, run_cocotb


@pytest.fixture(scope="module")
def images(request):
    """Eight MNIST test images and the stress set: zeros, 255s, checkerboard, one hot
    pixel, noise. Without MNIST (and no ``MNIST_DIR`` naming it), the stress set alone,
    with more noise images: these tests are the only end-to-end check of the Verilog."""
    try:
        mnist = request.getfixturevalue("mnist_test").images[:8]
    except pytest.skip.Exception:
        return sample_images(seed=11, n=6)
    return np.concatenate([mnist, sample_images(seed=11, n=2)])


def _icarus_subset(images):
    """Icarus is slow: six images, still of every kind (two MNIST ones if present)."""
    if len(images) == 14:
        return images[[0, 1, 8, 9, 10, 13]]
    return images[[0, 1, 2, 3, 4, 9]]


CASES = [
    ("verilator", CoreConfig(lanes=28)),
    ("verilator", CoreConfig(lanes=7, pixels_per_beat=4)),
    ("verilator", CoreConfig(lanes=56)),
    # Seven groups of 14; 80 DSP48E1 lanes and 18 fabric lanes.
    ("verilator", CoreConfig(lanes=98, pixels_per_beat=4)),
    # Two lanes per DSP48E1 slice (q2.6): 28 slices, two groups of 28 lanes.
    ("verilator", CoreConfig(lanes=56, format="q2.6", packed_dsp=True)),
    ("icarus", CoreConfig(lanes=28)),
]


@pytest.mark.parametrize(("simulator", "cfg"), CASES, ids=lambda v: getattr(v, "name", v))
def test_cocotb_bit_exact(simulator, cfg, images):
    ok, why = available(simulator)
    if not ok:
        pytest.skip(why)
    if simulator == "icarus":
        images = _icarus_subset(images)
    result = run_cocotb(cfg, simulator, images)
    assert result["tests"] == 6, result
    assert result["failed"] == 0, f"see {result['log']}; trace {result['waves']}"
    timing = result["timing"]
    assert set(timing["intervals"]) == {cfg.compute_cycles}, timing
