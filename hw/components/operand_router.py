"""``OperandRouter``: the running pass's op to the weight ROM and the lanes' data buses."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..plan.config import CoreConfig, N
from ..plan.latency import OPERAND_ROUTER
from ..plan.schedule import PassSchedule
from .activation_buffers import destination_layout
from .pixel_buffer import centred_pixel

__all__ = ["OperandRouter", "op_layout"]

# What a data bus carries in stage 1.
_ROW, _COLUMN, _OUTPUT, _ROW_ACT = 0, 1, 2, 3


def op_layout(weight_words: int) -> data.StructLayout:
    """One pass's op of the cycle, as the pass components issue it."""
    return data.StructLayout(
        {"busy": 1, "valid": 1, "first": 1, "last": 1, "w_addr": range(weight_words)}
    )


class OperandRouter(wiring.Component):
    """Selects the running pass's op and gives the lanes their operands.

    Stage 0 (the op's cycle): the weight ROM address (the pass's word plus the block's
    region for row and column passes). Stage 1: the memories answer; their outputs are
    registered (in the block RAMs' output registers where the tools can, else beside
    them), so that no block RAM's clock-to-output time shares a cycle with the bus
    selection. Stage 2 (:data:`LATENCY` cycles after the op): every lane's data value,
    the op's control and its drain bias address and destination; the core registers the
    weight ROM's word the same way, so the weights arrive in stage 2 too. Data buses:
    per lane group ``s`` in the row and column passes (the first block's row pass reads
    pixels ``p`` as ``x = p − 128`` by inverting the MSB; later blocks read X; column
    passes read E), per partition ``p`` in the output layer (Y, plus R for ResLST-3: the
    residual sum, exact in ``q2.f``).

    Parameters
    ----------
    config : CoreConfig
    act_width : int
        Signed width of the activations.
    x_width : int
        Signed width of the lanes' data operand.

    Ports
    -----
    row, col, out : In(op_layout(weight_words))
        The three passes' ops (at most one busy).
    block : In(range(blocks))
        The block of the running row or column pass.
    pix_byte : In(range(pixels_per_beat))
        Row pass: the pixel's position in its word.
    e_bank : In(ArrayLayout(range(groups), groups))
        Column pass: the E bank of each group's tap.
    act_bank : In(ArrayLayout(range(groups), groups))
        Several blocks: a later block's row pass: the X bank of each group's value.
    row_bias, col_bias : In(range(28)), In(range(56))
        The passes' bias addresses of lane 0 within a block.
    w_addr : Out(range(weight_words))
        Weight ROM address (stage 0).
    pix_data, e_data, x_data : In(ArrayLayout(…, groups)), y_data, r_data : In(ArrayLayout(…,
        partitions))
        Memory read data (stage 1), per bank; registered here.
    x : Out(ArrayLayout(signed(x_width), lanes))
        Each lane's data operand (stage 2).
    en, first, last, output : Out(1)
        Stage 2: an op is valid; its first/last tap; it belongs to the output layer.
    bias_base : Out(range(56·blocks)), dest : Out(destination_layout(config))
        Stage 2: the op's drain bias address and its results' destination.
    """

    #: Cycles from an op's issue to its operands at the lanes (stage 2).
    LATENCY = OPERAND_ROUTER

    def __init__(self, config: CoreConfig, *, act_width: int, x_width: int):
        self.cfg = config
        self.act_width = act_width
        self.x_width = x_width
        c = config
        G, P = c.groups, c.partitions
        act = signed(act_width)
        op = op_layout(c.weight_words)
        members = {
            "row": In(op),
            "col": In(op),
            "out": In(op),
            "block": In(range(max(2, c.blocks))),
            "pix_byte": In(range(max(2, c.pixels_per_beat))),
            "e_bank": In(data.ArrayLayout(range(max(2, G)), G)),
            "row_bias": In(range(N)),
            "col_bias": In(range(2 * N)),
            "w_addr": Out(range(c.weight_words)),
            "pix_data": In(data.ArrayLayout(unsigned(8 * c.pixels_per_beat), G)),
            "e_data": In(data.ArrayLayout(act, G)),
            "y_data": In(data.ArrayLayout(act, P)),
            "x": Out(data.ArrayLayout(signed(x_width), c.lanes)),
            "en": Out(1),
            "first": Out(1),
            "last": Out(1),
            "output": Out(1),
            "bias_base": Out(range(2 * N * c.blocks)),
            "dest": Out(destination_layout(c)),
        }
        if c.blocks > 1:
            members |= {
                "act_bank": In(data.ArrayLayout(range(max(2, G)), G)),
                "x_data": In(data.ArrayLayout(act, G)),
            }
        if c.residual:
            members["r_data"] = In(data.ArrayLayout(act, P))
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        c = self.cfg
        G, S, B = c.groups, c.group_lanes, c.blocks
        XW = self.x_width
        row, col, out = self.row, self.col, self.out

        # ------------------------------------------------ stage 0: the op of the cycle
        w_addr = Mux(row.busy, row.w_addr, Mux(col.busy, col.w_addr, out.w_addr))
        first_block = self.block == 0
        last_block = self.block == B - 1
        if B > 1:
            # Each block's row and column passes read the block's region of the ROM.
            region = Signal(range(c.weight_words), name="block_region")
            m.d.comb += region.eq(Mux(out.busy, 0, self.block * c.block_words))
            w_addr = w_addr + region
        m.d.comb += self.w_addr.eq(w_addr)
        source = Signal(2)
        row_source = Mux(first_block, _ROW, _ROW_ACT) if B > 1 else _ROW
        m.d.comb += source.eq(Mux(row.busy, row_source, Mux(col.busy, _COLUMN, _OUTPUT)))
        # Where the op's results go (meaningless for the output layer, never drained).
        dest = Signal(destination_layout(c))
        is_row = row.busy
        if B > 1:
            m.d.comb += [
                dest.shift.eq(~(is_row & first_block)),
                dest.to_y.eq(~is_row & last_block),
                dest.to_x.eq(~is_row & ~last_block),
            ]
        else:
            m.d.comb += [dest.shift.eq(~is_row), dest.to_y.eq(~is_row)]
        m.d.comb += dest.to_e.eq(is_row)
        if c.residual:
            m.d.comb += dest.to_r.eq(~is_row & first_block)
        bias = Mux(row.busy, self.row_bias, self.col_bias)
        if B > 1:
            bias = bias + self.block * (2 * N)

        # ------------------------------------------------ stages 1 and 2
        # The op's control is delayed to stage 2, where the registered memory data are.
        def delay(value, name, stages=2):
            for stage in range(1, stages + 1):
                reg = Signal.like(value, name=f"{name}{stage}")
                m.d.sync += reg.eq(value)
                value = reg
            return value

        m.d.comb += [
            self.en.eq(delay(row.valid | col.valid | out.valid, "op_valid")),
            self.first.eq(delay(row.first | col.first | out.first, "op_first")),
            self.last.eq(delay(row.last | col.last | out.last, "op_last")),
            self.output.eq(delay(~row.busy & ~col.busy, "op_output")),
            self.bias_base.eq(delay(bias, "op_bias")),
            self.dest.eq(delay(dest, "op_dest")),
        ]
        source1 = delay(source, "source")
        pix_byte1 = delay(self.pix_byte, "pix_byte")
        e_bank1 = delay(self.e_bank, "e_bank")
        if B > 1:
            act_bank1 = delay(self.act_bank, "act_bank")
        # The memories' words, registered as they arrive (stage 1 -> 2).
        pix_data = delay(self.pix_data, "pix_data", 1)
        e_data = delay(self.e_data, "e_data", 1)
        y_data = delay(self.y_data, "y_data", 1)
        x_data = delay(self.x_data, "x_data", 1) if B > 1 else None
        r_data = delay(self.r_data, "r_data", 1) if c.residual else None

        # Per group: the pixel, the E tap and (later blocks) the X value it may use.
        group_bus = []
        for s in range(G):
            word = pix_data[s]
            x_pix = Signal(signed(8), name=f"x_pixel{s}")
            # Sign-extends onto the bus.
            m.d.comb += x_pix.eq(centred_pixel(word, pix_byte1, c.pixels_per_beat))
            e_sel = Signal(signed(XW), name=f"x_act{s}")
            if G > 1:
                m.d.comb += e_sel.eq(e_data[e_bank1[s]])
            else:
                m.d.comb += e_sel.eq(e_data[0])
            x_sel = None
            if B > 1:
                x_sel = Signal(signed(XW), name=f"x_block{s}")
                if G > 1:
                    m.d.comb += x_sel.eq(x_data[act_bank1[s]])
                else:
                    m.d.comb += x_sel.eq(x_data[0])
            group_bus.append((x_pix, e_sel, x_sel))
        # Per partition: what the output layer reads.
        features = []
        for p in range(c.partitions):
            f = Signal(signed(XW), name=f"x_feature{p}")
            if c.residual:
                m.d.comb += f.eq(y_data[p] + r_data[p])  # exact: q2.f
            else:
                m.d.comb += f.eq(y_data[p])
            features.append(f)

        # Lanes sharing a group and a partition share a bus.
        lane_bus = {}
        partition = PassSchedule(c).out_lane_partition()
        for lane in range(c.lanes):
            s, p = lane // S, int(partition[lane])
            if (s, p) not in lane_bus:
                bus = Signal(signed(XW), name=f"x_bus{s}_{p}")
                x_pix, e_sel, x_sel = group_bus[s]
                value = Mux(source1 == _COLUMN, e_sel, features[p])
                if B > 1:
                    value = Mux(source1 == _ROW_ACT, x_sel, value)
                m.d.comb += bus.eq(Mux(source1 == _ROW, x_pix, value))
                lane_bus[(s, p)] = bus
            m.d.comb += self.x[lane].eq(lane_bus[(s, p)])
        return m
