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
