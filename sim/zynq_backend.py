"""The driver's :class:`~boards.zynq.driver.Backend` in cocotb: the same driver code runs
against the RTL, with cocotbext-axi models standing in for the PS and the AXI DMA.

The driver is blocking code; the testbench runs it in a thread with
``cocotb.task.bridge`` and every hardware access here re-enters the simulation with
``cocotb.task.resume``. Register accesses are AXI4-Lite transactions; a send is one
AXI4-Stream packet (``tlast`` on its last beat, as the DMA's MM2S channel sends it); a
receive completes at the first ``tlast``, as S2MM does in simple mode. Time is the
simulation's: ``now()`` and the timeouts are in simulated seconds.
"""

from __future__ import annotations

import numpy as np
from cocotb.simtime import get_sim_time
from cocotb.task import resume
from cocotb.triggers import ClockCycles
from cocotbext.axi import AxiStreamFrame

from boards.zynq.driver import DMAError, DMATimeout

__all__ = ["CocotbBackend"]

POLL_CYCLES = 50


class CocotbBackend:
    """Implements the driver's back-end interface with an ``AxiTB`` (see
    :mod:`sim.axi_tb`): its AXI4-Lite master, stream source and stream sink.

    ``mangle_send``, if set, transforms the bytes of each send (fault injection).
    """

    def __init__(self, tb, *, clock_hz: float):
        self.tb = tb
        self.clock_hz = clock_hz
        self.mangle_send = None
        self._recv = None
        self.transfers = {"send": 0, "receive": 0}

    def read(self, offset: int) -> int:
        return resume(self.tb.axil.read_dword)(offset)

    def write(self, offset: int, value: int) -> None:
        resume(self.tb.axil.write_dword)(offset, value)

    async def _write_many(self, offset: int, values):
        for v in values:
            await self.tb.axil.write_dword(offset, v)

    def write_many(self, offset: int, values) -> None:
        """Writes to one register, in order, in one trip into the simulation."""
        resume(self._write_many)(offset, list(values))

    def allocate(self, count: int, dtype) -> np.ndarray:
        return np.zeros(count, dtype)

    def start_receive(self, buffer, nbytes: int) -> None:
        self._recv = (buffer, nbytes)
        self.transfers["receive"] += 1

    def start_send(self, buffer, nbytes: int) -> None:
        data = np.asarray(buffer).view(np.uint8)[:nbytes].tobytes()
        if self.mangle_send is not None:
            data = self.mangle_send(data)
        self.transfers["send"] += 1
        resume(self.tb.source.send)(AxiStreamFrame(data))

    async def _wait_send(self, timeout: float):
        end = get_sim_time("ns") + timeout * 1e9
        while not self.tb.source.idle():
            if get_sim_time("ns") > end:
                raise DMATimeout(f"send did not complete within {timeout:g} s (simulated)")
            await ClockCycles(self.tb.dut.aclk, POLL_CYCLES)

    async def _wait_receive(self, timeout: float) -> int:
        if self._recv is None:
            raise DMAError("wait_receive without start_receive")
        buffer, nbytes = self._recv
        end = get_sim_time("ns") + timeout * 1e9
        while self.tb.sink.empty():
            if get_sim_time("ns") > end:
                raise DMATimeout(f"receive did not complete within {timeout:g} s (simulated)")
            await ClockCycles(self.tb.dut.aclk, POLL_CYCLES)
        data = bytes(self.tb.sink.recv_nowait().tdata)
        self._recv = None
        if len(data) > nbytes:
            raise DMAError(f"S2MM: packet of {len(data)} bytes overflows the {nbytes}-byte buffer")
        np.asarray(buffer).view(np.uint8)[: len(data)] = np.frombuffer(data, np.uint8)
        return len(data)

    def wait_send(self, timeout: float) -> None:
        resume(self._wait_send)(timeout)

    def wait_receive(self, timeout: float) -> int:
        return resume(self._wait_receive)(timeout)

    async def _reset(self):
        self.tb.source.clear()
        self.tb.sink.clear()

    def reset_dma(self) -> None:
        resume(self._reset)()
        self._recv = None

    async def _now(self) -> float:
        return get_sim_time("ns") * 1e-9

    def now(self) -> float:
        return resume(self._now)()
