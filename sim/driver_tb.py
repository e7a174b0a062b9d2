"""cocotb: the board's driver (``boards.zynq.driver``), unmodified, against the RTL.

``LSTAccelerator`` runs in a bridge thread with :class:`sim.zynq_backend.CocotbBackend`
as its hardware; its results must equal the golden model's exactly. Vectors as in
:mod:`sim.axi_tb`; ``config["max_batch"]`` sets the images per DMA transfer.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.task import bridge

from boards.zynq.driver import FramingError, LSTAccelerator
from sim.axi_tb import AxiTB, load_vectors
from sim.zynq_backend import CocotbBackend

CLOCK_HZ = 100e6


@cocotb.test()
async def test_driver_matches_golden(dut):
    """A batch split over DMA transfers equals the golden model; a truncated send raises
    FramingError at once (no timeout), clear_errors() recovers."""
    tb = AxiTB(dut, seed=8)
    await tb.reset()
    vec = load_vectors()
    cfg = vec["config"]
    images = vec["images"]
    backend = CocotbBackend(tb, clock_hz=CLOCK_HZ)

    def run():
        accel = LSTAccelerator(
            backend=backend,
            manifest=cfg["manifest"],
            timeout=2e-4,  # simulated seconds: 20,000 cycles per batch ...
            per_image_timeout=1e-4,  # ... plus 10,000 per image
            max_batch=cfg["max_batch"],
        )
        out = {"info": accel.info}
        got = accel(images)
        out["result"] = got
        out["transfers"] = dict(backend.transfers)
        # A send one beat short: the last image is dropped and its packet closed by a
        # marker frame, so the receive completes and the driver raises at once.
        backend.mangle_send = lambda data: data[:-4]
        try:
            accel(images[:2])
            out["framing"] = None
        except FramingError as exc:
            out["framing"] = str(exc)
        backend.mangle_send = None
        out["framing_errors"] = accel.read("FRAMING_ERRORS")
        accel.clear_errors()
        out["after"] = accel(images[-1:])
        out["counters"] = accel.counters()
        return out

    out = await bridge(run)()
    dut._log.info("driver: %s", out["info"])
    got = out["result"]
    assert np.array_equal(got.logits, vec["logits"]), "logits differ from the golden model"
    assert np.array_equal(got.classes, vec["classes"]), "classes differ from the golden model"
    assert got.logits.dtype == np.int64 and got.classes.dtype == np.int64
    n, per = len(images), cfg["max_batch"]
    batches = -(-n // per)
    assert out["transfers"] == {"send": batches, "receive": batches}, out["transfers"]
    assert out["framing"] is not None, "a truncated send did not raise FramingError"
    assert "framing error" in out["framing"], out["framing"]
    assert out["framing_errors"] == 1
    assert np.array_equal(out["after"].logits, vec["logits"][-1:]), "after clear_errors()"
    assert out["counters"]["framing_errors"] == 0 and out["counters"]["results_sent"] == 1
