"""The Vivado build plan: XDC, TCL (run by tclsh with Vivado's commands stubbed),
determinism, and the ``lst board`` command line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from boards.build import TOP, BoardBuild, write_plan
from lst.errors import ConfigError, OutputError

REPO = Path(__file__).resolve().parent.parent
# Small and quick: 2 stress images (the design is the same for any count).
SMALL = dict(count=2, images="stress")

# Vivado's commands, stubbed for tclsh: every unknown command is recorded and returns
# "", and the few whose results the script uses return what the environment says.
STUBS = r"""
set ::calls {}
proc unknown {args} { lappend ::calls [lindex $args 0]; return "" }
proc get_clocks {args} { lappend ::calls get_clocks; return core_clk }
proc get_timing_paths {args} {
    if {[lsearch $args min] >= 0} { return hold_path }
    return setup_path
}
proc get_property {name object} {
    switch -- $name/$object {
        PERIOD/core_clk { return $::env(STUB_PERIOD) }
        SLACK/setup_path { return $::env(STUB_WNS) }
        SLACK/hold_path { return $::env(STUB_WHS) }
    }
    return ""
}
proc write_bitstream {args} {
    lappend ::calls write_bitstream
    close [open [lindex $args end] w]
}
proc quit {} { puts "calls: $::calls"; exit 0 }
source [lindex $argv 0]
"""


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """The plan for both boards, and the Z7-10's written a second time elsewhere."""
    root = tmp_path_factory.mktemp("plans")
    out = {}
    for board in ("zybo-z7-10", "zybo-z7-20"):
        out[board] = write_plan(BoardBuild(board=board, **SMALL), root / board)
    out["again"] = write_plan(BoardBuild(board="zybo-z7-10", **SMALL), root / "again")
    out["root"] = root
    return out


def _files(d: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir()) if p.is_file()}


def test_files_of_the_plan(plans):
    d = Path(plans["zybo-z7-10"]["out_dir"])
    names = set(os.listdir(d))
    for name in (f"{TOP}.v", f"{TOP}.xdc", f"{TOP}.tcl", f"build_{TOP}.sh", "board.json"):
        assert name in names
    assert os.access(d / f"build_{TOP}.sh", os.X_OK)
    manifest = json.loads((d / "board.json").read_text())
    assert manifest["part"] == "xc7z010clg400-1"
    assert manifest["clock"]["CLKFBOUT_MULT_F"] == 8.0
    assert manifest["images"] == "stress(seed=0)[0:2]"
    for name, digest in manifest["files_sha256"].items():
        import hashlib

        assert hashlib.sha256((d / name).read_bytes()).hexdigest() == digest


def test_plan_is_deterministic(plans):
    a = _files(Path(plans["zybo-z7-10"]["out_dir"]))
    b = _files(Path(plans["again"]["out_dir"]))
    assert a == b
    # Nothing machine-specific in it.
    for name, data in a.items():
        assert str(plans["root"]).encode() not in data, name
        assert str(REPO).encode() not in data, name


PINS = {
    "clk125_0__io": "K17",
    "button_0__io": "K18",
    "button_1__io": "P16",
    "button_2__io": "K19",
    "switch_0__io": "G15",
    "switch_1__io": "P15",
    "switch_2__io": "W13",
    "switch_3__io": "T16",
    "led_0__io": "M14",
    "led_1__io": "M15",
    "led_2__io": "G14",
    "led_3__io": "D18",
    "rgb_led_0__r__io": "V16",
    "rgb_led_0__g__io": "F17",
    "rgb_led_0__b__io": "M17",
}


@pytest.mark.parametrize("board", ["zybo-z7-10", "zybo-z7-20"])
def test_xdc(plans, board):
    xdc = (Path(plans[board]["out_dir"]) / f"{TOP}.xdc").read_text()
    locs = dict(re.findall(r'set_property LOC (\w+) \[get_ports "(\w+)"\]', xdc))
    assert {port: pin for pin, port in locs.items()} == PINS
    stds = re.findall(r'set_property IOSTANDARD "(\w+)" \[get_ports "(\w+)"\]', xdc)
    assert sorted(port for _, port in stds) == sorted(PINS)
    assert {std for std, _ in stds} == {"LVCMOS33"}
    assert re.search(r"create_clock -name clk125_0__io -period 8\.0 ", xdc)
    assert "create_generated_clock -name core_clk [get_pins clkgen/mmcm/CLKOUT0]" in xdc
    assert "= 100 MHz, period 10.000 ns" in xdc
    # The Verilog has the MMCM where the constraints look for it.
    v = (Path(plans[board]["out_dir"]) / f"{TOP}.v").read_text()
    assert re.search(r"MMCME2_BASE #\(.*?\) mmcm \(", v, re.S)
    assert re.search(r"\\lst_selftest\.clkgen\s+clkgen \(", v)
    assert "CLKFBOUT_MULT_F(32'd8)" in v or "CLKFBOUT_MULT_F(8.0)" in v


@pytest.mark.parametrize("board, part", [("zybo-z7-10", "xc7z010"), ("zybo-z7-20", "xc7z020")])
def test_tcl_names_part_and_top(plans, board, part):
    tcl = (Path(plans[board]["out_dir"]) / f"{TOP}.tcl").read_text()
    assert f"create_project -force -name {TOP} -part {part}clg400-1" in tcl
    assert f"synth_design -top {TOP}" in tcl
    for step in ("place_design", "route_design", "report_timing_summary", "report_utilization"):
        assert step in tcl
    assert f"write_bitstream -force -bin_file {TOP}.bit" in tcl
    # The timing check comes after routing and before the bitstream.
    assert tcl.index("route_design") < tcl.index("lst_wns") < tcl.index("write_bitstream")


def _run_tcl(plan_dir: Path, tmp: Path, *, wns="0.312", whs="0.041", period="10.000"):
    work = tmp / "run"
    shutil.copytree(plan_dir, work)
    (work / f"{TOP}.bit").write_text("an old bitstream")
    (work / "stubs.tcl").write_text(STUBS)
    env = dict(os.environ, STUB_WNS=wns, STUB_WHS=whs, STUB_PERIOD=period)
    r = subprocess.run(
        ["tclsh", "stubs.tcl", f"{TOP}.tcl"], cwd=work, env=env, capture_output=True, text=True
    )
    return r, (work / f"{TOP}.bit")


needs_tclsh = pytest.mark.skipif(shutil.which("tclsh") is None, reason="tclsh not installed")


@needs_tclsh
def test_tcl_writes_the_bitstream_when_timing_is_met(plans, tmp_path):
    r, bit = _run_tcl(Path(plans["zybo-z7-10"]["out_dir"]), tmp_path)
    assert r.returncode == 0, r.stderr
    assert "lst: worst setup slack 0.312 ns, worst hold slack 0.041 ns" in r.stdout
    calls = r.stdout.split("calls:")[1].split()
    order = [c for c in calls if c in ("synth_design", "route_design", "write_bitstream")]
    assert order == ["synth_design", "route_design", "write_bitstream"]
    assert bit.exists() and bit.read_text() == ""  # the stub's, not the old one


@needs_tclsh
@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(wns="-0.004"), "timing not met after routing (WNS -0.004 ns"),
        (dict(whs="-0.120"), "WHS -0.120 ns"),
        (dict(wns="inf"), "timing not met"),
        (dict(period="8.000"), "core_clk period 8.000 ns, expected 10.000 ns"),
    ],
)
def test_tcl_fails_without_a_bitstream(plans, tmp_path, kwargs, message):
    r, bit = _run_tcl(Path(plans["zybo-z7-10"]["out_dir"]), tmp_path, **kwargs)
    assert r.returncode != 0
    assert message in r.stderr
    assert "write_bitstream" not in r.stdout
    assert not bit.exists()  # the old bitstream was deleted before synthesis


def test_settings_are_checked():
    with pytest.raises(ConfigError, match="--board must be one of zybo-z7-10, zybo-z7-20"):
        BoardBuild(board="arty-z7")
    with pytest.raises(ConfigError, match="lanes must be one of"):
        BoardBuild(lanes=3)
    with pytest.raises(ConfigError, match="--images must be one of"):
        BoardBuild(images="cifar")
    with pytest.raises(ConfigError, match="--count must be 1 to 10000"):
        BoardBuild(count=0)
    assert BoardBuild.from_json(BoardBuild(clock_mhz=80.0).to_json()) == BoardBuild(clock_mhz=80.0)


def test_refuses_a_foreign_directory(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(OutputError, match="mine.txt"):
        write_plan(BoardBuild(**SMALL), tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def _lst(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "lst", *args], capture_output=True, text=True, cwd=REPO, env=env
    )


def _path_without_vivado(tmp_path: Path) -> dict:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    paths = [p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "vivado").exists()]
    return dict(os.environ, PATH=os.pathsep.join([str(bindir), *paths]))


def test_cli_bitstream_without_vivado(tmp_path):
    env = _path_without_vivado(tmp_path)
    out = tmp_path / "plan"
    r = _lst("board", "bitstream", "--count", "2", "--images", "stress", "--out", str(out),
             "--json", env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["part"] == "xc7z010clg400-1" and obj["vivado"] is None
    assert obj["note"] == "vivado is not on PATH"
    assert (out / f"{TOP}.tcl").exists()
    r = _lst("board", "bitstream", "--count", "2", "--images", "stress", "--out", str(out),
             env=env)  # fmt: skip
    assert r.returncode == 0 and len(r.stdout.strip().splitlines()) == 1
    assert "vivado is not on PATH" in r.stdout


@needs_tclsh
def test_cli_runs_vivado_when_present(tmp_path):
    """A stand-in ``vivado`` (tclsh with the stubs) runs the generated script."""
    env = _path_without_vivado(tmp_path)
    (tmp_path / "stubs.tcl").write_text(STUBS)
    fake = tmp_path / "bin" / "vivado"
    fake.write_text(
        f'#!/bin/sh\n# vivado -mode batch -log X -source Y\nexec tclsh {tmp_path}/stubs.tcl "$6"\n'
    )
    fake.chmod(0o755)
    out = tmp_path / "plan"
    args = ["board", "bitstream", "--count", "2", "--images", "stress", "--out", str(out), "--json"]
    r = _lst(*args, env=dict(env, STUB_WNS="0.5", STUB_WHS="0.1", STUB_PERIOD="10.000"))
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["bitstream"] == f"{out}/{TOP}.bit" and (out / f"{TOP}.bit").exists()
    r = _lst(*args, "--force", env=dict(env, STUB_WNS="-1.0", STUB_WHS="0.1", STUB_PERIOD="10"))
    assert r.returncode == 2 and r.stdout == ""
    # Vivado's own output goes to stderr; lst's error is the last line.
    assert r.stderr.strip().splitlines()[-1].startswith("lst: error: Vivado failed (exit 1)")
    assert not (out / f"{TOP}.bit").exists()


def test_cli_errors_are_one_line():
    r = _lst("board", "bitstream", "--clock-mhz", "900", "--json")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines()[-1] == (
        "lst: error: --clock-mhz 900: an MMCM output must be 4.69–800 MHz (DS187, speed grade -1)"
    )
    r = _lst("board", "clock", "--clock-mhz", "80", "--json")
    assert r.returncode == 0
    assert json.loads(r.stdout)["CLKOUT0_DIVIDE_F"] == 15.0


@pytest.mark.parametrize("mhz, period", [(100, "10.000"), (80, "12.500"), (150, "6.667")])
def test_clock_constraints_follow_the_frequency(mhz, period):
    from boards.build import _hooks
    from hw.fpga.mmcm import mmcm_settings

    hooks = _hooks(mmcm_settings(mhz))
    assert f"= {mhz:g} MHz, period {period} ns" in hooks["add_constraints"]
    assert f"abs($lst_period - {period}) > 0.001" in hooks["script_after_synth"]


def test_board_commands_never_import_torch(tmp_path):
    code = (
        "import sys, builtins\n"
        "real = builtins.__import__\n"
        "def guard(name, *a, **k):\n"
        "    if name == 'torch' or name.startswith('torch.'):\n"
        "        raise ImportError('torch must not be imported here')\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = guard\n"
        "import boards.build, boards.report, boards.selftest_top, boards.cli\n"
        "from lst.cli import main\n"
        f"sys.exit(main(['board', 'bitstream', '--count', '2', '--images', 'stress', "
        f"'--no-run', '--out', {str(tmp_path / 'p')!r}, '--json']))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["note"] == "--no-run given"


def test_image_sources(fake_mnist, tmp_path):
    from boards.images import selftest_images, stress_images
    from lst.data import load_mnist

    images, source = selftest_images(3, "auto", fake_mnist)
    assert source == "mnist-test[0:3]"
    assert (images == load_mnist("test", fake_mnist).images[:3]).all()
    images, source = selftest_images(6, "auto", tmp_path / "none")
    assert source == "stress(seed=0)[0:6]" and (images == stress_images(6)).all()
    assert images[0].max() == 0 and images[1].min() == 255 and images[3].sum() == 255
    with pytest.raises(ConfigError, match="--images mnist: MNIST not found"):
        selftest_images(2, "mnist", tmp_path / "none")
