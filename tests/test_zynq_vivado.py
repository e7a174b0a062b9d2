"""The Vivado build directory of the processor-system path, without Vivado: the block
design TCL runs in ``tclsh`` with stub Vivado commands that record every call
(tests/vivado_stub.tcl). This checks the script's structure (it parses and runs, names
the right part and board, instantiates what it connects, references only the
wrapper's real ports and interfaces, reads only files that exist, checks timing before
the bitstream), not Vivado's behaviour."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from boards.zynq.vivado import BOARD_PARTS, VivadoBuild, _tcl, write_vivado
from lst.errors import ConfigError

STUB = Path(__file__).resolve().parent / "vivado_stub.tcl"
TCLSH = shutil.which("tclsh")
needs_tclsh = pytest.mark.skipif(TCLSH is None, reason="tclsh not installed (Debian: tcl)")


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("vivado") / "zybo-z7-10"
    manifest = write_vivado(VivadoBuild(board="zybo-z7-10"), out)
    return out, manifest


def run_stub(out: Path, tmp: Path, **env):
    import os

    log = tmp / "calls.log"
    e = {**os.environ, "LST_STUB_LOG": str(log), "LST_STUB_SLACK": "0.412", **env}
    r = subprocess.run(
        [TCLSH, str(STUB), str(out / "lst_bd.tcl")], capture_output=True, text=True, env=e
    )
    calls = [c.split("\x1f") for c in log.read_text().split("\x1e") if c]
    return r, calls


def _refs(calls, cmd):
    """Every "cell/pin" name passed to ``cmd`` (skipping options)."""
    out = []
    for c in calls:
        if c[0] == cmd:
            out += [a for a in c[1:] if not a.startswith("-")]
    return out


@needs_tclsh
def test_stub_run_structure(build_dir, tmp_path):
    out, manifest = build_dir
    r, calls = run_stub(out, tmp_path)
    assert r.returncode == 0, r.stderr
    names = [c[0] for c in calls]
    assert "ERROR" not in names and "MISSING_FILE" not in names, calls
    part, board_part = BOARD_PARTS["zybo-z7-10"]
    create = next(c for c in calls if c[0] == "create_project")
    assert create[create.index("-part") + 1] == part == manifest["part"]
    assert ["set_property", "board_part", board_part, "lst"] in calls
    # Files read exist (checked at the call by the stub) and hold what is referenced.
    added = _refs(calls, "add_files")
    assert str(out / "hdl" / "lst_axi.v") in added
    assert "module lst_axi(" in (out / "hdl" / "lst_axi.v").read_text()
    # Every cell referenced was created; the wrapper is a module reference to lst_axi.
    cells = {}
    for c in calls:
        if c[0] == "create_bd_cell":
            kind = c[c.index("-type") + 1]
            what = c[c.index("-vlnv") + 1] if kind == "ip" else c[c.index("-reference") + 1]
            cells[c[-1]] = (kind, what)
    assert cells["lst_axi_0"] == ("module", "lst_axi")
    assert cells["processing_system7_0"][1].startswith("xilinx.com:ip:processing_system7:")
    assert cells["axi_dma_0"][1].startswith("xilinx.com:ip:axi_dma:")
    refs = _refs(calls, "get_bd_pins") + _refs(calls, "get_bd_intf_pins")
    refs += _refs(calls, "get_bd_cells") + _refs(calls, "get_bd_addr_segs")
    refs += _refs(calls, "get_bd_addr_spaces")
    for ref in refs:
        assert ref.split("/")[0] in cells, f"{ref}: cell never created"
    # The wrapper's pins and interfaces exist on the generated wrapper.
    wrapper = json.loads((out / "hdl" / "lst_axi.json").read_text())
    ports = wrapper["ports"]
    interfaces = set(wrapper["interfaces"])
    for ref in _refs(calls, "get_bd_pins"):
        if ref.startswith("lst_axi_0/"):
            assert ref.split("/")[1] in ports, ref
    used_if = set()
    for ref in _refs(calls, "get_bd_intf_pins") + _refs(calls, "get_bd_addr_segs"):
        if ref.startswith("lst_axi_0/"):
            name = ref.split("/")[1]
            assert name in interfaces, ref
            assert all(p in ports for p in (f"{name}_tdata", f"{name}_tvalid")) or name.startswith(
                "s_axi_"
            )
            used_if.add(name)
    assert used_if == interfaces, "every interface of the wrapper is connected"
    assert {"aclk", "aresetn", "interrupt"} <= {
        r.split("/")[1] for r in _refs(calls, "get_bd_pins") if r.startswith("lst_axi_0/")
    }
    # PS: board preset, HP0, FCLK0; DMA: simple mode, 32-bit, 26-bit length.
    props = " ".join(
        " ".join(c[1:]) for c in calls if c[0] in ("set_property", "apply_bd_automation")
    )
    for want in (
        "apply_board_preset 1",
        "CONFIG.PCW_USE_S_AXI_HP0 1",
        "CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ 100",
        "CONFIG.c_include_sg 0",
        "CONFIG.c_sg_length_width 26",
        "CONFIG.c_m_axis_mm2s_tdata_width 32",
        "CONFIG.c_s_axis_s2mm_tdata_width 32",
    ):
        assert want in props, want
    # Both DMA masters reach DDR, the PS reaches both register blocks.
    segs = _refs(calls, "get_bd_addr_segs")
    assert segs.count("processing_system7_0/S_AXI_HP0/HP0_DDR_LOWOCM") == 2
    assert {"axi_dma_0/S_AXI_LITE/Reg", "lst_axi_0/s_axi_ctrl/reg0"} <= set(segs)
    # Order: design validated before synthesis; timing checked before the bitstream.
    idx = {n: names.index(n) for n in ("validate_bd_design", "launch_runs", "write_bitstream")}
    assert idx["validate_bd_design"] < idx["launch_runs"] < idx["write_bitstream"]
    slack_reads = [i for i, c in enumerate(calls) if c[:2] == ["get_property", "SLACK"]]
    assert len(slack_reads) == 2 and max(slack_reads) < idx["write_bitstream"]
    assert names[-1] == "write_bitstream"
    # The bitstream and the .hwh end up next to the driver, under one name.
    assert (out / "driver" / "lst.bit").exists() and (out / "driver" / "lst.hwh").exists()


@needs_tclsh
@pytest.mark.parametrize("env", [{"LST_STUB_SLACK": "-0.05"}, {"LST_STUB_NO_BOARD": "1"}])
def test_stub_run_fails(build_dir, tmp_path, env):
    """Negative slack and a missing board part stop the build before any bitstream."""
    out, _ = build_dir
    copy = tmp_path / "b"
    shutil.copytree(out, copy)
    for name in ("lst.bit", "lst.hwh"):  # left by the successful stub run
        (copy / "driver" / name).unlink(missing_ok=True)
    r, calls = run_stub(copy, tmp_path, **env)
    assert r.returncode != 0
    assert "write_bitstream" not in [c[0] for c in calls]
    assert ("timing not met" if "LST_STUB_SLACK" in env else "board part") in r.stderr
    assert not (copy / "driver" / "lst.bit").exists()


def test_deterministic_and_complete(build_dir, tmp_path):
    out, manifest = build_dir
    again = tmp_path / "again"
    write_vivado(VivadoBuild(board="zybo-z7-10"), again)
    files = {p.relative_to(out) for p in out.rglob("*") if p.is_file()}
    files = {f for f in files if not str(f).startswith("driver/lst.")}  # stub outputs
    for f in files:
        if f.name == ".lst-outputs.json" or f.parts[0] == "vivado":
            continue
        assert (again / f).read_bytes() == (out / f).read_bytes(), f
    for name in ("lst_bd.tcl", "build.sh", "hdl/lst_axi.v", "hdl/lst_axi.json",
                 "driver/lst_zynq/driver.py", "driver/run_lst.py", "driver/lst.json"):  # fmt: skip
        assert (out / name).exists(), name
    assert manifest["vivado"]["written_for"] == "2022.1"


def test_zybo_z7_20_and_bad_settings():
    text = _tcl(VivadoBuild(board="zybo-z7-20", fclk_mhz=80))
    assert "set part xc7z020clg400-1" in text
    assert "set board_part digilentinc.com:zybo-z7-20:part0:1.2" in text
    assert "set fclk_mhz 80" in text
    with pytest.raises(ConfigError, match="--board must be one of zybo-z7-10, zybo-z7-20"):
        VivadoBuild(board="zybo-z7-30")
    with pytest.raises(ConfigError, match="FCLK0 must be 10–250 MHz"):
        VivadoBuild(fclk_mhz=400)


def test_board_parts_match_platforms():
    """The parts agree with the Zybo Z7 platform files (when present)."""
    zybo = pytest.importorskip("boards.zybo_z7")
    for name, (part, _) in BOARD_PARTS.items():
        plat = zybo.BOARDS[name]
        assert part == f"{plat.device}{plat.package}-{plat.speed}"


def test_lst_board_vivado_cli(tmp_path, capsys):
    """``lst board vivado --json``: one JSON object; a foreign file in the output is
    refused with one line and exit 2, and nothing on stdout."""
    from lst.cli import main

    out = tmp_path / "v"
    assert main(["board", "vivado", "--board", "zybo-z7-20", "--out", str(out), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["part"] == "xc7z020clg400-1" and obj["vivado"]["written_for"] == "2022.1"
    assert Path(obj["script"]).exists() and Path(obj["verilog"]).exists()
    (out / "mine.txt").write_text("keep")
    assert main(["board", "vivado", "--out", str(out), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "mine.txt" in captured.err
    assert (out / "mine.txt").read_text() == "keep"
