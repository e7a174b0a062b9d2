"""``TanhUnit``: narrowing and the activation table."""

from __future__ import annotations

from amaranth import Module, Signal, signed
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from quant.contract import FixedConfig

from ..plan.latency import TANH_UNIT

__all__ = ["TanhUnit"]


class TanhUnit(wiring.Component):
    """Accumulators in, activations out: ``T[clamp(acc >> shift)]``, as the contract says.

    The contract's round-half-up is ``(acc + 2^(shift−1)) >> shift``; the half is
    folded into the stored biases (see :meth:`hw.plan.rom_images.RomImages.drain_biases`), so the
    unit only shifts (floor), saturates to the table's input format and looks up.
    ``ports`` independent lookups; every two share a copy of the table (one block RAM).

    Parameters
    ----------
    config : FixedConfig
        Gives the tanh input format (``q3.8`` by default) and the table.
    acc_width : int
        Signed width of the incoming values.
    shifts : tuple of int
        Fractional bits dropped (``acc.frac − tanh_in.frac``) for each kind of input:
        the row and column stages differ when the activations do not have the
        pixels' 7 fractional bits (6 and 6 for ``q5.7``).
    ports : int
        Number of parallel lookups.
    tag_shape : shape, optional
        If given, a tag (``tag_in``) travels alongside, delayed like the values.
    writable : bool
        Add a write port to the table (``wr_addr``, ``wr_data``, ``wr_en``; the
        contract's table is its initial contents). Write only while no lookup runs.

    Ports
    -----
    sel : In(range(len(shifts)))
        Which shift applies to this cycle's inputs (all ports).
    i : In(stream.Signature(signed(acc_width), always_ready=True)), one per lookup
        (``i0``, ``i1``, …).
    o : Out(stream.Signature(signed(act_width), always_ready=True)), one per lookup
        (``o0``, ``o1``, …). Latency 2 cycles, one value per cycle per port.
    tag_in : In(tag_shape), tag : Out(tag_shape)
        With ``tag_shape`` only: ``tag`` is ``tag_in`` of the inputs that ``o`` shows.
    """

    LATENCY = TANH_UNIT

    def __init__(
        self,
        *,
        config: FixedConfig,
        acc_width: int,
        shifts,
        ports: int = 1,
        tag_shape=None,
        writable: bool = False,
    ):
        shifts = tuple(int(v) for v in shifts)
        if not shifts or min(shifts) < 1:
            raise ValueError(f"shifts must be at least 1, not {shifts}")
        if not isinstance(ports, int) or ports < 1:
            raise ValueError(f"ports must be a positive integer, not {ports!r}")
        if acc_width - max(shifts) < config.tanh_in.width:
            raise ValueError(
                f"acc_width {acc_width} is too narrow for a {config.tanh_in.width}-bit table "
                f"input after a shift of {max(shifts)}"
            )
        self.config = config
        self.shifts = shifts
        self.ports = ports
        self.tag_shape = tag_shape
        self.writable = writable
        members = {"sel": In(range(max(2, len(shifts))))}
        if writable:
            w = config.tanh_in.width
            members |= {
                "wr_addr": In(w),
                "wr_data": In(signed(config.act.width)),
                "wr_en": In(1),
            }
        if tag_shape is not None:
            members |= {"tag_in": In(tag_shape), "tag": Out(tag_shape)}
        for p in range(ports):
            members[f"i{p}"] = In(stream.Signature(signed(acc_width), always_ready=True))
            members[f"o{p}"] = Out(stream.Signature(signed(config.act.width), always_ready=True))
        super().__init__(members)

    def table(self) -> list[int]:
        """Table contents by address (the raw bits of the input code)."""
        w = self.config.tanh_in.width
        codes = list(range(1 << w))
        signed_codes = [c - (1 << w) if c >= 1 << (w - 1) else c for c in codes]
        return [int(v) for v in self.config.tanh(signed_codes)]

    def elaborate(self, platform):
        m = Module()
        fin = self.config.tanh_in
        # One copy of the table per two lookups: a block RAM has two ports, and a
        # table with more read ports would be built from LUTs.
        reads = []
        for copy in range((self.ports + 1) // 2):
            # Block RAM whatever the table's size: a small table would otherwise be
            # built from LUTs, a long path from the code register to the buffers.
            table = Memory(
                shape=signed(self.config.act.width),
                depth=1 << fin.width,
                init=self.table(),
                attrs={"ram_style": "block", "rom_style": "block"},
            )
            m.submodules[f"table{copy}" if copy else "table"] = table
            if self.writable:
                wr = table.write_port()
                m.d.comb += [
                    wr.addr.eq(self.wr_addr),
                    wr.data.eq(self.wr_data),
                    wr.en.eq(self.wr_en),
                ]
            reads += [table.read_port() for _ in range(min(2, self.ports - 2 * copy))]
        for p in range(self.ports):
            i, o = getattr(self, f"i{p}"), getattr(self, f"o{p}")
            read = reads[p]
            # Stage 1: floor shift and saturation to the table's input range.
            code = Signal(signed(fin.width), name=f"code{p}")
            valid = Signal(name=f"valid{p}")
            shifted = Signal(signed(i.payload.shape().width), name=f"shifted{p}")
            with m.Switch(self.sel):
                for n, shift in enumerate(self.shifts):
                    with m.Case(n):
                        m.d.comb += shifted.eq(i.payload >> shift)
            with m.If(shifted > fin.max_int):
                m.d.sync += code.eq(fin.max_int)
            with m.Elif(shifted < fin.min_int):
                m.d.sync += code.eq(fin.min_int)
            with m.Else():
                m.d.sync += code.eq(shifted)
            m.d.sync += valid.eq(i.valid)
            # Stage 2: the lookup; the code's bits are the address.
            m.d.comb += read.addr.eq(code.as_unsigned())
            m.d.sync += o.valid.eq(valid)
            m.d.comb += o.payload.eq(read.data)
        if self.tag_shape is not None:
            tag1 = Signal(self.tag_shape)
            m.d.sync += [tag1.eq(self.tag_in), self.tag.eq(tag1)]
        return m
