"""report.timing_estimate: the worst register-to-register path of a Yosys netlist, with the
cell delays of Yosys's Xilinx library and an assumed delay per routed net."""

from __future__ import annotations

import pytest

from report.timing_estimate import NET_DELAY_NS, cell_library, critical_path


def _cell(kind, conns, outputs=("O", "Q", "CO", "DOBDO"), **params):
    dirs = {p: ("output" if p in outputs else "input") for p in conns}
    return {"type": kind, "connections": conns, "port_directions": dirs, "parameters": params}


def _ff(d, q):
    return _cell("FDRE", {"C": [1], "CE": ["1"], "R": ["0"], "D": [d], "Q": [q]})


def _netlist(cells, netnames=None):
    return {"modules": {"top": {"cells": cells, "netnames": netnames or {}}}}


def test_the_library_is_read_from_yosys():
    lib = cell_library()
    assert lib["LUT6"]["arcs"][("I0", None)][("O", None)] == 642
    assert lib["LUT2"]["arcs"][("I1", None)][("O", None)] == 127
    assert lib["FDRE"]["clk_to_out"]["Q"] == 303
    assert lib["CARRY4"]["arcs"][("CI", None)][("CO", 3)] == 114
    assert lib["RAMB18E1"]["setup"][("ADDRBWRADDR", None)] == 566


def test_two_luts_between_registers():
    # ff1 -> LUT2.I0 -> LUT2.I0 -> ff2 ; a top input joins the first LUT.
    cells = {
        "ff1": _ff(10, 11),
        "la": _cell("LUT2", {"I0": [11], "I1": [12], "O": [13]}),
        "lb": _cell("LUT2", {"I0": [13], "I1": [11], "O": [14]}),
        "ff2": _ff(14, 15),
    }
    names = {"\\count": {"bits": [11], "hide_name": 0}, "\\total": {"bits": [15], "hide_name": 0}}
    r = critical_path(_netlist(cells, names), "top")
    lo, hi = (round(n * 1000) for n in NET_DELAY_NS)
    # clock to Q, three nets, two LUT2 I0 arcs (238 ps), setup 0.
    assert r["path_ns"] == [(303 + 3 * lo + 2 * 238) / 1000, (303 + 3 * hi + 2 * 238) / 1000]
    assert r["fmax_mhz"] == [
        round(1e6 / (303 + 3 * hi + 476), 1),
        round(1e6 / (303 + 3 * lo + 476), 1),
    ]
    assert r["worst"]["lut_levels"] == 2 and r["worst"]["carry_stages"] == 0
    assert r["worst"]["from"] == "count (FDRE.Q)"
    assert r["worst"]["to"] == "total (FDRE.D)"
    assert r["kind"] == "estimate"


def test_carry_chain_adds_no_net_delay():
    cells = {
        "ff1": _ff(10, 11),
        "c0": _cell("CARRY4", {"CI": [11], "CO": [20, 21, 22, 23]}),
        "c1": _cell("CARRY4", {"CI": [23], "CO": [30, 31, 32, 33]}),
        "ff2": _ff(33, 34),
    }
    r = critical_path(_netlist(cells), "top")
    lo = round(NET_DELAY_NS[0] * 1000)
    # clock to Q, a net into the chain, CI->CO[3] twice (114 ps), a net out.
    assert r["path_ns"][0] == (303 + lo + 114 + 114 + lo) / 1000
    assert r["worst"]["carry_stages"] == 2


@pytest.mark.parametrize(("reg", "clk_to_out"), [(0, 2454), (1, 882)])
def test_block_ram_output_register(reg, clk_to_out):
    cells = {
        "ram": _cell("RAMB18E1", {"CLKBWRCLK": [1], "DOBDO": [40]}, DOB_REG=reg),
        "l": _cell("LUT1", {"I0": [40], "O": [41]}),
        "ff": _ff(41, 42),
    }
    r = critical_path(_netlist(cells), "top")
    lo = round(NET_DELAY_NS[0] * 1000)
    assert r["path_ns"][0] == (clk_to_out + lo + 127 + lo) / 1000
    assert r["worst"]["from"] == "ram (RAMB18E1.DOBDO)"


def test_registered_dsp_inputs_and_outputs():
    dsp = _cell(
        "DSP48E1", {"CLK": [1], "A": [50], "B": [51], "P": [52]}, outputs=("P",),
        AREG=1, BREG=1, MREG=1, PREG=1,
    )  # fmt: skip
    cells = {"ff": _ff(60, 50), "dsp": dsp, "ff2": _ff(52, 61)}
    r = critical_path(_netlist(cells), "top")
    lo = round(NET_DELAY_NS[0] * 1000)
    # The slower of FF -> A (setup 254) and P (arrival 329) -> FF.
    assert r["path_ns"][0] == max(303 + lo + 254, 329 + lo) / 1000


def test_no_sequential_cell_is_an_error():
    with pytest.raises(RuntimeError, match="no timed path"):
        critical_path(_netlist({"l": _cell("LUT1", {"I0": [1], "O": [2]})}), "top")
