"""``LoopNest``: the nested counters that sequence a pass, one operation per cycle."""

from __future__ import annotations

from amaranth import Array, Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["LoopNest", "drive_pass", "lookup", "pass_members", "weight_counter"]


def lookup(values, index):
    """``values[index]`` for a table of constants indexed by a counter: a function of
    the counter's few bits, which synthesis turns into one level of LUTs."""
    shape = range(max(2, max(values) + 1))
    return Array(Const(v, shape) for v in values)[index]


def pass_members(weight_words: int) -> dict:
    """Signature members every pass shares: the handshake with the sequencer and the
    operation of the cycle (see :class:`~hw.components.row_pass.RowPass`)."""
    return {
        "start": In(1),
        "busy": Out(1),
        "valid": Out(1),
        "first": Out(1),
        "last": Out(1),
        "done": Out(1),
        "w_addr": Out(range(weight_words)),
    }


def weight_counter(m: Module, ports, loops: LoopNest, *, base: int) -> None:
    """Drive ``ports.w_addr`` = ``base + index1·bounds[0] + index0`` as a register stepped
    with the loop counters (same cycle, same conditions as :class:`LoopNest`): the weight
    ROM's address then leaves a flip-flop, with no adder or multiplier on the way. After
    the last combination of ``index0`` and ``index1`` it starts again at ``base``."""
    addr = ports.w_addr
    with m.If(loops.busy):
        wrap = loops.last
        if len(loops.bounds) > 1:
            wrap = wrap & (loops.index(1) == loops.bounds[1] - 1)
        with m.If(wrap):
            m.d.sync += addr.eq(base)
        with m.Else():
            m.d.sync += addr.eq(addr + 1)
    with m.Elif(ports.start):
        m.d.sync += addr.eq(base)


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
        total = 1
        for b in self.bounds:
            total *= b
        ends = [self.index(i) == b - 1 for i, b in enumerate(self.bounds)]
        # first/last/done are registered flags, computed a cycle ahead: the sequencer
        # and the router start from them, so they must not add LUT levels of their own.
        left = Signal(range(max(2, total)), name="left")  # ops after this one
        first, last, done = Signal(), Signal(), Signal()
        m.d.comb += [self.first.eq(first), self.last.eq(last), self.done.eq(done)]
        inner = self.bounds[0]
        with m.If(self.busy):
            # Counter i steps when all inner counters wrap; it wraps itself at its end.
            carry = Signal(n + 1, name="carry")
            m.d.comb += carry[0].eq(1)
            for i in range(n):
                # The innermost end is the registered `last` flag: one LUT level less.
                m.d.comb += carry[i + 1].eq(carry[i] & (last if i == 0 else ends[i]))
                with m.If(carry[i]):
                    with m.If(last if i == 0 else ends[i]):
                        m.d.sync += self.index(i).eq(0)
                    with m.Else():
                        m.d.sync += self.index(i).eq(self.index(i) + 1)
            m.d.sync += [
                left.eq(left - 1),
                first.eq((left != 0) & ends[0]),
                last.eq((left != 0) & (self.index(0) == inner - 2 if inner > 1 else 1)),
                done.eq(left == 1),
            ]
            with m.If(done):
                m.d.sync += [self.busy.eq(0), first.eq(0), last.eq(0), done.eq(0)]
        with m.Elif(self.start):
            m.d.sync += [
                self.busy.eq(1),
                left.eq(total - 1),
                first.eq(1),
                last.eq(inner == 1),
                done.eq(total == 1),
            ]
            m.d.sync += [self.index(i).eq(0) for i in range(n)]
        return m
