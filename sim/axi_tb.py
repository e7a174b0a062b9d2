"""cocotb testbench of ``lst_axi`` (the AXI wrapper around the core), with cocotbext-axi.

Runs inside the simulator (Icarus; see :mod:`sim.axi_runner`). Vectors come from the
``.npz`` named by ``$LST_SIM_VECTORS``: uint8 ``images``, the golden model's
``classes`` and ``logits``, and ``config`` (JSON: the wrapper manifest's register
values). Every result is compared bit for bit with the golden model.
"""

from __future__ import annotations

import json
import logging
import os
import random
import warnings
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cocotbext.axi import (
    AxiLiteBus,
    AxiLiteMaster,
    AxiResp,
    AxiStreamBus,
    AxiStreamFrame,
    AxiStreamSink,
    AxiStreamSource,
)

# cocotbext-axi 0.1.28 and cocotb-bus 0.3.0 use APIs cocotb 2 deprecates; the simulator
# process does not see pytest's filters (pyproject.toml), so filter them here too.
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"cocotbext|cocotb_bus")

CLOCK_NS = 10
IMAGE_BYTES = 784
RESULT_WORDS = 11
DROPPED = 1 << 4
RESET_PENDING = 1 << 4  # STATUS bit 4

REG = {
    "MAGIC": 0x00,
    "VERSION": 0x04,
    "LANES": 0x08,
    "PIXELS_PER_BEAT": 0x0C,
    "FORMAT": 0x10,
    "WEIGHTS_DIGEST": 0x14,
    "CONTROL": 0x18,
    "STATUS": 0x1C,
    "IMAGES_PER_PACKET": 0x20,
    "IMAGES_ACCEPTED": 0x24,
    "RESULTS_SENT": 0x28,
    "FRAMING_ERRORS": 0x2C,
    "BUSY_CYCLES": 0x30,
    "STALLED_CYCLES": 0x34,
    "MODEL": 0x38,
    "LOAD_WORDS": 0x3C,
    "LOAD_CONTROL": 0x40,
    "LOAD_DATA": 0x44,
    "LOAD_COUNT": 0x48,
    "LOAD_CRC": 0x4C,
}
COUNTERS = ("IMAGES_ACCEPTED", "RESULTS_SENT", "FRAMING_ERRORS", "BUSY_CYCLES", "STALLED_CYCLES")


def load_vectors():
    with np.load(os.environ["LST_SIM_VECTORS"], allow_pickle=False) as z:
        vec = {k: z[k] for k in z.files}
    vec["config"] = json.loads(str(vec["config"]))
    return vec


def decode(data: bytes) -> list[tuple[int, int, list[int], bool]]:
    """Result frames -> [(sequence, class, logits, dropped)]; checks marker frames."""
    assert len(data) % (4 * RESULT_WORDS) == 0, f"{len(data)} bytes is not whole results"
    words = np.frombuffer(data, "<u4").reshape(-1, RESULT_WORDS)
    out = []
    for w in words:
        w0 = int(w[0])
        dropped = bool(w0 & DROPPED)
        assert (w0 >> 5) & 0x7FF == 0, f"reserved bits not zero: {w0:#x}"
        logits = w[1:].astype(np.uint32).view(np.int32).tolist()
        if dropped:
            assert w0 & 0xF == 0 and not any(logits), f"marker frame not zero: {w.tolist()}"
        out.append((w0 >> 16, w0 & 0xF, logits, dropped))
    return out


class AxiTB:
    """Clock, reset, cocotbext-axi pixel source, result sink and AXI4-Lite master."""

    def __init__(self, dut, *, seed: int = 1):
        self.dut = dut
        self.rng = random.Random(seed)
        cocotb.start_soon(Clock(dut.aclk, CLOCK_NS, unit="ns").start())
        kw = {"reset_active_level": False}
        self.source = AxiStreamSource(
            AxiStreamBus.from_prefix(dut, "s_axis"), dut.aclk, dut.aresetn, **kw
        )
        self.sink = AxiStreamSink(
            AxiStreamBus.from_prefix(dut, "m_axis"), dut.aclk, dut.aresetn, **kw
        )
        self.axil = AxiLiteMaster(
            AxiLiteBus.from_prefix(dut, "s_axi_ctrl"), dut.aclk, dut.aresetn, **kw
        )
        for prefix in ("s_axis", "m_axis", "s_axi_ctrl"):  # one INFO line per access otherwise
            logging.getLogger(f"cocotb.{dut._name}.{prefix}").setLevel(logging.WARNING)
        self.beats_in = 0
        self.beats_per_image = IMAGE_BYTES // (len(dut.s_axis_tdata) // 8)
        self.first_beat_cycles = []  # cycle of each image's first accepted input beat
        self.tlast_cycles = []
        cocotb.start_soon(self._monitor())

    async def _monitor(self):
        dut = self.dut
        cycle = 0
        while True:
            await RisingEdge(dut.aclk)
            cycle += 1
            await ReadOnly()
            if int(dut.s_axis_tvalid.value) and int(dut.s_axis_tready.value):
                if self.beats_in % self.beats_per_image == 0:
                    self.first_beat_cycles.append(cycle)
                self.beats_in += 1
            if (
                int(dut.m_axis_tvalid.value)
                and int(dut.m_axis_tready.value)
                and int(dut.m_axis_tlast.value)
            ):
                self.tlast_cycles.append(cycle)

    async def reset(self):
        self.dut.aresetn.value = 0
        await ClockCycles(self.dut.aclk, 4)
        self.dut.aresetn.value = 1
        await ClockCycles(self.dut.aclk, 2)

    def flow(self, gap: float = 0.0, stall: float = 0.0):
        """Random idle cycles on the input (``gap``) and backpressure on the output."""

        def pattern(p):
            while True:
                yield int(self.rng.random() < p)

        self.source.set_pause_generator(pattern(gap) if gap else None)
        self.sink.set_pause_generator(pattern(stall) if stall else None)

    async def read(self, name: str) -> int:
        return await self.axil.read_dword(REG[name])

    async def write(self, name: str, value: int):
        await self.axil.write_dword(REG[name], value)

    async def send_images(self, images: np.ndarray, per_packet: int = 1):
        flat = images.reshape(len(images), -1)
        for i in range(0, len(flat), per_packet):
            await self.source.send(AxiStreamFrame(flat[i : i + per_packet].tobytes()))

    async def recv_results(self, count: int, timeout_cycles: int = 400_000):
        """``count`` frames, results and markers (any packet structure), in bounded time."""
        got = b""
        for _ in range(timeout_cycles // 100):
            while not self.sink.empty():
                frame = self.sink.recv_nowait()
                got += bytes(frame.tdata)
            if len(got) >= 4 * RESULT_WORDS * count:
                break
            await ClockCycles(self.dut.aclk, 100)
        results = decode(got)
        assert len(results) == count, f"{len(results)} results, expected {count}"
        return results

    async def quiet(self, cycles: int = 3000):
        """Wait, then check that no further result came."""
        await ClockCycles(self.dut.aclk, cycles)
        assert self.sink.empty(), "an unexpected result arrived"


def check(frames, vec, indices, sequences=None, label=""):
    """``frames`` against the golden model for images ``indices`` (None: a marker frame)
    and the expected ``sequences``."""
    for k, (n, (seq, cls, logits, dropped)) in enumerate(zip(indices, frames, strict=True)):
        if sequences is not None:
            assert seq == sequences[k], f"{label} frame {k}: sequence {seq} != {sequences[k]}"
        assert dropped == (n is None), f"{label} frame {k}: dropped={dropped}"
        if n is None:
            continue
        want = vec["logits"][n].tolist()
        assert logits == want, f"{label} image {n}: logits {logits} != golden {want}"
        assert cls == int(vec["classes"][n]), f"{label} image {n}: class {cls} != golden"


def record_timing(**fields):
    """Add ``fields`` to the JSON file ``$LST_SIM_TIMING`` (each test its own keys)."""
    out = os.environ.get("LST_SIM_TIMING")
    if not out:
        return
    path = Path(out)
    data = json.loads(path.read_text()) if path.exists() else {}
    data.update(fields)
    path.write_text(json.dumps(data))


async def start(dut, seed=1):
    tb = AxiTB(dut, seed=seed)
    await tb.reset()
    return tb, load_vectors()


@cocotb.test()
async def test_registers(dut):
    """Identification, configuration, RW/RO/W1C behaviour, byte strobes, unmapped reads."""
    tb, vec = await start(dut)
    want = vec["config"]["register_values"]
    for name, value in want.items():
        got = await tb.read(name)
        assert got == value, f"{name}: {got:#x} != {value:#x}"
    assert await tb.read("CONTROL") == 0
    assert await tb.read("STATUS") == 0
    assert await tb.read("IMAGES_PER_PACKET") == 1
    for name in COUNTERS:
        assert await tb.read(name) == 0, name
    # Read-only registers ignore writes; every write is answered OKAY.
    for name in ("MAGIC", "LANES", "WEIGHTS_DIGEST", "IMAGES_ACCEPTED"):
        await tb.write(name, 0x12345678)
    for name, value in want.items():
        assert await tb.read(name) == value, f"{name} changed by a write"
    # Unmapped offsets: OKAY with zero; writes ignored.
    for addr in (0x50, 0x54, 0x80, 0xFC):
        r = await tb.axil.read(addr, 4)
        assert r.resp == AxiResp.OKAY, f"read {addr:#x}: {r.resp}"
        assert bytes(r.data) == bytes(4), f"read {addr:#x}: {bytes(r.data).hex()}"
        w = await tb.axil.write(addr, b"\xff\xff\xff\xff")
        assert w.resp == AxiResp.OKAY, f"write {addr:#x}: {w.resp}"
    # Read/write registers, with byte strobes.
    await tb.write("IMAGES_PER_PACKET", 0x1234)
    assert await tb.read("IMAGES_PER_PACKET") == 0x1234
    await tb.axil.write(REG["IMAGES_PER_PACKET"] + 1, b"\x56")  # byte 1 only
    assert await tb.read("IMAGES_PER_PACKET") == 0x5634
    await tb.write("IMAGES_PER_PACKET", 0xFFFF_0001)  # 16 bits
    assert await tb.read("IMAGES_PER_PACKET") == 1
    await tb.write("CONTROL", 0b010)
    assert await tb.read("CONTROL") == 0b010, "IRQ_ENABLE reads back"
    await tb.write("CONTROL", 0b000)
    assert await tb.read("CONTROL") == 0
    # The counters and STATUS are exercised by the stream tests below.


@cocotb.test()
async def test_framing_smoke(dut):
    """The short version (make test): two images, one short and one long packet between
    them, with input gaps and output backpressure."""
    tb, vec = await start(dut, seed=7)
    tb.flow(gap=0.3, stall=0.4)
    imgs = vec["images"]
    a, b = 0, 1 % len(imgs)
    await tb.send_images(imgs[[a]])
    await tb.source.send(AxiStreamFrame(imgs[b].tobytes()[:120]))  # early tlast
    await tb.send_images(imgs[[b]])
    await tb.source.send(AxiStreamFrame(imgs[a].tobytes() + bytes(12)))  # late tlast
    frames = await tb.recv_results(4)
    check(frames, vec, [a, None, b, None], sequences=[0, 1, 2, 3], label="smoke")
    assert await tb.read("FRAMING_ERRORS") == 2
    assert await tb.read("IMAGES_ACCEPTED") == 2
    assert await tb.read("RESULTS_SENT") == 2
    assert await tb.read("STATUS") & 0b110 == 0, "idle, not dropping"


@cocotb.test()
async def test_stream_bit_exact(dut):
    """All vectors, one image per packet, random input gaps and output backpressure;
    counters, sequence numbers, interrupt and STATUS."""
    tb, vec = await start(dut, seed=2)
    n = len(vec["images"])
    tb.flow(gap=0.3, stall=0.5)
    await tb.write("CONTROL", 0b010)  # interrupt on result
    assert int(dut.interrupt.value) == 0
    cocotb.start_soon(tb.send_images(vec["images"]))
    frames = await tb.recv_results(n)
    check(frames, vec, range(n), sequences=list(range(n)))
    assert tb.tlast_cycles and len(tb.tlast_cycles) == n, "one tlast per result frame"
    assert await tb.read("IMAGES_ACCEPTED") == n
    assert await tb.read("RESULTS_SENT") == n
    assert await tb.read("FRAMING_ERRORS") == 0
    busy = await tb.read("BUSY_CYCLES")
    assert busy >= n * vec["config"]["initiation_interval"], busy
    assert await tb.read("STALLED_CYCLES") > 0, "backpressure was applied"
    assert await tb.read("STATUS") & 0b011 == 0b001, "RESULT_IRQ set, not busy"
    assert int(dut.interrupt.value) == 1
    await tb.write("STATUS", 0b001)  # write 1 to clear
    assert await tb.read("STATUS") & 1 == 0
    assert int(dut.interrupt.value) == 0
    await tb.write("CONTROL", 0b100)  # clear counters
    for name in COUNTERS:
        assert await tb.read(name) == 0, name
    await tb.quiet(200)


@cocotb.test()
async def test_packet_full_rate(dut):
    """A batch in one packet each way (as one DMA transfer sends it), at full rate:
    one tlast after the last result; measures cycles per image."""
    tb, vec = await start(dut, seed=3)
    n = len(vec["images"])
    await tb.write("IMAGES_PER_PACKET", n)
    cocotb.start_soon(tb.send_images(vec["images"], per_packet=n))
    frames = await tb.recv_results(n)
    check(frames, vec, range(n), sequences=list(range(n)))
    assert len(tb.tlast_cycles) == 1, f"{len(tb.tlast_cycles)} output packets, expected 1"
    busy = await tb.read("BUSY_CYCLES")
    stalled = await tb.read("STALLED_CYCLES")
    assert stalled == 0
    ii = vec["config"]["initiation_interval"]
    per_image = busy / n
    dut._log.info("batch of %d: %d busy cycles, %.1f per image (II %d)", n, busy, per_image, ii)
    assert ii <= per_image <= ii + 1500 / n + 50, per_image  # first image's latency amortised
    record_timing(images=n, busy_cycles=busy, cycles_per_image=per_image)


@cocotb.test()
async def test_axi_path_timing(dut):
    """Throughput and latency through the AXI path as a DMA sees it: one image per packet
    each way, the input always valid and the output always ready. Latency: from an
    image's first accepted input beat to its result's TLAST; interval: between TLASTs."""
    tb, vec = await start(dut, seed=5)
    n = len(vec["images"])
    await tb.write("IMAGES_PER_PACKET", 1)
    cocotb.start_soon(tb.send_images(vec["images"], per_packet=1))
    frames = await tb.recv_results(n)
    check(frames, vec, range(n), sequences=list(range(n)))
    first, last = tb.first_beat_cycles, tb.tlast_cycles
    assert len(first) == n and len(last) == n, (len(first), len(last))
    latency = [t - f for f, t in zip(first, last, strict=True)]
    intervals = np.diff(last).tolist()
    dut._log.info("latency %s cycles, TLAST intervals %s", latency, intervals)
    record_timing(
        axi_path={
            "images": n,
            "beats_per_image": tb.beats_per_image,
            "latency_cycles": latency,
            "tlast_intervals": intervals,
            "batch_cycles": last[-1] - first[0],
        }
    )


@cocotb.test()
async def test_early_tlast(dut):
    """Short packets (mid-image, at a beat boundary, at an image boundary of a two-image
    packet) are dropped and counted; the stream re-aligns at once; nothing hangs."""
    tb, vec = await start(dut, seed=4)
    tb.flow(gap=0.2, stall=0.3)
    imgs = vec["images"]
    a, b, c = 0, 1 % len(imgs), 2 % len(imgs)
    await tb.send_images(imgs[[a]])
    await tb.source.send(AxiStreamFrame(imgs[b].tobytes()[:100]))  # 25 beats
    await tb.send_images(imgs[[b]])
    await tb.source.send(AxiStreamFrame(imgs[c].tobytes()[:4]))  # one beat
    await tb.send_images(imgs[[c]])
    # Each dropped image ended its (one-image) packet: a marker frame closes it.
    frames = await tb.recv_results(5)
    check(frames, vec, [a, None, b, None, c], sequences=[0, 1, 2, 3, 4], label="early")
    assert await tb.read("FRAMING_ERRORS") == 2
    assert await tb.read("IMAGES_ACCEPTED") == 3
    assert await tb.read("RESULTS_SENT") == 3
    # Two images per packet, but the packet holds one: its one image is dropped.
    await tb.write("IMAGES_PER_PACKET", 2)
    await tb.send_images(imgs[[a]], per_packet=1)
    await tb.send_images(imgs[[b, c]], per_packet=2)
    await tb.send_images(imgs[[c]], per_packet=1)  # short again, after a good packet
    frames = await tb.recv_results(4)
    check(frames, vec, [None, b, c, None], sequences=[5, 6, 7, 8], label="short packet")
    assert len(tb.tlast_cycles) == 5 + 3, "one tlast per packet"
    assert await tb.read("FRAMING_ERRORS") == 4
    assert await tb.read("RESULTS_SENT") == 5
    await tb.quiet()


@cocotb.test()
async def test_late_tlast(dut):
    """Long packets: the image is dropped, the excess discarded up to tlast."""
    tb, vec = await start(dut, seed=5)
    tb.flow(gap=0.2, stall=0.3)
    imgs = vec["images"]
    a, b = 0, 1 % len(imgs)
    await tb.source.send(AxiStreamFrame(imgs[a].tobytes() + bytes(range(40))))  # +10 beats
    await tb.send_images(imgs[[b]])
    await tb.source.send(AxiStreamFrame(imgs[a].tobytes() * 2 + b"\x01\x02\x03\x04"))
    await tb.send_images(imgs[[a]])
    frames = await tb.recv_results(4)
    check(frames, vec, [None, b, None, a], sequences=[0, 1, 2, 3], label="late")
    assert await tb.read("FRAMING_ERRORS") == 2
    assert await tb.read("STATUS") & 0b100 == 0, "not dropping any more"
    await tb.quiet()


@cocotb.test()
async def test_soft_reset_mid_image(dut):
    """Soft reset with half an image loaded: counters clear, no result; the rest of that
    image (still coming from the DMA) is one framing error, then all is well."""
    tb, vec = await start(dut, seed=6)
    imgs = vec["images"]
    a, b = 0, 1 % len(imgs)
    await tb.send_images(imgs[[a]])
    cocotb.start_soon(tb.send_images(imgs[[b]]))
    while tb.beats_in < 196 + 90:
        await RisingEdge(dut.aclk)
    tb.source.pause = True
    await ClockCycles(dut.aclk, 5)
    assert await tb.read("STATUS") & 0b010, "busy before the reset"
    await tb.write("CONTROL", 0b011)  # soft reset, keep the interrupt enabled
    assert await tb.read("CONTROL") == 0b010, "SOFT_RESET self-clears, IRQ_ENABLE kept"
    for name in COUNTERS:
        assert await tb.read(name) == 0, f"{name} after soft reset"
    assert await tb.read("STATUS") == 0
    await tb.quiet(2 * vec["config"]["initiation_interval"])  # image a's result is gone
    tb.source.pause = False
    await tb.send_images(imgs[[a, b]])
    frames = await tb.recv_results(3)
    check(frames, vec, [None, a, b], sequences=[0, 1, 2], label="after soft reset")
    assert await tb.read("FRAMING_ERRORS") == 1
    assert await tb.read("RESULTS_SENT") == 2


@cocotb.test()
async def test_soft_reset_mid_frame(dut):
    """Soft reset while a result frame is half sent and the receiver stalls: the frame
    is finished (m_axis_tvalid never falls before its transfer, AXI4-Stream), the reset
    waits for it (STATUS.RESET_PENDING) and then takes effect; all is well after."""
    tb, vec = await start(dut, seed=7)
    imgs = vec["images"]
    a, b = 0, 1 % len(imgs)
    tb.sink.pause = True
    await tb.send_images(imgs[[a]])
    await tb.quiet(2 * vec["config"]["initiation_interval"])  # the result waits at word 0
    words = 0
    tb.sink.pause = False
    while words < 4:  # let four words of the frame through
        await RisingEdge(dut.aclk)
        await ReadOnly()
        words += int(dut.m_axis_tvalid.value) & int(dut.m_axis_tready.value)
    await RisingEdge(dut.aclk)
    tb.sink.pause = True
    await tb.write("CONTROL", 0b011)  # soft reset, keep the interrupt enabled
    assert await tb.read("STATUS") & RESET_PENDING, "the reset waits for the frame's end"
    assert await tb.read("RESULTS_SENT") == 0, "nothing reset yet"
    tb.sink.pause = False
    frames = await tb.recv_results(1)
    check(frames, vec, [a], sequences=[0], label="frame finished across the reset")
    await ClockCycles(dut.aclk, 4)
    assert not await tb.read("STATUS") & RESET_PENDING, "the reset took effect"
    for name in COUNTERS:
        assert await tb.read(name) == 0, f"{name} after the soft reset"
    await tb.send_images(imgs[[b]])
    frames = await tb.recv_results(1)
    check(frames, vec, [b], sequences=[0], label="after soft reset")
