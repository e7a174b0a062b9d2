"""``ContractCore``: a stand-in for the LST core with only its stream contract, for proofs
of what surrounds the core (assume-guarantee: the core's behaviour is assumed here, the
wrapper's is asserted against it).

A result needs 196 beats and the core's latency, far beyond a practical proof depth
with the real core; the wrapper's logic does not depend on the numbers, only on the
handshakes. The stand-in takes its choices from free inputs (``choose_*``: the solver
picks them every cycle) constrained by ``Assume`` to what the core promises
(``docs/hardware.md``, ``hw.core.LSTCore``):

* an image is ``beats_per_image`` pixel beats; at most ``capacity`` images are in the
  core (accepted, result not yet taken), and no beat is taken beyond that;
* a result is offered only for an image already complete, in order (a result only
  counts images);
* ``result`` follows the stream rules: once offered, ``valid`` and the payload hold
  until the transfer.

The registers here are reset with the core (the wrapper's soft reset and ``aresetn``),
as the core's are, so after a reset nothing is in flight and nothing is offered.
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal, unsigned
from amaranth.hdl import Assert, Assume
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from hw.components.argmax import result_layout

__all__ = ["ContractCore"]


class ContractCore(wiring.Component):
    """The core's ports and stream contract, with free choices.

    Parameters
    ----------
    beats_per_image : int
        Pixel beats per image (the proof's image length).
    logit_width : int
        Bits per logit in the result payload.
    capacity : int
        Images the core holds at most (accepted, result not yet taken).
    loadable : bool
        With the core's load port.

    Ports
    -----
    pixels : In(stream.Signature(unsigned(32)))
    result : Out(stream.Signature(result_layout(logit_width)))
    choose_ready, choose_valid : In(1); choose_payload : In(result layout)
        Free: the solver's choice of ``pixels.ready``, ``result.valid`` and the payload.
    load_valid, load_data, load_restart : In; load_count, load_crc : Out
        With ``loadable``: the core's load port (count and CRC free: ``choose_count``,
        ``choose_crc``).
    in_flight : Out(range(capacity + 1))
        Images accepted whose result has not been taken (for properties).
    """

    def __init__(
        self, *, beats_per_image: int, logit_width: int, capacity: int = 2, loadable=False
    ):
        if beats_per_image < 1 or capacity < 1:
            raise ValueError("beats_per_image and capacity must be at least 1")
        self.beats_per_image = beats_per_image
        self.logit_width = logit_width
        self.capacity = capacity
        self.loadable = loadable
        layout = result_layout(logit_width)
        ports = {
            "pixels": In(stream.Signature(unsigned(32))),
            "result": Out(stream.Signature(layout)),
            "choose_ready": In(1),
            "choose_valid": In(1),
            "choose_payload": In(layout),
            "in_flight": Out(range(capacity + 1)),
            "complete": Out(range(capacity + 1)),
        }
        if loadable:
            # The load port as the core has it; count and CRC are the solver's choice.
            ports |= {
                "load_valid": In(1),
                "load_data": In(32),
                "load_restart": In(1),
                "load_count": Out(32),
                "load_crc": Out(32),
                "choose_count": In(32),
                "choose_crc": In(32),
            }
        super().__init__(ports)

    def elaborate(self, platform):
        m = Module()
        beat = Signal(range(self.beats_per_image))
        offered = Signal()  # result.valid and not ready in the previous cycle
        held = Signal.like(self.result.payload)
        if self.loadable:
            m.d.comb += [self.load_count.eq(self.choose_count), self.load_crc.eq(self.choose_crc)]
        m.d.comb += [
            self.pixels.ready.eq(self.choose_ready),
            self.result.valid.eq(self.choose_valid),
            self.result.payload.eq(self.choose_payload),
        ]
        take = self.pixels.valid & self.pixels.ready
        ends = take & (beat == self.beats_per_image - 1)
        done = self.result.valid & self.result.ready
        with m.If(take):
            m.d.sync += beat.eq(Mux(ends, 0, beat + 1))
        m.d.sync += [
            self.in_flight.eq(self.in_flight + (take & (beat == 0)) - done),
            self.complete.eq(self.complete + ends - done),
            offered.eq(self.result.valid & ~self.result.ready),
            held.eq(self.result.payload),
        ]
        m.d.comb += [
            # Room for a new image only below capacity; results only for complete images.
            Assume(~(self.pixels.ready & (beat == 0)) | (self.in_flight < self.capacity)),
            Assume(~self.result.valid | (self.complete != 0)),
            # The stream rules for the result.
            Assume(~offered | self.result.valid),
            Assume(~offered | (self.result.payload.as_value() == held.as_value())),
        ]
        # Its own bookkeeping, proven with every property (k-induction needs it): at most
        # ``capacity`` images, complete ones among them, one partial image at most.
        m.d.comb += [
            Assert(self.in_flight <= self.capacity, "contract core: capacity"),
            Assert(
                self.in_flight - self.complete == (beat != 0), "contract core: one partial image"
            ),
        ]
        self.beat = beat
        return m
