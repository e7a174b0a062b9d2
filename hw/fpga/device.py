"""The programmable-logic resources of the parts this project targets.

One table (:data:`DEVICES`), used by the area report (``lst report``), the build
requests' fit checks (:mod:`hw.request`) and the board builds. The keys of a
:class:`Device`'s resources are the Xilinx names; a Lattice ECP5's are its nearest
equivalents (:meth:`Device.label` names them):

* Zynq-7000 (``family="xc7"``), from Xilinx DS190 (Zynq-7000 SoC overview, table 1):
  LUT6, flip-flops, RAMB18 (a RAMB36 counts as two), DSP48E1;
* ECP5 (``family="ecp5"``), from Lattice FPGA-DS-02012 (ECP5 and ECP5-5G family data
  sheet, table 1.1) and the counts nextpnr-ecp5 reports for the parts: LUT4 (TRELLIS_COMB),
  flip-flops (TRELLIS_FF, two per two LUT4), DP16KD 18 Kbit block RAMs (sysMEM EBR),
  MULT18X18D multipliers.
"""

from __future__ import annotations

from dataclasses import dataclass

from lst.errors import ConfigError

__all__ = [
    "BOARD_DEVICES",
    "DEVICES",
    "FCLK_RANGE_MHZ",
    "LABELS",
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


#: What each family calls the resources of :data:`RESOURCES`.
LABELS = {
    "xc7": {"LUT": "LUT", "FF": "FF", "RAMB18_equiv": "RAMB18", "DSP48E1": "DSP48E1"},
    "ecp5": {"LUT": "LUT4", "FF": "FF", "RAMB18_equiv": "DP16KD", "DSP48E1": "MULT18X18D"},
}


@dataclass(frozen=True)
class Device:
    """One part's programmable logic: LUTs, flip-flops, 18 Kbit block RAMs and
    multipliers (the keys are the Xilinx names; :meth:`label` gives the family's)."""

    name: str
    LUT: int
    FF: int
    RAMB18_equiv: int
    DSP48E1: int
    family: str = "xc7"
    #: The speed grade the timing figures assume.
    speed: str = "-1"

    def capacity(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in RESOURCES}

    def label(self, resource: str) -> str:
        """The family's name of ``resource`` (``DSP48E1`` on an ECP5: ``MULT18X18D``)."""
        return LABELS[self.family][resource]


#: XC7Z010 (Zybo Z7-10), XC7Z020 (Zybo Z7-20); LFE5U-85F and -45F (ULX3S), speed 6.
DEVICES = {
    "xc7z010": Device("XC7Z010", LUT=17_600, FF=35_200, RAMB18_equiv=120, DSP48E1=80),
    "xc7z020": Device("XC7Z020", LUT=53_200, FF=106_400, RAMB18_equiv=280, DSP48E1=220),
    "lfe5u-85f": Device(
        "LFE5U-85F",
        LUT=83_640,
        FF=83_640,
        RAMB18_equiv=208,
        DSP48E1=156,
        family="ecp5",
        speed="6",
    ),
    "lfe5u-45f": Device(
        "LFE5U-45F",
        LUT=43_848,
        FF=43_848,
        RAMB18_equiv=108,
        DSP48E1=72,
        family="ecp5",
        speed="6",
    ),
}


#: The part on each board the project builds for (``boards.zybo_z7`` has the pins; a
#: test keeps the two tables in step).
BOARD_DEVICES = {
    "zybo-z7-10": "xc7z010",
    "zybo-z7-20": "xc7z020",
    "ulx3s-85f": "lfe5u-85f",
    "ulx3s-45f": "lfe5u-45f",
}

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
    """Used / available per resource, as fractions (``area`` as from ``report.synthesis.area``)."""
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
