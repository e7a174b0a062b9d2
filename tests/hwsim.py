"""Running Amaranth components in Amaranth's own simulator from pytest."""

from __future__ import annotations

from amaranth.sim import Simulator


def simulate(dut, *testbenches, deadline_cycles: int | None = None, processes=()):
    """Run async testbenches against ``dut`` on a 100 MHz ``sync`` clock."""
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    for tb in testbenches:
        sim.add_testbench(tb)
    for p in processes:
        sim.add_process(p)
    if deadline_cycles is None:
        sim.run()
    else:
        sim.run_until(deadline_cycles * 1e-8)


def pixel_feeder(dut, images, pixels_per_beat: int):
    """A testbench streaming uint8 ``images`` into ``dut.pixels`` at full rate,
    ``pixels_per_beat`` pixels per beat, pixel 0 in the lowest byte."""

    async def feed(ctx):
        for img in images:
            flat = img.ravel()
            for b in range(0, flat.size, pixels_per_beat):
                beat = sum(int(flat[b + i]) << (8 * i) for i in range(pixels_per_beat))
                ctx.set(dut.pixels.payload, beat)
                ctx.set(dut.pixels.valid, 1)
                await ctx.tick().until(dut.pixels.ready)
        ctx.set(dut.pixels.valid, 0)

    return feed
