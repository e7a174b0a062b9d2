"""cocotb: the board's driver loading models into a ``loadable`` wrapper, against the RTL.

``LSTAccelerator.load`` runs unmodified in a bridge thread with
:class:`sim.zynq_backend.CocotbBackend` as its hardware. Vectors as in :mod:`sim.axi_tb`
(the golden results of the shipped model); ``config`` adds the second model's
``lst quantize`` directory, its golden results and digest, the shipped checkpoint and a
checkpoint of another shape.
"""

from __future__ import annotations

import json
import os

import cocotb
import numpy as np
from cocotb.task import bridge

from boards.zynq.driver import LSTAccelerator
from sim.axi_tb import AxiTB, load_vectors
from sim.zynq_backend import CocotbBackend

CLOCK_HZ = 100e6


@cocotb.test()
async def test_driver_loads_models(dut):
    """A loadable bitstream: load a second model (an ``lst quantize`` directory), bit-exact
    against its golden model; a corrupted word raises; load the shipped checkpoint,
    bit-exact; a load during inference is refused (driver and hardware) and the images
    in flight are exact; a model of another shape is refused."""
    from boards.zynq import regmap
    from boards.zynq.driver import LoadError
    from lst.errors import ConfigError

    tb = AxiTB(dut, seed=9)
    await tb.reset()
    vec = load_vectors()
    cfg = vec["config"]
    images = vec["images"]
    backend = CocotbBackend(tb, clock_hz=CLOCK_HZ)
    busy_bit = 1 << regmap.STATUS_BITS["BUSY"]
    refused_bit = 1 << regmap.STATUS_BITS["LOAD_REFUSED"]

    def run():
        out = {}
        accel = LSTAccelerator(
            backend=backend, manifest=cfg["manifest"], timeout=2e-4, per_image_timeout=1e-4
        )
        t0 = backend.now()
        out["second"] = dict(accel.load(cfg["second_dir"]))
        out["load_cycles"] = round((backend.now() - t0) * CLOCK_HZ)
        out["second_result"] = accel(images)
        # One word changed on its way to the hardware, after the digest was computed.
        write_many = backend.write_many

        def corrupt(offset, values):
            values = list(values)
            values[1000] ^= 1 << 5
            write_many(offset, values)

        backend.write_many = corrupt
        try:
            accel.load(cfg["second_dir"])
            out["corrupt"] = None
        except LoadError as exc:
            out["corrupt"] = str(exc)
        backend.write_many = write_many
        try:
            accel(images[:1])
            out["after_corrupt"] = None
        except LoadError as exc:
            out["after_corrupt"] = str(exc)
        out["first"] = dict(accel.load(cfg["first_checkpoint"]))
        out["first_result"] = accel(images)
        # Loading while images are in flight: the driver refuses (STATUS.BUSY), and the
        # hardware ignores raw load writes (STATUS.LOAD_REFUSED); the images' results
        # are the loaded model's.
        n = len(images)
        send = backend.allocate(n * 784, np.uint8)
        recv = backend.allocate(n * 11, np.uint32)
        send[:] = images.reshape(-1)
        accel.write("IMAGES_PER_PACKET", n)
        count0, crc0 = accel.read("LOAD_COUNT"), accel.read("LOAD_CRC")
        backend.start_receive(recv, n * 44)
        backend.start_send(send, n * 784)
        polls = 0
        while not accel.read("STATUS") & busy_bit and polls < 100:
            polls += 1
        try:
            accel.load(cfg["second_dir"])
            out["busy"] = None
        except LoadError as exc:
            out["busy"] = str(exc)
        out["loaded_after_busy"] = accel.loaded
        accel.write("LOAD_CONTROL", 1)
        backend.write_many(regmap.offset("LOAD_DATA"), range(50))
        out["refused_status"] = accel.read("STATUS")
        out["refused_count"] = (accel.read("LOAD_COUNT"), accel.read("LOAD_CRC"), count0, crc0)
        backend.wait_send(1e-3)
        got = backend.wait_receive(1e-3)
        words = recv[: got // 4].reshape(-1, 11)
        out["inflight"] = (
            (words[:, 0] & 0xF).astype(np.int64),
            words[:, 1:].view(np.int32).astype(np.int64),
        )
        accel.write("STATUS", refused_bit)
        out["status_cleared"] = accel.read("STATUS")
        out["after_refused"] = accel(images)
        try:
            accel.load(cfg["other_checkpoint"])
            out["mismatch"] = None
        except ConfigError as exc:
            out["mismatch"] = str(exc)
        return out

    out = await bridge(run)()
    for key in (
        "second",
        "first",
        "load_cycles",
        "corrupt",
        "after_corrupt",
        "busy",
        "loaded_after_busy",
        "refused_status",
        "refused_count",
        "mismatch",
    ):
        dut._log.info("%s: %s", key, out[key])  # fmt: skip
    g1, g2 = vec["logits"], np.array(cfg["second_logits"], dtype=np.int64)
    assert not np.array_equal(g1, g2), "the second model must differ from the first"
    assert np.array_equal(out["second_result"].logits, g2), "second model: logits differ"
    assert np.array_equal(out["second_result"].classes, np.array(cfg["second_classes"]))
    assert out["second"]["digest"] == cfg["second_digest"], out["second"]
    assert out["corrupt"] is not None and "corrupted" in out["corrupt"], out["corrupt"]
    assert out["after_corrupt"] is not None and "load again" in out["after_corrupt"]
    assert np.array_equal(out["first_result"].logits, g1), "shipped model: logits differ"
    assert np.array_equal(out["first_result"].classes, vec["classes"])
    assert out["busy"] is not None and "busy" in out["busy"], out["busy"]
    assert out["loaded_after_busy"] == out["first"], "a refused load changed the model record"
    assert out["refused_status"] & refused_bit, f"STATUS {out['refused_status']:#x}"
    count, crc, count0, crc0 = out["refused_count"]
    assert (count, crc) == (count0, crc0), "a refused load write changed the count or CRC"
    cls, logits = out["inflight"]
    assert np.array_equal(logits, g1), "an image in flight during refused loads differs"
    assert np.array_equal(cls, vec["classes"])
    assert not out["status_cleared"] & refused_bit
    assert np.array_equal(out["after_refused"].logits, g1)
    assert out["mismatch"] is not None and "lst2" in out["mismatch"], out["mismatch"]
    assert "LST-1" in out["mismatch"], out["mismatch"]
    with open(os.environ["LST_SIM_TIMING"], "w") as f:
        json.dump({"load_cycles": out["load_cycles"], "words": out["first"]["words"]}, f)
