"""The programmable-logic resources of the Zynq-7000 parts this project targets.

One table (:data:`DEVICES`), used by the area report (``lst report``), the board
build plans and their fit checks. Figures from Xilinx DS190 (Zynq-7000 SoC overview,
table 1): a RAMB36 counts as two RAMB18.
"""

from __future__ import annotations

from dataclasses import dataclass

from lst.errors import ConfigError

__all__ = [
    "BOARD_DEVICES",
    "DEVICES",
    "FCLK_RANGE_MHZ",
    "RESOURCES",
    "Device",
    "board_device",
    "check_fit",
    "device",
    "fits",
    "utilisation",
]

#: Resource names, as the area report's keys (``RAMB18_equiv`` = RAMB18 + 2 × RAMB36).
RESOURCES = ("LUT", "FF", "RAMB18_equiv", "DSP48E1")


@dataclass(frozen=True)
class Device:
    """One part's programmable logic: LUTs, flip-flops, RAMB18 blocks, DSP48E1 slices."""

    name: str
    LUT: int
    FF: int
    RAMB18_equiv: int
    DSP48E1: int

    def capacity(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in RESOURCES}


#: XC7Z010 (Zybo Z7-10) and XC7Z020 (Zybo Z7-20).
DEVICES = {
    "xc7z010": Device("XC7Z010", LUT=17_600, FF=35_200, RAMB18_equiv=120, DSP48E1=80),
    "xc7z020": Device("XC7Z020", LUT=53_200, FF=106_400, RAMB18_equiv=280, DSP48E1=220),
}


#: The part on each board the project builds for (``boards.zybo_z7`` has the pins; a
#: test keeps the two tables in step).
BOARD_DEVICES = {"zybo-z7-10": "xc7z010", "zybo-z7-20": "xc7z020"}

#: The PS7's fabric clocks (FCLK0–3) as Vivado's processing_system7 accepts them, MHz.
FCLK_RANGE_MHZ = (10.0, 250.0)


def board_device(board: str) -> str:
    """The device name (:data:`DEVICES`) on ``board``."""
    try:
        return BOARD_DEVICES[board]
    except KeyError:
        raise ConfigError(f"unknown board {board!r}; known: {', '.join(BOARD_DEVICES)}") from None


def device(name: str) -> Device:
    """The :class:`Device` called ``name`` (``xc7z010`` or ``xc7z020``, any case)."""
    try:
        return DEVICES[name.lower()]
    except KeyError:
        raise ConfigError(f"unknown device {name!r}; known: {', '.join(sorted(DEVICES))}") from None


def utilisation(area: dict, dev: Device | str) -> dict[str, float]:
    """Used / available per resource, as fractions (``area`` as from ``hw.report.area``)."""
    dev = device(dev) if isinstance(dev, str) else dev
    return {k: area.get(k, 0) / v for k, v in dev.capacity().items()}


def fits(area: dict, dev: Device | str) -> bool:
    """Whether every resource of ``area`` is within the device's capacity."""
    return all(u <= 1 for u in utilisation(area, dev).values())


def check_fit(area: dict, dev: Device | str, what: str = "the design") -> None:
    """Raise :class:`~lst.errors.ConfigError` naming the resources that do not fit."""
    dev = device(dev) if isinstance(dev, str) else dev
    over = [
        f"{k} {area.get(k, 0):,} > {v:,}" for k, v in dev.capacity().items() if area.get(k, 0) > v
    ]
    if over:
        raise ConfigError(f"{what} does not fit the {dev.name}: {', '.join(over)}")
