"""The report's rows: which configurations it measures, and one row's facts.

Rows (:func:`report_configs`): LST-1 at q5.7 for every lane count, the 28 lanes with no
DSP slice, q2.6 at 56, 112 and 196 lanes, and q2.6 with two lanes per DSP48E1 slice
(``packed_dsp``) at 112, 168 and 196 lanes; lanes beyond the device's DSP48E1 slices
(or twice them, packed) are fabric lanes. A row (:func:`config_row`) holds the
configuration, its Yosys area (:func:`report.synthesis.area`), its cycles, the share of
the device it takes, and the build request's area estimate beside the measured count.
"""

from __future__ import annotations

from pathlib import Path

from hw.fpga.device import DEVICES, device, fits
from hw.plan.area_estimate import estimate
from hw.plan.config import SUPPORTED_LANES, CoreConfig

from .synthesis import area

#: The XC7Z010's programmable logic (from the one device table, ``hw/fpga/device.py``).
XC7Z010 = DEVICES["xc7z010"].capacity()


#: The paper's LST-1 realization (Vashkevich & Krivalcevich, DSPA 2025): 28 MACs at
#: 80 MHz, about 4.9k cycles per image including a 784-cycle load.
PAPER = {
    "lanes": 28,
    "clock_mhz": 80,
    "cycles_per_image": 4900,
    "area": {"LUT": 6473, "FF": 680, "RAMB18_equiv": 29, "DSP48E1": 0},
}


#: The device of the report's rows, bounds and targets.
DEVICE = "xc7z010"


#: The share of the device's LUTs a configuration may use (targets, bound rule).
LUT_BUDGET = 0.8


#: The clock images/s assume. Timing closure at this clock is not checked (no Vivado).
CLOCK_MHZ = 100


#: The LST-1 rows' formats: ``q5.7`` (the default) at every lane count; ``q2.6``, the
#: narrowest 8-bit format within 0.05 pp of the float model (``docs/accuracy-sweep.md``),
#: at :data:`NARROW_LANES`.
MAIN_FORMAT = "q5.7"


NARROW_FORMAT = "q2.6"


NARROW_LANES = (56, 112, 196)


#: The q2.6 rows with two lanes per DSP48E1 slice (``packed_dsp``).
PACKED_LANES = (112, 168, 196)


#: The lane count of the all-fabric row (``dsp_lanes=0``), beside its DSP row.
FABRIC_ONLY_LANES = 28


#: Pixels per beat a row may use, fewest first (the AXI path delivers 4 per beat).
REPORT_PIXELS_PER_BEAT = (1, 2, 4)


#: LUTs per fabric lane: this lane count synthesized again with
#: :data:`FABRIC_PROBE_K` fewer DSP lanes (so as many more fabric lanes).
FABRIC_PROBE_LANES = 112


FABRIC_PROBE_K = 16


def pct(share: float) -> str:
    return f"{100 * share:.0f} %"


def pixels_per_beat_for(lanes: int, **settings) -> int:
    """The fewest of :data:`REPORT_PIXELS_PER_BEAT` that leave the lanes, not the input
    rate, the bound of ``CoreConfig(lanes=lanes, **settings)`` (the most if none does)."""
    enough = CoreConfig(lanes=lanes, **settings).enough_pixels_per_beat
    return min(enough, REPORT_PIXELS_PER_BEAT[-1])


def _config(lanes: int, fmt: str, **settings) -> CoreConfig:
    """A row's configuration, made by the build request every hardware command uses
    (:class:`hw.request.BuildRequest`; the report shows rows that do not fit, so the
    fit rule is recorded per row, not applied)."""
    from hw.request import BuildRequest

    ppb = pixels_per_beat_for(lanes, format=fmt, **settings)
    request = BuildRequest(target="core", lanes=lanes, format=fmt, pixels_per_beat=ppb, **settings)
    return request.core_config()


def report_configs(lanes=None, *, checkpoint: str = "") -> list[CoreConfig]:
    """The configurations of the report's rows, among ``lanes`` (default: all): q5.7 at
    every lane count, the all-fabric 28 lanes, q2.6 at :data:`NARROW_LANES`, and q2.6
    packed two lanes per DSP48E1 slice at :data:`PACKED_LANES`."""
    lanes = sorted(set(lanes or SUPPORTED_LANES))
    configs = [_config(n, MAIN_FORMAT, checkpoint=checkpoint) for n in lanes]
    if FABRIC_ONLY_LANES in lanes:
        configs.append(_config(FABRIC_ONLY_LANES, MAIN_FORMAT, checkpoint=checkpoint, dsp_lanes=0))
    configs += [
        _config(n, NARROW_FORMAT, checkpoint=checkpoint) for n in lanes if n in NARROW_LANES
    ]
    configs += [
        _config(n, NARROW_FORMAT, checkpoint=checkpoint, packed_dsp=True)
        for n in lanes
        if n in PACKED_LANES
    ]
    return configs


def probe_configs(lanes=None, *, checkpoint: str = "") -> list[CoreConfig]:
    """The configurations synthesized only to measure LUTs per fabric lane: the
    :data:`FABRIC_PROBE_LANES` rows of both formats with :data:`FABRIC_PROBE_K` fewer
    DSP lanes (when that lane count is among ``lanes``)."""
    if FABRIC_PROBE_LANES not in (lanes or SUPPORTED_LANES):
        return []
    out = []
    for fmt in (MAIN_FORMAT, NARROW_FORMAT):
        ref = _config(FABRIC_PROBE_LANES, fmt, checkpoint=checkpoint)
        out.append(
            _config(
                FABRIC_PROBE_LANES,
                fmt,
                checkpoint=checkpoint,
                dsp_lanes=max(0, ref.dsp_lanes - FABRIC_PROBE_K),
            )
        )
    return out


def within_budget(area: dict, dev: str = DEVICE) -> bool:
    """At most :data:`LUT_BUDGET` of the device's LUTs, and its DSP48E1, RAMB18 and FF."""
    return not over_budget(area, dev)


def over_budget(area: dict, dev: str = DEVICE) -> list[tuple[str, str]]:
    """(resource, "LUT 15,600 > 80 % of 17,600") for each resource over its budget."""
    d = device(dev)
    caps = {
        "LUT": (
            "LUT",
            LUT_BUDGET * d.LUT,
            f"{pct(LUT_BUDGET)} of {d.LUT:,} ({LUT_BUDGET * d.LUT:,.0f})",
        ),
        "DSP": ("DSP48E1", d.DSP48E1, f"{d.DSP48E1}"),
        "RAMB18": ("RAMB18_equiv", d.RAMB18_equiv, f"{d.RAMB18_equiv}"),
        "FF": ("FF", d.FF, f"{d.FF:,}"),
    }
    return [
        (name, f"{area.get(key, 0):,} {name} > {text}")
        for name, (key, cap, text) in caps.items()
        if area.get(key, 0) > cap
    ]


def config_row(config: CoreConfig, area: dict, timing: tuple[int, int] | None = None) -> dict:
    """A report row: ``config``'s settings, its ``area`` (:func:`area`) and cycles
    (``timing`` = measured ``(initiation interval, latency)``, else the schedule's
    interval). ``bound`` and ``next_step`` are the config's until :func:`assign_bounds`."""
    ii, latency = timing if timing is not None else (config.initiation_interval, None)
    macs = config.macs_per_image
    return {
        "model": config.model,
        "format": config.format,
        "lanes": config.lanes,
        "pixels_per_beat": config.pixels_per_beat,
        "dsp_lanes": config.dsp_lanes,
        "packed_dsp": config.packed_dsp,
        "dsp_slices": config.dsp_slices,
        "fabric_lanes": config.fabric_lanes,
        "fabric_style": config.fabric_style,
        "name": config.name,
        "area": area,
        "estimate": estimate(config),
        "lut_share": round(area["LUT"] / device(DEVICE).LUT, 4),
        "compute_cycles": config.compute_cycles,
        "input_cycles": config.load_cycles,
        "initiation_interval": ii,
        "ii_source": "schedule" if timing is None else "simulation",
        "latency": latency,
        "images_per_s_100mhz": round(CLOCK_MHZ * 1e6 / ii),
        "macs": macs,
        "ii_target": round(config.efficiency_bound),
        "meets_ii_target": ii <= config.efficiency_bound,
        "mac_utilisation": round(macs / (ii * config.lanes), 4),
        "fits_xc7z010": fits(area, DEVICE),
        "within_budget": within_budget(area),
        "bound": config.bound,
        "next_step": "",
    }


def measure_row(config: CoreConfig, base: Path, *, measure=None) -> dict:
    from hw.verilog import generate_cached

    generate_cached(config, base / "hdl")
    a = area(base / "hdl" / "lst_core.v", base / "synth")
    return config_row(config, a, measure(config) if measure is not None else None)


def lanes_label(row: dict) -> str:
    """``56``, or ``112 (80 + 32)`` with fabric lanes (DSP + fabric); packed two lanes
    per slice: ``196 (2×80 + 36)``."""
    if row.get("packed_dsp"):
        slices = row["dsp_slices"]
        pairs = row["dsp_lanes"] - slices  # slices with two lanes
        dsp = f"2×{pairs}" + (f" + {slices - pairs}" if slices > pairs else "")
        return f"{row['lanes']} ({dsp} + {row['fabric_lanes']})"
    if not row["fabric_lanes"]:
        return f"{row['lanes']}"
    return f"{row['lanes']} ({row['dsp_lanes']} + {row['fabric_lanes']})"


def describe(row: dict) -> str:
    """``112 lanes (80 DSP + 32 fabric), q5.7, 2 px/beat``."""
    text = f"{row['lanes']} lane{'s' if row['lanes'] > 1 else ''}"
    if row.get("packed_dsp"):
        text += f" ({row['dsp_lanes']} on {row['dsp_slices']} DSP, packed"
        text += f", {row['fabric_lanes']} fabric)" if row["fabric_lanes"] else ")"
    elif row["fabric_lanes"]:
        text += f" ({row['dsp_lanes']} DSP + {row['fabric_lanes']} fabric)"
    text += f", {row['format']}"
    if row["pixels_per_beat"] > 1:
        text += f", {row['pixels_per_beat']} px/beat"
    return text


#: Lane counts of the per-model table: the default and the fastest.
MODEL_LANES = (28, 56)


def model_row(row: dict, config: CoreConfig) -> dict:
    """A report row with the model's buffers (bits per memory) added."""
    from hw.plan.buffer_layout import BufferLayout
    from quant.contract import FixedConfig

    fixed = FixedConfig.parse(config.format)
    buffers = BufferLayout(config).sizes(fixed.act.width)
    buffers["weight_rom"] = {
        "banks": 1,
        "words": config.weight_words,
        "width": fixed.weight.width * config.lanes,
        "bits": config.weight_words * fixed.weight.width * config.lanes,
    }
    return {**row, "blocks": config.blocks, "buffers": buffers}


MODEL_TITLES = {"lst1": "LST-1", "lst2": "LST-2", "reslst3": "ResLST-3"}
