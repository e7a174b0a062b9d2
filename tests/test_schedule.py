"""The schedule and its ROM images, executed in Python, equal the golden model (every
model, every lane count, two formats)."""

from __future__ import annotations

import numpy as np
import pytest
from qhelpers import random_tensors, sample_images

from hw.plan.config import SUPPORTED_LANES, CoreConfig
from hw.plan.rom_images import RomImages
from hw.plan.schedule import PassSchedule
from hw.plan.schedule_model import ScheduleModel
from lst.arch import get_arch
from quant.contract import FixedConfig
from quant.golden import GoldenModel
from quant.quantize import quantize_tensors


@pytest.mark.parametrize("model", ["lst1", "lst2", "reslst3"])
@pytest.mark.parametrize("lanes", SUPPORTED_LANES)
@pytest.mark.parametrize("fmt", ["q5.7", "q3.5"])
def test_schedule_equals_golden(model, lanes, fmt):
    qm = quantize_tensors(
        get_arch(model), random_tensors(model, seed=lanes), FixedConfig.parse(fmt)
    )
    images = sample_images(seed=lanes, n=1)
    ref = GoldenModel(qm)(images)
    got = ScheduleModel(CoreConfig(model=model, lanes=lanes, format=fmt), qm)(images)
    np.testing.assert_array_equal(got.logits, ref.logits)
    np.testing.assert_array_equal(got.classes, ref.classes)


@pytest.mark.parametrize("model", ["lst1", "reslst3"])
@pytest.mark.parametrize("lanes", SUPPORTED_LANES)
def test_every_weight_used_once_per_image(model, lanes):
    """Every weight sits in its block's region (once per lane group); the output region
    holds Wo once."""
    qm = quantize_tensors(get_arch(model), random_tensors(model), FixedConfig())
    cfg = CoreConfig(model=model, lanes=lanes)
    rom = RomImages(cfg, qm).weight_rom()
    assert rom.shape == (cfg.weight_words, lanes)
    sch = PassSchedule(cfg)
    for b in range(cfg.blocks):
        region = rom[sch.block_base(b) : sch.block_base(b + 1)]
        for kind, part in (
            ("row", region[: cfg.block_words // 2]),
            ("col", region[cfg.block_words // 2 :]),
        ):
            w = qm.ints[f"blocks.{b}.{kind}.weight"]
            # Each lane group holds the whole matrix (its groups work on other rows/columns).
            want = np.tile(w.ravel(), cfg.groups)
            assert sorted(part.ravel().tolist()) == sorted(want.tolist()), (b, kind)
    out = rom[sch.output_base :]
    wo = qm.ints["out.weight"]
    assert sorted(out[out != 0].tolist()) == sorted(wo[wo != 0].tolist())


def test_model_mismatch_is_refused():
    qm = quantize_tensors(get_arch("lst2"), random_tensors("lst2"), FixedConfig())
    with pytest.raises(ValueError, match="configuration is for lst1"):
        RomImages(CoreConfig(model="lst1"), qm)


def test_drain_biases_per_block():
    qm = quantize_tensors(get_arch("reslst3"), random_tensors("reslst3"), FixedConfig())
    b = RomImages(CoreConfig(model="reslst3"), qm).drain_biases()
    assert len(b) == 3 * 56
    np.testing.assert_array_equal(b[56 + 28 : 112], qm.ints["blocks.1.col.bias"] + 32)
