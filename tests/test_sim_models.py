"""cocotb on Verilator for the multi-block models: an LST-2 and a ResLST-3 core (the
latter with two lane groups) from the shipped checkpoints, MNIST and stress images,
idle gaps, backpressure, back-to-back and resets (sim/core_tb.py). Every logit and
class is compared bit for bit with the golden model; the ports are LST-1's."""

from __future__ import annotations

import numpy as np
import pytest
from qhelpers import sample_images

from hw.plan.config import CoreConfig
from sim.runner import available, run_cocotb

CASES = [
    CoreConfig(model="lst2", lanes=14, pixels_per_beat=4),
    CoreConfig(model="reslst3", lanes=56),
]


@pytest.mark.parametrize("cfg", CASES, ids=lambda c: c.name)
def test_cocotb_models_bit_exact(cfg, request):
    ok, why = available("verilator")
    if not ok:
        pytest.skip(why)
    try:
        mnist = request.getfixturevalue("mnist_test").images[:6]
    except pytest.skip.Exception:
        mnist = np.zeros((0, 28, 28), np.uint8)
    images = np.concatenate([mnist, sample_images(seed=5, n=2)])
    result = run_cocotb(cfg, "verilator", images)
    assert result["tests"] >= 5, result
    assert result["failed"] == 0, f"see {result['log']}; trace {result['waves']}"
    assert set(result["timing"]["intervals"]) == {cfg.compute_cycles}, result["timing"]
