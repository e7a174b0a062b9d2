"""``LSTAxiWrapper``: the core behind AXI4-Stream (pixels in, results out) and AXI4-Lite
(control and status), with port names Vivado's interface inference recognises."""

from __future__ import annotations

import hashlib

from amaranth import Cat, ClockDomain, Const, Module, Mux, ResetInserter, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from hw.core import LSTCore
from hw.plan.config import CoreConfig
from lst.errors import ConfigError
from quant.quantize import QuantizedLST, quantize_checkpoint

from . import regmap
from .regmap import (
    BEATS_PER_IMAGE,
    CONTROL_BITS,
    LOAD_CONTROL_BITS,
    PIXELS_PER_BEAT,
    RESULT_WORDS,
    STATUS_BITS,
)

__all__ = ["ADDR_WIDTH", "AXIS_BUSES", "LSTAxiWrapper", "weights_digest"]

#: Byte-address width of ``s_axi_ctrl`` (a 256-byte window; Vivado maps it into 4 KiB).
ADDR_WIDTH = 8
#: The bus interfaces the clock is associated with (prefixes of the port names).
AXIS_BUSES = ("s_axis", "m_axis", "s_axi_ctrl")
#: Images the framing logic may have handed to the core before their results leave.
FLAG_FIFO_DEPTH = 8


def weights_digest(qmodel: QuantizedLST) -> int:
    """The first 32 bits of a sha256 over the quantized tensors (name, shape, int64 values,
    in name order): ``WEIGHTS_DIGEST``, which lets the driver tell bitstreams apart."""
    h = hashlib.sha256()
    for name in sorted(qmodel.ints):
        values = qmodel.ints[name].astype("<i8")
        h.update(name.encode())
        h.update(repr(values.shape).encode())
        h.update(values.tobytes())
    return int.from_bytes(h.digest()[:4], "big")


class LSTAxiWrapper(wiring.Component):
    """The LST-1 core for a Zynq processor system: DMA streams and AXI4-Lite registers.

    Parameters
    ----------
    config : CoreConfig
        The core's settings; ``pixels_per_beat`` must be 4 (one 32-bit beat).
    qmodel : QuantizedLST, optional
        The quantized model (default: ``config.checkpoint`` quantized to ``config.format``).
    core : optional, keyword-only
        For proofs only: a stand-in with the core's ports (``pixels``, ``result``, the
        load port when ``loadable``; ``logit_width``, ``loadable``) used instead of the
        core (``formal/``). Default: the core built from ``config`` and ``qmodel``.
    beats_per_image : int, keyword-only
        For proofs only, with ``core``: a shorter image (default 196, the core's).

    Ports
    -----
    aclk, aresetn : In(1)
        The one clock; ``aresetn`` synchronous, active low (Vivado's inferred default).
    s_axis_tdata[31:0], s_axis_tvalid, s_axis_tready, s_axis_tlast, s_axis_tkeep[3:0]
        Pixels, 4 per beat, byte 0 first; 196 beats per image, ``IMAGES_PER_PACKET``
        images per packet, ``tlast`` on the packet's last beat. ``tkeep`` is not checked
        (the DMA sends whole words: every length is a multiple of 4 bytes).
    m_axis_tdata[31:0], m_axis_tvalid, m_axis_tready, m_axis_tlast, m_axis_tkeep[3:0]
        Results, 11 words per image: word 0 the class (bits 3:0), flag DROPPED (bit 4)
        and the image's sequence number (bits 31:16, images since reset, dropped ones
        included), words 1–10 the logits of classes 0–9, sign-extended; ``tlast`` on
        word 10 of the result of a packet's last image; ``tkeep`` all ones.
    s_axi_ctrl_* : AXI4-Lite slave, 8-bit byte address, 32-bit data
        The registers of :mod:`boards.zynq.regmap`; unmapped reads answer OKAY with 0.
    interrupt : Out(1)
        ``CONTROL.IRQ_ENABLE`` and ``STATUS.RESULT_IRQ`` (level, active high).

    Loading weights
    ---------------
    With ``config.weights == "loadable"``, ``LOAD_CONTROL.RESTART`` and ``LOAD_DATA``
    drive the core's load port (:mod:`hw.plan.load_image`): one word per register write,
    ``LOAD_COUNT`` and ``LOAD_CRC`` read back what was accepted. Both writes are ignored
    while ``STATUS.BUSY`` (an image is being loaded, computed or sent) or in the cycle an
    input beat is taken, and set ``STATUS.LOAD_REFUSED`` instead: memories never change
    under an image in flight (proven: ``formal/``).

    Framing
    -------
    A packet whose ``tlast`` comes before its last beat (early) or is missing on it
    (late) is a framing error, counted in ``FRAMING_ERRORS``. The image in which the
    error shows never produces a result: its beats so far are already in the core, so
    the wrapper pads it with zero beats (``tready`` low meanwhile) and marks it
    "suppressed" in a small FIFO that follows the images through the core; its result
    is then consumed and discarded. Early ``tlast`` re-aligns at once; after a late one
    the wrapper discards input up to and including the next ``tlast``. If the dropped
    image was its packet's last, a marker frame (DROPPED set, class and logits zero)
    carries the output packet's ``tlast``, so that a DMA receive always completes.

    Latency
    -------
    The core's, plus 11 output cycles per result; the input side adds none (a beat
    goes to the core in the cycle it is accepted).
    """

    def __init__(
        self,
        config: CoreConfig,
        qmodel: QuantizedLST | None = None,
        *,
        core=None,
        beats_per_image: int = BEATS_PER_IMAGE,
    ):
        if not isinstance(config, CoreConfig):
            raise TypeError(f"config must be a CoreConfig, not {type(config).__name__}")
        if config.pixels_per_beat != PIXELS_PER_BEAT:
            raise ConfigError(
                f"the AXI wrapper needs pixels_per_beat={PIXELS_PER_BEAT}, "
                f"not {config.pixels_per_beat}"
            )
        if qmodel is None:
            qmodel = quantize_checkpoint(config.checkpoint_path(), config.format)
        if (
            isinstance(beats_per_image, bool)
            or not isinstance(beats_per_image, int)
            or not 1 <= beats_per_image <= BEATS_PER_IMAGE
        ):
            raise ConfigError(
                f"beats_per_image must be between 1 and {BEATS_PER_IMAGE}, not {beats_per_image!r}"
            )
        if beats_per_image != BEATS_PER_IMAGE and core is None:
            raise ConfigError(f"the core takes {BEATS_PER_IMAGE} beats per image")
        self.config = config
        self.qmodel = qmodel
        # A stand-in with the core's ports and stream contract (formal proofs) or the core.
        self.core = core if core is not None else LSTCore(config, qmodel)
        self.beats_per_image = beats_per_image
        if self.core.logit_width > 32:
            raise ConfigError(
                f"format {config.format}: {self.core.logit_width}-bit logits do not fit a "
                "32-bit result word"
            )
        self.digest = weights_digest(qmodel)
        self.load_words = 0
        if self.core.loadable:
            from hw.plan.load_image import load_regions

            self.load_words = sum(load_regions(config, qmodel).values())
        A = ADDR_WIDTH
        super().__init__(
            {
                "aclk": In(1),
                "aresetn": In(1),
                "s_axis_tdata": In(32),
                "s_axis_tkeep": In(4),
                "s_axis_tvalid": In(1),
                "s_axis_tready": Out(1),
                "s_axis_tlast": In(1),
                "m_axis_tdata": Out(32),
                "m_axis_tkeep": Out(4),
                "m_axis_tvalid": Out(1),
                "m_axis_tready": In(1),
                "m_axis_tlast": Out(1),
                "s_axi_ctrl_awaddr": In(A),
                "s_axi_ctrl_awvalid": In(1),
                "s_axi_ctrl_awready": Out(1),
                "s_axi_ctrl_wdata": In(32),
                "s_axi_ctrl_wstrb": In(4),
                "s_axi_ctrl_wvalid": In(1),
                "s_axi_ctrl_wready": Out(1),
                "s_axi_ctrl_bresp": Out(2),
                "s_axi_ctrl_bvalid": Out(1),
                "s_axi_ctrl_bready": In(1),
                "s_axi_ctrl_araddr": In(A),
                "s_axi_ctrl_arvalid": In(1),
                "s_axi_ctrl_arready": Out(1),
                "s_axi_ctrl_rdata": Out(32),
                "s_axi_ctrl_rresp": Out(2),
                "s_axi_ctrl_rvalid": Out(1),
                "s_axi_ctrl_rready": In(1),
                "interrupt": Out(1),
            }
        )
        # Vivado (UG994): the clock's buses and reset, the reset's polarity, the
        # interrupt's sensitivity. Stream and AXI4-Lite ports are inferred from names.
        self.aclk.attrs["X_INTERFACE_INFO"] = "xilinx.com:signal:clock:1.0 aclk CLK"
        self.aclk.attrs["X_INTERFACE_PARAMETER"] = (
            f"ASSOCIATED_BUSIF {':'.join(AXIS_BUSES)}, ASSOCIATED_RESET aresetn"
        )
        self.aresetn.attrs["X_INTERFACE_INFO"] = "xilinx.com:signal:reset:1.0 aresetn RST"
        self.aresetn.attrs["X_INTERFACE_PARAMETER"] = "POLARITY ACTIVE_LOW"
        self.interrupt.attrs["X_INTERFACE_INFO"] = (
            "xilinx.com:signal:interrupt:1.0 interrupt INTERRUPT"
        )
        self.interrupt.attrs["X_INTERFACE_PARAMETER"] = "SENSITIVITY LEVEL_HIGH"

    def register_values(self) -> dict[str, int]:
        """The constant registers' values (what the RTL reads back)."""
        q = self.qmodel.config
        return {
            "MAGIC": regmap.MAGIC,
            "VERSION": regmap.VERSION,
            "LANES": self.config.lanes,
            "PIXELS_PER_BEAT": PIXELS_PER_BEAT,
            "FORMAT": q.weight.width | (q.weight.frac << 8) | (self.core.logit_width << 16),
            "WEIGHTS_DIGEST": self.digest,
            "MODEL": self.config.blocks
            | (int(self.config.residual) << 4)
            | (int(self.core.loadable) << 8),
            "LOAD_WORDS": self.load_words,
        }

    def elaborate(self, platform):
        m = Module()
        # The one clock domain comes from the ports, so the top level has no clk/rst.
        m.domains.sync = cd = ClockDomain("sync")
        cd.clk = self.aclk  # the port itself, so its attributes stay on the port only
        m.d.comb += cd.rst.eq(~self.aresetn)

        # CONTROL.SOFT_RESET is a request; the reset itself (one cycle) waits for the
        # output stream's frame boundary: no word of a result frame sent yet, and no word
        # offered in the previous cycle without being taken, so that m_axis_tvalid never
        # falls before its transfer (AXI4-Stream) and a frame is never cut short.
        reset_request = Signal()
        offered = Signal()  # m_axis_tvalid high and m_axis_tready low in the previous cycle
        soft_reset = Signal()
        m.submodules.core = core = ResetInserter(soft_reset)(self.core)
        # Per image handed to the core: suppressed (framing error), last of its packet,
        # sequence number. Results leave the core in the order images enter it.
        m.submodules.flags = flags = ResetInserter(soft_reset)(
            SyncFIFOBuffered(width=18, depth=FLAG_FIFO_DEPTH)
        )

        # ---------------------------------------------------------------- registers
        packet_images = Signal(16, init=1)
        irq_enable = Signal()
        result_irq = Signal()
        clear_counters = Signal()
        images_accepted = Signal(32)
        results_sent = Signal(32)
        framing_errors = Signal(32)
        busy_cycles = Signal(32)
        stalled_cycles = Signal(32)

        # ---------------------------------------------------------------- input framing
        beat = Signal(range(self.beats_per_image))  # beat of the current image
        image = Signal(16)  # image within the current packet
        padding = Signal()  # feeding zero beats to finish a dropped partial image
        dropping = Signal()  # discarding input up to the next tlast (after a late tlast)
        sequence = Signal(16)  # images handed to the core since reset
        last_beat = beat == self.beats_per_image - 1
        last_index = Signal(16)
        m.d.comb += last_index.eq(Mux(packet_images == 0, 0, packet_images - 1))  # 0 acts as 1
        last_image = image == last_index

        push = Signal()
        push_suppress = Signal()
        push_end = Signal()
        m.d.comb += [
            flags.w_data.eq(Cat(sequence, push_end, push_suppress)),
            flags.w_en.eq(push),
        ]

        in_fire = self.s_axis_tvalid & self.s_axis_tready
        with m.If(soft_reset):
            pass  # nothing enters while the core resets
        with m.Elif(padding):
            # Finish the partial image with zeros; its result will be discarded.
            m.d.comb += [core.pixels.valid.eq(flags.w_rdy), core.pixels.payload.eq(0)]
            with m.If(core.pixels.valid & core.pixels.ready):
                with m.If(last_beat):
                    m.d.comb += [push.eq(1), push_suppress.eq(1), push_end.eq(1)]
                    m.d.sync += [padding.eq(0), beat.eq(0), sequence.eq(sequence + 1)]
                with m.Else():
                    m.d.sync += beat.eq(beat + 1)
        with m.Elif(dropping):
            m.d.comb += self.s_axis_tready.eq(1)
            with m.If(in_fire & self.s_axis_tlast):
                m.d.sync += dropping.eq(0)
        with m.Else():
            # Beats go straight to the core; the flag FIFO has room for every image the
            # core can hold, the w_rdy term only keeps that true by construction.
            m.d.comb += [
                core.pixels.valid.eq(self.s_axis_tvalid & flags.w_rdy),
                core.pixels.payload.eq(self.s_axis_tdata),
                self.s_axis_tready.eq(core.pixels.ready & flags.w_rdy),
            ]
            expect_last = last_beat & last_image
            with m.If(in_fire):
                with m.If(self.s_axis_tlast & ~expect_last):  # early tlast
                    m.d.sync += [framing_errors.eq(framing_errors + 1), image.eq(0)]
                    with m.If(last_beat):
                        m.d.comb += [push.eq(1), push_suppress.eq(1), push_end.eq(1)]
                        m.d.sync += [beat.eq(0), sequence.eq(sequence + 1)]
                    with m.Else():
                        m.d.sync += [padding.eq(1), beat.eq(beat + 1)]
                with m.Elif(~self.s_axis_tlast & expect_last):  # late tlast
                    m.d.comb += [push.eq(1), push_suppress.eq(1), push_end.eq(1)]
                    m.d.sync += [
                        framing_errors.eq(framing_errors + 1),
                        dropping.eq(1),
                        beat.eq(0),
                        image.eq(0),
                        sequence.eq(sequence + 1),
                    ]
                with m.Elif(last_beat):
                    m.d.comb += [push.eq(1), push_end.eq(last_image)]
                    m.d.sync += [
                        beat.eq(0),
                        image.eq(Mux(last_image, 0, image + 1)),
                        sequence.eq(sequence + 1),
                        images_accepted.eq(images_accepted + 1),
                    ]
                with m.Else():
                    m.d.sync += beat.eq(beat + 1)

        # ---------------------------------------------------------------- output
        word = Signal(range(RESULT_WORDS))
        head_seq = flags.r_data[:16]
        head_end = flags.r_data[16]
        head_suppress = flags.r_data[17]
        result = core.result.payload
        # A dropped image is answered by a marker frame (flag DROPPED, zeros elsewhere)
        # carrying the tlast, so a DMA receive never waits for a tlast that would not
        # come. (Every framing error ends its packet, so every dropped image is its
        # packet's last; a suppressed image without the end flag would leave nothing.)
        marker = head_suppress
        words = [
            Cat(
                Mux(marker, 0, result.cls),
                Const(0, 4 - len(result.cls)),
                marker,  # bit 4: DROPPED
                Const(0, 11),
                head_seq,
            )
        ]
        for c in range(len(result.logits)):
            logit = Signal(signed(32), name=f"logit{c}")
            m.d.comb += logit.eq(Mux(marker, 0, result.logits[c]))  # sign-extends
            words.append(logit)
        with m.Switch(word):
            for i, w in enumerate(words):
                with m.Case(i):
                    m.d.comb += self.m_axis_tdata.eq(w)
        have = core.result.valid & flags.r_rdy & ~soft_reset
        m.d.comb += soft_reset.eq(reset_request & (word == 0) & ~offered)
        last_word = word == RESULT_WORDS - 1
        m.d.comb += [
            self.m_axis_tkeep.eq(0b1111),
            self.m_axis_tvalid.eq(have & (~head_suppress | head_end)),
            self.m_axis_tlast.eq(last_word & head_end),
        ]
        out_fire = self.m_axis_tvalid & self.m_axis_tready
        m.d.sync += offered.eq(self.m_axis_tvalid & ~self.m_axis_tready)
        irq_event = Signal()  # an output packet ends: its tlast word is taken
        # The core holds its result until the last word leaves: no copy needed.
        with m.If(have & head_suppress & ~head_end):
            m.d.comb += [core.result.ready.eq(1), flags.r_en.eq(1)]
        with m.Elif(out_fire):
            with m.If(last_word):
                m.d.comb += [core.result.ready.eq(1), flags.r_en.eq(1)]
                m.d.sync += word.eq(0)
                with m.If(~marker):
                    m.d.sync += results_sent.eq(results_sent + 1)
                with m.If(head_end):
                    m.d.comb += irq_event.eq(1)
            with m.Else():
                m.d.sync += word.eq(word + 1)

        # ---------------------------------------------------------------- counters
        busy = Signal()
        m.d.comb += busy.eq((beat != 0) | padding | flags.r_rdy | core.result.valid)
        with m.If(busy):
            m.d.sync += busy_cycles.eq(busy_cycles + 1)
        with m.If(self.m_axis_tvalid & ~self.m_axis_tready):
            m.d.sync += stalled_cycles.eq(stalled_cycles + 1)
        m.d.comb += self.interrupt.eq(irq_enable & result_irq)

        # ---------------------------------------------------------------- AXI4-Lite
        # ---------------------------------------------------------------- weight loading
        load_refused = Signal()
        load_restart = Signal()  # one cycle, from LOAD_CONTROL.RESTART
        load_word = Signal()  # one cycle, from LOAD_DATA
        load_data = Signal(32)
        load_count = Signal(32)
        load_crc = Signal(32)
        # Any image in the core: BUSY, plus the cycle after an image's last beat, when
        # its flag is in the FIFO (level) but not yet at its output (r_rdy), plus the
        # cycle an image's first beat enters (BUSY only from the next one): the load
        # word reaches the core a cycle after the write, when that image is in it.
        load_blocked = Signal()
        m.d.comb += load_blocked.eq(busy | (flags.level != 0) | in_fire)
        if self.core.loadable:
            m.d.comb += [
                core.load_restart.eq(load_restart),
                core.load_valid.eq(load_word),
                core.load_data.eq(load_data),
                load_count.eq(core.load_count),
                load_crc.eq(core.load_crc),
            ]

        consts = self.register_values()
        status = Cat(result_irq, busy, dropping, load_refused, reset_request)
        readable = {
            **consts,
            "CONTROL": Cat(Const(0, 1), irq_enable),
            "STATUS": status,
            "IMAGES_PER_PACKET": packet_images,
            "IMAGES_ACCEPTED": images_accepted,
            "RESULTS_SENT": results_sent,
            "FRAMING_ERRORS": framing_errors,
            "BUSY_CYCLES": busy_cycles,
            "STALLED_CYCLES": stalled_cycles,
            "LOAD_CONTROL": 0,
            "LOAD_DATA": 0,
            "LOAD_COUNT": load_count,
            "LOAD_CRC": load_crc,
        }
        assert set(readable) == {r.name for r in regmap.REGISTERS}

        aw_addr = Signal(ADDR_WIDTH)
        aw_have = Signal()
        w_data = Signal(32)
        w_strb = Signal(4)
        w_have = Signal()
        p = "s_axi_ctrl_"
        sig = {name: getattr(self, p + name) for name in (
            "awaddr", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp",
            "bvalid", "bready", "araddr", "arvalid", "arready", "rdata", "rresp", "rvalid",
            "rready",
        )}  # fmt: skip
        # Address and data may come in either order; one write is answered at a time.
        m.d.comb += [
            sig["awready"].eq(~aw_have),
            sig["wready"].eq(~w_have),
            sig["bresp"].eq(0),
            sig["rresp"].eq(0),
            sig["arready"].eq(~sig["rvalid"]),
        ]
        with m.If(sig["awvalid"] & sig["awready"]):
            m.d.sync += [aw_addr.eq(sig["awaddr"]), aw_have.eq(1)]
        with m.If(sig["wvalid"] & sig["wready"]):
            m.d.sync += [w_data.eq(sig["wdata"]), w_strb.eq(sig["wstrb"]), w_have.eq(1)]
        with m.If(sig["bvalid"] & sig["bready"]):
            m.d.sync += sig["bvalid"].eq(0)
        m.d.sync += [clear_counters.eq(0), load_restart.eq(0), load_word.eq(0)]
        do_write = aw_have & w_have & ~sig["bvalid"]
        with m.If(do_write):
            m.d.sync += [sig["bvalid"].eq(1), aw_have.eq(0), w_have.eq(0)]
            with m.Switch(aw_addr[2:]):
                with m.Case(regmap.offset("CONTROL") >> 2), m.If(w_strb[0]):
                    with m.If(w_data[CONTROL_BITS["SOFT_RESET"]]):
                        m.d.sync += reset_request.eq(1)
                    m.d.sync += [
                        irq_enable.eq(w_data[CONTROL_BITS["IRQ_ENABLE"]]),
                        clear_counters.eq(w_data[CONTROL_BITS["CLEAR_COUNTERS"]]),
                    ]
                with m.Case(regmap.offset("STATUS") >> 2), m.If(w_strb[0]):
                    with m.If(w_data[STATUS_BITS["RESULT_IRQ"]]):
                        m.d.sync += result_irq.eq(0)
                    with m.If(w_data[STATUS_BITS["LOAD_REFUSED"]]):
                        m.d.sync += load_refused.eq(0)
                # Loading: refused while an image is in flight (memories never change
                # under it); the write is dropped and the sticky bit tells the host.
                with (
                    m.Case(regmap.offset("LOAD_CONTROL") >> 2),
                    m.If(w_strb[0] & w_data[LOAD_CONTROL_BITS["RESTART"]]),
                ):
                    with m.If(load_blocked):
                        m.d.sync += load_refused.eq(1)
                    with m.Else():
                        m.d.sync += [load_restart.eq(1), load_refused.eq(0)]
                with m.Case(regmap.offset("LOAD_DATA") >> 2):
                    with m.If(load_blocked):
                        m.d.sync += load_refused.eq(1)
                    with m.Else():
                        m.d.sync += [load_word.eq(1), load_data.eq(w_data)]
                with m.Case(regmap.offset("IMAGES_PER_PACKET") >> 2):
                    for b in range(2):
                        with m.If(w_strb[b]):
                            m.d.sync += packet_images[8 * b : 8 * b + 8].eq(
                                w_data[8 * b : 8 * b + 8]
                            )

        with m.If(sig["rvalid"] & sig["rready"]):
            m.d.sync += sig["rvalid"].eq(0)
        with m.If(sig["arvalid"] & sig["arready"]):
            m.d.sync += [sig["rvalid"].eq(1), sig["rdata"].eq(0)]  # unmapped: zero
            with m.Switch(sig["araddr"][2:]):
                for r in regmap.REGISTERS:
                    with m.Case(r.offset >> 2):
                        m.d.sync += sig["rdata"].eq(readable[r.name])

        # A packet's end sets RESULT_IRQ after the register writes, so that it wins over
        # a write-1-to-clear in the same cycle (which clears an older event).
        with m.If(irq_event):
            m.d.sync += result_irq.eq(1)

        # ---------------------------------------------------------------- soft reset
        # Last, so that it overrides every assignment above: framing, output and
        # counters return to their reset values together with the core and the FIFO.
        # The register settings (IRQ_ENABLE, IMAGES_PER_PACKET) and the bus are kept.
        framing_state = [beat, image, padding, dropping, sequence, word, result_irq, load_refused]
        framing_state += [reset_request, offered]
        counters = [images_accepted, results_sent, framing_errors, busy_cycles, stalled_cycles]
        with m.If(soft_reset):
            m.d.sync += [s.eq(s.init) for s in framing_state + counters]
        with m.If(clear_counters):
            m.d.sync += [s.eq(0) for s in counters]
        # For proofs (formal/): the state the wrapper's properties speak about.
        self.observed = {
            "result_irq": result_irq,
            "irq_enable": irq_enable,
            "reset_request": reset_request,
            "soft_reset": soft_reset,
            "word": word,
            "flags_level": flags.level,
            "images_accepted": images_accepted,
            "results_sent": results_sent,
            "framing_errors": framing_errors,
            "sequence": sequence,
            "aw_have": aw_have,
            "w_have": w_have,
            "aw_addr": aw_addr,
            "w_data": w_data,
            "w_strb": w_strb,
            "do_write": do_write,
            "packet_images": packet_images,
            "busy": busy,
            "busy_cycles": busy_cycles,
            "stalled_cycles": stalled_cycles,
            "dropping": dropping,
            "padding": padding,
            "beat": beat,
            "image": image,
            "load_refused": load_refused,
            "load_blocked": load_blocked,
            "load_word": load_word,
            "load_restart": load_restart,
            "irq_event": irq_event,
            "push": push,
            "push_suppress": push_suppress,
            "clear_counters": clear_counters,
            "marker": marker,
        }
        return m
