"""The area report's pieces: Yosys synthesis, cell accounting, the logic-depth hint, the
rows' bounds and next steps, the Pareto front and the chart (synthetic rows:
no Yosys except in the first test)."""

from __future__ import annotations

import json

import pytest
from synthetic_rows import by, ladder
from synthetic_rows import row as make_row

from hw.plan.config import CoreConfig
from report.analysis import (
    assign_bounds,
    bound_of,
    fabric_lane_cost,
    fabric_lane_costs,
    pareto_front,
)
from report.chart import write_chart
from report.performance import _write_report_files
from report.readme import readme_logic_depth, readme_table, update_readme
from report.render import timing_table
from report.rows import PAPER, XC7Z010, probe_configs, report_configs
from report.synthesis import area, logic_depth

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
    # The estimated critical path comes with every synthesis (report.timing_estimate).
    assert a["timing"]["kind"] == "estimate"
    assert 0 < a["timing"]["fmax_mhz"][0] < a["timing"]["fmax_mhz"][1] < 1000
    no_dsp = area(tmp_path / "in.v", tmp_path / "work2", dsp=False)
    assert no_dsp["DSP48E1"] == 0 and no_dsp["LUT"] > 50
    # Fabric multipliers are slower than registered DSP slices.
    assert no_dsp["timing"]["path_ns"][1] > a["timing"]["path_ns"][1]
    assert no_dsp["timing"]["worst"]["lut_levels"] >= 1


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
    assert logic_depth(json.loads(json.dumps(netlist))) == 3


def test_report_rows_and_their_pixels_per_beat():
    configs = report_configs()
    q57 = [c for c in configs if c.format == "q5.7" and c.fabric_lanes < c.lanes]
    assert [c.lanes for c in q57] == [1, 2, 4, 7, 14, 28, 56, 98, 112, 140, 168, 196]
    ppb = {c.lanes: c.pixels_per_beat for c in q57}
    # The fewest pixels per beat that leave the lanes the bound: 784/ppb ≤ compute cycles.
    assert ppb == {
        **{n: 1 for n in (1, 2, 4, 7, 14, 28, 56)},
        **{98: 2, 112: 2, 140: 2, 168: 4, 196: 4},
    }
    assert all(c.bound == "lanes" for c in configs)
    assert [c.lanes for c in configs if c.dsp_lanes == 0] == [28]
    narrow = [c for c in configs if c.format == "q2.6"]
    assert [(c.lanes, c.dsp_lanes, c.fabric_lanes, c.packed_dsp) for c in narrow] == [
        (56, 56, 0, False),
        (112, 80, 32, False),
        (196, 80, 116, False),
        (112, 112, 0, True),  # 56 slices with two lanes each
        (168, 160, 8, True),
        (196, 160, 36, True),
    ]
    # Only some rows: the lanes listed.
    some = report_configs([112, 1])
    assert [(c.lanes, c.format, c.packed_dsp) for c in some] == [
        (1, "q5.7", False),
        (112, "q5.7", False),
        (112, "q2.6", False),
        (112, "q2.6", True),
    ]
    probes = probe_configs([1, 112])
    assert [(c.lanes, c.format, c.dsp_lanes, c.pixels_per_beat) for c in probes] == [
        (112, "q5.7", 64, 2),
        (112, "q2.6", 64, 2),
    ]
    assert probe_configs([1, 28]) == []


def test_row_keys():
    r = make_row(112, 8800, timing=(470, 480))
    assert (r["format"], r["pixels_per_beat"], r["dsp_lanes"], r["fabric_lanes"]) == (
        "q5.7",
        2,
        80,
        32,
    )
    assert r["lut_share"] == 0.5 and r["within_budget"] and r["fits_xc7z010"]
    assert r["initiation_interval"] == 470 and r["ii_source"] == "simulation"
    assert r["images_per_s_100mhz"] == round(1e8 / 470) and r["latency"] == 480
    assert r["meets_ii_target"] == (470 <= 1.15 * 51744 / 112)
    assert make_row(112, 14081)["within_budget"] is False  # over 80 % of 17,600
    assert make_row(112, 14080)["within_budget"] is True
    assert make_row(28, 1000, ramb18=121)["within_budget"] is False


def test_bounds_and_next_steps():
    rows = assign_bounds(ladder())
    r28 = by(rows, 28, dsp_lanes=28)
    assert r28["bound"] == "lanes" and "next lane count (56) fits: 2,765 LUT" in r28["next_step"]
    # 98 lanes need more multipliers than the 80 DSP slices.
    r56 = by(rows, 56)
    assert r56["bound"] == "DSP" and "98 = 80 + 18: 7,500 LUT" in r56["next_step"]
    r98 = by(rows, 98)
    assert r98["bound"] == "DSP" and r98["next_step"].startswith("all 80 DSP48E1 used")
    assert "112 = 80 + 32" in r98["next_step"]
    r112 = by(rows, 112)
    assert r112["bound"] == "DSP" and "140 = 80 + 60: 11,300 LUT, II 397" in r112["next_step"]
    # 168 lanes would need 14,500 LUT > 80 % of 17,600 (14,080).
    r140 = by(rows, 140)
    assert r140["bound"] == "LUT"
    assert "next lane count (168) needs 14,500 LUT > 80 % of 17,600" in r140["next_step"]
    assert "XC7Z020" in r140["next_step"]
    assert by(rows, 168)["bound"] == "LUT"  # over its own budget
    assert by(rows, 196)["bound"] == "LUT"
    assert by(rows, 196)["next_step"].startswith("uses 15,600 LUT")
    # The all-fabric row: no DSP slice by choice; the same lanes on DSP slices.
    fab = by(rows, 28, dsp_lanes=0)
    assert fab["bound"] == "DSP" and "no DSP48E1 used" in fab["next_step"]
    assert "1,247 LUT" in fab["next_step"]
    # q2.6's ladder is 56, 112, 196; its largest fits the budget.
    assert by(rows, 56, "q2.6")["bound"] == "DSP"
    assert by(rows, 112, "q2.6")["bound"] == "DSP"
    assert by(rows, 196, "q2.6")["bound"] == "largest lane count"
    # Packed: its own ladder (112, 168, 196) and twice the slices' lanes on DSP48E1.
    pk112 = by(rows, 112, "q2.6", packed=True)
    assert pk112["bound"] == "DSP" and "80 DSP48E1 (two lanes each)" in pk112["next_step"]
    assert "168 = 160 + 8: 9,800 LUT" in pk112["next_step"]
    pk168 = by(rows, 168, "q2.6", packed=True)
    assert pk168["next_step"].startswith("all 80 DSP48E1 (two lanes each) used")
    assert by(rows, 196, "q2.6", packed=True)["bound"] == "largest lane count"


def test_bound_when_the_next_row_is_missing_or_the_input_is_slow():
    alone = make_row(14, 626)
    assert bound_of(alone, [alone]) == (
        "not measured",
        "the next lane count (28) is not in this report",
    )
    # A larger next row changes the answer: 28 at 81 % of the LUTs bounds 14 by LUT.
    big = make_row(28, 14300)
    assert bound_of(alone, [alone, big])[0] == "LUT"
    # 112 lanes without 196 in the table: DSP or LUT cannot be told.
    r112 = make_row(112, 8937)
    assert bound_of(r112, [r112]) == (
        "not measured",
        "the next lane count (140 = 80 DSP + 60 fabric) is not in this report",
    )
    slow = make_row(112, 8900, ppb=1)  # 784 cycles to receive an image > 464 of the passes
    bound, step = bound_of(slow, [slow])
    assert bound == "input rate" and "784 cycles" in step and "(2)" in step
    ram = make_row(28, 1000, ramb18=130)
    assert bound_of(ram, [ram])[0] == "RAMB18"


def test_pareto_front():
    def point(lut, dsp, rate):
        return {"area": {"LUT": lut, "DSP48E1": dsp}, "images_per_s_100mhz": rate}

    a, b, c = point(100, 1, 10), point(200, 2, 20), point(300, 2, 15)
    d, e = point(150, 0, 5), point(200, 2, 20)
    front = pareto_front([a, b, c, d, e])
    assert c not in front  # b: fewer LUT, as many DSP, faster
    assert front == [a, b, d, e]  # d: no DSP slice; e equals b (neither dominates)
    assert pareto_front([point(100, 1, 10), point(100, 1, 11)]) == [point(100, 1, 11)]
    rows = ladder()
    q57 = [r for r in rows if r["format"] == "q5.7"]
    assert by(rows, 28, dsp_lanes=0) in pareto_front(q57)  # the only row with no DSP


def test_luts_per_fabric_lane():
    ref, fewer = (
        make_row(112, 8937, carry=1000),
        make_row(112, 8937 + 16 * 90, dsp_lanes=64, carry=1160),
    )
    c = fabric_lane_cost(ref, fewer, {"LUT": 70, "FF": 40, "CARRY4": 18, "logic_depth": 3})
    assert (c["k"], c["lut_per_fabric_lane"], c["carry4_per_fabric_lane"]) == (16, 90, 10)
    assert c["dsp_lanes"] == [80, 64] and c["delta"]["DSP48E1"] == -16
    assert c["multiplier_alone"]["LUT"] == 70
    with pytest.raises(ValueError, match="format"):
        fabric_lane_cost(ref, make_row(112, 9000, fmt="q2.6", dsp_lanes=64))
    with pytest.raises(ValueError, match="more fabric lanes"):
        fabric_lane_cost(fewer, ref)
    # From the report's rows: each probe against its row, the all-fabric 28 against 28.
    costs = fabric_lane_costs(ladder(), [fewer])
    assert [(c["format"], c["lanes"], c["k"]) for c in costs] == [
        ("q5.7", 112, 16),
        ("q5.7", 28, 28),
    ]
    assert costs[1]["lut_per_fabric_lane"] == round((4100 - 1247) / 28, 1)


def _result(rows):
    rows = assign_bounds(rows)
    costs = fabric_lane_costs(rows, [make_row(112, 10377, dsp_lanes=64)])
    return {
        "capacity": XC7Z010,
        "lut_budget": 0.8,
        "clock_mhz_assumed": 100,
        "paper": PAPER,
        "rows": rows,
        "fabric_lane_cost": costs,
        "models": [],
    }


def test_chart_and_tables_are_written(tmp_path):
    result = _result(ladder())
    write_chart(result, tmp_path / "chart.png")
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    _write_report_files(result, tmp_path / "out")
    md = (tmp_path / "out" / "performance.md").read_text()
    assert "| q5.7 | 112 (80 + 32) | 2 | 8,937 (51 %) |" in md
    assert "| q5.7 | 112 (80 + 32) | 2 | 464 | 464 / 392 | 51 % | DSP | all 80 DSP48E1 used" in md
    assert "| q2.6 | 196 (2×80 + 36) | 4 | 11,000 (62 %) |" in md
    assert "timing is not checked here (no Vivado)" in md.replace("closes timing", "timing")
    assert "targets" not in json.loads((tmp_path / "out" / "performance.json").read_text())
    assert "| q5.7 | 112 | 80 → 64 | 16 | 8,937 → 10,377 | 90 |" in md
    assert json.loads((tmp_path / "out" / "performance.json").read_text())["rows"][0]["lanes"] == 28


def test_readme_table():
    row = make_row(112, 8937, timing=(464, 480))
    row["bound"] = "LUT"
    table = readme_table(
        {"rows": [make_row(28, 1108, timing=(1960, 1976)) | {"bound": "lanes"}, row]}
    )
    assert "| q5.7 | 28 | 1 | 1,108 | 1,000 | 20 | 28 | 1,960 | 51,020 | lanes |" in table
    assert "| q5.7 | 112 (80 + 32) | 2 | 8,937 | 1,000 | 20 | 80 | 464 | 215,517 | LUT |" in table


def test_committed_report_is_consistent():
    """docs/performance.json and the README's table agree."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    result = json.loads((root / "docs" / "performance.json").read_text())
    assert all("dsp_lanes" in r for r in result["rows"]), (
        "docs/performance.json predates the hybrid rows: run make report"
    )
    readme = (root / "README.md").read_text()
    assert readme_table(result) in readme
    assert readme_logic_depth(result) in readme  # the LUT levels the report measured
    for r in result["rows"]:
        assert r["ii_source"] == "simulation"
        cfg = CoreConfig(
            lanes=r["lanes"],
            format=r["format"],
            pixels_per_beat=r["pixels_per_beat"],
            dsp_lanes=r["dsp_lanes"],
            packed_dsp=r.get("packed_dsp", False),
        )
        assert r["meets_ii_target"] == (r["initiation_interval"] <= cfg.efficiency_bound)
        assert (r["bound"], r["next_step"]) == bound_of(r, result["rows"])
    assert "targets" not in result  # facts only: the targets are bench/targets.py's


def test_readme_logic_depth_states_every_row(tmp_path):
    rows = [make_row(1, 1, depth=8), make_row(28, 1, depth=6), make_row(112, 1, depth=5)]
    rows.append(make_row(28, 1, dsp_lanes=0, depth=4))
    result = {"rows": rows}
    text = readme_logic_depth(result)
    assert "at most 6–8 LUT levels between registers in the configurations whose lanes" in text
    assert "4–5 in those with fabric lanes (112 (80 + 32) q5.7, 28 (0 + 28) q5.7)" in text
    assert "fabric lanes" not in readme_logic_depth({"rows": rows[:2]})
    readme = tmp_path / "README.md"
    readme.write_text("a\n<!-- BEGIN logic-depth -->\nold\n<!-- END logic-depth -->\nb\n")
    assert update_readme(result, readme)
    assert readme.read_text() == (
        f"a\n<!-- BEGIN logic-depth -->\n{text}<!-- END logic-depth -->\nb\n"
    )
    assert not update_readme(result, readme)


def test_timing_table_only_for_rows_with_the_estimate():
    row = make_row(28, 1000)
    assert timing_table([row]) == []
    timing = {
        "net_delay_ns": [0.35, 0.75],
        "path_ns": [5.0, 8.0],
        "fmax_mhz": [125.0, 200.0],
        "worst": {"from": "a (FDRE.Q)", "to": "b (FDRE.D)", "lut_levels": 4, "carry_stages": 2},
    }
    row["area"] = {**row["area"], "timing": timing}
    table = timing_table([row])
    assert len(table) == 3
    # images/s at each end of the Fmax range: Fmax / II.
    ii = row["initiation_interval"]
    assert f"{round(125e6 / ii):,}–{round(200e6 / ii):,}" in table[2]
    assert "a (FDRE.Q) → b (FDRE.D) | 4 | 2 | 5.00 / 8.00 ns | 125–200 MHz" in table[2]
