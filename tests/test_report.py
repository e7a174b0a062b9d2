"""The area report's pieces: Yosys synthesis, cell accounting and the logic-depth hint."""

from __future__ import annotations

import json

from hw.report import _logic_depth, area, readme_logic_depth, readme_table, update_readme

SMALL = """
module lst_core(input clk, input first, input signed [7:0] x0, x1,
                input signed [11:0] w0, w1, output reg signed [29:0] a0, a1);
  always @(posedge clk) begin
    a0 <= (first ? 30'sd0 : a0) + x0 * w0;
    a1 <= (first ? 30'sd0 : a1) + x1 * w1;
  end
endmodule
"""


def test_area_of_a_small_design(tmp_path):
    """Two multiply-accumulators map onto two DSP48E1 slices with no fabric adders."""
    (tmp_path / "in.v").write_text(SMALL)
    a = area(tmp_path / "in.v", tmp_path / "work")
    assert a["DSP48E1"] == 2
    assert a["LUT"] < 10 and a["RAMB18_equiv"] == 0
    assert a["cells"]["DSP48E1"] == 2
    no_dsp = area(tmp_path / "in.v", tmp_path / "work2", dsp=False)
    assert no_dsp["DSP48E1"] == 0 and no_dsp["LUT"] > 50


def _cell(kind, ins, outs):
    conns = {f"I{n}": [b] for n, b in enumerate(ins)}
    dirs = {f"I{n}": "input" for n in range(len(ins))}
    conns["O"], dirs["O"] = [outs], "output"
    return {"type": kind, "connections": conns, "port_directions": dirs}


def test_logic_depth_counts_luts_between_registers():
    # FF(1) -> LUT -> LUT -> CARRY4 -> LUT -> FF ; a second path FF -> LUT -> FF.
    cells = {
        "ff_a": _cell("FDRE", [100], 1),
        "l1": _cell("LUT4", [1], 2),
        "l2": _cell("LUT6", [2], 3),
        "c": _cell("CARRY4", [3], 4),
        "l3": _cell("LUT2", [4], 5),
        "ff_b": _cell("FDRE", [5], 6),
        "l4": _cell("LUT3", [6], 7),
        "ff_c": _cell("FDRE", [7], 8),
    }
    netlist = {"modules": {"lst_core": {"cells": cells}}}
    assert _logic_depth(json.loads(json.dumps(netlist))) == 3


def test_readme_table():
    row = {
        "lanes": 28,
        "dsp": True,
        "initiation_interval": 1960,
        "images_per_s_100mhz": 51020,
        "area": {"LUT": 1108, "FF": 1404, "RAMB18_equiv": 15, "DSP48E1": 28},
    }
    table = readme_table({"rows": [row]})
    assert "| 28 | 1,108 | 1,404 | 15 | 28 | 1,960 | 51,020 |" in table


def test_committed_report_is_consistent():
    """docs/performance.json, the README's table and the targets agree."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    result = json.loads((root / "docs" / "performance.json").read_text())
    readme = (root / "README.md").read_text()
    assert readme_table(result) in readme
    assert readme_logic_depth(result) in readme  # the LUT levels the report measured
    rows = {(r["lanes"], r["dsp"]): r for r in result["rows"]}
    for (lanes, _), r in rows.items():
        assert r["ii_source"] == "simulation"
        assert r["meets_ii_target"] == (r["initiation_interval"] <= 1.15 * 51744 / lanes)
    assert rows[(56, True)]["initiation_interval"] <= 1000 and rows[(56, True)]["fits_xc7z010"]


def test_readme_logic_depth_states_every_row(tmp_path):
    def row(lanes, dsp, depth):
        area = {"LUT": 1, "FF": 1, "RAMB18_equiv": 1, "DSP48E1": 1, "logic_depth": depth}
        return {
            "lanes": lanes,
            "dsp": dsp,
            "area": area,
            "initiation_interval": 1,
            "images_per_s_100mhz": 1,
        }

    result = {"rows": [row(1, True, 8), row(28, True, 6), row(28, False, 10)]}
    text = readme_logic_depth(result)
    assert "at most 6–8 LUT levels" in text and "10 for the 28-lane core without DSP" in text
    assert "without DSP" not in readme_logic_depth({"rows": result["rows"][:1]})
    readme = tmp_path / "README.md"
    readme.write_text("a\n<!-- BEGIN logic-depth -->\nold\n<!-- END logic-depth -->\nb\n")
    assert update_readme(result, readme)
    assert readme.read_text() == (
        f"a\n<!-- BEGIN logic-depth -->\n{text}<!-- END logic-depth -->\nb\n"
    )
    assert not update_readme(result, readme)
