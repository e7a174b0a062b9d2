"""Pre-synthesis area estimate of the transform-domain cores (HT-1, DCT-1, BWT-1).

The request's fit check (:mod:`hw.request`) needs a figure before anything is built,
as for the LST cores (:mod:`hw.plan.area_estimate`). The transform cores are small and
have few configurations, so the estimate is a straight line in the lane count per
model, fitted (least squares) to the Yosys counts in :data:`MEASURED` (HT-1's butterfly
passes, which have no lanes: :data:`BUTTERFLY` as measured);
``DSP48E1`` is exact: one per multiplying lane (none for the Hadamard transform), one
for the scale, ten for the output layer. The counts were measured at q5.7; other weight
formats use the same lines (their error is not measured).

``python -m report.transform --estimate`` synthesizes every measured configuration
again and prints the estimate's error against it.
"""

from __future__ import annotations

import math

from ..fpga.device import RESOURCES
from .transform_config import TransformCoreConfig

__all__ = ["MEASURED", "STATED_ERROR", "estimate_transform"]

#: Yosys 0.70 ``synth_xilinx -family xc7 -flatten`` on ``lst verilog --model M --lanes L``
#: (q5.7): (LUT, FF, RAMB18 equivalents).
MEASURED = {
    ("ht1", 8): (760, 1554, 15),
    ("ht1", 16): (1441, 2134, 12),
    ("ht1", 32): (2085, 3089, 12),
    ("dct1", 7): (917, 1243, 16),
    ("dct1", 14): (1189, 1484, 15),
    ("dct1", 28): (1330, 1818, 19),
    ("bwt1", 16): (868, 1545, 18),
    ("bwt1", 32): (1003, 1927, 22),
}

#: HT-1's butterfly passes (``hadamard="butterfly"``; no lanes): measured, used as is.
BUTTERFLY = (1068, 1399, 14)

#: The largest relative error of the estimate on :data:`MEASURED` (checked by a test).
STATED_ERROR = {"LUT": 0.15, "FF": 0.03, "RAMB18_equiv": 0.17}


def _line(model: str, k: int) -> tuple[float, float]:
    """Least-squares ``a + b·L`` through the model's measured column ``k``."""
    pts = [(lanes, v[k]) for (m, lanes), v in MEASURED.items() if m == model]
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    b = sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else 0.0
    return my - b * mx, b


def estimate_transform(config: TransformCoreConfig, *, family: str = "xc7") -> dict:
    """``{LUT, FF, RAMB18_equiv, DSP48E1}`` of the core (XC7 units, or ECP5 units by the
    LST estimate's ratios)."""
    from .area_estimate import ECP5_PER_XC7

    if family not in ("xc7", "ecp5"):
        raise ValueError(f"family must be xc7 or ecp5, not {family!r}")
    lanes = config.lanes
    area = {}
    for k, name in enumerate(("LUT", "FF", "RAMB18_equiv")):
        if config.butterfly:
            area[name] = BUTTERFLY[k]
            continue
        a, b = _line(config.model, k)
        area[name] = max(0, math.ceil(a + b * lanes))
    area["DSP48E1"] = sum(config.multipliers.values())
    if family == "ecp5":
        area = {k: math.ceil(v * ECP5_PER_XC7[k]) for k, v in area.items()}
    return {k: area[k] for k in RESOURCES}


def estimate_errors() -> dict:
    """Relative error of the estimate against :data:`MEASURED`, per resource."""
    worst = {}
    for (model, lanes), counts in MEASURED.items():
        est = estimate_transform(TransformCoreConfig(model=model, lanes=lanes))
        for k, name in enumerate(("LUT", "FF", "RAMB18_equiv")):
            err = abs(est[name] - counts[k]) / counts[k]
            worst[name] = max(worst.get(name, 0.0), err)
    return worst
