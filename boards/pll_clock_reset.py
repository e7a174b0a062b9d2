"""``PLLClockReset``: the ``sync`` clock domain from a board oscillator through an ECP5
EHXPLLL (the ULX3S's 25 MHz)."""

from __future__ import annotations

from amaranth import Instance, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.ecp5_pll import PLLSettings

from .reset_control import ResetControl

__all__ = ["PLLClockReset"]


class PLLClockReset(wiring.Component):
    """An ``EHXPLLL`` making a clock (CLKOP, also its feedback), and a reset for it held
    until the PLL locks and asserted (synchronously) while ``button`` is pressed. The
    output clock gets its frequency as a timing constraint, so nextpnr times the design
    at the clock it will run at (an unconstrained clock would be checked against
    nextpnr's 12 MHz default).

    Parameters
    ----------
    settings : PLLSettings
        The dividers (see :func:`hw.ecp5_pll.pll_settings`).
    hold_cycles : int
        Cycles of reset after lock (see :class:`ResetControl`).

    Ports
    -----
    clk_in : In(1)
        The oscillator, from its input buffer.
    button : In(1)
        Reset button, active high, asynchronous.
    locked : Out(1)
        The PLL's LOCK output (asynchronous).
    clk : Out(1)
        CLKOP (on the global clock network).
    rst : Out(1)
        Synchronous reset for ``sync`` (see :class:`ResetControl`).
    """

    def __init__(self, settings: PLLSettings, *, hold_cycles: int = 16):
        if not isinstance(settings, PLLSettings):
            raise TypeError(f"settings must be PLLSettings, not {settings!r}")
        self.settings = settings
        self.hold_cycles = hold_cycles
        super().__init__(
            {"clk_in": In(1), "button": In(1), "locked": Out(1), "clk": Out(1), "rst": Out(1)}
        )

    def elaborate(self, platform):
        m = Module()
        s = self.settings
        params = {f"p_{k}": v for k, v in s.parameters().items()}
        m.submodules.pll = Instance(
            "EHXPLLL",
            # The loop-filter settings Lattice's tools and Project Trellis's ecppll write.
            a_ICP_CURRENT="12",
            a_LPF_RESISTOR="8",
            a_MFG_ENABLE_FILTEROPAMP="1",
            a_MFG_GMCREF_SEL="2",
            a_FREQUENCY_PIN_CLKI=f"{float(s.f_in_mhz):g}",
            a_FREQUENCY_PIN_CLKOP=f"{float(s.f_out_mhz):g}",
            p_PLLRST_ENA="DISABLED",
            p_INTFB_WAKE="DISABLED",
            p_STDBY_ENABLE="DISABLED",
            p_DPHASE_SOURCE="DISABLED",
            p_OUTDIVIDER_MUXA="DIVA",
            p_OUTDIVIDER_MUXB="DIVB",
            p_OUTDIVIDER_MUXC="DIVC",
            p_OUTDIVIDER_MUXD="DIVD",
            p_CLKOP_ENABLE="ENABLED",
            p_FEEDBK_PATH="CLKOP",
            **params,
            i_CLKI=self.clk_in,
            i_CLKFB=self.clk,
            o_CLKOP=self.clk,
            o_LOCK=self.locked,
            i_RST=0,
            i_STDBY=0,
            i_PHASESEL0=0,
            i_PHASESEL1=0,
            i_PHASEDIR=1,
            i_PHASESTEP=1,
            i_PHASELOADREG=1,
            i_PLLWAKESYNC=0,
            i_ENCLKOP=0,
        )
        if platform is not None:
            platform.add_clock_constraint(self.clk, float(s.f_out_mhz) * 1e6)
        m.submodules.reset = reset = ResetControl(hold_cycles=self.hold_cycles)
        m.d.comb += [
            reset.locked.eq(self.locked),
            reset.button.eq(self.button),
            self.rst.eq(reset.rst),
        ]
        return m
