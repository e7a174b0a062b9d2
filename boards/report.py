"""``lst board report``: Yosys area of the self-test top beside the core's.

Both are synthesized here in the same run (Yosys ``synth_xilinx``, as ``lst report``
does for the core) and checked against the device table of :mod:`hw.fpga.device`. The rows
are added to ``docs/performance.json`` and ``performance.md`` is re-rendered by
:func:`report.performance.write_report`.
"""

from __future__ import annotations

import json
from pathlib import Path

from hw.fpga.device import device, fits, utilisation
from lst.errors import LSTError

from .build import TOP, BoardBuild, build_plan

__all__ = ["describe", "measure", "report", "top_area", "write"]


def _row(design: str, area: dict, dev: str) -> dict:
    keep = ("LUT", "LUT_logic", "LUT_memory", "FF", "RAMB18", "RAMB36", "RAMB18_equiv")
    a = {k: area[k] for k in (*keep, "DSP48E1", "CARRY4", "logic_depth")}
    return {
        "design": design,
        "device": device(dev).name,
        "area": a,
        "utilisation": {k: round(v, 4) for k, v in utilisation(area, dev).items()},
        "fits": fits(area, dev),
    }


def top_area(build: BoardBuild, work: Path) -> tuple[dict, dict]:
    """Synthesize the self-test top of ``build``; return its area and the plan's manifest."""
    from report.synthesis import area

    plan, manifest = build_plan(build, rtlil=True)
    work.mkdir(parents=True, exist_ok=True)
    # The same design as the plan's Verilog; Yosys reads its large ROM initialisers far
    # faster as RTLIL.
    design = work / f"{TOP}.il"
    design.write_text(plan.files[f"{TOP}.il"])
    return area(design, work / "synth", top=TOP), manifest


def describe(build: BoardBuild, images: str, clock_mhz: float) -> str:
    """The sentence above the table in ``performance.md``."""
    return (
        f"The core ({build.lanes} lanes, {build.format}) alone and inside the stand-alone "
        f"self-test top for the Zybo Z7-10 (`make bitstream`: {build.count} images "
        f"({images}) and their expected results in ROMs, MMCM at {clock_mhz:g} MHz, LED "
        "logic), both from Yosys `synth_xilinx -family xc7 -flatten` in the same run; "
        "not Vivado."
    )


def measure(*, lanes: int = 28, work="build/board-report") -> dict:
    """Synthesize the core and the Zybo Z7-10 self-test top at ``lanes`` lanes; return
    the ``board_tops`` section of the report."""
    from hw.verilog import generate_cached
    from report.synthesis import area

    work = Path(work)
    build = BoardBuild(board="zybo-z7-10", lanes=lanes)
    config = build.core_config()
    core_dir = generate_cached(config, work / "core")
    core = area(Path(core_dir) / "lst_core.v", work / "core_synth")
    top, manifest = top_area(build, work / "top")
    dev = "xc7z010"
    return {
        "device": device(dev).name,
        "description": describe(build, manifest["images"], manifest["clock"]["f_out_mhz"]),
        "images": manifest["images"],
        "rows": [
            _row(f"core ({lanes} lanes)", core, dev),
            _row(f"self-test top ({lanes} lanes, {build.count} images)", top, dev),
        ],
    }


def write(tops: dict, out_dir) -> dict:
    """Add ``tops`` to ``out_dir/performance.json`` and re-render ``performance.md``."""
    from report.performance import write_report

    out_dir = Path(out_dir)
    perf = out_dir / "performance.json"
    base = json.loads(perf.read_text()) if perf.exists() else None
    if base is None or "rows" not in base:
        raise LSTError(f"{perf}: missing; run 'lst report' first")
    base["board_tops"] = tops
    return write_report(base, out_dir)


def report(*, lanes: int = 28, out_dir="docs", work="build/board-report") -> dict:
    """:func:`measure`, then :func:`write` into ``out_dir`` when it is given."""
    tops = measure(lanes=lanes, work=work)
    result = {"rows": tops["rows"], "device": tops["device"], "images": tops["images"]}
    if out_dir:
        result["files"] = write(tops, out_dir)
    return result
