"""cocotb testbench of ``lst_core``: every output compared bit for bit with the golden model.

Runs inside the simulator (see :mod:`sim.runner`). The test vectors come from an
``.npz`` file named by ``$LST_SIM_VECTORS``: uint8 ``images`` and the golden model's
``classes`` and ``logits`` for them, plus the core's configuration (``config``: JSON).
No hardware generator runs here: the simulator process only needs NumPy and cocotb.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

CLOCK_NS = 10
N_PIXELS = 784


def load_vectors():
    path = os.environ["LST_SIM_VECTORS"]
    with np.load(path, allow_pickle=False) as z:
        vec = {k: z[k] for k in z.files}
    vec["config"] = json.loads(str(vec["config"]))
    return vec


class CoreTB:
    """Clock, reset, a pixel source and a result sink for ``lst_core``.

    ``gap``: probability that the source idles in a cycle; ``stall``: probability
    that the sink refuses a result in a cycle. The sink checks the stream rules: a
    valid result never drops or changes before it is accepted.
    """

    def __init__(self, dut, config: dict, *, seed: int = 1):
        self.dut = dut
        self.ppb = config["pixels_per_beat"]
        self.logit_width = config["logit_width"]
        self.rng = random.Random(seed)
        self.cycle = 0
        self.accepted_first_pixel = []  # cycle of each image's first accepted beat
        self.accepted_last_pixel = []
        self.result_cycles = []
        cocotb.start_soon(Clock(dut.clk, CLOCK_NS, unit="ns").start())
        cocotb.start_soon(self._count())
        dut.pixels__valid.value = 0
        dut.pixels__payload.value = 0
        dut.result__ready.value = 0
        dut.rst.value = 0

    async def _count(self):
        while True:
            await RisingEdge(self.dut.clk)
            self.cycle += 1

    async def reset(self, cycles: int = 3):
        self.dut.rst.value = 1
        await ClockCycles(self.dut.clk, cycles)
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)

    def beats(self, image: np.ndarray):
        flat = image.reshape(-1).astype(np.uint64)
        for b in range(0, N_PIXELS, self.ppb):
            yield sum(int(flat[b + i]) << (8 * i) for i in range(self.ppb))

    async def send(self, images, *, gap: float = 0.0, stop_after: int | None = None):
        """Drive images (or only the first ``stop_after`` beats) onto ``pixels``."""
        dut = self.dut
        sent = 0
        for image in images:
            for n, word in enumerate(self.beats(image)):
                while gap and self.rng.random() < gap:
                    dut.pixels__valid.value = 0
                    await RisingEdge(dut.clk)
                dut.pixels__payload.value = word
                dut.pixels__valid.value = 1
                while True:
                    await ReadOnly()
                    ready = int(dut.pixels__ready.value)
                    await RisingEdge(dut.clk)
                    if ready:
                        break
                if n == 0:
                    self.accepted_first_pixel.append(self.cycle)
                sent += 1
                if stop_after is not None and sent >= stop_after:
                    dut.pixels__valid.value = 0
                    return
            self.accepted_last_pixel.append(self.cycle)
        dut.pixels__valid.value = 0

    def decode(self, payload: int) -> tuple[int, list[int]]:
        w = self.logit_width
        mask = (1 << w) - 1
        logits = []
        for c in range(10):
            v = (payload >> (4 + w * c)) & mask
            logits.append(v - (1 << w) if v >> (w - 1) else v)
        return payload & 0xF, logits

    async def receive(
        self,
        count: int,
        *,
        stall: float = 0.0,
        holds: dict[int, int] | None = None,
        timeout: int = 10_000_000,
    ):
        """Collect ``count`` results, refusing each cycle with probability ``stall``, and
        result ``k`` for ``holds[k]`` cycles after it is first offered."""
        dut = self.dut
        holds = holds or {}
        out = []
        held = None
        offered = 0  # cycles the pending result has been offered
        start = self.cycle
        while len(out) < count:
            if len(out) in holds:
                ready = int(held is not None and offered >= holds[len(out)])
            else:
                ready = 0 if (stall and self.rng.random() < stall) else 1
            dut.result__ready.value = ready
            await ReadOnly()
            valid = int(dut.result__valid.value)
            if valid:
                payload = int(dut.result__payload.value)
                if held is not None:
                    assert payload == held, (
                        f"result {len(out)}'s payload changed after {offered} cycles not accepted"
                    )
                else:
                    offered = 0
                held = payload
            else:
                assert held is None, f"result {len(out)} withdrawn before it was accepted"
            await RisingEdge(dut.clk)
            offered += 1
            if valid and ready:
                out.append(self.decode(held))
                self.result_cycles.append(self.cycle)
                held = None
            assert self.cycle - start < timeout, f"timeout after {len(out)} of {count} results"
        dut.result__ready.value = 0
        return out

    async def expect_no_result(self, cycles: int):
        """With ready high, no result may be offered for ``cycles`` cycles."""
        self.dut.result__ready.value = 1
        for _ in range(cycles):
            await ReadOnly()
            assert not int(self.dut.result__valid.value), "a result beyond the images sent"
            await RisingEdge(self.dut.clk)
        self.dut.result__ready.value = 0


def check(results, vec, indices, label=""):
    for n, (cls, logits) in zip(indices, results, strict=True):
        want = vec["logits"][n].tolist()
        assert logits == want, f"{label} image {n}: logits {logits} != golden {want}"
        assert cls == int(vec["classes"][n]), f"{label} image {n}: class {cls} != golden"


async def _run(dut, idx, *, gap=0.0, stall=0.0, seed=1):
    vec = load_vectors()
    tb = CoreTB(dut, vec["config"], seed=seed)
    await tb.reset()
    images = vec["images"][idx]
    cocotb.start_soon(tb.send(images, gap=gap))
    results = await tb.receive(len(images), stall=stall)
    check(results, vec, idx)
    return tb, vec


@cocotb.test()
async def test_back_to_back(dut):
    """All vectors at full rate; measures latency and initiation interval."""
    vec = load_vectors()
    tb, _ = await _run(dut, list(range(len(vec["images"]))))
    ii = np.diff(tb.result_cycles)
    latency = tb.result_cycles[0] - tb.accepted_last_pixel[0]
    dut._log.info(
        "latency %d cycles (last pixel to result), initiation interval %s",
        latency,
        sorted(set(ii.tolist())),
    )
    out = os.environ.get("LST_SIM_TIMING")
    if out:
        with open(out, "w") as f:
            json.dump(
                {
                    "latency": int(latency),
                    "intervals": ii.tolist(),
                    "first_result": tb.result_cycles[0],
                    "last_pixel": tb.accepted_last_pixel[0],
                },
                f,
            )


@cocotb.test()
async def test_idle_gaps(dut):
    """Random idle cycles on the input (40 % of cycles)."""
    vec = load_vectors()
    await _run(dut, list(range(min(4, len(vec["images"])))), gap=0.4, seed=2)


@cocotb.test()
async def test_backpressure(dut):
    """Random backpressure on the output (70 % of cycles refused), input at full rate."""
    vec = load_vectors()
    await _run(dut, list(range(min(5, len(vec["images"])))), stall=0.7, seed=3)


@cocotb.test()
async def test_long_stall(dut):
    """Results refused for several images' compute time: result 0 for 4 latencies (the
    next image finishes its column pass and two more fill the input buffer), result 2
    for 3. The waiting payload must hold still, and every image give exactly one
    result, in order (none lost, none duplicated)."""
    vec = load_vectors()
    tb = CoreTB(dut, vec["config"], seed=6)
    await tb.reset()
    images = vec["images"]
    # One image alone: its latency (last pixel to result) exceeds one image's compute time.
    cocotb.start_soon(tb.send(images[:1]))
    check(await tb.receive(1), vec, [0], "alone")
    latency = tb.result_cycles[0] - tb.accepted_last_pixel[0]
    idx = list(range(1, min(7, len(images))))
    cocotb.start_soon(tb.send(images[idx]))
    results = await tb.receive(len(idx), holds={0: 4 * latency, 2: 3 * latency, 3: 1})
    check(results, vec, idx, "long stall")
    await tb.expect_no_result(latency + 100)


@cocotb.test()
async def test_gaps_and_backpressure(dut):
    vec = load_vectors()
    n = len(vec["images"])
    await _run(dut, [n - 1 - i for i in range(min(4, n))], gap=0.2, stall=0.5, seed=4)


@cocotb.test()
async def test_reset_mid_image(dut):
    """Reset while an image is half loaded and another computes: no stale state after."""
    vec = load_vectors()
    tb = CoreTB(dut, vec["config"], seed=5)
    await tb.reset()
    images = vec["images"]
    # One full image (it starts computing) and half of the next, then reset.
    await tb.send(images[:2], stop_after=N_PIXELS // tb.ppb + N_PIXELS // (2 * tb.ppb))
    await ClockCycles(dut.clk, 37)
    await tb.reset(2)
    await ClockCycles(dut.clk, 5)
    assert int(dut.result__valid.value) == 0, "a result survived the reset"
    idx = [2 % len(images), 3 % len(images)]
    cocotb.start_soon(tb.send(images[idx]))
    results = await tb.receive(len(idx))
    check(results, vec, idx, "after reset")
    # And a reset with a finished result waiting at the output.
    await tb.send(images[:1])
    while True:
        await ReadOnly()
        if int(dut.result__valid.value):
            break
        await RisingEdge(dut.clk)
    await RisingEdge(dut.clk)
    await tb.reset(1)
    await ReadOnly()
    assert int(dut.result__valid.value) == 0, "a pending result survived the reset"
    await RisingEdge(dut.clk)
    cocotb.start_soon(tb.send(images[idx[:1]]))
    results = await tb.receive(1)
    check(results, vec, idx[:1], "after second reset")
