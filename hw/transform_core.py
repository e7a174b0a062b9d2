"""``TransformCore``: the transform-domain accelerator (HT-1, DCT-1, BWT-1)."""

from __future__ import annotations

from amaranth import Module, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from quant.transform_quantize import QuantizedTransform, quantize_transform_checkpoint

from .components.argmax import Argmax, result_layout
from .components.class_accumulators import ClassAccumulators
from .components.coefficient_unit import CoefficientUnit
from .components.hadamard_passes import HadamardPasses
from .components.pixel_buffer import PixelBuffer
from .components.transform_passes import TransformPasses
from .plan.shape import CLASSES
from .plan.transform_config import TransformCoreConfig

__all__ = ["TransformCore", "emission_order"]


def emission_order(values, size: int) -> list[int]:
    """A ``P``×``P`` array (``[row, column]``) as the coefficients leave the column pass:
    column by column, rows in order (``n = column·P + row``)."""
    return [int(values[n % size][n // size]) for n in range(size * size)]


class TransformCore(wiring.Component):
    """Transform-domain inference: raw pixels in, class and logits out, bit-exact to
    :mod:`quant.transform_contract`.

    The row pass and the column pass of an image run one after the other on the same
    lanes (:class:`~hw.components.transform_passes.TransformPasses`); the column pass's
    coefficients stream through the scale-and-threshold unit into the output layer's
    ten accumulators, which finish during the next image's row pass. HT-1's butterfly
    passes (``config.butterfly``, :class:`~hw.components.hadamard_passes.HadamardPasses`)
    instead run the next image's row pass beside this image's column pass. The next
    image loads into the second half of the input buffer meanwhile. See
    ``docs/hardware.md``.

    Parameters
    ----------
    config : TransformCoreConfig
    qmodel : QuantizedTransform, optional
        Default: ``config.checkpoint_path()`` quantized to ``config.format``.

    Ports
    -----
    pixels : In(stream.Signature(unsigned(8 · pixels_per_beat)))
        Raw pixels, row-major, 784 per image (as for the LST cores).
    result : Out(stream.Signature(result_layout(logit_width)))
        Per image: ``cls`` and the ten logits (``formats.logits``, exact sums), held until
        accepted; while it is not, the core finishes the next image's row pass and
        waits.

    Timing
    ------
    Initiation interval: ``config.initiation_interval`` cycles (both passes, or the
    butterfly's column side; the output layer overlaps the next image's passes).
    """

    def __init__(self, config: TransformCoreConfig, qmodel: QuantizedTransform | None = None):
        if qmodel is None:
            qmodel = quantize_transform_checkpoint(
                config.checkpoint_path(), config.format, model=config.model
            )
        if qmodel.arch.name != config.model:
            raise ValueError(f"qmodel is {qmodel.arch.name}, config is {config.model}")
        self.cfg = config
        self.qmodel = qmodel
        self.formats = qmodel.formats
        self.logit_width = self.formats.logits.width
        f, ints, p = self.formats, qmodel.ints, config.size
        # The components hold the ROM contents: built here, wired in elaborate().
        if config.butterfly:
            self.passes = HadamardPasses(config, formats=f)
        else:
            self.passes = TransformPasses(config, matrix=ints["matrix"].tolist(), formats=f)
        self.coeff = CoefficientUnit(
            lanes=config.lanes,
            formats=f,
            scale=emission_order(ints["scale"], p),
            offset=emission_order(ints["offset"], p),
            threshold=emission_order(ints["threshold"], p),
        )
        self.classes = ClassAccumulators(
            formats=f,
            weights=[emission_order(w.reshape(p, p), p) for w in ints["out.weight"]],
            biases=ints["out.bias"].tolist(),
        )
        super().__init__(
            {
                "pixels": In(stream.Signature(unsigned(8 * config.pixels_per_beat))),
                "result": Out(stream.Signature(result_layout(self.logit_width, CLASSES))),
            }
        )

    def elaborate(self, platform):
        m = Module()
        c = self.cfg
        m.submodules.pixbuf = pixbuf = PixelBuffer(pixels_per_beat=c.pixels_per_beat, banks=1)
        m.submodules.passes = passes = self.passes
        m.submodules.coeff = coeff = self.coeff
        m.submodules.classes = classes = self.classes
        m.submodules.argmax = argmax = Argmax(logit_width=self.logit_width, classes=CLASSES)

        wiring.connect(m, wiring.flipped(self.pixels), pixbuf.pixels)
        wiring.connect(m, argmax.result, wiring.flipped(self.result))
        idle_after = argmax.idle & classes.idle & coeff.idle
        m.d.comb += [
            pixbuf.rd_addr.eq(passes.pix_addr),
            passes.pix_data.eq(pixbuf.rd_data[0]),
            coeff.coeffs.eq(passes.coeffs),
            coeff.coeffs_valid.eq(passes.coeffs_valid),
            classes.u.eq(coeff.u),
            classes.u_valid.eq(coeff.u_valid),
            classes.u_first.eq(coeff.u_first),
            classes.u_last.eq(coeff.u_last),
            classes.u_index.eq(coeff.u_index),
            argmax.logits.valid.eq(classes.logits.valid),
            argmax.logits.payload.eq(classes.logits.payload),
        ]

        if c.butterfly:
            # The butterfly passes sequence themselves (two images at once).
            m.d.comb += [
                passes.image_ready.eq(pixbuf.full),
                pixbuf.release.eq(passes.release),
                passes.col_allowed.eq(idle_after),
            ]
            return m
        # Sequencing: a row pass when an image is in; its pixels are free after it; the
        # column pass when the previous image's logits have left the output layer and
        # its result has been taken, since this one's logits will need the argmax.
        with m.FSM(name="phase"):
            with m.State("IDLE"), m.If(pixbuf.full & ~passes.busy):
                m.d.comb += passes.start_row.eq(1)
                m.next = "ROW"
            with m.State("ROW"), m.If(passes.row_done):
                m.d.comb += pixbuf.release.eq(1)
                m.next = "WAIT"
            with m.State("WAIT"), m.If(idle_after & ~passes.busy):
                m.d.comb += passes.start_col.eq(1)
                m.next = "COLUMN"
            with m.State("COLUMN"), m.If(passes.col_done):
                m.next = "IDLE"
        return m
