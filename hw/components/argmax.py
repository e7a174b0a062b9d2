"""``Argmax``: collects the ten logits of an image and picks the class."""

from __future__ import annotations

from amaranth import Module, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Argmax", "result_layout"]


def result_layout(logit_width: int, classes: int = 10) -> data.StructLayout:
    """Payload of the core's output stream: the class and the logits (class 0 first)."""
    return data.StructLayout(
        {
            "cls": unsigned(max(1, (classes - 1).bit_length())),
            "logits": data.ArrayLayout(signed(logit_width), classes),
        }
    )


class Argmax(wiring.Component):
    """The first index of the maximum of ``classes`` logits (ties go to the lower class).

    Logits arrive on ``logits`` in class order, at most one per cycle; after the last
    one the result (class and all logits) is offered on ``result`` and held until it
    is accepted. The unit accepts no new logits while a result is pending: its user
    starts an image's output layer only when ``idle`` is high.

    Ports
    -----
    logits : In(stream.Signature(signed(logit_width), always_ready=True))
    result : Out(stream.Signature(result_layout(logit_width, classes)))
        Valid two cycles after the last logit; follows the stream rules (valid does
        not wait for ready; payload stable while valid and not ready).
    idle : Out(1)
        No result pending and no image being collected.
    """

    def __init__(self, *, logit_width: int, classes: int = 10):
        if classes < 2:
            raise ValueError(f"classes must be at least 2, not {classes}")
        self.classes = classes
        self.logit_width = logit_width
        super().__init__(
            {
                "logits": In(stream.Signature(signed(logit_width), always_ready=True)),
                "result": Out(stream.Signature(result_layout(logit_width, classes))),
                "idle": Out(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        n = self.classes
        count = Signal(range(n + 1))
        best = Signal(signed(self.logit_width))
        best_cls = Signal(unsigned(max(1, (n - 1).bit_length())))

        # Logits go straight into the output payload: an image is only collected while
        # no result is offered, so the payload is free to change.
        with m.If(self.logits.valid):
            m.d.sync += self.result.payload.logits[count].eq(self.logits.payload)
            # Strictly greater: an equal later logit never displaces an earlier one.
            with m.If((count == 0) | (self.logits.payload > best)):
                m.d.sync += [best.eq(self.logits.payload), best_cls.eq(count)]
            with m.If(count == n - 1):
                m.d.sync += count.eq(n)  # all collected: publish next cycle
            with m.Else():
                m.d.sync += count.eq(count + 1)

        with m.If(self.result.valid & self.result.ready):
            m.d.sync += self.result.valid.eq(0)
        with m.If(count == n):
            m.d.sync += [
                self.result.valid.eq(1),
                self.result.payload.cls.eq(best_cls),
                count.eq(0),
            ]
        m.d.comb += self.idle.eq(~self.result.valid & (count == 0))
        return m
