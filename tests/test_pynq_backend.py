"""The driver's PYNQ back end with the real ``pynq`` package (``make test-pynq``).

``boards.zynq.driver.PynqBackend`` runs unmodified over pynq 4.0's own ``Overlay``,
``allocate``, ``MMIO``, AXI DMA driver and ``Clocks``; only the hardware underneath is
simulated (:mod:`sim.pynq_board`: registers, DDR and its cache, the AXI DMA at its
registers, the PS clock registers), and behind the registers and the DMA the wrapper and
core run in Icarus (:mod:`sim.pynq_tb`). pynq 4.0 needs NumPy < 2, so these tests run in
their own environment (``.venv-pynq``); ``tests/conftest.py`` leaves this module out
where pynq is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest

pynq = pytest.importorskip("pynq")


def test_pynq_is_the_real_package():
    """The package the back end calls, with the signatures it relies on."""
    import inspect

    assert pynq.__version__.startswith("4.")
    assert "download" in inspect.signature(pynq.Overlay).parameters
    assert {"shape", "dtype"} <= set(inspect.signature(pynq.allocate).parameters)
    from pynq.lib.dma import DMA

    channel = DMA.__init__.__qualname__  # the class the block design's DMA binds to
    assert channel.startswith("DMA")


def test_device_model_alone():
    """Registers, clocks and a DMA round trip through pynq's classes, with a loopback
    fabric (what goes out on MM2S comes back on S2MM)."""
    from sim.pynq_board import as_active_device, simulated_zynq

    class Loopback:
        def __init__(self):
            self.regs, self.packets = {}, []

        def read(self, offset):
            return self.regs.get(offset, 0)

        def write(self, offset, value):
            self.regs[offset] = value

        def send(self, data):
            self.packets.append(data)

        def send_idle(self):
            return True

        def receive(self):
            return self.packets.pop(0) if self.packets else None

        def tick(self):
            pass

    fabric = Loopback()
    device = as_active_device(simulated_zynq(fabric, fclk0_mhz=125.0))
    assert pynq.ps.Clocks.fclk0_mhz == 125.0
    mmio = pynq.MMIO(0x43C0_0000, 0x1000)
    mmio.write(0x20, 7)
    assert mmio.read(0x20) == 7 and fabric.regs[0x20] == 7
    from pynq.lib.dma import DMA

    from sim.pynq_board import DMA_BASE

    meta = device.get_bitfile_metadata("x.bit").ip_dict["axi_dma_0"]
    dma = DMA({**meta, "device": device})
    out = pynq.allocate(shape=(16,), dtype=np.uint32)
    back = pynq.allocate(shape=(16,), dtype=np.uint32)
    out[:] = np.arange(16)
    dma.recvchannel.transfer(back)
    dma.sendchannel.transfer(out)  # pynq's DMA flushes before a send
    dma.sendchannel.wait()
    dma.recvchannel.wait()  # ... and invalidates after a receive
    assert back.tolist() == list(range(16))
    assert dma.recvchannel.transferred == 64
    assert device.log == {"flush": 1, "invalidate": 1, "sends": 1, "receives": 1}
    # A stale buffer: written after the flush, the DMA still sees the flushed data.
    out[:] = 0
    dma.recvchannel.transfer(back)
    device.write_registers(DMA_BASE + 0x28, (64).to_bytes(4, "little"))  # no flush
    dma.recvchannel.wait()
    assert back.tolist() == list(range(16))


def test_pynq_backend_against_rtl(tmp_path, mnist):
    """``LSTAccelerator(backend=PynqBackend(bitfile))``: results equal the golden model's,
    one DMA send and receive per batch, buffers flushed and invalidated, FCLK0 read from
    the PS registers."""
    from boards.zynq.generate import wrapper_config
    from lst.data import load_mnist
    from sim.axi_runner import run_axi_cocotb
    from sim.runner import available

    ok, why = available("icarus")
    if not ok:
        pytest.fail(why)
    images = load_mnist("test", mnist, limit=5).images
    r = run_axi_cocotb(
        wrapper_config(28),
        images,
        test_module="sim.pynq_tb",
        extra={"max_batch": 3, "workdir": str(tmp_path)},
    )
    assert r["tests"] == 1 and r["failed"] == 0, f"see {r['log']}; trace {r['waves']}"


def test_notebook_runs_top_to_bottom(tmp_path, mnist, monkeypatch):
    """``lst_mnist.ipynb`` as ``lst board driver`` writes it, executed by nbclient on the
    simulated board (pynq's classes over the wrapper model): every cell runs, the
    accuracy is printed and the logits equal the golden model's ``expected_logits.npy``."""
    import shutil

    import nbformat
    from nbclient import NotebookClient

    from lst.cli import main

    out = tmp_path / "driver"
    monkeypatch.setenv("MNIST_DIR", str(mnist))
    assert main(["board", "driver", "--out", str(out)]) == 0
    assert (out / "lst_mnist.ipynb").exists() and (out / "expected_logits.npy").exists()
    (out / "mnist").mkdir()
    for stem in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        for src in mnist.glob(stem + "*"):
            shutil.copy(src, out / "mnist" / src.name)
    (out / "lst.bit").write_bytes(b"")
    (out / "lst.hwh").write_bytes(b"")
    monkeypatch.setenv("LST_SIMULATED_BOARD", "1")
    nb = nbformat.read(out / "lst_mnist.ipynb", as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(out)}}
    ).execute()
    text = "\n".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "accuracy 9" in text and "% on 1000 test images" in text, text
    assert "first 100 images: logits identical to the golden model's" in text, text
    assert "images/s" in text and "one image at a time: median" in text, text
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 1, text  # the picture of images and predicted classes
