"""``ActivationBuffers``: the memories between passes and blocks, and where results go."""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from ..plan.config import CoreConfig
from ..plan.latency import ACTIVATION_WRITE

__all__ = ["ActivationBuffers", "destination_layout"]


def destination_layout(config: CoreConfig) -> data.StructLayout:
    """What a drained dot product's activations are: which narrowing shift applies
    (``shift``: 0 for the first row stage, whose input is pixels, 1 for every other
    stage) and which buffers they go to (``to_x`` with several blocks, ``to_r`` for
    ResLST-3 only)."""
    fields = {"shift": 1, "to_e": 1, "to_y": 1}
    if config.blocks > 1:
        fields["to_x"] = 1
    if config.residual:
        fields["to_r"] = 1
    return data.StructLayout(fields)


class _WriteRequest:
    """A write port's address, data and enable, to be registered into the port."""

    def __init__(self, name, port):
        self.addr = Signal.like(port.addr, name=f"{name}_wr_addr")
        self.data = Signal.like(port.data, name=f"{name}_wr_data")
        self.en = Signal(name=f"{name}_wr_en")


class ActivationBuffers(wiring.Component):
    """The E, X, Y and R buffers (layouts in :class:`hw.plan.buffer_layout.BufferLayout`).

    * E: the row pass's output, read by the column pass (``groups`` banks);
    * X (models of several blocks): a column pass's output that feeds the next block's
      row pass (``groups`` banks);
    * Y: the last block's output, read by the output layer (``partitions`` banks);
    * R (ResLST-3): the first block's output, read with Y at the same address so that
      the output layer sees ``Y + R``.

    Every bank has one write and one read port (simple dual-port block RAM). Writes
    are registered first (:attr:`WRITE_LATENCY`: bank selection, address and data
    reach the memory one cycle after ``act_valid``); a value written to the memory in
    a cycle can be read from the next.

    Parameters
    ----------
    config : CoreConfig
    act_width : int
        Signed width of the activations (``q1.f``).

    Ports
    -----
    act : In(ArrayLayout(signed(act_width), groups)), act_valid : In(1)
        One activation per group; ``dest`` says where they go.
    dest : In(destination_layout(config))
    e_wr_addr : In(range(784 // groups))
        The same word in every E bank (group ``s`` writes bank ``s``).
    e_wr_bank, e_wr_addr : In(ArrayLayout(…, groups))
        Ragged groups (``config.ragged``) instead: bank and word of each group's value.
    x_wr_bank, x_wr_addr
        Bank of each group's value and the word (the same for every group) in X.
    y_wr_bank, y_wr_addr : In(ArrayLayout(…, groups))
        Bank and word of each group's value in Y and R.
    e_written, col_written : Out(1)
        Strobes: a row pass's, or a column pass's, activations were written.
    e_rd_addr, x_rd_addr : In(ArrayLayout(range(784 // groups), groups))
        Per bank; data one cycle later on ``e_data``/``x_data`` (per bank).
    y_rd_addr : In(range(partition_depth))
        The same word of every Y (and R) bank; data on ``y_data``/``r_data`` (per bank).
    """

    #: Cycles from ``act_valid`` to the memory write.
    WRITE_LATENCY = ACTIVATION_WRITE

    def __init__(self, config: CoreConfig, *, act_width: int):
        self.cfg = config
        self.act_width = act_width
        c = config
        G, P = c.groups, c.partitions
        act = signed(act_width)
        words = c.act_depth
        members = {
            "act": In(data.ArrayLayout(act, G)),
            "act_valid": In(1),
            "dest": In(destination_layout(c)),
            **(
                {
                    "e_wr_bank": In(data.ArrayLayout(range(G), G)),
                    "e_wr_addr": In(data.ArrayLayout(range(words), G)),
                }
                if c.ragged
                else {"e_wr_addr": In(range(words))}
            ),
            "y_wr_bank": In(data.ArrayLayout(range(max(2, P)), G)),
            "y_wr_addr": In(data.ArrayLayout(range(c.y_depth), G)),
            "e_written": Out(1),
            "col_written": Out(1),
            "e_rd_addr": In(data.ArrayLayout(range(words), G)),
            "e_data": Out(data.ArrayLayout(act, G)),
            "y_rd_addr": In(range(c.partition_depth)),
            "y_data": Out(data.ArrayLayout(act, P)),
        }
        if c.blocks > 1:
            members |= {
                "x_wr_bank": In(data.ArrayLayout(range(max(2, G)), G)),
                "x_wr_addr": In(range(words)),
                "x_rd_addr": In(data.ArrayLayout(range(words), G)),
                "x_data": Out(data.ArrayLayout(act, G)),
            }
        if c.residual:
            members["r_data"] = Out(data.ArrayLayout(act, P))
        super().__init__(members)

    def _banks(self, m, name, count, depth):
        """Memories with a registered write: returns (write request, read port) per
        bank, the request being signals with a write port's ``addr``/``data``/``en``."""
        ports = []
        for b in range(count):
            mem = Memory(shape=signed(self.act_width), depth=depth, init=[])
            m.submodules[f"{name}{b}"] = mem
            wr, rd = mem.write_port(), mem.read_port()
            req = _WriteRequest(f"{name}{b}", wr)
            # The crossbar's choice settles in the request; the memory sees it a cycle
            # later, so the choice adds no logic levels to the memory's inputs.
            m.d.sync += [wr.addr.eq(req.addr), wr.data.eq(req.data), wr.en.eq(req.en)]
            ports.append((req, rd))
        return ports

    def _write_crossbar(self, m, ports, banks_of_groups, addr_of_group, enable):
        """Bank ``b`` takes the value of the group whose bank is ``b``. Groups never
        share a bank in one cycle, so the choice is an AND-OR of one-hot selects (two
        LUT levels), not a chain of priority multiplexers."""
        G = self.cfg.groups
        for b, (wr, _) in enumerate(ports):
            hit = [Signal(name=f"{wr.en.name}_g{s}") for s in range(G)]
            m.d.comb += [hit[s].eq(banks_of_groups[s] == b) for s in range(G)]
            addr = 0
            value = 0
            for s in range(G):
                addr = addr | Mux(hit[s], addr_of_group(s), 0)
                value = value | Mux(hit[s], self.act[s].as_unsigned(), 0)
            m.d.comb += [
                wr.addr.eq(addr),
                wr.data.eq(value),
                wr.en.eq(enable & Cat(*hit).any()),
            ]

    def elaborate(self, platform):
        m = Module()
        c = self.cfg
        G, P = c.groups, c.partitions
        to_e = self.act_valid & self.dest.to_e
        to_y = self.act_valid & self.dest.to_y
        to_x = self.act_valid & self.dest.to_x if c.blocks > 1 else 0
        to_r = self.act_valid & self.dest.to_r if c.residual else 0
        m.d.comb += [
            self.e_written.eq(to_e),
            self.col_written.eq(to_y | to_x | to_r),
        ]

        # E: group s writes row r·G + s, i.e. bank s, at the row pass's result counter;
        # ragged groups write through the crossbar (bank (i + j) mod G).
        ebanks = self._banks(m, "e", G, c.act_depth)
        if c.ragged:
            self._write_crossbar(m, ebanks, self.e_wr_bank, lambda s: self.e_wr_addr[s], to_e)
        for s, (wr, rd) in enumerate(ebanks):
            if not c.ragged:
                m.d.comb += [wr.addr.eq(self.e_wr_addr), wr.data.eq(self.act[s]), wr.en.eq(to_e)]
            m.d.comb += [rd.addr.eq(self.e_rd_addr[s]), self.e_data[s].eq(rd.data)]

        ybanks = self._banks(m, "y", P, c.y_depth)
        self._write_crossbar(m, ybanks, self.y_wr_bank, lambda s: self.y_wr_addr[s], to_y)
        for p, (_, rd) in enumerate(ybanks):
            m.d.comb += [rd.addr.eq(self.y_rd_addr), self.y_data[p].eq(rd.data)]

        if c.blocks > 1:
            xbanks = self._banks(m, "x", G, c.act_depth)
            self._write_crossbar(m, xbanks, self.x_wr_bank, lambda s: self.x_wr_addr, to_x)
            for b, (_, rd) in enumerate(xbanks):
                m.d.comb += [rd.addr.eq(self.x_rd_addr[b]), self.x_data[b].eq(rd.data)]

        if c.residual:
            # The first block's output, kept in Y's layout until the output layer.
            rbanks = self._banks(m, "r", P, c.y_depth)
            self._write_crossbar(m, rbanks, self.y_wr_bank, lambda s: self.y_wr_addr[s], to_r)
            for p, (_, rd) in enumerate(rbanks):
                m.d.comb += [rd.addr.eq(self.y_rd_addr), self.r_data[p].eq(rd.data)]
        return m
