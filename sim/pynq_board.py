"""A Zynq board underneath the real ``pynq`` package, for the driver's PYNQ back end.

:func:`simulated_zynq` returns a ``pynq.Device`` (pynq's own base class) that stands for
the hardware only: register reads and writes, DDR memory with its cache (``flush`` and
``invalidate`` copy between the CPU's view and what the DMA sees, so a missing flush
sends stale data), the bitstream download, and the metadata pynq would parse from the
``.hwh``. Everything above it is pynq's code, unchanged: ``pynq.Overlay``, its IP map,
``DefaultIP`` register access through ``pynq.MMIO``, the AXI DMA driver
(``pynq.lib.dma.DMA``: ``sendchannel.transfer``, ``idle``, ``wait``), ``pynq.allocate``
and ``PynqBuffer``, and ``pynq.ps.Clocks`` reading the PS's clock registers.

The programmable logic behind the registers is a :class:`Fabric`: in the tests the AXI
wrapper and its core in a cocotb simulation (``sim.pynq_tb``). The AXI DMA (simple mode,
both channels) is modelled here at its registers, as the AXI DMA v7.1 product guide
(PG021) defines them.

Not run here: pynq's ``.hwh`` parser (it needs a ``.hwh`` written by Vivado; the
metadata below is what it yields for the block design ``lst board vivado`` builds) and
the ``.bit`` download (FPGA manager). Needs ``pynq`` (``make install-pynq``: pynq 4.0
requires NumPy < 2, so it has its own environment).
"""

from __future__ import annotations

import ctypes
from typing import Protocol

import pynq
from pynq.buffer import PynqBuffer
from pynq.pl_server.device import Device

__all__ = ["DMA_BASE", "WRAPPER_BASE", "Fabric", "as_active_device", "simulated_zynq"]

WRAPPER_BASE = 0x43C0_0000  # lst_axi_0's AXI4-Lite window (the block design's address)
DMA_BASE = 0x4040_0000  # axi_dma_0's register window
SLCR_BASE = 0xF800_0000  # the Zynq-7000 PS's system-level control registers
DDR_BASE = 0x1000_0000  # where this model places buffers


class Fabric(Protocol):
    """The programmable logic as the model needs it."""

    def read(self, offset: int) -> int: ...  # the wrapper's AXI4-Lite registers
    def write(self, offset: int, value: int) -> None: ...
    def send(self, data: bytes) -> None: ...  # one AXI4-Stream packet into s_axis
    def send_idle(self) -> bool: ...  # the packet has entered the wrapper
    def receive(self) -> bytes | None: ...  # one m_axis packet (TLAST), if one came
    def tick(self) -> None: ...  # let the hardware run a little (a status poll)


def _dma_parameters() -> dict:
    """The AXI DMA's configuration as the block design sets it (simple mode, 32-bit)."""
    return {
        "c_include_sg": "0",
        "c_sg_length_width": "26",
        "c_include_mm2s": "1",
        "c_include_s2mm": "1",
        "c_m_axi_mm2s_data_width": "32",
        "c_m_axi_s2mm_data_width": "32",
        "c_mm2s_burst_size": "16",
        "c_s2mm_burst_size": "16",
        "c_include_mm2s_dre": "0",
        "c_include_s2mm_dre": "0",
        "c_micro_dma": "0",
    }


class _Metadata:
    """What pynq's HWH parser yields for the block design: the two IPs."""

    def __init__(self, wrapper_vlnv: str):
        common = {"registers": {}, "state": None, "interrupts": {}, "gpio": {}}
        self.ip_dict = {
            "lst_axi_0": {
                "type": wrapper_vlnv,
                "phys_addr": WRAPPER_BASE,
                "addr_range": 0x1_0000,
                "fullpath": "lst_axi_0",
                "mem_id": "s_axi_ctrl",
                "parameters": {},
                **common,
            },
            "axi_dma_0": {
                "type": "xilinx.com:ip:axi_dma:7.1",
                "phys_addr": DMA_BASE,
                "addr_range": 0x1_0000,
                "fullpath": "axi_dma_0",
                "mem_id": "S_AXI_LITE",
                "parameters": _dma_parameters(),
                **common,
            },
        }
        self.mem_dict = {}
        self.gpio_dict = {}
        self.interrupt_pins = {}
        self.interrupt_controllers = {}
        self.hierarchy_dict = {}
        self.clock_dict = {}
        self.systemgraph = None


class _Channel:
    """One AXI DMA channel in simple mode (PG021): control, status, address, length."""

    def __init__(self):
        self.running = False
        self.idle = False
        self.address = 0
        self.length = 0  # S2MM: bytes received once idle
        self.armed = False

    def status(self) -> int:
        return (0 if self.running else 1) | (2 if self.idle else 0)  # halted, idle


def simulated_zynq(fabric: Fabric, *, fclk0_mhz: float = 100.0, wrapper_vlnv: str = "") -> Device:
    """A ``pynq.Device`` for a Zynq-7000 whose PL is ``fabric``, with FCLK0 at ``fclk0_mhz``
    (from the IO PLL at 1,000 MHz: pynq reads it back through ``Clocks.fclk0_mhz``)."""
    div = round(1000.0 / fclk0_mhz)
    div0 = next(d for d in range(1, 64) if div % d == 0 and div // d < 64 and d >= div // d)
    return _SimulatedZynq(fabric, (div0, div // div0), wrapper_vlnv or "lst:user:lst_axi:1.0")


class _SimulatedZynq(Device):
    """See :func:`simulated_zynq`."""

    _probe_priority_ = 900  # never found by probing: tests make it the active device

    @classmethod
    def _probe_(cls):
        return []

    def __init__(self, fabric: Fabric, fclk_divisors: tuple[int, int], wrapper_vlnv: str):
        super().__init__("simulated-zynq-7000")
        self.capabilities = {"REGISTER_RW": True}  # pynq.MMIO calls read/write_registers
        self.arch = "armv7l"  # pynq.ps.Clocks: a Zynq-7000
        self.fabric = fabric
        self.vlnv = wrapper_vlnv
        d0, d1 = fclk_divisors
        self.slcr = {
            0x108: 20 << 12,  # IO_PLL_CTRL: PLL_FDIV 20 x 50 MHz = 1,000 MHz
            0x170: (d1 << 20) | (d0 << 8),  # FPGA0_CLK_CTRL: IO PLL / DIVISOR0 / DIVISOR1
        }
        self.mm2s, self.s2mm = _Channel(), _Channel()
        self.ddr: dict[int, bytearray] = {}  # what the DMA sees, per buffer
        self._next = DDR_BASE
        self.downloads = []
        self.log = {"flush": 0, "invalidate": 0, "sends": 0, "receives": 0}

    # -- bitstream and metadata
    def get_bitfile_metadata(self, bitfile_name):
        return _Metadata(self.vlnv)

    def download(self, bitstream, parser=None):
        self.downloads.append(str(bitstream.bitfile_name))

    # -- memory and its cache
    def allocate(self, shape, dtype, **kwargs):
        buf = PynqBuffer(shape, dtype, device=self, device_address=self._next, bo=self._next)
        buf[...] = 0
        self.ddr[self._next] = bytearray(buf.nbytes)
        self._next += -(-buf.nbytes // 4096) * 4096
        return buf

    def flush(self, bo, offset, ptr, size):
        self.ddr[bo][offset : offset + size] = ctypes.string_at(ptr, size)
        self.log["flush"] += 1

    def invalidate(self, bo, offset, ptr, size):
        ctypes.memmove(ptr, bytes(self.ddr[bo][offset : offset + size]), size)
        self.log["invalidate"] += 1

    def _ddr_at(self, address: int, size: int) -> tuple[bytearray, int]:
        for base, mem in self.ddr.items():
            if base <= address and address + size <= base + len(mem):
                return mem, address - base
        raise MemoryError(f"DMA access to {address:#x}+{size} outside every buffer")

    # -- registers
    def read_registers(self, address, length):
        return self._read(address).to_bytes(4, "little")[:length]

    def write_registers(self, address, data):
        value = int.from_bytes(bytes(data), "little")
        if WRAPPER_BASE <= address < WRAPPER_BASE + 0x1_0000:
            self.fabric.write(address - WRAPPER_BASE, value)
        elif DMA_BASE <= address < DMA_BASE + 0x1_0000:
            self._dma_write(address - DMA_BASE, value)
        elif SLCR_BASE <= address < SLCR_BASE + 0x1000:
            self.slcr[address - SLCR_BASE] = value
        else:
            raise MemoryError(f"write to unmapped address {address:#x}")

    def _read(self, address: int) -> int:
        if WRAPPER_BASE <= address < WRAPPER_BASE + 0x1_0000:
            return self.fabric.read(address - WRAPPER_BASE)
        if DMA_BASE <= address < DMA_BASE + 0x1_0000:
            return self._dma_read(address - DMA_BASE)
        if SLCR_BASE <= address < SLCR_BASE + 0x1000:
            return self.slcr.get(address - SLCR_BASE, 0)
        raise MemoryError(f"read from unmapped address {address:#x}")

    # -- the AXI DMA (PG021 register map, simple mode)
    def _dma_write(self, offset: int, value: int) -> None:
        ch = self.mm2s if offset < 0x30 else self.s2mm
        reg = offset % 0x30
        if reg == 0x00:  # DMACR: RS (bit 0), Reset (bit 2, both channels)
            if value & 4:
                self.mm2s, self.s2mm = _Channel(), _Channel()
                return
            ch.running = bool(value & 1)
        elif reg == 0x04:  # DMASR: write-1-to-clear interrupt bits
            pass
        elif reg == 0x18:  # SA / DA
            ch.address = value
        elif reg == 0x1C:
            if value:
                raise MemoryError("64-bit addresses on a Zynq-7000")
        elif reg == 0x28:  # LENGTH: starts the transfer
            if not ch.running:
                raise RuntimeError("DMA length written while the channel is halted")
            ch.idle = False
            if ch is self.mm2s:
                ch.length = value
                mem, at = self._ddr_at(ch.address, value)
                self.fabric.send(bytes(mem[at : at + value]))
                self.log["sends"] += 1
            else:
                ch.length, ch.armed = value, True

    def _dma_read(self, offset: int) -> int:
        ch = self.mm2s if offset < 0x30 else self.s2mm
        reg = offset % 0x30
        if reg == 0x00:
            return int(ch.running)
        if reg == 0x04:
            self.fabric.tick()
            if ch is self.mm2s and not ch.idle and self.fabric.send_idle():
                ch.idle = True
            if ch is self.s2mm and ch.armed:
                packet = self.fabric.receive()
                if packet is not None:
                    if len(packet) > ch.length:
                        raise RuntimeError("S2MM packet longer than the transfer")
                    mem, at = self._ddr_at(ch.address, len(packet))
                    mem[at : at + len(packet)] = packet
                    ch.length, ch.armed, ch.idle = len(packet), False, True
                    self.log["receives"] += 1
            return ch.status()
        if reg == 0x18:
            return ch.address
        if reg == 0x28:
            return ch.length
        return 0


def as_active_device(device: Device):
    """Make ``device`` the one ``pynq.allocate``, ``pynq.Overlay`` and ``Clocks`` use."""
    Device.active_device = device
    pynq.ps.Clocks.set_device(device)
    return device
