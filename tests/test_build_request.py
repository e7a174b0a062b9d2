"""One build request for every hardware command (``hw.request``): the same rules, the
same refusals, the same acceptances, whichever command is asked.

The table below is every rule × every command that emits hardware. A command added
later is found by :func:`test_every_hardware_command_is_in_the_table` (any subcommand
with ``--lanes`` and ``--out``), so it joins the table by construction.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hw.fpga.device import BOARD_DEVICES
from hw.plan.area_estimate import LARGE_LUT, STATED_ERROR, errors_table, estimate, estimate_errors
from hw.plan.config import CoreConfig
from hw.request import AXI_PIXELS_PER_BEAT, BuildRequest, prepare
from lst.cli import build_parser, main
from lst.errors import ConfigError, LSTError

REPO = Path(__file__).resolve().parent.parent
PERFORMANCE = json.loads((REPO / "docs" / "performance.json").read_text())

#: Every command that emits hardware: its argv before the options under test.
COMMANDS = {
    "verilog": ["verilog"],
    "board bitstream": ["board", "bitstream", "--no-run"],
    "board vivado": ["board", "vivado"],
    "board axi": ["board", "axi"],
    "board driver": ["board", "driver"],
    "board pnr": ["board", "pnr"],
}
#: Options a command has, where not every command has them.
CLOCK = {"board bitstream": "--clock-mhz", "board vivado": "--fclk-mhz", "board pnr": "--clock-mhz"}
HAS_DEVICE = {"verilog", "board axi", "board driver", "board pnr"}
HAS_PPB = {"verilog", "board bitstream", "board pnr"}
#: The open place and route works on an ECP5 (default the LFE5U-85F): where a rule needs
#: a device that a request exceeds, it gets the smaller LFE5U-45F, or more DSP lanes.
PNR_OPTIONS = {
    "fit": ["--device", "lfe5u-45f"],
    "dsp lanes over the device": ["--lanes", "196", "--dsp-lanes", "160"],
}

#: rule -> (options, the error's pattern); "{clock}" is the command's clock option.
#: A command without the rule's option must refuse the option itself (argparse, exit 2).
RULES = {
    "saturation": (
        ["--format", "q1.3"],
        r"47 of 9474 weights and biases saturate in q1\.3 \(first in blocks\.0\.row\.weight\)"
        r": the network would change; use a format with more integer bits, or pass "
        r"--allow-saturation$",
    ),
    "fit": (
        ["--lanes", "196"],
        r"\(196 lanes, q5\.7, lst1(, 64 images)?\) does not fit the (XC7Z010|LFE5U-45F): it "
        r"needs an estimated [\d,]+ LUT4?s \(it has (17,600|43,848)\) by the pre-synthesis "
        r"estimate of hw\.plan\.area_estimate; --lanes (112|140|168) fits, or "
        r"--(board zybo-z7-20|device xc7z020|device lfe5u-85f) \((XC7Z020|LFE5U-85F)\) fits; "
        r"--ignore-fit builds it anyway$",
    ),
    "dsp lanes over the device": (
        ["--lanes", "112", "--dsp-lanes", "100"],
        r"dsp_lanes (100 exceeds the 80 DSP48E1 of the xc7z010|160 exceeds the 156 MULT18X18D "
        r"of the lfe5u-85f)$",
    ),
    "format name": (["--format", "q5"], r"q5"),
    "format width": (["--format", "q10.10"], r"q10\.10"),
    "model against checkpoint": (
        ["--model", "lst2", "--checkpoint", "models/lst1.safetensors"],
        r"lst2",
    ),
    "lane count": (["--lanes", "3"], r"argument --lanes: invalid choice: 3"),
    "clock too fast": (["{clock}", "900"], r"900"),
    "clock too slow": (["{clock}", "1"], r"\b1\b"),
    "a flow on another family's part": (["{family}"], r"ECP5 parts|needs a Zynq board"),
    "board against device": (
        ["--board", "zybo-z7-10", "--device", "xc7z020"],
        r"--device xc7z020 is not the zybo-z7-10's part \(xc7z010\)$",
    ),
    "pixels per beat": (["--pixels-per-beat", "3"], r"argument --pixels-per-beat: invalid"),
    "self-test images": (["--count", "10001"], r"--count must be 1 to 10000 images"),
    "self-test images over the block RAM": (
        ["--count", "5000"],
        r"does not fit the XC7Z010: it needs an estimated .*[\d,]+ RAMB18 \(it has 120\)"
        r".*--count \d+ fits",
    ),
}
#: Which commands have each rule's options (the others must refuse the option).
APPLIES = {
    "clock too fast": set(CLOCK),
    # A 1 MHz constraint is a legal request to the placer; the board clocks refuse it.
    "clock too slow": {"board bitstream", "board vivado"},
    "a flow on another family's part": {"board vivado", "board pnr"},
    "board against device": HAS_DEVICE - {"board pnr"},  # no --board: a bare part
    "pixels per beat": HAS_PPB,
    "self-test images": {"board bitstream"},
    "self-test images over the block RAM": {"board bitstream"},
}


def _run(argv, capsys) -> tuple[int, str, str]:
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


#: Each command's request on a part of the other family.
FAMILY = {
    "board vivado": ["--board", "ulx3s-85f"],
    "board pnr": ["--device", "xc7z010"],
}


def _argv(command: str, options: list[str], out: Path, rule: str = "") -> list[str]:
    options = [CLOCK.get(command, "--clock-mhz") if o == "{clock}" else o for o in options]
    if "{family}" in options:
        options = FAMILY.get(command, ["--family"])
    if command == "board pnr":
        options = [*options, *PNR_OPTIONS.get(rule, [])]
    return [*COMMANDS[command], *options, "--out", str(out)]


def _cases():
    for command in COMMANDS:
        for rule in RULES:
            # The placer takes a 1 MHz constraint: a request, not an error (not run here).
            if not (command == "board pnr" and rule == "clock too slow"):
                yield command, rule


@pytest.mark.parametrize(("command", "rule"), list(_cases()))
def test_every_command_refuses_every_bad_request(command, rule, tmp_path, capsys):
    options, pattern = RULES[rule]
    out = tmp_path / "out"
    rc, stdout, stderr = _run(_argv(command, options, out, rule), capsys)
    assert rc == 2, stderr
    assert stdout == ""
    assert not out.exists()  # nothing written
    last = stderr.strip().splitlines()[-1]
    if command in APPLIES.get(rule, set(COMMANDS)):
        assert re.match(r"lst( [\w ]+)?: error: ", last), stderr
        assert re.search(pattern, last), last
    else:
        # The command has no such option: argparse refuses it (never ignored).
        assert "unrecognized arguments" in last or "invalid choice" in last, last


@pytest.mark.parametrize("rule", ["saturation", "dsp lanes over the device", "lane count"])
def test_the_same_rule_gives_the_same_message_in_every_command(rule, tmp_path, capsys):
    options, _ = RULES[rule]
    lines = set()
    for command in COMMANDS:
        if command in ("board pnr",) and rule in PNR_OPTIONS:
            continue  # the ECP5's multiplier count: the same rule, another limit
        _, _, err = _run(_argv(command, options, tmp_path / command), capsys)
        lines.add(err.strip().splitlines()[-1].split("error: ", 1)[-1])
    assert len(lines) == 1, lines


def _dry(command, options, tmp_path, capsys) -> dict:
    argv = [*_argv(command, options, tmp_path / "out"), "--dry-run", "--json"]
    rc, out, err = _run(argv, capsys)
    assert rc == 0, err
    assert not (tmp_path / "out").exists()
    return json.loads(out)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_accepts_the_defaults_and_records_the_request(command, tmp_path, capsys):
    record = _dry(command, [], tmp_path, capsys)
    assert record["fit"]["fits"] and not record["fit"]["ignored"]
    assert record["quantization"]["saturated"] == 0
    assert record["request"]["checkpoint"] == "models/lst1.safetensors"  # names no machine
    ppb = AXI_PIXELS_PER_BEAT if command in ("board vivado", "board axi", "board driver") else 1
    assert record["request"]["pixels_per_beat"] == ppb
    part = "LFE5U-85F" if command == "board pnr" else "XC7Z010"
    assert record["fit"]["device"] == part


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "board pnr"])
def test_196_lanes_q5_7_fit_the_xc7z020_only(command, tmp_path, capsys):
    bigger = ["--device", "xc7z020"] if command in HAS_DEVICE else ["--board", "zybo-z7-20"]
    record = _dry(command, ["--lanes", "196", *bigger], tmp_path, capsys)
    assert record["fit"]["device"] == "XC7Z020" and record["fit"]["fits"]
    # The XC7Z020's 220 DSP48E1 make every lane a DSP lane.
    assert record["request"]["dsp_lanes"] == 196


@pytest.mark.parametrize("command", COMMANDS)
def test_ignore_fit_and_allow_saturation_are_recorded(command, tmp_path, capsys):
    options = ["--lanes", "196", "--format", "q1.10", "--ignore-fit", "--allow-saturation"]
    if command == "board pnr":
        options += ["--device", "lfe5u-45f"]
    record = _dry(command, options, tmp_path, capsys)
    assert record["fit"]["ignored"] and not record["fit"]["fits"]
    assert record["quantization"]["saturated"] == 43
    assert record["quantization"]["allow_saturation"]
    assert any("--ignore-fit" in n for n in record["notes"])


def test_every_hardware_command_is_in_the_table():
    """Any subcommand that takes ``--lanes`` and ``--out`` emits hardware: it must be
    in :data:`COMMANDS` and have the request's options."""
    import argparse

    def walk(parser, prefix):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, [*prefix, name])
        yield prefix, {o for a in parser._actions for o in a.option_strings}

    from lst.cli import _load_extensions

    _load_extensions()
    found = {
        " ".join(name): opts
        for name, opts in walk(build_parser(), [])
        if "--lanes" in opts and "--out" in opts
    }
    # The reports synthesize for their tables: lst report's rows are requests
    # (test_report_rows_are_requests), lst board report's top is a BoardBuild.
    found.pop("report", None)
    found.pop("board report", None)
    assert set(found) == set(COMMANDS)
    for opts in found.values():
        assert {"--allow-saturation", "--ignore-fit", "--dry-run", "--dsp-lanes"} <= opts


# ---------------------------------------------------------------- the request itself


def test_static_rules_in_the_library():
    with pytest.raises(ConfigError, match="needs a board"):
        BuildRequest(target="selftest", images=1, clock_mhz=100)
    with pytest.raises(ConfigError, match="has no clock of its own"):
        BuildRequest(target="core", clock_mhz=100)
    with pytest.raises(ConfigError, match="4 pixels per 32-bit beat, not 1"):
        BuildRequest(target="axi")
    with pytest.raises(ConfigError, match="no load port"):
        BuildRequest(
            target="selftest", board="zybo-z7-10", images=1, clock_mhz=100, weights="loadable"
        )
    with pytest.raises(ConfigError, match="FCLK0 must be 10–250 MHz"):
        BuildRequest(target="zynq", board="zybo-z7-10", pixels_per_beat=4, clock_mhz=300)
    with pytest.raises(ConfigError, match="MMCM output must be"):
        BuildRequest(target="selftest", board="zybo-z7-10", images=1, clock_mhz=900)
    with pytest.raises(ConfigError, match="target must be one of"):
        BuildRequest(target="asic")
    r = BuildRequest(target="zynq", board="zybo-z7-20", pixels_per_beat=4, clock_mhz=100)
    assert r.device == "xc7z020" and r.model == "lst1" and r.dsp_lanes == 28
    assert BuildRequest.from_json(r.to_json()) == r


def test_library_builds_check_the_request_too(tmp_path):
    """The board builders go through the same request (no second set of rules)."""
    from boards.build import BoardBuild, write_plan
    from boards.zynq.vivado import VivadoBuild, write_vivado

    with pytest.raises(ConfigError, match="does not fit the XC7Z010"):
        write_plan(BoardBuild(lanes=196), tmp_path / "a")
    with pytest.raises(ConfigError, match="does not fit the XC7Z010"):
        write_vivado(VivadoBuild(lanes=196), tmp_path / "b")
    with pytest.raises(LSTError, match="saturate in q1.3"):
        write_vivado(VivadoBuild(format="q1.3"), tmp_path / "c")
    with pytest.raises(ConfigError, match="--count must be 1 to 10000"):
        BoardBuild(count=20000)
    assert not any(tmp_path.iterdir())


def test_simulation_has_no_fit_rule():
    build = prepare(BuildRequest(target="simulation", lanes=196))
    assert not build.fits
    assert not any("--ignore-fit" in n for n in build.notes)
    assert build.record()["fit"]["checked"] is False


def test_board_table_matches_the_platforms():
    from boards.ulx3s import BOARDS as ULX3S
    from boards.zybo_z7 import BOARDS
    from boards.zynq.regmap import PIXELS_PER_BEAT
    from boards.zynq.vivado import BOARD_PARTS
    from hw.fpga.device import DEVICES

    assert set(BOARDS) | set(ULX3S) == set(BOARD_DEVICES)
    assert set(BOARDS) == set(BOARD_PARTS)
    for board, dev in BOARD_DEVICES.items():
        platform = (BOARDS | ULX3S)[board]
        assert platform.device.lower() == dev
        assert DEVICES[dev].family == ("xc7" if board in BOARDS else "ecp5")
        assert platform.speed.lstrip("-") == DEVICES[dev].speed.lstrip("-")
    for board, (part, _) in BOARD_PARTS.items():
        assert part.startswith(BOARD_DEVICES[board])
    assert PIXELS_PER_BEAT == AXI_PIXELS_PER_BEAT


# ---------------------------------------------------------------- the estimate


def _report_rows():
    return [r for r in PERFORMANCE["rows"] if r.get("model", "lst1") == "lst1"]


@pytest.mark.parametrize("row", _report_rows(), ids=lambda r: r["name"])
def test_the_report_and_the_fit_rule_agree(row):
    """Every configuration the report's Yosys counts fit on the XC7Z010 is accepted, and
    every one they do not is refused."""
    request = BuildRequest(
        target="core",
        format=row["format"],
        lanes=row["lanes"],
        dsp_lanes=row["dsp_lanes"],
        pixels_per_beat=row["pixels_per_beat"],
        packed_dsp=row.get("packed_dsp", False),
    )
    if row["fits_xc7z010"]:
        assert prepare(request).fits
    else:
        with pytest.raises(ConfigError, match="does not fit the XC7Z010"):
            prepare(request)


def test_estimate_error_is_as_stated():
    errs = estimate_errors(PERFORMANCE)
    assert len(errs) >= 15
    large = [e for e in errs if e["yosys"]["LUT"] > LARGE_LUT]
    assert large and max(abs(e["error"]["LUT"]) for e in large) <= STATED_ERROR["LUT_large"]
    for key in ("LUT", "FF", "RAMB18_equiv"):
        assert max(abs(e["error"][key]) for e in errs) <= STATED_ERROR[key], key
    assert all(e["estimate"]["DSP48E1"] == e["yosys"]["DSP48E1"] for e in errs)


def test_the_docs_show_the_estimate_error_table():
    assert errors_table(PERFORMANCE) in (REPO / "docs" / "hardware.md").read_text()


def test_estimate_grows_with_what_is_added():
    config = CoreConfig(lanes=28)
    core = estimate(config)
    assert estimate(config, "axi")["LUT"] > core["LUT"]
    top = estimate(config, "selftest", images=64)
    # 13 RAMB36 of images, and the rest of the top's memories.
    assert top["RAMB18_equiv"] == core["RAMB18_equiv"] + 26 + 1
    # Its image ROM's 25 banks, each word registered.
    assert top["FF"] - core["FF"] == 301 + 25 * 32
    loadable = estimate(CoreConfig(lanes=28, weights="loadable"))
    assert loadable["LUT"] > core["LUT"] and loadable["RAMB18_equiv"] > core["RAMB18_equiv"]
    with pytest.raises(ValueError, match="top must be one of"):
        estimate(config, "pcie")


def test_report_rows_are_requests():
    """``lst report``'s configurations are made by the build request."""
    from report.rows import report_configs

    for config in report_configs():
        assert config.device == "xc7z010"
        assert (
            BuildRequest(
                target="core",
                model=config.model,
                format=config.format,
                lanes=config.lanes,
                dsp_lanes=config.dsp_lanes,
                pixels_per_beat=config.pixels_per_beat,
                packed_dsp=config.packed_dsp,
            ).core_config()
            == config
        )


def test_a_real_build_records_its_request(tmp_path, capsys):
    """``lst verilog`` with an overridden saturation writes the count into its manifest."""
    out = tmp_path / "v"
    rc, _, err = _run(
        ["verilog", "--format", "q1.3", "--allow-saturation", "--lanes", "7", "--out", str(out)],
        capsys,
    )
    assert rc == 0, err
    record = json.loads((out / "lst_core.json").read_text())["build_request"]
    assert record["quantization"]["saturated"] == 47
    assert record["quantization"]["allow_saturation"] is True
    assert record["fit"]["fits"] and record["request"]["lanes"] == 7


def test_the_refit_command_reads_the_project_report(capsys):
    """``python -m hw.plan.area_estimate`` finds docs/performance.json by default and
    prints the table docs/hardware.md shows."""
    from hw.plan.area_estimate import main

    main([])
    out = capsys.readouterr().out
    assert out.startswith("LUT_COEFFS = ")
    assert errors_table(PERFORMANCE) in out
