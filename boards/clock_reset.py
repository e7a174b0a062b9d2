"""``ClockReset``: the ``sync`` clock domain from a board's oscillator through its clock
generator: an MMCME2 on a Zybo Z7 (125 MHz in), an EHXPLLL on an ECP5 (the ULX3S's
25 MHz)."""

from __future__ import annotations

from amaranth import Instance, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.fpga.ecp5_pll import PLLSettings
from hw.fpga.mmcm import MMCMSettings

from .reset_control import ResetControl

__all__ = ["ClockReset"]


class ClockReset(wiring.Component):
    """A clock from the board's oscillator, and a reset for it held until the clock
    generator locks and asserted (synchronously) while ``button`` is pressed.

    With :class:`MMCMSettings` (7-series): an ``MMCME2_BASE`` and a ``BUFG``. With
    :class:`PLLSettings` (ECP5): an ``EHXPLLL`` whose primary output is also its
    feedback; its output gets its frequency as a timing constraint, so nextpnr times the
    design at the clock it runs at (an unconstrained clock is checked against nextpnr's
    12 MHz default). Vivado's constraints come from the build plan instead.

    The user defines the ``sync`` domain and drives its clock and reset from ``clk``
    and ``rst``; the reset logic runs in that domain (reset-less).

    Parameters
    ----------
    settings : MMCMSettings or PLLSettings
        The dividers (:func:`hw.fpga.mmcm.mmcm_settings`, :func:`hw.fpga.ecp5_pll.pll_settings`).
    hold_cycles : int
        Cycles of reset after lock (see :class:`ResetControl`).

    Ports
    -----
    clk_in : In(1)
        The input clock, from its input buffer.
    button : In(1)
        Reset button, active high, asynchronous.
    locked : Out(1)
        The MMCM's LOCKED or the PLL's LOCK output (asynchronous).
    clk : Out(1)
        The MMCM's CLKOUT0 through a ``BUFG``, or the PLL's CLKOP.
    rst : Out(1)
        Synchronous reset for ``sync`` (see :class:`ResetControl`).

    The MMCM instance is called ``mmcm`` (its pins ``…/mmcm/CLKIN1`` and
    ``…/mmcm/CLKOUT0`` are named in the Vivado build's timing constraints), the PLL
    ``pll``.
    """

    def __init__(self, settings: MMCMSettings | PLLSettings, *, hold_cycles: int = 16):
        if not isinstance(settings, MMCMSettings | PLLSettings):
            raise TypeError(f"settings must be MMCMSettings or PLLSettings, not {settings!r}")
        self.settings = settings
        self.hold_cycles = hold_cycles
        super().__init__(
            {"clk_in": In(1), "button": In(1), "locked": Out(1), "clk": Out(1), "rst": Out(1)}
        )

    def elaborate(self, platform):
        m = Module()
        if isinstance(self.settings, PLLSettings):
            self._pll(m, platform)
        else:
            self._mmcm(m)
        m.submodules.reset = reset = ResetControl(hold_cycles=self.hold_cycles)
        m.d.comb += [
            reset.locked.eq(self.locked),
            reset.button.eq(self.button),
            self.rst.eq(reset.rst),
        ]
        return m

    def _mmcm(self, m):
        s = self.settings
        feedback = Signal()
        clk_unbuffered = Signal()
        # Internal feedback (no BUFG): the core's clock needs no phase alignment to the
        # oscillator.
        m.submodules.mmcm = Instance(
            "MMCME2_BASE",
            p_BANDWIDTH="OPTIMIZED",
            p_CLKIN1_PERIOD=round(float(1000 / s.f_in_mhz), 3),
            p_DIVCLK_DIVIDE=s.divclk,
            p_CLKFBOUT_MULT_F=float(s.mult),
            p_CLKOUT0_DIVIDE_F=float(s.divide),
            p_CLKOUT0_DUTY_CYCLE=0.5,
            p_CLKOUT0_PHASE=0.0,
            p_STARTUP_WAIT="FALSE",
            i_CLKIN1=self.clk_in,
            i_CLKFBIN=feedback,
            o_CLKFBOUT=feedback,
            o_CLKOUT0=clk_unbuffered,
            o_LOCKED=self.locked,
            i_PWRDWN=0,
            i_RST=0,
        )
        m.submodules.bufg = Instance("BUFG", i_I=clk_unbuffered, o_O=self.clk)

    def _pll(self, m, platform):
        s = self.settings
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
            **{f"p_{k}": v for k, v in s.parameters().items()},
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
