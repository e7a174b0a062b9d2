"""Report rows with made-up areas, for the report's and the targets' tests."""

from __future__ import annotations

from hw.plan.config import CoreConfig
from report.rows import config_row


def area_of(lut, dsp, *, ff=1000, ramb18=20, depth=6, carry=100):
    return {
        "LUT": lut,
        "LUT_logic": lut,
        "LUT_memory": 0,
        "FF": ff,
        "RAMB18": ramb18,
        "RAMB36": 0,
        "RAMB18_equiv": ramb18,
        "DSP48E1": dsp,
        "CARRY4": carry,
        "logic_depth": depth,
    }


def row(lanes, lut, *, fmt="q5.7", ppb=None, dsp_lanes=-1, packed=False, timing=None, **area_kw):
    ppb = ppb or {98: 2, 112: 2, 140: 2, 168: 4, 196: 4}.get(lanes, 1)
    cfg = CoreConfig(
        lanes=lanes, format=fmt, pixels_per_beat=ppb, dsp_lanes=dsp_lanes, packed_dsp=packed
    )
    return config_row(cfg, area_of(lut, cfg.dsp_slices, **area_kw), timing)


def ladder():
    """q5.7 at 28 … 196, the all-fabric 28, q2.6 at 56, 112, 196 and packed at 112, 168,
    196 (LUTs made up)."""
    return [
        row(28, 1247),
        row(56, 2765),
        row(98, 7500),
        row(112, 8937),
        row(140, 11300),
        row(168, 14500),
        row(196, 15600),
        row(28, 4100, dsp_lanes=0),
        row(56, 2300, fmt="q2.6"),
        row(112, 6900, fmt="q2.6"),
        row(196, 11500, fmt="q2.6"),
        row(112, 5500, fmt="q2.6", packed=True),
        row(168, 9800, fmt="q2.6", packed=True),
        row(196, 11000, fmt="q2.6", packed=True),
    ]


def by(rows, lanes, fmt="q5.7", dsp_lanes=None, packed=False):
    return next(
        r
        for r in rows
        if r["lanes"] == lanes
        and r["format"] == fmt
        and r["packed_dsp"] == packed
        and (dsp_lanes is None or r["dsp_lanes"] == dsp_lanes)
    )
