"""The generated self-test top (the build plan's Verilog, pins and all) on Icarus, with
functional stand-ins for the Xilinx primitives: green with the right expected results,
red when one expected-result word in the Verilog is changed."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from boards.build import TOP, BoardBuild, write_plan
from hw.verilog import settle_at_time_zero

pytestmark = pytest.mark.skipif(shutil.which("iverilog") is None, reason="iverilog missing")

# The primitives the plan instantiates, as simulation stand-ins: the MMCM passes its
# input clock through and locks after 20 edges (its dividers are tested in test_mmcm).
PRIMITIVES = r"""
`timescale 1ns/1ps
module IBUF(input I, output O); assign O = I; endmodule
module OBUFT(input I, input T, output O); assign O = T ? 1'bz : I; endmodule
module BUFG(input I, output O); assign O = I; endmodule
module MMCME2_BASE #(
    parameter BANDWIDTH = "OPTIMIZED", parameter real CLKFBOUT_MULT_F = 5.0,
    parameter real CLKIN1_PERIOD = 0.0, parameter real CLKOUT0_DIVIDE_F = 1.0,
    parameter real CLKOUT0_DUTY_CYCLE = 0.5, parameter real CLKOUT0_PHASE = 0.0,
    parameter DIVCLK_DIVIDE = 1, parameter STARTUP_WAIT = "FALSE"
) (input CLKIN1, input CLKFBIN, input PWRDWN, input RST,
   output CLKOUT0, output CLKFBOUT, output reg LOCKED);
    assign CLKOUT0 = CLKIN1;
    assign CLKFBOUT = CLKFBIN;
    integer edges = 0;
    initial LOCKED = 0;
    always @(posedge CLKIN1) begin
        edges = edges + 1;
        if (edges == 20) LOCKED <= 1;
    end
endmodule
"""

# The board: 125 MHz on K17, buttons and switches released; counts the cycles the RGB
# LED's green and red are lit, and shows the LEDs at the end.
BENCH = r"""
`timescale 1ns/1ps
module tb;
    reg clk = 0;
    always #4 clk = ~clk;
    wire [3:0] led;
    wire r, g, b;
    lst_selftest dut(
        .clk125_0__io(clk), .button_0__io(1'b0), .button_1__io(1'b0), .button_2__io(1'b0),
        .switch_0__io(1'b0), .switch_1__io(1'b0), .switch_2__io(1'b0), .switch_3__io(1'b0),
        .led_0__io(led[0]), .led_1__io(led[1]), .led_2__io(led[2]), .led_3__io(led[3]),
        .rgb_led_0__r__io(r), .rgb_led_0__g__io(g), .rgb_led_0__b__io(b));
    integer green = 0, red = 0, cycles = 0;
`ifdef LST_WAVES
    initial begin $dumpfile("selftest.fst"); $dumpvars(0, tb); end
`endif
    always @(posedge clk) begin
        cycles = cycles + 1;
        if (g === 1'b1) green = green + 1;
        if (r === 1'b1) red = red + 1;
        if (cycles == 5600) begin  // reset and lock, then two results (K = 2)
            $display("RESULT green=%0d red=%0d led=%b", green, red, led);
            $finish;
        end
    end
endmodule
"""


SOURCES = ("primitives.v", "top.v", "tb.v")


@pytest.fixture(scope="module")
def verilog(tmp_path_factory):
    out = tmp_path_factory.mktemp("rtl") / "plan"
    write_plan(BoardBuild(count=2, images="stress"), out)
    # Icarus needs Yosys's time-zero trigger assigned late (see hw/verilog.py).
    return settle_at_time_zero((out / f"{TOP}.v").read_text())


def _simulate(text: str, work, name: str) -> dict:
    """Build and run the bench in ``work``; with ``$WAVES`` set (``make test WAVES=1``) in
    ``sim_build/selftest-waves/<name>/`` instead, where it leaves ``selftest.fst`` and a
    GTKWave save file."""
    from sim.runner import ROOT, waves_requested

    waves = waves_requested()
    if waves:
        work = ROOT / "selftest-waves" / name
        work.mkdir(parents=True, exist_ok=True)
    (work / "top.v").write_text(text)
    (work / "primitives.v").write_text(PRIMITIVES)
    (work / "tb.v").write_text(BENCH)
    subprocess.run(
        [
            "iverilog",
            "-g2005",
            *(["-DLST_WAVES"] if waves else []),
            "-o",
            "sim",
            "primitives.v",
            "top.v",
            "tb.v",
        ],
        cwd=work,
        check=True,
        capture_output=True,
    )
    run = ["vvp", "-n", "sim", *(["-fst"] if waves else [])]
    r = subprocess.run(run, cwd=work, capture_output=True, text=True, check=True)
    if waves:
        from sim.waves import write_ports_gtkw

        write_ports_gtkw(work / "selftest.fst", "dut")
    m = re.search(r"RESULT green=(\d+) red=(\d+) led=([01]{4})", r.stdout)
    assert m, r.stdout
    return {"green": int(m[1]), "red": int(m[2]), "led": m[3]}


def test_generated_top_passes(verilog, tmp_path):
    seen = _simulate(verilog, tmp_path, "passes")
    assert seen["green"] > 0 and seen["red"] == 0
    # LD3 mismatch off, LD2 stall off, LD1 all images checked (LD0 is the heartbeat).
    assert seen["led"][:3] == "001"


def test_generated_top_reports_a_corrupted_expected_word(verilog, tmp_path):
    # Logit 3 of image 1 (word 16 + 3 of the expected-result ROM), one bit flipped.
    pattern = re.compile(r"(expected_rom\[19\] = 30'h)([0-9a-f]{8});")
    m = pattern.search(verilog)
    assert m
    flipped = f"{int(m[2], 16) ^ 1:08x}"
    seen = _simulate(pattern.sub(lambda _: m[1] + flipped + ";", verilog), tmp_path, "corrupted")
    assert seen["red"] > 0
    assert seen["led"][0] == "1"  # LD3: mismatch, latched
