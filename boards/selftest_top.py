"""``SelfTestTop``: the stand-alone self-test on a board (clock, reset, pins): a Zybo Z7
(MMCM) or a ULX3S (ECP5 PLL)."""

from __future__ import annotations

from amaranth import Cat, ClockDomain, Elaboratable, Module, Signal
from amaranth.lib import io
from amaranth.lib.cdc import FFSynchronizer

from hw.fpga.ecp5_pll import PLLSettings
from hw.fpga.mmcm import MMCMSettings

from .clock_reset import ClockReset
from .selftest import SelfTest

__all__ = ["SelfTestTop"]


#: The self-test's pins on a Zybo Z7: (resource, number) per role; the status is shown
#: on RGB LED6 (a platform may name ``ok`` and ``failed`` LEDs instead, as the ULX3S's
#: ``SELFTEST_PINS`` do).
ZYBO_PINS = {"reset": ("button", 0), "next_page": ("button", 1), "prev_page": ("button", 2)}


class SelfTestTop(Elaboratable):
    """:class:`SelfTest` on the board: the core's clock from the board's oscillator,
    a button as reset, the switches, buttons and LEDs.

    On a Zybo Z7 (:mod:`boards.zybo_z7`; ``settings`` an MMCM's): SW0 chooses the
    display mode, SW1–SW3 the image (with BTN1/BTN2 stepping the page of eight images);
    BTN0 resets; LD0–LD3 show the status or the class; RGB LED6 is green while every
    result has matched and red once one has not (or the core stalled), dimmed to 1/16
    duty. ``clk125`` drives the MMCM. On a ULX3S (:mod:`boards.ulx3s`; ``settings`` an
    ECP5 PLL's): the same roles on the pins its ``SELFTEST_PINS`` name, ``clk25``
    driving the PLL.

    Parameters
    ----------
    selftest_args : dict
        Keyword arguments of :class:`SelfTest` (without the heartbeat and debounce
        periods, which follow from the clock).
    settings : MMCMSettings or PLLSettings
        The dividers for the core's clock.
    """

    def __init__(self, *, settings: MMCMSettings | PLLSettings, **selftest_args):
        if not isinstance(settings, MMCMSettings | PLLSettings):
            raise TypeError(f"settings must be MMCMSettings or PLLSettings, not {settings!r}")
        f = settings.f_out_mhz * 1_000_000
        self.settings = settings
        self.selftest = SelfTest(
            **selftest_args,
            heartbeat_cycles=int(f),  # 1 Hz
            debounce_cycles=int(f / 100),  # 10 ms
        )

    def elaborate(self, platform):
        m = Module()

        def pin(direction, name, number, port=None):
            # One buffer per pin; returns its ``i`` or ``o`` signal.
            port = port if port is not None else platform.request(name, number, dir="-")
            m.submodules[f"{name}{number}_buf"] = buf = io.Buffer(direction, port)
            return buf.i if direction == "i" else buf.o

        pins = getattr(platform, "SELFTEST_PINS", ZYBO_PINS)
        m.submodules.clkgen = clocking = ClockReset(self.settings)
        m.domains.sync = cd_sync = ClockDomain("sync")
        m.d.comb += [
            cd_sync.clk.eq(clocking.clk),
            cd_sync.rst.eq(clocking.rst),
            clocking.clk_in.eq(pin("i", platform.default_clk, 0)),
            clocking.button.eq(pin("i", *pins["reset"])),
        ]
        m.submodules.selftest = st = self.selftest

        # Switches and buttons are asynchronous: two flip-flops each.
        def synced(name, number):
            s = Signal(name=f"{name}{number}_sync")
            m.submodules[f"{name}{number}_sync"] = FFSynchronizer(pin("i", name, number), s)
            return s

        m.d.comb += [
            st.display.eq(synced("switch", 0)),
            st.select.eq(Cat(synced("switch", 1), synced("switch", 2), synced("switch", 3))),
            st.next_page.eq(synced(*pins["next_page"])),
            st.prev_page.eq(synced(*pins["prev_page"])),
        ]
        for i in range(4):
            m.d.comb += pin("o", "led", i).eq(st.leds[i])
        # The status LEDs are very bright at full duty.
        dim = Signal(4)
        m.d.sync += dim.eq(dim + 1)
        on = dim == 0
        if "ok" in pins:
            m.d.comb += [
                pin("o", *pins["ok"]).eq(on & st.ok),
                pin("o", *pins["failed"]).eq(on & st.failed),
            ]
            return m
        rgb = platform.request("rgb_led", 0, dir="-")
        m.d.comb += [
            pin("o", "rgb_led0_r", "", rgb.r).eq(on & st.failed),
            pin("o", "rgb_led0_g", "", rgb.g).eq(on & st.ok),
            pin("o", "rgb_led0_b", "", rgb.b).eq(0),
        ]
        return m
