"""Images per second at each configuration's own clock, and the throughput targets.

A row's clock is not assumed here: on the XC7Z010 it is the estimated Fmax range of
its synthesized netlist (:mod:`report.timing_estimate`: low and high assumed net
delays, nothing placed), on the LFE5U-85F nextpnr's post-route Fmax of the rows that
``lst board pnr --record`` placed and routed (``performance.json``'s ``pnr``). Rows
are ranked by images/s at the **low** end of their estimated range (the pessimistic
figure); rows over the device's budget (:func:`report.rows.within_budget`) are left out.
"""

from __future__ import annotations

from .rows import MAIN_FORMAT, NARROW_FORMAT, lanes_label, within_budget

__all__ = ["II_TARGETS", "RATE_TARGETS", "ranked", "rate_range", "targets"]

#: Initiation-interval targets on the XC7Z010 within the LUT budget (cycles), by format.
II_TARGETS = {MAIN_FORMAT: 400, NARROW_FORMAT: 300}
#: q5.7 images/s targets: measured post-route on the LFE5U-85F, estimated on the XC7Z010.
RATE_TARGETS = {"ecp5": 500_000, "xc7": 400_000}


def rate_range(row: dict) -> tuple[int, int] | None:
    """Images/s at the low and the high estimated Fmax (None: no estimate)."""
    timing = row["area"].get("timing")
    if not timing:
        return None
    lo, hi = timing["fmax_mhz"]
    return tuple(round(f * 1e6 / row["initiation_interval"]) for f in (lo, hi))


def ranked(rows: list[dict]) -> list[dict]:
    """Rows within the XC7Z010's budget that have an Fmax estimate, fastest first (by
    images/s at the low estimate, then the high one, then fewer LUTs)."""
    mine = [r for r in rows if within_budget(r["area"]) and rate_range(r)]
    return sorted(mine, key=lambda r: (-rate_range(r)[0], -rate_range(r)[1], r["area"]["LUT"]))


def _best(rows, key):
    return max(rows, key=key) if rows else None


def targets(result: dict) -> dict[str, dict]:
    """The throughput targets by name: what each asks (``target``), the best row, its
    figure (``value``), ``met``, and ``why`` not. ``bench/targets.py`` judges the same."""
    rows = result["rows"]
    fit = [r for r in rows if within_budget(r["area"])]
    out = {}
    for fmt, limit in II_TARGETS.items():
        mine = [r for r in fit if r["format"] == fmt]
        best = min(mine, key=lambda r: (r["initiation_interval"], r["area"]["LUT"]), default=None)
        met = best is not None and best["initiation_interval"] <= limit
        why = ""
        if not met:
            over = [r for r in rows if r["format"] == fmt and r["initiation_interval"] <= limit]
            why = (
                f"the rows with II ≤ {limit} ({', '.join(lanes_label(r) for r in over)}) are "
                "over the budget"
                if over
                else f"no {fmt} row reaches II ≤ {limit}"
            )
        bits = f" ({fmt} is 8 bits)" if fmt == NARROW_FORMAT else ""
        out[f"{fmt}_ii_le_{limit}_within_budget"] = {
            "target": f"{fmt}{bits}: II ≤ {limit} cycles within the budget",
            "row": best,
            "value": f"II {best['initiation_interval']:,}" if best else "—",
            "met": met,
            "why": why,
        }
    pnr = [r for r in result.get("pnr", {}).get("rows", []) if r["format"] == MAIN_FORMAT]
    best = _best(pnr, lambda r: r["images_per_s"])
    goal = RATE_TARGETS["ecp5"]
    met = best is not None and best["images_per_s"] >= goal
    why = ""
    if not met:
        if best is None:
            why = "no q5.7 row placed and routed (`make pnr-all`)"
        else:
            ii = best["initiation_interval"]
            why = (
                f"the fastest routed q5.7 core runs at {best['fmax_mhz']:.0f} MHz with II "
                f"{ii:,}; {goal:,} images/s needs {goal * ii / 1e6:.0f} MHz at that II"
            )
    value = "—"
    if best:
        from hw.verilog import generator_digest

        value = f"{best['images_per_s']:,} images/s at {best['fmax_mhz']:.1f} MHz"
        if best.get("generator_sha256") != generator_digest():
            value += " (routed with an earlier generator)"
    out["q5.7_routed_ecp5_ge_500k_images_per_s"] = {
        "target": f"q5.7: ≥ {goal:,} images/s at the post-route Fmax on the LFE5U-85F",
        "row": best,
        "value": value,
        "met": met,
        "why": why,
    }
    goal = RATE_TARGETS["xc7"]
    mine = [r for r in ranked(rows) if r["format"] == MAIN_FORMAT]
    best = mine[0] if mine else None
    rr = rate_range(best) if best else None
    met = rr is not None and rr[0] >= goal
    why = ""
    if not met and rr is not None:
        lo = best["area"]["timing"]["fmax_mhz"][0]
        why = (
            f"at the low estimate ({lo:.0f} MHz) {rr[0]:,} images/s"
            + (f"; the high estimate reaches {rr[1]:,}" if rr[1] >= goal else "")
            + f"; {goal:,} needs {goal * best['initiation_interval'] / 1e6:.0f} MHz at II "
            f"{best['initiation_interval']}"
        )
    out["q5.7_estimated_xc7z010_ge_400k_images_per_s"] = {
        "target": f"q5.7: ≥ {goal:,} images/s at the estimated Fmax on the XC7Z010",
        "row": best,
        "value": f"{rr[0]:,}–{rr[1]:,} images/s (estimate)" if rr else "—",
        "met": met,
        "why": why,
    }
    return out
