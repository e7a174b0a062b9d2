"""``ClockReset``: the ``sync`` clock domain from a 125 MHz input through an MMCME2."""

from __future__ import annotations

from amaranth import Instance, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.mmcm import MMCMSettings

from .reset_control import ResetControl

__all__ = ["ClockReset"]


class ClockReset(wiring.Component):
    """An ``MMCME2_BASE`` and a ``BUFG`` making a clock, and a reset for it held until
    the MMCM locks and asserted (synchronously) while ``button`` is pressed.

    The user defines the ``sync`` domain and drives its clock and reset from ``clk``
    and ``rst``; the reset logic runs in that domain (reset-less).

    Parameters
    ----------
    settings : MMCMSettings
        The dividers (see :func:`hw.mmcm.mmcm_settings`).
    hold_cycles : int
        Cycles of reset after lock (see :class:`ResetControl`).

    Ports
    -----
    clk_in : In(1)
        The input clock, from its input buffer.
    button : In(1)
        Reset button, active high, asynchronous.
    locked : Out(1)
        The MMCM's LOCKED output (asynchronous).
    clk : Out(1)
        The MMCM's CLKOUT0 through a ``BUFG``.
    rst : Out(1)
        Synchronous reset for ``sync`` (see :class:`ResetControl`).

    The MMCM instance is called ``mmcm`` (its pins ``…/mmcm/CLKIN1`` and
    ``…/mmcm/CLKOUT0`` are named in the build's timing constraints).
    """

    def __init__(self, settings: MMCMSettings, *, hold_cycles: int = 16):
        if not isinstance(settings, MMCMSettings):
            raise TypeError(f"settings must be MMCMSettings, not {settings!r}")
        self.settings = settings
        self.hold_cycles = hold_cycles
        super().__init__(
            {"clk_in": In(1), "button": In(1), "locked": Out(1), "clk": Out(1), "rst": Out(1)}
        )

    def elaborate(self, platform):
        m = Module()
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
        m.submodules.reset = reset = ResetControl(hold_cycles=self.hold_cycles)
        m.d.comb += [
            reset.locked.eq(self.locked),
            reset.button.eq(self.button),
            self.rst.eq(reset.rst),
        ]
        return m
