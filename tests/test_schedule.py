"""The schedule and its ROM packing, executed in Python, equal the golden model."""

from __future__ import annotations

import numpy as np
import pytest
from qhelpers import random_tensors, sample_images

from hw.config import SUPPORTED_LANES, CoreConfig
from hw.schedule import Schedule
from lst.arch import get_arch
from quant.contract import FixedConfig
from quant.golden import GoldenModel
from quant.quantize import quantize_tensors


@pytest.mark.parametrize("lanes", SUPPORTED_LANES)
@pytest.mark.parametrize("fmt", ["q5.7", "q3.5"])
def test_schedule_equals_golden(lanes, fmt):
    qm = quantize_tensors(get_arch("lst1"), random_tensors(seed=lanes), FixedConfig.parse(fmt))
    images = sample_images(seed=lanes, n=1)
    ref = GoldenModel(qm)(images)
    got = Schedule(CoreConfig(lanes=lanes, format=fmt), qm).run(images)
    np.testing.assert_array_equal(got.logits, ref.logits)
    np.testing.assert_array_equal(got.classes, ref.classes)


@pytest.mark.parametrize("lanes", SUPPORTED_LANES)
def test_every_weight_used_once_per_image(lanes):
    """Over the rows/columns/output ROM regions each weight appears where it should."""
    qm = quantize_tensors(get_arch("lst1"), random_tensors(), FixedConfig())
    cfg = CoreConfig(lanes=lanes)
    sch = Schedule(cfg, qm)
    rom = sch.weight_rom()
    assert rom.shape == (cfg.weight_words, lanes)
    out = rom[2 * cfg.out_groups * 28 :]
    # The output layer region holds every Wo entry exactly once and zeros elsewhere.
    wo = qm.ints["out.weight"]
    assert sorted(out[out != 0].tolist()) == sorted(wo[wo != 0].tolist())


def test_lst2_is_refused():
    qm = quantize_tensors(get_arch("lst2"), random_tensors("lst2"), FixedConfig())
    with pytest.raises(ValueError, match="implements LST-1"):
        Schedule(CoreConfig(), qm)
