"""``Sequencer``: which pass runs, over which block."""

from __future__ import annotations

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Sequencer"]


class Sequencer(wiring.Component):
    """Starts an image's passes one after the other: for each block a row pass and a
    column pass, then the output layer.

    A pass's first op follows the previous pass's last op in the next cycle (``start``
    is asserted in the cycle of the previous pass's ``done``). The output layer waits
    until the previous result has been collected (``result_free``), so its logits
    always have room; the next image's first row pass starts when the output layer
    finishes, or as soon as an image is loaded when the core is idle.

    Parameters
    ----------
    blocks : int
        L2DST blocks of the model (1 for LST-1, 2 for LST-2, 3 for ResLST-3).

    Ports
    -----
    image_ready : In(1)
        The input buffer holds a complete image.
    result_free : In(1)
        The result stage can take an image's logits.
    row_done, col_done, out_done : In(1)
        The running pass issues its last op this cycle.
    row_start, col_start, out_start : Out(1)
        Strobes to the passes (combinational, in the cycle of the previous ``done``).
    release : Out(1)
        Strobe: the first block's row pass is done with the input image.
    block : Out(range(blocks))
        The block whose row or column pass runs (registered; changes with ``row_start``).
    """

    def __init__(self, *, blocks: int = 1):
        if not isinstance(blocks, int) or blocks < 1:
            raise ValueError(f"blocks must be a positive integer, not {blocks!r}")
        self.blocks = blocks
        super().__init__(
            {
                "image_ready": In(1),
                "result_free": In(1),
                "row_done": In(1),
                "col_done": In(1),
                "out_done": In(1),
                "row_start": Out(1),
                "col_start": Out(1),
                "out_start": Out(1),
                "release": Out(1),
                "block": Out(range(max(2, blocks))),
            }
        )

    def elaborate(self, platform):
        m = Module()
        last_block = self.block == self.blocks - 1

        def first_row():
            m.d.comb += self.row_start.eq(1)
            if self.blocks > 1:
                m.d.sync += self.block.eq(0)
            m.next = "ROW"

        def output():
            m.d.comb += self.out_start.eq(1)
            m.next = "OUTPUT"

        with m.FSM():
            with m.State("IDLE"), m.If(self.image_ready):
                first_row()
            with m.State("ROW"), m.If(self.row_done):
                # Only the first block reads the pixels.
                m.d.comb += [self.release.eq(self.block == 0), self.col_start.eq(1)]
                m.next = "COLUMN"
            with m.State("COLUMN"), m.If(self.col_done):
                with m.If(~last_block):
                    m.d.comb += self.row_start.eq(1)
                    m.d.sync += self.block.eq(self.block + 1)
                    m.next = "ROW"
                with m.Elif(self.result_free):
                    output()
                with m.Else():
                    m.next = "WAIT"
            with m.State("WAIT"), m.If(self.result_free):
                output()
            with m.State("OUTPUT"), m.If(self.out_done):
                with m.If(self.image_ready):
                    first_row()
                with m.Else():
                    m.next = "IDLE"
        return m
