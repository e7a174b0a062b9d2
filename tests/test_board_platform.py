"""The Zybo Z7 platforms: every pin and I/O standard against Digilent's master XDC."""

from __future__ import annotations

import pytest

from boards.zybo_z7 import BOARDS, ZyboZ7_10Platform, ZyboZ7_20Platform, board_platform
from hw.fpga.device import DEVICES, check_fit, device, fits, utilisation
from lst.errors import ConfigError

# Digilent, Zybo-Z7-Master.xdc, Rev. B (digilent-xdc repository), valid for both boards;
# every PL pin there is LVCMOS33. Resource -> pins in subsignal/bit order.
COMMON = {
    ("clk125", 0): ["K17"],
    ("led", 0): ["M14"],
    ("led", 1): ["M15"],
    ("led", 2): ["G14"],
    ("led", 3): ["D18"],
    ("button", 0): ["K18"],
    ("button", 1): ["P16"],
    ("button", 2): ["K19"],
    ("button", 3): ["Y16"],
    ("switch", 0): ["G15"],
    ("switch", 1): ["P15"],
    ("switch", 2): ["W13"],
    ("switch", 3): ["T16"],
    ("rgb_led", 0): ["V16", "F17", "M17"],  # LD6 r, g, b
}
Z7_20_ONLY = {("rgb_led", 1): ["Y11", "T5", "Y12"]}  # LD5 r, g, b
PMODS = {
    0: "N15 L14 K16 K14 N16 L15 J16 J14",  # JA
    2: "V15 W15 T11 T10 W14 Y14 T12 U12",  # JC
    3: "T14 T15 P14 R14 U14 U15 V17 V18",  # JD
    4: "V12 W16 J15 H15 V13 U17 T17 Y17",  # JE
}
PMOD_JB = {1: "V8 W8 U7 V7 Y7 Y6 V6 W6"}  # Z7-20 only


def _pins(resource):
    """(pins, IOSTANDARDs) of a resource, subsignals in declaration order."""
    pins, stds = [], set()

    def walk(node, attrs):
        attrs = {**attrs, **dict(node.attrs)}
        io = node.ios[0]
        if hasattr(io, "names"):
            pins.extend(io.names)
            stds.add(attrs.get("IOSTANDARD"))
        else:
            for sub in node.ios:
                walk(sub, attrs)

    walk(resource, {})
    return pins, stds


@pytest.mark.parametrize("cls", [ZyboZ7_10Platform, ZyboZ7_20Platform])
def test_pins_and_standards(cls):
    platform = cls()
    table = {**COMMON, **(Z7_20_ONLY if cls is ZyboZ7_20Platform else {})}
    assert set(platform.resources) == set(table)
    for key, pins in table.items():
        got, stds = _pins(platform.resources[key])
        assert got == pins, key
        assert stds == {"LVCMOS33"}, key
    pmods = {**PMODS, **(PMOD_JB if cls is ZyboZ7_20Platform else {})}
    assert {n for (_, n) in platform.connectors} == set(pmods)
    for n, pins in pmods.items():
        conn = platform.connectors["pmod", n]
        mapping = dict(conn.mapping)
        assert [mapping[str(p)] for p in (1, 2, 3, 4, 7, 8, 9, 10)] == pins.split()
        assert "5" not in mapping and "12" not in mapping
    clk = platform.resources["clk125", 0]
    assert clk.clock.frequency == 125e6


def test_z7_10_lacks_z7_20_resources():
    z10, z20 = ZyboZ7_10Platform(), ZyboZ7_20Platform()
    assert ("rgb_led", 1) not in z10.resources and ("rgb_led", 1) in z20.resources
    assert ("pmod", 1) not in z10.connectors and ("pmod", 1) in z20.connectors


def test_parts():
    assert ZyboZ7_10Platform()._part == "xc7z010clg400-1"
    assert ZyboZ7_20Platform()._part == "xc7z020clg400-1"
    assert set(BOARDS) == {"zybo-z7-10", "zybo-z7-20"}
    assert isinstance(board_platform("zybo-z7-20"), ZyboZ7_20Platform)
    with pytest.raises(ConfigError, match="unknown board 'arty'"):
        board_platform("arty")


def test_device_table_and_fit():
    assert DEVICES["xc7z010"].capacity() == {
        "LUT": 17_600,
        "FF": 35_200,
        "RAMB18_equiv": 120,
        "DSP48E1": 80,
    }
    assert DEVICES["xc7z020"].capacity() == {
        "LUT": 53_200,
        "FF": 106_400,
        "RAMB18_equiv": 280,
        "DSP48E1": 220,
    }
    small = {"LUT": 17_600, "FF": 10, "RAMB18_equiv": 120, "DSP48E1": 80}
    assert fits(small, "xc7z010") and fits(small, "XC7Z020")
    big = {**small, "DSP48E1": 81}
    assert not fits(big, "xc7z010") and fits(big, "xc7z020")
    assert utilisation(big, "xc7z010")["DSP48E1"] == pytest.approx(81 / 80)
    with pytest.raises(ConfigError, match=r"does not fit the XC7Z010: DSP48E1 81 > 80"):
        check_fit(big, device("xc7z010"), "the top")
    with pytest.raises(ConfigError, match="unknown device"):
        device("xc7a35t")
