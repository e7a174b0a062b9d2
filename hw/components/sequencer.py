"""``Sequencer``: which pass runs, over which block."""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Sequencer"]


class Sequencer(wiring.Component):
    """Starts an image's passes one after the other: for each block a row pass and a
    column pass, then the output layer.

    A pass's first op follows the previous pass's last op in the next cycle (``start``
    is asserted in the cycle of the previous pass's ``done``), or ``gap`` cycles
    later. The output layer waits
    until the previous result has been collected (``result_free``), so its logits
    always have room; the next image's first row pass starts when the output layer
    finishes, or as soon as an image is loaded when the core is idle.

    Parameters
    ----------
    blocks : int
        L2DST blocks of the model (1 for LST-1, 2 for LST-2, 3 for ResLST-3).
    gaps : dict, optional
        Idle cycles between a row and its column pass (``row_to_column``), a column
        pass and the next block's row pass (``column_to_row``) and the last column
        pass and the output layer (``column_to_output``); default none
        (:func:`hw.plan.schedule.pass_gaps` says when a pass would otherwise read a value
        before it is written).

    Ports
    -----
    image_ready : In(1)
        The input buffer holds a complete image. Registered before use (the first row
        pass starts a cycle later than it could; it keeps the input buffer's logic out
        of the passes' counters): it may stay high for one cycle after ``release``,
        when the sequencer is running passes and does not look at it.
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

    GAPS = ("row_to_column", "column_to_row", "column_to_output")

    def __init__(self, *, blocks: int = 1, gaps: dict | None = None):
        if not isinstance(blocks, int) or blocks < 1:
            raise ValueError(f"blocks must be a positive integer, not {blocks!r}")
        gaps = dict(gaps or {})
        unknown = sorted(set(gaps) - set(self.GAPS))
        if unknown:
            raise ValueError(f"unknown gap {unknown[0]!r}; known: {', '.join(self.GAPS)}")
        for name, value in gaps.items():
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"gap {name} must be a non-negative integer, not {value!r}")
        self.blocks = blocks
        self.gaps = {name: gaps.get(name, 0) for name in self.GAPS}
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
        ready = Signal()
        m.d.sync += ready.eq(self.image_ready)

        def first_row():
            m.d.comb += self.row_start.eq(1)
            if self.blocks > 1:
                m.d.sync += self.block.eq(0)
            m.next = "ROW"

        def output():
            m.d.comb += self.out_start.eq(1)
            m.next = "OUTPUT"

        # Counts a gap's idle cycles down (its state starts the pass at zero).
        count = Signal(range(max(2, max(self.gaps.values()) + 1)))

        def after_gap(name, state, start):
            """Start the next pass now, or go to ``state``, which starts it after the
            gap."""
            gap = self.gaps[name]
            if gap:
                m.d.sync += count.eq(gap - 1)
                m.next = state
            else:
                start()

        def column():
            m.d.comb += self.col_start.eq(1)
            m.next = "COLUMN"

        def next_row():
            m.d.comb += self.row_start.eq(1)
            m.d.sync += self.block.eq(self.block + 1)
            m.next = "ROW"

        def output_when_free():
            with m.If(self.result_free):
                output()
            with m.Else():
                m.next = "WAIT"

        with m.FSM():
            with m.State("IDLE"), m.If(ready):
                first_row()
            with m.State("ROW"), m.If(self.row_done):
                # Only the first block reads the pixels.
                m.d.comb += self.release.eq(self.block == 0)
                after_gap("row_to_column", "GAP_COLUMN", column)
            with m.State("COLUMN"), m.If(self.col_done):
                with m.If(~last_block):
                    after_gap("column_to_row", "GAP_ROW", next_row)
                with m.Else():
                    after_gap("column_to_output", "GAP_OUTPUT", output_when_free)
            for state, start in (
                ("GAP_COLUMN", column),
                ("GAP_ROW", next_row),
                ("GAP_OUTPUT", output_when_free),
            ):
                with m.State(state):
                    with m.If(count == 0):
                        start()
                    with m.Else():
                        m.d.sync += count.eq(count - 1)
            with m.State("WAIT"), m.If(self.result_free):
                output()
            with m.State("OUTPUT"), m.If(self.out_done):
                with m.If(ready):
                    first_row()
                with m.Else():
                    m.next = "IDLE"
        return m
