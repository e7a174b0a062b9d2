"""Simulation-only probe ports of ``lst_core``: every stage's results, as they are written.

``LSTCore(config, probes=True)`` adds these output ports; the Verilog for synthesis
(``probes=False``, what ``lst verilog`` writes) has none of them and is byte-identical
to a build without this module. The simulation harness (:mod:`sim.rtl_model`) samples
them every cycle and :mod:`sim.divergence` puts each value back where the golden model
names it.

Three records, each a strobe and the fields valid with it:

``acc``  (``probe_acc_valid``)
    One finished dot product per lane group (``probe_acc0`` …): the drain's output, the
    accumulator plus its bias, before narrowing and tanh (the golden model's
    ``blocks.B.row.acc`` / ``blocks.B.col.acc``).
``act``  (``probe_act_valid``)
    The same values after the tanh unit (``probe_act0`` …, the golden model's
    ``blocks.B.row`` / ``blocks.B.col``), with where they are written: ``probe_act_dest``
    (the destination tag), ``probe_e_addr`` (E word), ``probe_y_bank<s>``/``probe_y_addr<s>``
    (Y and R) and ``probe_x_bank<s>``/``probe_x_addr`` (X, several blocks only).
``lanes`` (``probe_readout``)
    The output layer's lane sums of one round (``probe_lane0`` …), without bias.

Plus ``probe_block``, ``probe_row_busy``, ``probe_col_busy``, ``probe_out_busy`` (the
sequencer's block and the running pass), for waveforms.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth import Shape, Signal, signed, unsigned
from amaranth.lib.wiring import Out

from .components.activation_buffers import destination_layout
from .plan.config import CoreConfig

__all__ = ["ProbeField", "connect_probes", "probe_members", "probe_records"]


@dataclass(frozen=True)
class ProbeField:
    """One probe port: its name, width in bits and whether it is two's complement."""

    name: str
    width: int
    signed: bool = False


def probe_records(config: CoreConfig, *, acc_width: int, act_width: int) -> dict:
    """``{record: (strobe port, [ProbeField, …])}`` in the order the harness samples them."""
    c = config
    G, P = c.groups, c.partitions
    dest = destination_layout(c)
    bits = lambda n: Shape.cast(range(n)).width  # noqa: E731 (the ports' own range shapes)
    act = [ProbeField("probe_act_dest", dest.size)]
    if c.ragged:  # each group's E bank and word
        act += [ProbeField(f"probe_e_bank{s}", bits(G)) for s in range(G)]
        act += [ProbeField(f"probe_e_addr{s}", bits(c.act_depth)) for s in range(G)]
    else:  # group s writes bank s, all at one word
        act.append(ProbeField("probe_e_addr", bits(c.act_depth)))
    act += [ProbeField(f"probe_y_bank{s}", bits(max(2, P))) for s in range(G)]
    act += [ProbeField(f"probe_y_addr{s}", bits(c.y_depth)) for s in range(G)]
    if c.blocks > 1:
        act += [ProbeField(f"probe_x_bank{s}", bits(max(2, G))) for s in range(G)]
        act.append(ProbeField("probe_x_addr", bits(c.act_depth)))
    act += [ProbeField(f"probe_act{s}", act_width, True) for s in range(G)]
    return {
        "acc": (
            "probe_acc_valid",
            [ProbeField(f"probe_acc{s}", acc_width, True) for s in range(G)],
        ),
        "act": ("probe_act_valid", act),
        "lanes": (
            "probe_readout",
            [ProbeField(f"probe_lane{ln}", acc_width, True) for ln in range(c.lanes)],
        ),
    }


def probe_members(config: CoreConfig, *, acc_width: int, act_width: int) -> dict:
    """The probe ports as component signature members (all ``Out``)."""
    members = {
        "probe_block": Out(range(max(2, config.blocks))),
        "probe_row_busy": Out(1),
        "probe_col_busy": Out(1),
        "probe_out_busy": Out(1),
    }
    for strobe, fields in probe_records(config, acc_width=acc_width, act_width=act_width).values():
        members[strobe] = Out(1)
        for f in fields:
            members[f.name] = Out(signed(f.width) if f.signed else unsigned(f.width))
    return members


def connect_probes(m, core, *, seq, row, col, out, drain, tanh, capture) -> None:
    """Drive ``core``'s probe ports from the submodules (inside ``core.elaborate``)."""
    c = core.cfg
    G = c.groups
    p = lambda name: getattr(core, name)  # noqa: E731
    m.d.comb += [
        p("probe_block").eq(seq.block),
        p("probe_row_busy").eq(row.busy),
        p("probe_col_busy").eq(col.busy),
        p("probe_out_busy").eq(out.busy),
        p("probe_acc_valid").eq(drain.o0.valid),
        p("probe_act_valid").eq(tanh.o0.valid),
        p("probe_act_dest").eq(tanh.tag.as_value()),
    ]
    if c.ragged:
        for s in range(G):
            m.d.comb += [
                p(f"probe_e_bank{s}").eq(row.e_wr_bank[s]),
                p(f"probe_e_addr{s}").eq(row.e_wr_addr[s]),
            ]
    else:
        m.d.comb += p("probe_e_addr").eq(row.wb_addr)
    for s in range(G):
        m.d.comb += [
            p(f"probe_acc{s}").eq(getattr(drain, f"o{s}").payload),
            p(f"probe_act{s}").eq(getattr(tanh, f"o{s}").payload),
            p(f"probe_y_bank{s}").eq(col.y_bank[s]),
            p(f"probe_y_addr{s}").eq(col.y_addr[s]),
        ]
        if c.blocks > 1:
            m.d.comb += p(f"probe_x_bank{s}").eq(col.xw_bank[s])
    if c.blocks > 1:
        m.d.comb += p("probe_x_addr").eq(col.xw_addr)
    # The capture's sums are valid the cycle after its readout strobe.
    readout = Signal(name="probe_readout_d1")
    m.d.sync += readout.eq(capture.readout)
    m.d.comb += p("probe_readout").eq(readout)
    for ln in range(c.lanes):
        m.d.comb += p(f"probe_lane{ln}").eq(capture.results[ln])
