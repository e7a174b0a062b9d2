"""Properties of the AXI wrapper (``boards.zynq.axi_wrapper.LSTAxiWrapper``), proven
against :class:`~formal.contract_core.ContractCore` with a short image.

Inputs of the wrapper are free, constrained by ``Assume`` to what an AXI master does
(AXI4-Stream source on ``s_axis``, AXI4-Lite master on ``s_axi_ctrl``; ``aresetn`` low
in the first cycle); the wrapper's outputs are asserted. Each property has a name
(:data:`PROPERTIES`), the rule it states and the ``Cover`` that shows its trigger can
happen, so that no proof is vacuous.
"""

from __future__ import annotations

from amaranth import ClockDomain, Elaboratable, Module, Mux, Signal
from amaranth.hdl import Assert, Assume, Cover

from boards.zynq.axi_wrapper import LSTAxiWrapper
from boards.zynq.regmap import REGISTERS, STATUS_BITS
from hw.plan.config import CoreConfig
from quant.quantize import quantize_checkpoint

from .contract_core import ContractCore

__all__ = [
    "BOUNDED",
    "BOUNDED_DEPTH",
    "LOADABLE_ONLY",
    "PROPERTIES",
    "PROVE_DEPTH",
    "WrapperHarness",
]

#: name -> the rule (docs/verification.md's table is made from these).
PROPERTIES = {
    "m_axis_reset": "m_axis_tvalid is low in the cycle after aresetn is low",
    "m_axis_stable": "while m_axis_tvalid is high and m_axis_tready low, tvalid, tdata and "
    "tlast hold (also across a soft reset)",
    "m_axis_tlast": "m_axis_tlast only on a frame's word 10; with well-framed input under "
    "one packet size, exactly on the frame that completes a packet",
    "core_pixels_stable": "the wrapper's beats to the core: while valid and not ready, "
    "valid and the payload hold",
    "irq_not_lost": "an output packet's tlast word taken sets STATUS.RESULT_IRQ in the next "
    "cycle, whatever is written to STATUS in the same cycle",
    "axil_write_response": "each AXI4-Lite write (address and data) gets exactly one B "
    "response, held until taken; none without a write",
    "axil_read_response": "each AXI4-Lite read address gets exactly one R response, held "
    "(with its data) until taken; none without a read",
    "reset_values": "after aresetn every register is at its reset value; after a soft reset "
    "the framing, counters and flags are, IRQ_ENABLE and IMAGES_PER_PACKET are kept; the "
    "next packet is processed (cover)",
    "register_reads": "a read returns, one cycle after its address is taken, the register at "
    "that address (bits 7:2) as docs/board.md defines it; unmapped offsets read zero",
    "register_writes": "a completed write sets IRQ_ENABLE, IMAGES_PER_PACKET per byte strobe, "
    "and clears the write-1 STATUS bits (a new interrupt event wins)",
    "sequence_numbers": "result frames carry sequence numbers 0, 1, 2, ... since reset: every "
    "image gets exactly one frame, in order",
    "load_when_idle": "load words and restarts reach the core only while no image is in it; "
    "a refused LOAD_DATA write reaches it not at all (loadable wrapper)",
    "counters_balance": "between resets and clears, RESULTS_SENT counts frames that are not "
    "markers, IMAGES_ACCEPTED well-framed images, and each FRAMING_ERRORS count is one "
    "dropped image",
    "images_balance": "the flags in the FIFO equal the images the core has completed and "
    "not yet answered: no result without an image, none lost, answered in order",
}


#: Properties not closed by k-induction (yet): checked to :data:`BOUNDED_DEPTH` cycles
#: (two whole images of the proof's configuration and their 11-word results, with room
#: for stalls), labelled "bounded" everywhere.
BOUNDED = ("m_axis_tlast", "sequence_numbers")
#: Properties of the wrapper with loadable weights only (run on that variant).
LOADABLE_ONLY = ("load_when_idle",)
#: The k-induction depth of the proven properties; the bounded check's and covers' depth.
PROVE_DEPTH = 16
BOUNDED_DEPTH = 30


class WrapperHarness(Elaboratable):
    """The wrapper around a stand-in core, its environment's assumptions and the
    properties of :data:`PROPERTIES`.

    ``ports()``: the free inputs (the wrapper's inputs and the stand-in's choices)."""

    def __init__(
        self,
        *,
        properties=None,
        beats_per_image: int = 2,
        logit_width: int = 4,
        capacity: int = 2,
        loadable: bool = False,
    ):
        self.properties = set(properties or PROPERTIES)
        unknown = self.properties - set(PROPERTIES)
        if unknown:
            raise ValueError(f"unknown properties: {', '.join(sorted(unknown))}")
        config = CoreConfig(
            lanes=28, pixels_per_beat=4, weights="loadable" if loadable else "baked"
        )
        qmodel = quantize_checkpoint(config.checkpoint_path(), config.format)
        self.core = ContractCore(
            beats_per_image=beats_per_image,
            logit_width=logit_width,
            capacity=capacity,
            loadable=loadable,
        )
        self.dut = LSTAxiWrapper(config, qmodel, core=self.core, beats_per_image=beats_per_image)

    def ports(self) -> list:
        d = self.dut
        ins = [
            d.aclk,
            d.aresetn,
            d.s_axis_tdata,
            d.s_axis_tkeep,
            d.s_axis_tvalid,
            d.s_axis_tlast,
            d.m_axis_tready,
            *(getattr(d, f"s_axi_ctrl_{n}") for n in ("awaddr", "awvalid", "wdata", "wstrb")),
            *(getattr(d, f"s_axi_ctrl_{n}") for n in ("wvalid", "bready", "araddr", "arvalid")),
            d.s_axi_ctrl_rready,
            self.core.choose_ready,
            self.core.choose_valid,
            self.core.choose_payload.as_value(),
        ]
        if self.core.loadable:
            ins += [self.core.choose_count, self.core.choose_crc]
        return ins

    def elaborate(self, platform):
        m = Module()
        m.submodules.dut = self.dut
        # The properties' registers: the wrapper's clock and reset, in a domain of their
        # own (the wrapper's "sync" is local to it).
        m.domains.formal = cd = ClockDomain("formal")
        m.d.comb += [cd.clk.eq(self.dut.aclk), cd.rst.eq(~self.dut.aresetn)]
        # Elaborated after the wrapper (submodules in order), when its state is known.
        m.submodules.properties = _Properties(self.dut, self.core, self.properties)
        return m


class _Properties(Elaboratable):
    def __init__(self, dut, core, names):
        self.dut = dut
        self.core = core
        self.names = names

    def elaborate(self, platform):
        m = Module()
        d = self.dut
        obs = d.observed

        def prop(kind, condition, name):
            if name in self.names:
                m.d.comb += kind(condition, name, src_loc_at=1)  # the caller's line

        # The delayed copies live in a module of their own, so that ``past`` may be called
        # inside ``with m.If(...)`` and still register its value in every cycle.
        m.submodules.past = delays = Module()

        def past(value, name):
            """``value`` one cycle ago (0 in the first cycle)."""
            reg = Signal.like(value, name=f"past_{name}", reset_less=True)
            delays.d.formal += reg.eq(value)
            return reg

        started = Signal(reset_less=True)
        m.d.formal += started.eq(1)
        rst = ~d.aresetn
        m.d.comb += Assume(started | rst)  # reset in the first cycle

        # ------------------------------------------------ environment: the AXI masters
        def holds(valid, ready, payload, name):
            """AXI source rule on an input: once valid, hold it and ``payload`` until
            ready (assumed; none across a reset)."""
            was = past(valid & ~ready & ~rst, f"{name}_waiting")
            was_payload = past(payload, f"{name}_payload")
            m.d.comb += Assume(~was | rst | valid)
            m.d.comb += Assume(~was | rst | (payload == was_payload))

        holds(d.s_axis_tvalid, d.s_axis_tready, d.s_axis_tdata.replicate(1), "s_axis")
        holds(d.s_axis_tvalid, d.s_axis_tready, d.s_axis_tlast, "s_axis_tlast")
        p = "s_axi_ctrl_"
        a = {n: getattr(d, p + n) for n in (
            "awaddr", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bvalid",
            "bready", "araddr", "arvalid", "arready", "rdata", "rvalid", "rready",
        )}  # fmt: skip
        holds(a["awvalid"], a["awready"], a["awaddr"], "aw")
        holds(a["wvalid"], a["wready"], a["wdata"], "w")
        holds(a["wvalid"], a["wready"], a["wstrb"], "wstrb")
        holds(a["arvalid"], a["arready"], a["araddr"], "ar")

        was_rst = past(rst, "rst")
        live = started & ~rst & ~was_rst  # not in or just after a reset

        # ------------------------------------------------ m_axis
        prop(Assert, ~(was_rst & started) | ~d.m_axis_tvalid, "m_axis_reset")
        prop(Cover, past(rst & started & d.m_axis_tvalid, "rst_offered"), "m_axis_reset")
        waiting = past(d.m_axis_tvalid & ~d.m_axis_tready, "m_waiting")
        was_data = past(d.m_axis_tdata, "m_data")
        was_last = past(d.m_axis_tlast, "m_last")
        with m.If(live & waiting):
            prop(
                Assert,
                d.m_axis_tvalid & (d.m_axis_tdata == was_data) & (d.m_axis_tlast == was_last),
                "m_axis_stable",
            )
        prop(Cover, live & waiting & obs["reset_request"], "m_axis_stable")
        # TLAST only on a frame's last word (word 10), and there whenever the frame ends
        # its packet: with one image per packet (the default), on every frame.
        # For well-framed traffic under one packet size: the frame that completes a
        # packet of IMAGES_PER_PACKET results (0 acts as 1), and no other, has TLAST.
        tlast = d.m_axis_tvalid & d.m_axis_tlast
        frames = Signal(16)  # frames ended since the output packet began
        irregular = Signal()  # a framing error, or the packet size changed with traffic
        ppk = obs["packet_images"]
        traffic = (obs["sequence"] != 0) | (obs["beat"] != 0) | (frames != 0)
        irregular_now = irregular | (obs["push"] & obs["push_suppress"])
        irregular_now |= traffic & (ppk != past(ppk, "ppk_t"))
        with m.If(irregular_now):
            m.d.formal += irregular.eq(1)
        frame_end = d.m_axis_tvalid & d.m_axis_tready & (obs["word"] == 10)
        with m.If(frame_end):
            m.d.formal += frames.eq(Mux(d.m_axis_tlast, 0, frames + 1))
        with m.If(obs["soft_reset"]):
            m.d.formal += [frames.eq(0), irregular.eq(0)]
        size = Signal(16)
        m.d.comb += size.eq(Mux(ppk == 0, 1, ppk))
        with m.If(started & ~rst):
            prop(Assert, ~tlast | (obs["word"] == 10), "m_axis_tlast")
            with m.If(d.m_axis_tvalid & (obs["word"] == 10) & ~irregular_now):
                prop(Assert, d.m_axis_tlast == (frames + 1 == size), "m_axis_tlast")
        prop(Cover, live & tlast & d.m_axis_tready & (size == 2) & ~irregular, "m_axis_tlast")

        # ------------------------------------------------ the core's pixel stream
        c = self.core.pixels
        c_wait = past(c.valid & ~c.ready, "c_waiting")
        c_data = past(c.payload, "c_payload")
        # (A soft reset resets the core with the stream: excepted.)
        with m.If(live & c_wait & ~obs["soft_reset"]):
            prop(Assert, c.valid & (c.payload == c_data), "core_pixels_stable")
        prop(Cover, live & c_wait, "core_pixels_stable")

        # ------------------------------------------------ interrupt
        packet_end = past(d.m_axis_tvalid & d.m_axis_tready & d.m_axis_tlast, "packet_end")
        with m.If(live & packet_end):
            prop(Assert, obs["result_irq"], "irq_not_lost")
        clear = (a["awvalid"] & a["wvalid"] & (a["awaddr"][2:] == (0x1C >> 2)) & a["wstrb"][0]) & a[
            "wdata"
        ][STATUS_BITS["RESULT_IRQ"]]
        prop(Cover, live & packet_end & past(clear, "irq_clear"), "irq_not_lost")

        # ------------------------------------------------ AXI4-Lite responses
        # Handshakes counted mod 4: addresses, data and B responses of writes; read
        # addresses and R responses. One response per request means the differences
        # stay 0 or 1, and a response is offered only when one is owed.
        def count(strobe, name):
            n = Signal(2, name=name)
            m.d.formal += n.eq(n + strobe)
            return n

        aw_n = count(a["awvalid"] & a["awready"], "aw_taken")
        w_n = count(a["wvalid"] & a["wready"], "w_taken")
        b_done = a["bvalid"] & a["bready"]
        b_n = count(b_done, "b_taken")
        # Owed responses: the halves taken and not yet answered are exactly those the
        # wrapper holds (an address, a data word) plus the one it offers on B.
        bvalid = a["bvalid"]
        aw_owed = Signal(2)
        w_owed = Signal(2)
        m.d.comb += [aw_owed.eq(aw_n - b_n), w_owed.eq(w_n - b_n)]
        with m.If(started & ~rst):
            prop(Assert, aw_owed == obs["aw_have"] + bvalid, "axil_write_response")
            prop(Assert, w_owed == obs["w_have"] + bvalid, "axil_write_response")
        with m.If(live & past(a["bvalid"] & ~a["bready"], "b_waiting")):
            prop(Assert, a["bvalid"], "axil_write_response")
        prop(Cover, live & b_done, "axil_write_response")

        ar_n = count(a["arvalid"] & a["arready"], "ar_taken")
        r_done = a["rvalid"] & a["rready"]
        r_n = count(r_done, "r_taken")
        r_owed = Signal(2)
        m.d.comb += r_owed.eq(ar_n - r_n)
        with m.If(started & ~rst):
            prop(Assert, (r_owed <= 1) & (a["rvalid"] == (r_owed == 1)), "axil_read_response")
        r_data = past(a["rdata"], "r_data")
        with m.If(live & past(a["rvalid"] & ~a["rready"], "r_waiting")):
            prop(Assert, a["rvalid"] & (a["rdata"] == r_data), "axil_read_response")
        prop(Cover, live & r_done, "axil_read_response")

        # ------------------------------------------------ accounting
        # Every image the core completed has exactly one flag in the FIFO until its
        # result is taken: no result without an image, none lost, in order.
        with m.If(started & ~rst):
            prop(Assert, obs["flags_level"] == self.core.complete, "images_balance")
            # What k-induction needs besides: the wrapper's beat count is the core's, and
            # an image in the core keeps the wrapper busy.
            prop(Assert, obs["beat"] == self.core.beat, "images_balance")
            busy = obs["busy"] | (obs["flags_level"] != 0)
            prop(Assert, (self.core.in_flight == 0) | busy, "images_balance")
        prop(Cover, live & (self.core.complete == 2), "images_balance")
        # ------------------------------------------------ resets
        # After aresetn every register is at its reset value; after a soft reset the
        # framing, counters and flags are, and the settings are kept.
        zero_after_any = [
            "result_irq", "reset_request", "word", "flags_level", "images_accepted",
            "results_sent", "framing_errors", "sequence", "busy_cycles", "stalled_cycles",
            "dropping", "padding", "beat", "image", "load_refused",
        ]  # fmt: skip
        after_rst = started & was_rst & ~rst
        with m.If(after_rst):
            for name in [*zero_after_any, "irq_enable", "aw_have", "w_have"]:
                prop(Assert, obs[name] == 0, "reset_values")
            prop(Assert, obs["packet_images"] == 1, "reset_values")
            prop(Assert, ~a["bvalid"] & ~a["rvalid"], "reset_values")
        after_soft = live & past(obs["soft_reset"], "soft")
        with m.If(after_soft):
            for name in zero_after_any:
                prop(Assert, obs[name] == 0, "reset_values")
            with m.If(~past(obs["do_write"], "do_write_s")):
                for name in ("irq_enable", "packet_images"):
                    was = past(obs[name], f"{name}_s")
                    prop(Assert, obs[name] == was, "reset_values")
        resets = Signal(2)  # soft resets since aresetn, saturating
        with m.If(obs["soft_reset"] & (resets != 3)):
            m.d.formal += resets.eq(resets + 1)
        prop(Cover, live & (resets != 0) & packet_end, "reset_values")

        # ------------------------------------------------ register reads
        # Each read returns, one cycle after its address is taken, the register at that
        # address as docs/board.md defines it (bits 7:2 decoded; unmapped: zero).
        consts = d.register_values()
        status = Signal(5)
        m.d.comb += status.eq(
            obs["result_irq"]
            | (obs["busy"] << 1)
            | (obs["dropping"] << 2)
            | (obs["load_refused"] << 3)
            | (obs["reset_request"] << 4)
        )
        core = self.core
        values = {
            **consts,
            "CONTROL": obs["irq_enable"] << 1,
            "STATUS": status,
            "IMAGES_PER_PACKET": obs["packet_images"],
            "IMAGES_ACCEPTED": obs["images_accepted"],
            "RESULTS_SENT": obs["results_sent"],
            "FRAMING_ERRORS": obs["framing_errors"],
            "BUSY_CYCLES": obs["busy_cycles"],
            "STALLED_CYCLES": obs["stalled_cycles"],
            "LOAD_CONTROL": 0,
            "LOAD_DATA": 0,
            "LOAD_COUNT": core.load_count if core.loadable else 0,
            "LOAD_CRC": core.load_crc if core.loadable else 0,
        }
        expected = Signal(32)
        with m.Switch(a["araddr"][2:]):
            for r in REGISTERS:
                with m.Case(r.offset >> 2):
                    m.d.comb += expected.eq(values[r.name])
            with m.Default():
                m.d.comb += expected.eq(0)
        read_taken = past(a["arvalid"] & a["arready"], "ar_taken_r")
        with m.If(live & read_taken):
            prop(Assert, a["rdata"] == past(expected, "expected"), "register_reads")
        prop(
            Cover,
            live
            & read_taken
            & (past(a["araddr"], "ar_r")[2:] == 0x1C >> 2)
            & (a["rdata"][STATUS_BITS["RESULT_IRQ"]]),
            "register_reads",
        )

        # ------------------------------------------------ register writes
        wrote = past(obs["do_write"], "wrote")
        w_addr = past(obs["aw_addr"][2:], "w_addr")
        w_data = past(obs["w_data"], "w_data_p")
        w_strb = past(obs["w_strb"], "w_strb_p")
        with m.If(live & wrote):
            with m.If((w_addr == (0x18 >> 2)) & w_strb[0]):
                prop(Assert, obs["irq_enable"] == w_data[1], "register_writes")
            with m.If(w_addr == (0x20 >> 2)):
                was = past(obs["packet_images"], "ppk")
                for b in range(2):
                    byte = obs["packet_images"][8 * b : 8 * b + 8]
                    want = Mux(w_strb[b], w_data[8 * b : 8 * b + 8], was[8 * b : 8 * b + 8])
                    prop(Assert, byte == want, "register_writes")
            with m.If((w_addr == (0x1C >> 2)) & w_strb[0]):
                with m.If(w_data[STATUS_BITS["RESULT_IRQ"]] & ~past(obs["irq_event"], "ev")):
                    prop(Assert, ~obs["result_irq"], "register_writes")
                with m.If(w_data[STATUS_BITS["LOAD_REFUSED"]]):
                    prop(Assert, ~obs["load_refused"], "register_writes")
        prop(Cover, live & wrote & (w_addr == (0x20 >> 2)) & (w_strb == 0b10), "register_writes")

        # ------------------------------------------------ sequence numbers
        # Frames carry the images' sequence numbers 0, 1, 2, ... (mod 2**16) since reset:
        # every image gets a frame (a result or a marker), in order.
        next_seq = Signal(16)
        first_word = d.m_axis_tvalid & d.m_axis_tready & (obs["word"] == 0)
        with m.If(first_word):
            m.d.formal += next_seq.eq(next_seq + 1)
        with m.If(obs["soft_reset"]):
            m.d.formal += next_seq.eq(0)
        with m.If(started & ~rst & d.m_axis_tvalid & (obs["word"] == 0)):
            prop(Assert, d.m_axis_tdata[16:] == next_seq, "sequence_numbers")

        prop(Cover, live & first_word & (next_seq == 2), "sequence_numbers")

        # ------------------------------------------------ counters
        # Between resets and CLEAR_COUNTERS: RESULTS_SENT counts the frames that are not
        # markers, IMAGES_ACCEPTED the well-framed images handed to the core, and (up to
        # the first clear) every FRAMING_ERRORS count is one dropped image (its flag
        # pushed with the error, or after the zero beats that finish it: while padding).
        counted = live & ~past(obs["clear_counters"] | obs["soft_reset"], "cleared")
        sent, accepted, errors = obs["results_sent"], obs["images_accepted"], obs["framing_errors"]
        with m.If(counted):
            was_sent = past(sent, "sent")
            prop(
                Assert,
                sent == (was_sent + past(frame_end & ~obs["marker"], "real_end"))[:32],
                "counters_balance",
            )
            was_accepted = past(accepted, "accepted")
            good_push = past(obs["push"] & ~obs["push_suppress"], "good_push")
            prop(Assert, accepted == (was_accepted + good_push)[:32], "counters_balance")
        dropped = Signal(2)  # framing errors counted, less dropped images flagged
        was_errors = past(errors, "errors")
        error_counted = counted & (errors != was_errors)
        with m.If(counted):  # one error at a time
            prop(Assert, ~error_counted | (errors == (was_errors + 1)[:32]), "counters_balance")
        dropped_now = Signal(2)
        m.d.comb += dropped_now.eq(
            dropped + error_counted - past(obs["push"] & obs["push_suppress"] & ~rst, "bad_push")
        )
        m.d.formal += dropped.eq(dropped_now)
        with m.If(obs["soft_reset"]):  # the image being padded is dropped with the reset
            m.d.formal += dropped.eq(0)
        # A clear cuts the balance (an error counted before it may drop its image after):
        # the last part is stated from aresetn up to the first CLEAR_COUNTERS.
        never_cleared = Signal(init=1)
        with m.If(obs["clear_counters"]):
            m.d.formal += never_cleared.eq(0)
        with m.If(counted & never_cleared):
            prop(Assert, dropped_now == obs["padding"], "counters_balance")
        prop(Cover, live & obs["padding"] & (sent != 0), "counters_balance")

        # ------------------------------------------------ weight loading
        if core.loadable:
            # Memories never change under an image: load words and restarts reach the
            # core only while no image is in it (not even one entering), and a refused
            # write reaches it not at all.
            loading = core.load_valid | core.load_restart
            with m.If(started & ~rst):
                prop(Assert, ~loading | (core.in_flight == 0), "load_when_idle")
                # The invariant behind it: an image in the core keeps the load blocked.
                blocked = obs["busy"] | (obs["flags_level"] != 0)
                prop(Assert, (core.in_flight == 0) | blocked, "load_when_idle")
            refused = past(obs["do_write"] & obs["load_blocked"], "refused_w") & (
                past(obs["aw_addr"][2:], "refused_a") == (0x44 >> 2)
            )
            with m.If(live & refused):
                prop(Assert, ~core.load_valid, "load_when_idle")
            prop(Cover, live & core.load_valid, "load_when_idle")
            prop(Cover, live & refused, "load_when_idle")
        return m
