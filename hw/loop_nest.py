"""``LoopNest``: the nested counters that sequence a pass, one operation per cycle."""

from __future__ import annotations

from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["LoopNest", "drive_pass", "pass_members"]


def pass_members(weight_words: int) -> dict:
    """Signature members every pass shares: the handshake with the sequencer and the
    operation of the cycle (see :class:`~hw.row_pass.RowPass`)."""
    return {
        "start": In(1),
        "busy": Out(1),
        "valid": Out(1),
        "first": Out(1),
        "last": Out(1),
        "done": Out(1),
        "w_addr": Out(range(weight_words)),
    }


def drive_pass(m: Module, ports, loops: LoopNest) -> None:
    """Connect a pass's shared members to its loop nest: one operation per busy cycle."""
    m.d.comb += [
        loops.start.eq(ports.start),
        ports.busy.eq(loops.busy),
        ports.valid.eq(loops.busy),
        ports.first.eq(loops.first),
        ports.last.eq(loops.last),
        ports.done.eq(loops.done),
    ]


class LoopNest(wiring.Component):
    """Counters ``index[0]`` (innermost) … ``index[n−1]``, running one step per cycle.

    ``start`` (ignored while busy) begins the nest at all zeros in the next cycle;
    while ``busy``, the innermost counter advances and each counter wraps into the
    next; after the last combination the nest stops. ``first``/``last`` mark the
    innermost counter's ends (a dot product's first and last tap), ``done`` the last
    combination.

    Parameters
    ----------
    bounds : tuple of int
        Trip count of each counter, innermost first (each ≥ 1).

    Ports
    -----
    start : In(1)
    busy, first, last, done : Out(1)
    index{i} : Out(range(bounds[i]))
    """

    def __init__(self, bounds):
        self.bounds = tuple(int(b) for b in bounds)
        if not self.bounds or min(self.bounds) < 1:
            raise ValueError(f"bounds must be positive trip counts, not {bounds!r}")
        members = {"start": In(1), "busy": Out(1), "first": Out(1), "last": Out(1), "done": Out(1)}
        for i, b in enumerate(self.bounds):
            members[f"index{i}"] = Out(range(max(2, b)))
        super().__init__(members)

    def index(self, i):
        return getattr(self, f"index{i}")

    def elaborate(self, platform):
        m = Module()
        n = len(self.bounds)
        ends = [self.index(i) == b - 1 for i, b in enumerate(self.bounds)]
        all_end = ends[0]
        for e in ends[1:]:
            all_end = all_end & e
        m.d.comb += [
            self.first.eq(self.busy & (self.index(0) == 0)),
            self.last.eq(self.busy & ends[0]),
            self.done.eq(self.busy & all_end),
        ]
        with m.If(self.busy):
            # Counter i steps when all inner counters wrap; it wraps itself at its end.
            carry = Signal(n + 1, name="carry")
            m.d.comb += carry[0].eq(1)
            for i in range(n):
                m.d.comb += carry[i + 1].eq(carry[i] & ends[i])
                with m.If(carry[i]):
                    with m.If(ends[i]):
                        m.d.sync += self.index(i).eq(0)
                    with m.Else():
                        m.d.sync += self.index(i).eq(self.index(i) + 1)
            with m.If(all_end):
                m.d.sync += self.busy.eq(0)
        with m.Elif(self.start):
            m.d.sync += self.busy.eq(1)
            m.d.sync += [self.index(i).eq(0) for i in range(n)]
        return m
