"""The transform cores' fit estimate: within its stated error of the Yosys counts it was
fitted to, DSP48E1 exact, ECP5 units by the LST estimate's ratios."""

from __future__ import annotations

import pytest

from hw.plan.transform_config import TransformCoreConfig
from hw.plan.transform_estimate import MEASURED, STATED_ERROR, estimate_errors, estimate_transform


def test_within_stated_error():
    errors = estimate_errors()
    for k, bound in STATED_ERROR.items():
        assert errors[k] <= bound, (k, errors[k])


@pytest.mark.parametrize(
    ("model", "lanes", "dsp"), [("ht1", 32, 11), ("dct1", 7, 18), ("bwt1", 16, 27)]
)
def test_dsp_exact(model, lanes, dsp):
    assert estimate_transform(TransformCoreConfig(model=model, lanes=lanes))["DSP48E1"] == dsp


def test_every_model_measured_twice():
    for model in ("ht1", "dct1", "bwt1"):
        assert sum(1 for m, _ in MEASURED if m == model) >= 2


def test_ecp5_units():
    xc7 = estimate_transform(TransformCoreConfig(model="dct1"))
    ecp5 = estimate_transform(TransformCoreConfig(model="dct1"), family="ecp5")
    assert ecp5["LUT"] >= 4 * xc7["LUT"] - 4 and ecp5["DSP48E1"] == xc7["DSP48E1"]
    with pytest.raises(ValueError, match="family must be xc7 or ecp5"):
        estimate_transform(TransformCoreConfig(model="dct1"), family="ice40")
