"""Waveform files: which formats, where they may go, and a GTKWave save file beside each.

A trace of the core comes from a trace build of the simulation harness
(:class:`sim.rtl_model.RTLModel` with ``trace="fst"`` or ``"vcd"``), whose Verilog has
the probe ports of :mod:`hw.probes`: every stage's results are top-level signals
(``TOP.probe_*``). :func:`write_gtkw` writes ``<trace>.gtkw``, which opens GTKWave on
the signals that matter, grouped and named as ``docs/hardware.md`` and
``docs/debugging.md`` name them.
"""

from __future__ import annotations

import os
from pathlib import Path

from hw.plan.config import CoreConfig

__all__ = [
    "FST_NEEDS",
    "TRACE_SUFFIXES",
    "check_trace_path",
    "check_waves_request",
    "fst_available",
    "sequencer_states",
    "trace_format",
    "write_gtkw",
    "write_ports_gtkw",
]

#: What Verilator's FST writer needs that a machine may lack.
FST_NEEDS = (
    "Verilator's FST writer needs lz4.h (Debian: apt-get install liblz4-dev); "
    "or write a VCD trace (.vcd)"
)

#: File name suffix -> the harness's trace format.
TRACE_SUFFIXES = {".fst": "fst", ".vcd": "vcd"}


def trace_format(path) -> str:
    """``"fst"`` or ``"vcd"`` from the file name; ``ValueError`` for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in TRACE_SUFFIXES:
        raise ValueError(
            f"{path}: the simulator writes FST (.fst) or VCD (.vcd) traces, not "
            f"{suffix or 'a file without a suffix'}"
        )
    return TRACE_SUFFIXES[suffix]


def check_trace_path(path) -> Path:
    """The trace's path, checked before any work: a known format, an existing writable
    directory, not a directory itself. ``ValueError`` with one line otherwise."""
    path = Path(path)
    trace_format(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ValueError(f"{path} is a directory; give a trace file name (.fst or .vcd)")
    if parent.exists() and not parent.is_dir():
        raise ValueError(f"{path}: {parent} is not a directory")
    if not parent.is_dir():
        raise ValueError(f"{path}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{path}: directory {parent} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise ValueError(f"{path} exists and is not writable")
    return path


def fst_available() -> tuple[bool, str]:
    """Whether Verilator's FST writer can be compiled here (it needs ``lz4.h``), and why not."""
    import subprocess

    r = subprocess.run(
        ["c++", "-E", "-x", "c++", "-"], input="#include <lz4.h>\n", capture_output=True, text=True
    )
    return (True, "") if r.returncode == 0 else (False, FST_NEEDS)


def check_waves_request(path) -> tuple[Path, str]:
    """``--waves``: :func:`check_trace_path`, and for FST that the writer can be built
    here; returns ``(path, format)``. ``ValueError`` with one line otherwise."""
    path = check_trace_path(path)
    fmt = trace_format(path)
    ok, why = fst_available() if fmt == "fst" else (True, "")
    if not ok:
        raise ValueError(f"{path}: {why}")
    return path, fmt


def sequencer_states(config: CoreConfig) -> dict[int, str]:
    """The sequencer's state encoding (``fsm_state`` value -> name), from Amaranth."""
    from amaranth.hdl import Fragment

    from hw.components.sequencer import Sequencer

    frag = Fragment.get(Sequencer(blocks=config.blocks, gaps=config.pass_gaps), None)
    (fsm,) = frag.generated.values()
    return {code: name for name, code in fsm.encoding.items()}


def _vec(name: str, width: int) -> str:
    return name if width == 1 else f"{name}[{width - 1}:0]"


def write_gtkw(trace, config: CoreConfig, manifest: dict) -> Path:
    """Write ``<trace>.gtkw`` beside ``trace`` (a trace of the probe build described by
    ``manifest``); return its path."""
    from vcd.gtkw import GTKWSave, make_translation_filter

    trace = Path(trace)
    save = trace.with_name(trace.name + ".gtkw")
    states = sequencer_states(config)
    state_bits = max(1, (len(states) - 1).bit_length())
    filt = trace.with_name(trace.name + ".states.txt")
    filt.write_text(
        make_translation_filter([(code, name) for code, name in states.items()], size=state_bits)
    )
    ports = manifest["ports"]
    probes = manifest["probes"]
    widths = {f: w for rec in probes.values() if "fields" in rec for f, w, _ in rec["fields"]}
    G, L = config.groups, config.lanes

    with save.open("w") as f:
        g = GTKWSave(f)

        def value(name, alias):  # a signed probe, shown in decimal
            g.trace(_vec(f"TOP.{name}", widths[name]), alias=alias, datafmt="signed")

        g.comment(f"lst verify trace of {config.name}: see docs/debugging.md")
        g.dumpfile(str(trace.resolve()))
        g.savefile(str(save.resolve()))
        g.timestart(0)
        g.signals_width(320)
        with g.group("pixels (input stream)"):
            g.trace("TOP.clk", alias="clk")
            g.trace("TOP.rst", alias="rst")
            for p in ("valid", "ready"):
                g.trace(f"TOP.pixels__{p}", alias=f"pixels.{p}")
            g.trace(_vec("TOP.pixels__payload", ports["pixels__payload"]), alias="pixels.payload")
        with g.group("result (output stream)"):
            for p in ("valid", "ready"):
                g.trace(f"TOP.result__{p}", alias=f"result.{p}")
            g.trace(
                _vec("TOP.result__payload", ports["result__payload"]),
                alias="result.payload (cls, logits)",
            )
        with g.group("sequencer"):
            g.trace(
                _vec("TOP.lst_core.seq.fsm_state", state_bits),
                alias="sequencer state",
                translate_filter_file=str(filt.resolve()),
            )
            g.trace(
                _vec("TOP.probe_block", max(1, (max(2, config.blocks) - 1).bit_length())),
                alias="block",
                datafmt="dec",
            )
            for p in ("row", "col", "out"):
                g.trace(f"TOP.probe_{p}_busy", alias=f"{p} pass busy")
        with g.group("blocks.B.row.acc / col.acc: drain (before tanh)"):
            g.trace("TOP.probe_acc_valid", alias="acc valid")
            for s in range(G):
                value(f"probe_acc{s}", f"acc group {s}")
        with g.group("blocks.B.row / col: activations and where they are written"):
            g.trace("TOP.probe_act_valid", alias="act valid")
            dest = probes["act"]["fields"][0]
            g.trace(_vec(f"TOP.{dest[0]}", dest[1]), alias="dest (shift, to_e, to_y, …)")
            for name, width, sgn in probes["act"]["fields"][1:]:
                label = name.removeprefix("probe_")
                g.trace(_vec(f"TOP.{name}", width), alias=label, datafmt="signed" if sgn else "dec")
        with g.group("out.lanes: output layer lane sums", closed=True):
            g.trace("TOP.probe_readout", alias="readout")
            for ln in range(L):
                value(f"probe_lane{ln}", f"lane {ln}")
        if config.weights == "loadable":
            with g.group("load port", closed=True):
                for p in ("load_valid", "load_restart"):
                    g.trace(f"TOP.{p}", alias=p)
                for p in ("load_data", "load_count", "load_crc"):
                    g.trace(_vec(f"TOP.{p}", 32), alias=p)
    return save


#: Port name prefixes of the cocotb designs -> the group a save file shows them in.
_PORT_GROUPS = (
    ("pixels__", "pixels (input stream)"),
    ("result__", "result (output stream)"),
    ("s_axis_", "AXI4-Stream input (s_axis)"),
    ("m_axis_", "AXI4-Stream output (m_axis)"),
    ("s_axi_ctrl_", "AXI4-Lite (s_axi_ctrl)"),
    ("load_", "load port"),
    ("irq", "interrupt"),
)


def write_ports_gtkw(trace, toplevel: str) -> Path | None:
    """Write ``<trace>.gtkw`` for a test bench's trace (cocotb's, the self-test's): the
    design's clock, reset and ports grouped by stream or bus, and every sequencer's state;
    ``toplevel``: the design's module (cocotb) or instance (``dut``) name. Needs ``pywellen`` (a
    dev dependency) to list the trace's signals; returns None without it."""
    try:
        import pywellen
    except ImportError:
        return None
    from vcd.gtkw import GTKWSave

    trace = Path(trace)
    found = [(v.full_name, v.bitwidth) for v in pywellen.Waveform(str(trace)).all_vars()]
    # The design's top scope: "<toplevel>" (Icarus) or "TOP.<toplevel>" (Verilator).
    prefix = next(
        (n[: n.index(toplevel) + len(toplevel) + 1] for n, _ in found if f"{toplevel}." in n), ""
    )
    ports = [
        (n, w)
        for n, w in found
        if n.startswith(prefix) and "." not in n[len(prefix) :] and "$" not in n
    ]
    groups: dict[str, list] = {"clock and reset": []}
    for name, width in ports:
        short = name[len(prefix) :]
        group = next((g for pre, g in _PORT_GROUPS if short.startswith(pre)), None)
        if short in ("clk", "rst", "aclk", "aresetn"):
            group = "clock and reset"
        groups.setdefault(group or "top level", []).append((name, short, width))
    groups["sequencer"] = [
        (n, n[len(prefix) :], w) for n, w in found if n.endswith("seq.fsm_state")
    ]
    save = trace.with_name(trace.name + ".gtkw")
    with save.open("w") as f:
        g = GTKWSave(f)
        g.comment(f"{toplevel}: ports and sequencer state (docs/debugging.md)")
        g.dumpfile(str(trace.resolve()))
        g.savefile(str(save.resolve()))
        for group, members in groups.items():
            if not members:
                continue
            with g.group(group):
                for name, short, width in members:
                    g.trace(_vec(name, width), alias=short)
    return save
