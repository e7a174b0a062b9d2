"""``SelfTestTop``: the stand-alone self-test on a Zybo Z7 (clock, reset, pins)."""

from __future__ import annotations

from amaranth import Cat, ClockDomain, Elaboratable, Module, Signal
from amaranth.lib import io
from amaranth.lib.cdc import FFSynchronizer

from hw.mmcm import MMCMSettings

from .clock_reset import ClockReset
from .selftest import SelfTest

__all__ = ["SelfTestTop"]


class SelfTestTop(Elaboratable):
    """:class:`SelfTest` on the board: the MMCM clock, BTN0 as reset, the switches,
    buttons and LEDs of a Zybo Z7 platform (:mod:`boards.zybo_z7`).

    Pins (see ``boards/README.md``): SW0 chooses the display mode, SW1–SW3 the image
    (with BTN1/BTN2 stepping the page of eight images); LD0–LD3 show the status or
    the class; RGB LED6 is green while every result has matched and red once one has
    not (or the core stalled), dimmed to 1/16 duty. ``clk125`` drives the MMCM.

    Parameters
    ----------
    selftest_args : dict
        Keyword arguments of :class:`SelfTest` (without the heartbeat and debounce
        periods, which follow from the clock).
    settings : MMCMSettings
        The MMCM dividers for the core's clock.
    """

    def __init__(self, *, settings: MMCMSettings, **selftest_args):
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

        m.submodules.clkgen = clocking = ClockReset(self.settings)
        m.domains.sync = cd_sync = ClockDomain("sync")
        m.d.comb += [
            cd_sync.clk.eq(clocking.clk),
            cd_sync.rst.eq(clocking.rst),
            clocking.clk_in.eq(pin("i", platform.default_clk, 0)),
            clocking.button.eq(pin("i", "button", 0)),
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
            st.next_page.eq(synced("button", 1)),
            st.prev_page.eq(synced("button", 2)),
        ]
        for i in range(4):
            m.d.comb += pin("o", "led", i).eq(st.leds[i])
        # The RGB LED is very bright at full duty.
        dim = Signal(4)
        m.d.sync += dim.eq(dim + 1)
        on = dim == 0
        rgb = platform.request("rgb_led", 0, dir="-")
        m.d.comb += [
            pin("o", "rgb_led0_r", "", rgb.r).eq(on & st.failed),
            pin("o", "rgb_led0_g", "", rgb.g).eq(on & st.ok),
            pin("o", "rgb_led0_b", "", rgb.b).eq(0),
        ]
        return m
