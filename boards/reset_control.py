"""``ResetControl``: the design's synchronous reset from the MMCM lock and a button."""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

__all__ = ["ResetControl"]


class ResetControl(wiring.Component):
    """Holds ``rst`` high until the clock is locked, and while the button is pressed.

    Every flip-flop here is reset-less (initialised at configuration), so ``rst`` can
    drive the reset of the domain it runs in.

    Parameters
    ----------
    hold_cycles : int
        Cycles ``rst`` stays high after ``locked`` rises and the button is released.

    Ports
    -----
    locked : In(1)
        The MMCM's LOCKED output (asynchronous; synchronised here).
    button : In(1)
        The reset button, active high (asynchronous; synchronised here).
    rst : Out(1)
        Synchronous reset, high from configuration until ``locked`` and
        ``hold_cycles`` clean cycles; rises 3 cycles after the button is pressed.
    """

    def __init__(self, *, hold_cycles: int = 16):
        if not isinstance(hold_cycles, int) or hold_cycles < 1:
            raise ValueError(f"hold_cycles must be a positive integer, not {hold_cycles!r}")
        self.hold_cycles = hold_cycles
        super().__init__({"locked": In(1), "button": In(1), "rst": Out(1, init=1)})

    def elaborate(self, platform):
        m = Module()
        locked = Signal()
        button = Signal()
        # Two flip-flops each: both inputs are asynchronous to this clock.
        m.submodules.locked_sync = FFSynchronizer(self.locked, locked, init=0)
        m.submodules.button_sync = FFSynchronizer(self.button, button, init=0)
        count = Signal(range(self.hold_cycles + 1), reset_less=True)
        rst = Signal(init=1, reset_less=True)
        with m.If(~locked | button):
            m.d.sync += [count.eq(0), rst.eq(1)]
        with m.Elif(count == self.hold_cycles):
            m.d.sync += rst.eq(0)
        with m.Else():
            m.d.sync += count.eq(count + 1)
        m.d.comb += self.rst.eq(rst)
        return m
