"""cocotb: the driver's PYNQ back end, with the real ``pynq`` package, against the RTL.

``LSTAccelerator(backend=PynqBackend(bitfile))`` runs unmodified in a bridge thread:
``pynq.Overlay``, ``pynq.allocate``, the DMA driver and ``Clocks`` are pynq's own; the
board underneath them is :func:`sim.pynq_board.simulated_zynq`, whose fabric is the
wrapper and core simulated here (registers through the AXI4-Lite master, DMA packets
through the AXI4-Stream source and sink). Results must equal the golden model's.
"""

from __future__ import annotations

from pathlib import Path

import cocotb
import numpy as np
from cocotb.task import bridge, resume
from cocotb.triggers import ClockCycles
from cocotbext.axi import AxiStreamFrame

from boards.zynq.driver import LSTAccelerator, PynqBackend
from sim.axi_tb import AxiTB, load_vectors
from sim.pynq_board import as_active_device, simulated_zynq

POLL_CYCLES = 50


class CocotbFabric:
    """:class:`sim.pynq_board.Fabric` over an ``AxiTB`` (called from the bridge thread)."""

    def __init__(self, tb):
        self.tb = tb

    def read(self, offset):
        return resume(self.tb.axil.read_dword)(offset)

    def write(self, offset, value):
        resume(self.tb.axil.write_dword)(offset, value)

    def send(self, data):
        resume(self.tb.source.send)(AxiStreamFrame(data))

    def send_idle(self):
        return self.tb.source.idle()

    def receive(self):
        if self.tb.sink.empty():
            return None
        return bytes(self.tb.sink.recv_nowait().tdata)

    async def _tick(self):
        await ClockCycles(self.tb.dut.aclk, POLL_CYCLES)

    def tick(self):
        resume(self._tick)()


@cocotb.test()
async def test_pynq_backend_matches_golden(dut):
    tb = AxiTB(dut, seed=9)
    await tb.reset()
    vec = load_vectors()
    cfg = vec["config"]
    images = vec["images"]
    work = Path(cfg["workdir"])
    bitfile = work / "lst.bit"  # what the board holds; pynq reads only its name here
    bitfile.write_bytes(b"")
    bitfile.with_suffix(".hwh").write_bytes(b"")
    device = as_active_device(simulated_zynq(CocotbFabric(tb), fclk0_mhz=100.0))

    def run():
        backend = PynqBackend(bitfile)
        accel = LSTAccelerator(
            backend=backend,
            manifest=cfg["manifest"],
            timeout=120.0,  # wall-clock seconds: the simulation is slow
            per_image_timeout=30.0,
            max_batch=cfg["max_batch"],
        )
        out = {"info": accel.info, "clock_hz": backend.clock_hz}
        out["result"] = accel(images)
        out["counters"] = accel.counters()
        return out

    out = await bridge(run)()
    dut._log.info("pynq back end: %s; device log %s", out["info"], device.log)
    got = out["result"]
    assert np.array_equal(got.logits, vec["logits"]), "logits differ from the golden model"
    assert np.array_equal(got.classes, vec["classes"]), "classes differ from the golden model"
    assert out["clock_hz"] == 100e6
    batches = -(-len(images) // cfg["max_batch"])
    assert device.log["sends"] == batches and device.log["receives"] == batches, device.log
    assert device.log["flush"] >= batches and device.log["invalidate"] >= batches, device.log
    assert device.downloads == [str(bitfile)], device.downloads
    assert out["counters"]["results_sent"] == len(images)
