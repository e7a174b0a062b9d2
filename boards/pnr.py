"""``make pnr``: the core alone placed and routed on an ECP5, out of context.

A core's ports are far more than a package's pins (the 28-lane result alone is 304
bits), so :class:`OutOfContext` wraps the core in registers that reduce every port to
a few pins, and nothing can be optimised away: the pixel payload is a linear-feedback
shift register (advancing every cycle, a pin XORed in); ``pixels.valid`` and
``result.ready`` come from pins through two registers each; the result payload is
XOR-reduced into a register, and ``result.valid`` and ``pixels.ready`` are registered,
each to a pin. The wrapper adds a few hundred LUTs and one XOR tree; the paths that
matter are the core's own (the report names them).

The clock comes in on the ULX3S's oscillator pin (G2) with a frequency constraint
(``--clock-mhz``, default 100 MHz), the part is the request's ECP5 (LFE5U-85F or -45F,
CABGA381, speed grade 6). :func:`place_and_route` builds through Amaranth's
``Trellis`` plan (:mod:`boards.open_flow`) and returns the post-route Fmax, the worst
path, the placer's utilisation and images/s at that Fmax.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from amaranth import Cat, ClockDomain, Elaboratable, Module, Signal
from amaranth.build import Attrs, Clock, Pins, Resource
from amaranth.lib import io
from amaranth.vendor import LatticeECP5Platform

from .open_flow import build_options, run_build

__all__ = ["NAME", "OutOfContext", "ooc_platform", "place_and_route"]

#: The top's name (and the build's file names).
NAME = "lst_core_ooc"


def ooc_platform(device_name: str, clock_mhz: float) -> LatticeECP5Platform:
    """A bare ECP5 platform (CABGA381, speed 6) with a clock pin constrained to
    ``clock_mhz`` and the few pins of :class:`OutOfContext`."""
    io_std = Attrs(IO_TYPE="LVCMOS33")

    class OutOfContextPlatform(LatticeECP5Platform):
        device = device_name
        package = "BG381"
        speed = "6"
        default_clk = "clk"
        resources = [  # noqa: RUF012 (the Amaranth platform idiom)
            Resource("clk", 0, Pins("G2", dir="i"), Clock(clock_mhz * 1e6), io_std),
            Resource("rst", 0, Pins("R1", dir="i"), io_std),
            Resource("din", 0, Pins("T1", dir="i"), io_std),
            Resource("in_valid", 0, Pins("R18", dir="i"), io_std),
            Resource("out_ready", 0, Pins("V1", dir="i"), io_std),
            Resource("in_ready", 0, Pins("B2", dir="o"), io_std),
            Resource("out_valid", 0, Pins("C2", dir="o"), io_std),
            Resource("out_xor", 0, Pins("C1", dir="o"), io_std),
        ]
        connectors = []  # noqa: RUF012

        @property
        def required_tools(self):
            return [t for t in super().required_tools if t != "openFPGALoader"]

    return OutOfContextPlatform(toolchain="Trellis")


def _lfsr_step(state: Signal):
    # Galois LFSR; maximal for the widths a pixel beat has (8·pixels_per_beat bits).
    n = len(state)
    taps = {8: (5, 4, 3), 16: (13, 12, 10), 32: (21, 1, 0)}.get(n, (n - 2,))
    feedback = state[n - 1]
    bits = [feedback, *(state[i - 1] for i in range(1, n))]
    for t in taps:
        bits[(t + 1) % n] = bits[(t + 1) % n] ^ feedback
    return Cat(*bits)


class OutOfContext(Elaboratable):
    """``core`` (an :class:`hw.core.LSTCore`) with every port registered down to the
    pins of :func:`ooc_platform`."""

    def __init__(self, core):
        self.core = core

    def elaborate(self, platform):
        m = Module()

        def pin(direction, name):
            buf = io.Buffer(direction, platform.request(name, 0, dir="-"))
            m.submodules[f"{name}_buf"] = buf
            return buf.i if direction == "i" else buf.o

        def synced(name):
            a, b = Signal(name=f"{name}_s0"), Signal(name=f"{name}_s1")
            m.d.sync += [a.eq(pin("i", name)), b.eq(a)]
            return b

        m.domains.sync = cd = ClockDomain("sync")
        m.d.comb += [cd.clk.eq(pin("i", "clk")), cd.rst.eq(synced("rst"))]
        m.submodules.core = core = self.core
        lfsr = Signal(len(core.pixels.payload), init=1)
        m.d.sync += lfsr.eq(_lfsr_step(lfsr) ^ synced("din"))
        m.d.comb += [
            core.pixels.payload.eq(lfsr),
            core.pixels.valid.eq(synced("in_valid")),
            core.result.ready.eq(synced("out_ready")),
        ]
        folded, valid, ready = Signal(), Signal(), Signal()
        m.d.sync += [
            folded.eq(core.result.payload.as_value().xor()),
            valid.eq(core.result.valid),
            ready.eq(core.pixels.ready),
        ]
        m.d.comb += [
            pin("o", "out_xor").eq(folded),
            pin("o", "out_valid").eq(valid),
            pin("o", "in_ready").eq(ready),
        ]
        return m


def place_and_route(prepared, directory, *, clock_mhz: float = 100.0, seed: int = 1) -> dict:
    """Place and route ``prepared``'s core (a :class:`hw.request.Build` for an ECP5
    device) out of context in ``directory``; return the summary (see the module
    docstring) with images/s at the routed Fmax."""
    from hw.core import LSTCore
    from hw.fpga.device import device
    from hw.verilog import generator_digest

    config = prepared.config
    dev = device(config.device)
    if dev.family != "ecp5":
        raise ValueError(f"place_and_route needs an ECP5 device, not {dev.name}")
    t0 = time.monotonic()
    top = OutOfContext(LSTCore(config, prepared.qmodel))
    platform = ooc_platform(dev.name, clock_mhz)
    plan = platform.build(top, name=NAME, do_build=False, **build_options(NAME, seed=seed))
    summary = run_build(plan, directory, NAME)
    clock = summary["clocks"].get("$glbnet$clk") or next(iter(summary["clocks"].values()))
    summary.update(
        {
            "config": config.name,
            "lanes": config.lanes,
            "dsp_lanes": config.dsp_lanes,
            "format": config.format,
            "pixels_per_beat": config.pixels_per_beat,
            "device": f"{dev.name}-{dev.speed}",
            "seed": seed,
            "fmax_mhz": clock["fmax_mhz"],
            "constraint_mhz": clock["constraint_mhz"],
            "initiation_interval": config.initiation_interval,
            "images_per_s": round(clock["fmax_mhz"] * 1e6 / config.initiation_interval),
            "wall_s": round(time.monotonic() - t0, 1),
            "wrapper": "out of context: every core port registered down to 8 pins",
            "generator_sha256": generator_digest(),
        }
    )
    (Path(directory) / "pnr.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
