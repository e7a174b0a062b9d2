"""bench/targets.py: the project's targets judged from report rows (synthetic rows), and
the recorded report still meeting the targets it met when they were set."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from synthetic_rows import ladder, row

from report.analysis import fabric_lane_costs

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("targets", ROOT / "bench" / "targets.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)
targets, target_status = bench.targets, bench.target_status


def _met(rows, model_rows=()):
    return {k: t["met"] for k, t in targets(rows, model_rows).items()}


def test_targets_follow_the_rows():
    rows = ladder()
    t = targets(rows)
    assert t["q5.7_ii_le_550_within_budget"]["met"]  # 98 lanes: II 536, 7,500 LUT (smallest)
    assert (
        "smallest: 98 lanes (80 DSP + 18 fabric)" in t["q5.7_ii_le_550_within_budget"]["measured"]
    )
    assert t["q2.6_ii_le_400_within_budget"]["met"]  # q2.6 196 lanes: II 272, 65 %
    assert t["every_ii_le_1.15_macs_over_lanes"]["met"] and t["lut_levels_le_6"]["met"]
    # Without 98 lanes, a measured II of 551 at 112 lanes (and 196 over budget) leaves the
    # 550 target unmet.
    slow = [r for r in rows if not (r["lanes"] in (98, 112, 140) and r["format"] == "q5.7")]
    slow.append(row(112, 8937, timing=(551, 560)))
    t = targets(slow)
    assert t["q5.7_ii_le_550_within_budget"]["met"] is False
    assert "II ≤ 550 only over budget: 196 lanes" in t["q5.7_ii_le_550_within_budget"]["measured"]
    # q2.6 at 196 lanes over 80 % of the LUTs: no q2.6 row meets II ≤ 400 on the device.
    big = [r for r in rows if r["format"] == "q5.7" or r["lanes"] < 168]
    big.append(row(196, 14200, fmt="q2.6"))
    assert _met(big)["q2.6_ii_le_400_within_budget"] is False
    # The throughput targets of the ragged and packed rows: 140 lanes (II 397) and q2.6
    # packed at 196 (II 276) within the budget; not without them.
    t = targets(rows)
    assert t["q5.7_ii_le_400_within_budget"]["met"]
    assert "140 lanes (80 DSP + 60 fabric)" in t["q5.7_ii_le_400_within_budget"]["measured"]
    assert t["q2.6_ii_le_300_within_budget"]["met"]
    assert (
        "196 lanes (160 on 80 DSP, packed, 36 fabric)"
        in (t["q2.6_ii_le_300_within_budget"]["measured"])
    )
    assert _met(big)["q2.6_ii_le_300_within_budget"] is False
    assert _met(slow)["q5.7_ii_le_400_within_budget"] is False
    # Images/s at a clock: no row has an Fmax estimate, none was routed: not measured.
    assert t["q5.7_routed_ecp5_ge_500k_images_per_s"]["met"] is None
    assert t["q5.7_estimated_xc7z010_ge_400k_images_per_s"]["met"] is None
    assert _met(rows[:6])["q2.6_ii_le_400_within_budget"] is None  # no q2.6 row
    # One row over 1.15 × MACs / lanes, one with 7 LUT levels.
    assert not _met([*rows, row(28, 1247, timing=(2126, 2140))])["every_ii_le_1.15_macs_over_lanes"]
    deep = targets([*rows, row(56, 2765, fmt="q2.6", depth=7)])["lut_levels_le_6"]
    assert deep["met"] is False and "most: 7 (56 lanes, q2.6)" in deep["measured"]
    assert target_status(deep) == "NOT met"
    assert target_status(t["luts_per_fabric_lane"]) == "reported"


def test_luts_per_fabric_lane_are_reported():
    fewer = row(112, 8937 + 16 * 90, dsp_lanes=64, carry=1160)
    costs = fabric_lane_costs(ladder(), [fewer])
    assert (
        "q5.7: 90 (112 lanes, 80 vs 64 DSP lanes)"
        in targets(ladder(), (), costs)["luts_per_fabric_lane"]["measured"]
    )


#: The targets the recorded report met when they were set: a later report must too.
KEPT = (
    "q5.7_ii_le_550_within_budget",
    "every_ii_le_1.15_macs_over_lanes",
    "ii_le_1000_and_fits",
    "lanes28_le_3000_lut",
    "lanes1_le_1000_lut",
)


def test_the_recorded_report_keeps_its_targets():
    result = json.loads((ROOT / "docs" / "performance.json").read_text())
    judged = bench.judge(result)
    assert {k: judged[k]["met"] for k in KEPT} == dict.fromkeys(KEPT, True)


def test_the_script_prints_every_target_and_refuses_a_missing_report(tmp_path, capsys):
    assert bench.main([str(ROOT / "docs" / "performance.json")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(
        bench.judge(json.loads((ROOT / "docs" / "performance.json").read_text()))
    )
    assert any(line.startswith("28 lanes ≤ 3,000 LUT: met") for line in out)
    assert bench.main([str(tmp_path / "none.json")]) == 2
    assert "cannot read the report" in capsys.readouterr().err
