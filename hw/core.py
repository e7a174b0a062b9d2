"""``LSTCore``: the LST-1 accelerator."""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from quant.quantize import QuantizedLST, quantize_checkpoint
from quant.rom import pack_words

from .argmax import Argmax, result_layout
from .column_pass import ColumnPass
from .config import CLASSES, CoreConfig, N
from .lane_drain import LaneDrain
from .mac_array import MacArray
from .output_layer import OutputLayer
from .pixel_buffer import PixelBuffer
from .row_pass import RowPass
from .schedule import Schedule
from .tanh_unit import TanhUnit

__all__ = ["LSTCore"]

# Passes, as tags in the pipeline.
ROW, COLUMN, OUTPUT = 0, 1, 2


class LSTCore(wiring.Component):
    """LST-1 inference: raw pixels in, class and logits out, bit-exact to the contract.

    The three passes of an image (rows, columns, output layer) run one after the
    other on the same ``lanes`` multiply-accumulate units; the next image loads into
    the second half of the input buffer meanwhile. See ``docs/hardware.md``.

    Parameters
    ----------
    config : CoreConfig
        Lanes, input beat width, weight format, checkpoint.
    qmodel : QuantizedLST, optional
        The quantized model; by default ``config.checkpoint`` quantized to
        ``config.format``.

    Ports
    -----
    pixels : In(stream.Signature(unsigned(8 · pixels_per_beat)))
        Raw pixels, row-major, 784 per image (pixel ``k`` of a beat in bits
        ``8k…8k+7``). The core is ready whenever an input buffer is free.
    result : Out(stream.Signature(result_layout(logit_width)))
        Per image: ``cls`` (4 bits) and ``logits`` (10 × ``logit_width``-bit signed,
        class 0 in the low bits), the output layer's exact accumulators (``q16.14``
        for ``q5.7``). Held until accepted; while it is not, the core finishes the
        current image's column pass and then waits.

    Timing
    ------
    Initiation interval (cycles between images at full rate):
    ``config.initiation_interval``; latency from an image's last pixel to its result:
    ``config.compute_cycles`` plus a few pipeline cycles (measured in ``sim/``). A
    synchronous reset at any time returns the core to idle and discards partial
    images and pending results.
    """

    def __init__(self, config: CoreConfig, qmodel: QuantizedLST | None = None):
        if qmodel is None:
            qmodel = quantize_checkpoint(config.checkpoint_path(), config.format)
        self.cfg = config
        self.qmodel = qmodel
        self.schedule = Schedule(config, qmodel)
        stages = {st.name: st for st in qmodel.stages()}
        self.row_stage, self.col_stage, self.out_stage = (
            stages["blocks.0.row"],
            stages["blocks.0.col"],
            stages["out"],
        )
        self.acc_width = max(st.acc.width for st in stages.values())
        self.logit_width = self.out_stage.acc.width
        self.act_width = qmodel.config.act.width
        self.w_width = qmodel.config.weight.width
        self.x_width = max(8, self.act_width)  # pixels are 8 bits, activations f + 1
        super().__init__(
            {
                "pixels": In(stream.Signature(unsigned(8 * config.pixels_per_beat))),
                "result": Out(stream.Signature(result_layout(self.logit_width, CLASSES))),
            }
        )

    def elaborate(self, platform):
        m = Module()
        c, sch = self.cfg, self.schedule
        L, G, S, P = c.lanes, c.groups, c.group_lanes, c.partitions
        W = self.acc_width

        m.submodules.pixbuf = pixbuf = PixelBuffer(pixels_per_beat=c.pixels_per_beat, banks=G)
        m.submodules.row = row = RowPass(c)
        m.submodules.col = col = ColumnPass(c)
        biases = sch.bias_rom()
        m.submodules.out = out = OutputLayer(c, width=W, biases=biases[2 * N :])
        m.submodules.macs = macs = MacArray(
            lanes=L, x_width=self.x_width, w_width=self.w_width, acc_width=W
        )
        m.submodules.drain = drain = LaneDrain(lanes=L, groups=G, width=W, biases=biases[: 2 * N])
        m.submodules.tanh = tanh = TanhUnit(
            config=self.qmodel.config,
            acc_width=W,
            shifts=(self.row_stage.shift, self.col_stage.shift),
            ports=G,
        )
        m.submodules.argmax = argmax = Argmax(logit_width=self.logit_width, classes=CLASSES)
        XW = self.x_width

        wiring.connect(m, wiring.flipped(self.pixels), pixbuf.pixels)
        wiring.connect(m, argmax.result, wiring.flipped(self.result))

        # ---------------------------------------------------------------- sequencer
        # One pass at a time; a pass's first op follows the previous pass's last op
        # in the next cycle. The output layer waits until the previous result has
        # been collected by the consumer, so its logits always have room.
        with m.FSM():
            with m.State("IDLE"), m.If(pixbuf.full):
                m.d.comb += row.start.eq(1)
                m.next = "ROW"
            with m.State("ROW"), m.If(row.done):
                m.d.comb += [pixbuf.release.eq(1), col.start.eq(1)]
                m.next = "COLUMN"
            with m.State("COLUMN"), m.If(col.done):
                with m.If(argmax.idle):
                    m.d.comb += out.start.eq(1)
                    m.next = "OUTPUT"
                with m.Else():
                    m.next = "WAIT"
            with m.State("WAIT"), m.If(argmax.idle):
                m.d.comb += out.start.eq(1)
                m.next = "OUTPUT"
            with m.State("OUTPUT"), m.If(out.done):
                with m.If(pixbuf.full):
                    m.d.comb += row.start.eq(1)
                    m.next = "ROW"
                with m.Else():
                    m.next = "IDLE"

        # ---------------------------------------------------------------- memories
        # Block RAM whatever its shape: wide, shallow ROMs would otherwise become LUTs.
        m.submodules.wrom = wrom = Memory(
            shape=unsigned(self.w_width * L),
            depth=c.weight_words,
            init=pack_words(sch.weight_rom(), self.w_width),
            attrs={"ram_style": "block", "rom_style": "block"},
        )
        w_rd = wrom.read_port()
        ebanks = []
        for b in range(G):
            mem = Memory(shape=signed(self.act_width), depth=N * N // G, init=[])
            m.submodules[f"ebuf{b}"] = mem
            ebanks.append((mem.write_port(), mem.read_port()))
        ybanks = []
        for b in range(P):
            mem = Memory(shape=signed(self.act_width), depth=c.partition_depth, init=[])
            m.submodules[f"ybuf{b}"] = mem
            ybanks.append((mem.write_port(), mem.read_port()))

        # ---------------------------------------------------------------- op issue
        phase = Signal(2)
        m.d.comb += phase.eq(Mux(row.busy, ROW, Mux(col.busy, COLUMN, OUTPUT)))
        valid = row.valid | col.valid | out.valid
        first = row.first | col.first | out.first
        last = row.last | col.last | out.last
        m.d.comb += [
            w_rd.addr.eq(Mux(row.busy, row.w_addr, Mux(col.busy, col.w_addr, out.w_addr))),
            pixbuf.rd_addr.eq(row.x_addr),
        ]
        for b, (_, rd) in enumerate(ebanks):
            m.d.comb += rd.addr.eq(col.e_addr[b])
        for _, rd in ybanks:
            m.d.comb += rd.addr.eq(out.y_addr)

        # Stage 1: memory data arrive; control delayed to match.
        valid1, first1, last1 = Signal(), Signal(), Signal()
        phase1 = Signal(2)
        x_byte1 = Signal.like(row.x_byte)
        e_bank1 = Signal.like(col.e_bank)
        bias_base1 = Signal(range(2 * N))
        m.d.sync += [
            valid1.eq(valid),
            first1.eq(first),
            last1.eq(last),
            phase1.eq(phase),
            x_byte1.eq(row.x_byte),
            e_bank1.eq(col.e_bank),
            bias_base1.eq(Mux(row.busy, row.bias_base, col.bias_base)),
        ]

        # Data buses: per lane group (rows, columns) or per partition (output layer).
        # Pixels p become x = p − 128 by inverting the MSB (q1.7).
        x_bus = []
        for s in range(G):
            word = pixbuf.rd_data[s]
            pixel = word.word_select(x_byte1, 8) if c.pixels_per_beat > 1 else word
            x_pix = Signal(signed(8), name=f"x_pixel{s}")
            m.d.comb += x_pix.eq(Cat(pixel[:7], ~pixel[7]))  # sign-extends onto the bus
            e_sel = Signal(signed(XW), name=f"x_act{s}")
            if G > 1:
                m.d.comb += e_sel.eq(Mux(e_bank1[s], ebanks[1][1].data, ebanks[0][1].data))
            else:
                m.d.comb += e_sel.eq(ebanks[0][1].data)
            x_bus.append((x_pix, e_sel))
        lane_bus = {}
        for lane in range(L):
            s = lane // S
            p = int(sch.out_lane_partition()[lane])
            if (s, p) not in lane_bus:
                x = Signal(signed(XW), name=f"x_bus{s}_{p}")
                x_pix, e_sel = x_bus[s]
                m.d.comb += x.eq(
                    Mux(phase1 == ROW, x_pix, Mux(phase1 == COLUMN, e_sel, ybanks[p][1].data))
                )
                lane_bus[(s, p)] = x
            m.d.comb += macs.x[lane].eq(lane_bus[(s, p)])
        weights = data.View(data.ArrayLayout(signed(self.w_width), L), w_rd.data)
        m.d.comb += [
            macs.w.eq(weights),
            macs.en.eq(valid1),
            macs.first.eq(first1),
        ]

        # Stage 2: the accumulators hold finished dot products after a last op.
        last2 = Signal()
        phase2 = Signal(2)
        bias_base2 = Signal.like(bias_base1)
        m.d.sync += [last2.eq(last1 & valid1), phase2.eq(phase1), bias_base2.eq(bias_base1)]
        results = Signal(data.ArrayLayout(signed(W), L))
        with m.If(last2):
            m.d.sync += results.eq(macs.acc)
        m.d.comb += [
            drain.lanes_in.eq(results),
            drain.start.eq(last2 & (phase2 != OUTPUT)),
            drain.bias_base.eq(bias_base2),
            drain.tag_in.eq(phase2 == COLUMN),
            out.lanes_in.eq(results),
            out.readout.eq(last2 & (phase2 == OUTPUT)),
        ]

        # ---------------------------------------------------------------- activations
        tag = Signal()
        tag_d = Signal()
        m.d.sync += [tag_d.eq(drain.tag), tag.eq(tag_d)]  # TanhUnit.LATENCY = 2
        m.d.comb += tanh.sel.eq(drain.tag)  # row or column stage: their narrowing shifts
        for s in range(G):
            m.d.comb += [
                getattr(tanh, f"i{s}").valid.eq(getattr(drain, f"o{s}").valid),
                getattr(tanh, f"i{s}").payload.eq(getattr(drain, f"o{s}").payload),
            ]
        acts = [getattr(tanh, f"o{s}") for s in range(G)]
        to_e = acts[0].valid & (tag == 0)
        to_y = acts[0].valid & (tag == 1)
        m.d.comb += [row.wb_valid.eq(to_e), col.wb_valid.eq(to_y)]
        for s, (wr, _) in enumerate(ebanks):
            m.d.comb += [wr.addr.eq(row.wb_addr), wr.data.eq(acts[s].payload), wr.en.eq(to_e)]
        for b, (wr, _) in enumerate(ybanks):
            for s in range(G):
                with m.If(col.y_bank[s] == b):
                    m.d.comb += [
                        wr.addr.eq(col.y_addr[s]),
                        wr.data.eq(acts[s].payload),
                        wr.en.eq(to_y),
                    ]

        # ---------------------------------------------------------------- logits
        m.d.comb += [
            argmax.logits.valid.eq(out.logits.valid),
            argmax.logits.payload.eq(out.logits.payload),
        ]
        return m
