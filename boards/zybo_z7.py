"""Digilent Zybo Z7-10 and Z7-20 platforms (programmable logic only).

Pins from Digilent's master constraints, ``Zybo-Z7-Master.xdc`` (Rev. B; the
digilent-xdc repository), which serve both boards; every PL pin is LVCMOS33. RGB LED5
and Pmod JB are wired on the Z7-20 only. The 125 MHz oscillator (from the Ethernet
PHY) is on K17. The processor system's MIO pins (UART, USB, SD, Ethernet, DDR) are not
PL resources and are not listed.
"""

from __future__ import annotations

from amaranth.build import Attrs, Clock, Connector, Pins, Resource
from amaranth.vendor import XilinxPlatform
from amaranth_boards.resources import (
    ButtonResources,
    LEDResources,
    RGBLEDResource,
    SwitchResources,
)

__all__ = ["BOARDS", "ZyboZ7_10Platform", "ZyboZ7_20Platform", "board_platform"]

_IO = Attrs(IOSTANDARD="LVCMOS33")


def _pmod(number: int, pins: str) -> Connector:
    """A 12-pin Pmod: signal pins 1–4 and 7–10 (5, 11 GND; 6, 12 VCC)."""
    p = pins.split()
    return Connector("pmod", number, " ".join([*p[:4], "-", "-", *p[4:], "-", "-"]))


class _ZyboZ7Platform(XilinxPlatform):
    package = "clg400"
    speed = "1"
    default_clk = "clk125"
    # Tuples: the tables are shared by every instance.
    resources = (
        Resource("clk125", 0, Pins("K17", dir="i"), Clock(125e6), _IO),
        *LEDResources(pins="M14 M15 G14 D18", attrs=_IO),  # LD0–LD3
        *ButtonResources(pins="K18 P16 K19 Y16", attrs=_IO),  # BTN0–BTN3
        *SwitchResources(pins="G15 P15 W13 T16", attrs=_IO),  # SW0–SW3
        RGBLEDResource(0, r="V16", g="F17", b="M17", attrs=_IO),  # LD6
    )
    connectors = (
        _pmod(0, "N15 L14 K16 K14 N16 L15 J16 J14"),  # JA (XADC)
        _pmod(2, "V15 W15 T11 T10 W14 Y14 T12 U12"),  # JC
        _pmod(3, "T14 T15 P14 R14 U14 U15 V17 V18"),  # JD
        _pmod(4, "V12 W16 J15 H15 V13 U17 T17 Y17"),  # JE
    )


class ZyboZ7_10Platform(_ZyboZ7Platform):
    """Zybo Z7-10: XC7Z010-1CLG400C."""

    device = "xc7z010"


class ZyboZ7_20Platform(_ZyboZ7Platform):
    """Zybo Z7-20: XC7Z020-1CLG400C; adds RGB LED5 and Pmod JB."""

    device = "xc7z020"
    resources = (
        *_ZyboZ7Platform.resources,
        RGBLEDResource(1, r="Y11", g="T5", b="Y12", attrs=_IO),  # LD5
    )
    connectors = (
        *_ZyboZ7Platform.connectors,
        _pmod(1, "V8 W8 U7 V7 Y7 Y6 V6 W6"),  # JB
    )


#: Board names as the command line and ``make bitstream BOARD=`` spell them.
BOARDS = {"zybo-z7-10": ZyboZ7_10Platform, "zybo-z7-20": ZyboZ7_20Platform}


def board_platform(name: str) -> XilinxPlatform:
    """A fresh platform for the board called ``name``."""
    from lst.errors import ConfigError

    try:
        return BOARDS[name]()
    except KeyError:
        raise ConfigError(f"unknown board {name!r}; known: {', '.join(BOARDS)}") from None
