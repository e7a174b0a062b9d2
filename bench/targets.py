"""The project's performance targets, judged from a recorded report.

``python bench/targets.py [docs/performance.json]`` (``make targets``) prints each target
met or not from the report's rows. The report (``make report``) records facts about
configurations; what this project aims at (the targets of its issues) is kept here, and
``tests/test_targets.py`` checks both the judging and that the recorded report still meets
the targets it met when they were set.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hw.fpga.device import device
from report.ranking import targets as throughput_targets
from report.rows import DEVICE, LUT_BUDGET, MAIN_FORMAT, NARROW_FORMAT, describe, pct

ROOT = Path(__file__).resolve().parent.parent


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
        f"({pct(r['lut_share'])}), {a['DSP48E1']} DSP48E1, {a['RAMB18_equiv']} RAMB18"
    )


def _interval_target(rows: list[dict], fmt: str, limit: int) -> dict:
    d = device(DEVICE)
    text = (
        f"a {fmt} configuration with II ≤ {limit} cycles within {pct(LUT_BUDGET)} of the "
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


def targets(rows: list[dict], model_rows=(), costs=(), pnr=None) -> dict:
    """The targets, met or not, from the measured rows (``met`` None: no row to
    judge; the LUTs per fabric lane are reported, not judged). ``pnr``: the report's
    placed-and-routed rows (``performance.json``'s ``pnr``), for the routed-clock target."""
    every = [*rows, *model_rows]
    out = {
        "q5.7_ii_le_550_within_budget": _interval_target(rows, MAIN_FORMAT, 550),
        "q2.6_ii_le_400_within_budget": _interval_target(rows, NARROW_FORMAT, 400),
        "q5.7_ii_le_400_within_budget": _interval_target(rows, MAIN_FORMAT, 400),
        "q2.6_ii_le_300_within_budget": _interval_target(rows, NARROW_FORMAT, 300),
    }
    # Images/s at each row's own clock (report.ranking, which performance.md shows).
    clocked = throughput_targets({"rows": rows, "pnr": pnr or {}})
    for name in ("q5.7_routed_ecp5_ge_500k_images_per_s",
                 "q5.7_estimated_xc7z010_ge_400k_images_per_s"):  # fmt: skip
        t = clocked[name]
        out[name] = {
            "text": t["target"],
            "met": t["met"] if t["row"] is not None else None,
            "measured": f"{t['value']}" + (f": {t['why']}" if t["why"] else ""),
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


def target_status(target: dict) -> str:
    """``met``, ``NOT met``, ``not measured`` (no row to judge) or ``reported`` (a
    figure, not a pass/fail target)."""
    if target.get("reported"):
        return "reported"
    return {None: "not measured", True: "met", False: "NOT met"}[target["met"]]


def judge(result: dict) -> dict:
    """:func:`targets` of a report's result (``docs/performance.json``)."""
    return targets(
        result["rows"],
        result.get("models", ()),
        result.get("fabric_lane_cost", ()),
        result.get("pnr"),
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json", nargs="?", default=str(ROOT / "docs" / "performance.json"))
    args = parser.parse_args(argv)
    try:
        result = json.loads(Path(args.json).read_text())
    except (OSError, ValueError) as e:
        print(f"error: cannot read the report {args.json}: {e}", file=sys.stderr)
        return 2
    for t in judge(result).values():
        print(f"{t['text']}: {target_status(t)}" + (f" ({t['measured']})" if t["measured"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
