"""The README's blocks generated from a report (between ``<!-- BEGIN name -->`` and
``<!-- END name -->`` markers)."""

from __future__ import annotations

from pathlib import Path

from . import ROOT
from .rows import MODEL_TITLES, lanes_label


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
            f"| {MODEL_TITLES[r['model']]} | {r['lanes']} | {r['initiation_interval']:,} | "
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
    the XC7Z010 (:mod:`report.timing_estimate`), else their LUT levels."""
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
