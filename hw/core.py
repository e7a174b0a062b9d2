"""``LSTCore``: the LST accelerator (LST-1, LST-2, ResLST-3)."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from quant.contract import logit_format
from quant.quantize import QuantizedLST, quantize_checkpoint
from quant.rom import pack_words

from .components.activation_buffers import ActivationBuffers, destination_layout
from .components.argmax import Argmax, result_layout
from .components.column_pass import ColumnPass
from .components.lane_capture import LaneCapture
from .components.lane_drain import LaneDrain
from .components.mac_array import MacArray
from .components.operand_router import OperandRouter
from .components.output_layer import OutputLayer
from .components.pixel_buffer import PixelBuffer
from .components.row_pass import RowPass
from .components.sequencer import Sequencer
from .components.tanh_unit import TanhUnit
from .components.weight_loader import WeightLoader
from .plan.config import CLASSES, CoreConfig, lane_acc_width
from .plan.rom_images import RomImages

__all__ = ["LSTCore"]


class LSTCore(wiring.Component):
    """LST inference: raw pixels in, class and logits out, bit-exact to the contract.

    The passes of an image (a row and a column pass per block, then the output layer)
    run one after the other on the same ``lanes`` multiply-accumulate units; the next
    image loads into the second half of the input buffer meanwhile. See
    ``docs/hardware.md``.

    Parameters
    ----------
    config : CoreConfig
        Model, lanes, input beat width, weight format, checkpoint.
    qmodel : QuantizedLST, optional
        The quantized model; by default ``config.checkpoint`` quantized to
        ``config.format``.
    probes : bool, keyword-only
        Simulation builds only: add the ``probe_*`` ports (:mod:`hw.probes`).

    Ports
    -----
    pixels : In(stream.Signature(unsigned(8 · pixels_per_beat)))
        Raw pixels, row-major, 784 per image (pixel ``k`` of a beat in bits
        ``8k…8k+7``). The core is ready whenever an input buffer is free.
    result : Out(stream.Signature(result_layout(logit_width)))
        Per image: ``cls`` (4 bits) and ``logits`` (10 × ``logit_width``-bit signed,
        class 0 in the low bits), the output layer's exact sums (``q16.14`` for
        ``q5.7``, for every model: :func:`quant.contract.logit_format`). Held until
        accepted; while it is not, the core finishes the current image's last column
        pass and then waits.
    load_valid : In(1), load_data : In(32), load_restart : In(1), load_count : Out(32),
    load_crc : Out(32)
        ``config.weights == "loadable"`` only: the load image (:mod:`hw.plan.load_image`),
        one word per beat, into the weight, bias, output-bias and table memories
        (:class:`~hw.components.weight_loader.WeightLoader`; no backpressure: a word per cycle
        with ``load_valid``); ``load_restart`` goes back to its first
        word; ``load_count`` and ``load_crc`` are the words accepted since and their
        CRC-32. Load only while no image is in the core (the AXI wrapper refuses
        otherwise); the checkpoint's values are the initial contents.

    probe_* : Out
        ``probes=True`` only (simulation builds): every stage's results as they are
        written (:mod:`hw.probes`). The Verilog for synthesis has none.

    Timing
    ------
    Initiation interval (cycles between images at full rate):
    ``config.initiation_interval``; latency from an image's last pixel to its result:
    ``config.compute_cycles`` plus a few pipeline cycles (measured in ``sim/``). A
    synchronous reset at any time returns the core to idle and discards partial
    images and pending results.
    """

    def __init__(
        self, config: CoreConfig, qmodel: QuantizedLST | None = None, *, probes: bool = False
    ):
        if qmodel is None:
            qmodel = quantize_checkpoint(
                config.checkpoint_path(), config.format, model=config.model
            )
        self.cfg = config
        self.qmodel = qmodel
        self.roms = RomImages(config, qmodel)
        stages = qmodel.stages()
        self.out_stage = stages[-1]
        # Lanes, capture, drain and tanh input: what a lane's sum needs; the output
        # layer's readout adds the partitions at the output stage's full width.
        self.acc_width = lane_acc_width(config, stages)
        self.out_width = self.out_stage.acc.width
        self.logit_format = logit_format(qmodel.arch, qmodel.config)
        self.logit_width = self.logit_format.width
        self.act_width = qmodel.config.act.width
        self.w_width = qmodel.config.weight.width
        # Pixels are 8 bits, activations f + 1, ResLST-3's features f + 2.
        self.x_width = max(8, self.out_stage.x.width)
        members = {
            "pixels": In(stream.Signature(unsigned(8 * config.pixels_per_beat))),
            "result": Out(stream.Signature(result_layout(self.logit_width, CLASSES))),
        }
        self.loadable = config.weights == "loadable"
        if self.loadable:
            from lst.errors import ConfigError

            if max(self.acc_width, self.out_width) > 32:
                raise ConfigError(
                    f"weights=loadable: {max(self.acc_width, self.out_width)}-bit biases do "
                    "not fit a 32-bit load word"
                )
            members |= {
                "load_valid": In(1),
                "load_data": In(32),
                "load_restart": In(1),
                "load_count": Out(32),
                "load_crc": Out(32),
            }
        self.probes = bool(probes)
        if self.probes:
            from .probes import probe_members

            members |= probe_members(config, acc_width=self.acc_width, act_width=self.act_width)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        c, roms = self.cfg, self.roms
        W = self.acc_width
        tag = destination_layout(c)
        biases = roms.drain_biases()

        m.submodules.seq = seq = Sequencer(blocks=c.blocks, gaps=c.pass_gaps)
        m.submodules.pixbuf = pixbuf = PixelBuffer(
            pixels_per_beat=c.pixels_per_beat, banks=c.groups
        )
        m.submodules.row = row = RowPass(c)
        m.submodules.col = col = ColumnPass(c)
        wr = {"writable": True} if self.loadable else {}
        m.submodules.out = out = OutputLayer(
            c, width=self.out_width, lane_width=W, biases=roms.output_biases(), **wr
        )
        m.submodules.router = router = OperandRouter(
            c, act_width=self.act_width, x_width=self.x_width
        )
        m.submodules.macs = macs = MacArray(
            lanes=c.lanes,
            x_width=self.x_width,
            w_width=self.w_width,
            acc_width=W,
            dsp_lanes=c.dsp_lanes,
            fabric_style=c.fabric_style,
            packed_pairs=c.packed_pairs,
        )
        m.submodules.capture = capture = LaneCapture(
            lanes=c.lanes, width=W, bias_depth=len(biases), dest_shape=tag
        )
        m.submodules.drain = drain = LaneDrain(
            lanes=c.lanes, groups=c.groups, width=W, biases=biases, tag_shape=tag, **wr
        )
        m.submodules.tanh = tanh = TanhUnit(
            config=self.qmodel.config,
            acc_width=W,
            shifts=roms.shifts(),
            ports=c.groups,
            tag_shape=tag,
            **wr,
        )
        m.submodules.buffers = bufs = ActivationBuffers(c, act_width=self.act_width)
        m.submodules.argmax = argmax = Argmax(logit_width=self.logit_width, classes=CLASSES)
        # Block RAM whatever its shape: wide, shallow ROMs would otherwise become LUTs.
        m.submodules.wrom = wrom = Memory(
            shape=unsigned(self.w_width * c.lanes),
            depth=c.weight_words,
            init=pack_words(roms.weight_rom(), self.w_width),
            attrs={"ram_style": "block", "rom_style": "block"},
        )
        w_rd = wrom.read_port()
        if self.loadable:
            # Load port: one value per word, the loader decodes where it goes.
            from .plan.load_image import load_regions

            sizes = tuple(load_regions(c, self.qmodel).values())
            m.submodules.loader = loader = WeightLoader(lanes=c.lanes, sizes=sizes)
            w_wr = wrom.write_port(granularity=self.w_width)
            m.d.comb += [
                loader.words.valid.eq(self.load_valid),
                loader.words.payload.eq(self.load_data),
                loader.restart.eq(self.load_restart),
                self.load_count.eq(loader.count),
                self.load_crc.eq(loader.crc),
                w_wr.addr.eq(loader.w_addr),
                w_wr.data.eq(loader.data[: self.w_width].replicate(c.lanes)),
                w_wr.en.eq(Mux(loader.w_en, loader.w_lanes, 0)),
                drain.wr_addr.eq(loader.b_addr),
                drain.wr_data.eq(loader.data),
                drain.wr_en.eq(loader.b_en),
                out.wr_addr.eq(loader.ob_addr),
                out.wr_data.eq(loader.data),
                out.wr_en.eq(loader.ob_en),
                tanh.wr_addr.eq(loader.t_addr),
                tanh.wr_data.eq(loader.data),
                tanh.wr_en.eq(loader.t_en),
            ]

        wiring.connect(m, wiring.flipped(self.pixels), pixbuf.pixels)
        wiring.connect(m, argmax.result, wiring.flipped(self.result))

        # Sequencer: which pass runs, over which block.
        m.d.comb += [
            seq.image_ready.eq(pixbuf.full),
            seq.result_free.eq(argmax.idle),
            seq.row_done.eq(row.done),
            seq.col_done.eq(col.done),
            seq.out_done.eq(out.done),
            row.start.eq(seq.row_start),
            col.start.eq(seq.col_start),
            out.start.eq(seq.out_start),
            pixbuf.release.eq(seq.release),
            router.block.eq(seq.block),
        ]

        # The passes' ops and read addresses; the router picks the running one.
        for port, p in ((router.row, row), (router.col, col), (router.out, out)):
            m.d.comb += [
                port.busy.eq(p.busy),
                port.valid.eq(p.valid),
                port.first.eq(p.first),
                port.last.eq(p.last),
                port.w_addr.eq(p.w_addr),
            ]
        m.d.comb += [
            w_rd.addr.eq(router.w_addr),
            pixbuf.rd_addr.eq(row.x_addr),
            router.pix_byte.eq(row.x_byte),
            bufs.e_rd_addr.eq(col.e_addr),
            router.e_bank.eq(col.e_bank),
            bufs.y_rd_addr.eq(out.y_addr),
            router.row_bias.eq(row.bias_base),
            router.col_bias.eq(col.bias_base),
            router.pix_data.eq(pixbuf.rd_data),
            router.e_data.eq(bufs.e_data),
            router.y_data.eq(bufs.y_data),
        ]
        if c.blocks > 1:
            m.d.comb += [
                bufs.x_rd_addr.eq(row.act_addr),
                router.act_bank.eq(row.act_bank),
                router.x_data.eq(bufs.x_data),
            ]
        if c.residual:
            m.d.comb += router.r_data.eq(bufs.r_data)

        # The weight word is registered as it leaves the ROM, like the router's memory
        # data: it reaches the lanes with the op's data operands (OperandRouter.LATENCY).
        w_word = Signal.like(w_rd.data, name="w_word")
        m.d.sync += w_word.eq(w_rd.data)

        # Lanes, then the finished sums to the drain or the output layer.
        m.d.comb += [
            macs.x.eq(router.x),
            macs.w.eq(data.View(data.ArrayLayout(macs.w.shape().elem_shape, c.lanes), w_word)),
            macs.en.eq(router.en),
            macs.first.eq(router.first),
            capture.acc.eq(macs.acc),
            drain.lanes_in.eq(capture.results),
            drain.start.eq(capture.drain_start),
            drain.bias_base.eq(capture.drain_bias_base),
            drain.tag_in.eq(capture.drain_dest),
            out.lanes_in.eq(capture.results),
            out.readout.eq(capture.readout),
        ]

        # The capture sees each op when its product reaches the accumulators: the
        # op's control is delayed by the lanes' pipeline (operand and product registers).
        ctl = ("en", "last", "output", "bias_base", "dest")
        for name in ctl:
            dst, src = getattr(capture, name), getattr(router, name)
            for stage in range(macs.latency - 1):
                reg = Signal.like(src, name=f"op_{name}_d{stage + 1}")
                m.d.sync += reg.eq(src)
                src = reg
            m.d.comb += dst.eq(src)

        # Activations: narrowing and table, then into the buffers their tag names.
        m.d.comb += [tanh.sel.eq(drain.tag.shift), tanh.tag_in.eq(drain.tag)]
        for s in range(c.groups):
            wiring.connect(m, getattr(drain, f"o{s}"), getattr(tanh, f"i{s}"))
            m.d.comb += bufs.act[s].eq(getattr(tanh, f"o{s}").payload)
        m.d.comb += [
            bufs.act_valid.eq(tanh.o0.valid),
            bufs.dest.eq(tanh.tag),
            bufs.y_wr_bank.eq(col.y_bank),
            bufs.y_wr_addr.eq(col.y_addr),
            row.wb_valid.eq(bufs.e_written),
            col.wb_valid.eq(bufs.col_written),
        ]
        if c.ragged:
            m.d.comb += [bufs.e_wr_bank.eq(row.e_wr_bank), bufs.e_wr_addr.eq(row.e_wr_addr)]
        else:
            m.d.comb += bufs.e_wr_addr.eq(row.wb_addr)
        if c.blocks > 1:
            m.d.comb += [bufs.x_wr_bank.eq(col.xw_bank), bufs.x_wr_addr.eq(col.xw_addr)]

        # Logits: the output layer's sums fit the result's width (logit_format).
        m.d.comb += [
            argmax.logits.valid.eq(out.logits.valid),
            argmax.logits.payload.eq(out.logits.payload),
        ]
        if self.probes:
            from .probes import connect_probes

            connect_probes(
                m, self, seq=seq, row=row, col=col, out=out, drain=drain, tanh=tanh, capture=capture
            )
        return m
