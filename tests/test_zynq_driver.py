"""The Zynq host driver (boards/zynq/driver.py).

Fast: the driver's logic against a transaction-level stand-in of the hardware built on
the golden model (batching, one transfer each way per batch, receive before send,
errors, timeouts, identification), its imports, the board CLI and ``lst board driver``.
Slow: the same driver code, unmodified, against the RTL in cocotb (sim/driver_tb.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import mnist_dir
from qhelpers import sample_images

from boards.zynq import regmap
from boards.zynq.driver import (
    AcceleratorError,
    BitstreamMismatch,
    DMAError,
    DMATimeout,
    FramingError,
    LSTAccelerator,
    PynqBackend,
)
from quant.golden import GoldenModel, InferenceResult
from quant.quantize import quantize_checkpoint

REPO = Path(__file__).resolve().parent.parent
R = {r.name: r.offset for r in regmap.REGISTERS}


@pytest.fixture(scope="module")
def golden():
    from hw.plan.config import CoreConfig

    return GoldenModel(quantize_checkpoint(CoreConfig().checkpoint_path(), "q5.7"))


@pytest.fixture(scope="module")
def digest():
    from boards.zynq.axi_wrapper import weights_digest
    from hw.plan.config import CoreConfig

    return weights_digest(quantize_checkpoint(CoreConfig().checkpoint_path(), "q5.7"))


class FakeHardware:
    """The driver's back end over :class:`sim.wrapper_model.WrapperModel` (the wrapper at
    transaction level, results from the golden model), a send being one packet, with
    fault injection: ``mangle`` (the bytes sent), ``hang`` (no DMA completes)."""

    clock_hz = 100e6

    def __init__(self, golden, digest, *, magic=regmap.MAGIC):
        from sim.wrapper_model import WrapperModel

        self.model = WrapperModel(golden, digest)
        self.model.regs[R["MAGIC"]] = magic
        self.regs = self.model.regs
        self.calls = []
        self.mangle = None
        self.hang = False
        self.t = 0.0

    @property
    def skip_seq(self):
        return self.model.skip_seq

    @skip_seq.setter
    def skip_seq(self, value):
        self.model.skip_seq = value

    def read(self, offset):
        return self.model.read(offset)

    def write(self, offset, value):
        self.calls.append(("write", offset, value))
        self.model.write(offset, value)

    def allocate(self, count, dtype):
        return np.zeros(count, dtype)

    def start_receive(self, buffer, nbytes):
        self.calls.append(("receive", nbytes))
        self.recv = (buffer, nbytes)

    def start_send(self, buffer, nbytes):
        self.calls.append(("send", nbytes))
        data = bytes(np.asarray(buffer).view(np.uint8)[:nbytes])
        if self.mangle:
            data = self.mangle(data)
        before = self.regs[R["RESULTS_SENT"]]
        self.model.send(data)
        self.t += 20e-6 * (self.regs[R["RESULTS_SENT"]] - before)

    def wait_send(self, timeout):
        if self.hang:
            raise DMATimeout(f"send did not complete within {timeout:g} s")

    def wait_receive(self, timeout):
        if self.hang:
            raise DMATimeout(f"receive did not complete within {timeout:g} s")
        buf, nbytes = self.recv
        out = self.model.receive() or b""
        n = min(len(out), nbytes)
        np.asarray(buf).view(np.uint8)[:n] = np.frombuffer(out[:n], np.uint8)
        return n

    def reset_dma(self):
        self.calls.append(("reset_dma",))
        self.model.packets.clear()

    def now(self):
        return self.t


def _images(n=7):
    d = mnist_dir()
    stress = sample_images(seed=3, n=4)
    if d is None:
        return stress[:n]
    from lst.data import load_mnist

    return np.concatenate([load_mnist("test", d).images[: n - 3], stress[:3]])


def test_batches_equal_golden(golden, digest):
    hw = FakeHardware(golden, digest)
    accel = LSTAccelerator(backend=hw, max_batch=3)
    images = _images(7)
    got = accel(images)
    want = golden(images)
    assert isinstance(got, InferenceResult)
    assert np.array_equal(got.logits, want.logits) and np.array_equal(got.classes, want.classes)
    assert got.logits.dtype == want.logits.dtype == np.int64
    transfers = [c for c in hw.calls if c[0] in ("send", "receive")]
    # One transfer each way per batch of at most 3, the receive started first.
    assert transfers == [("receive", 3 * 44), ("send", 3 * 784)] * 2 + [
        ("receive", 44),
        ("send", 784),
    ]
    packets = [c[2] for c in hw.calls if c[:2] == ("write", R["IMAGES_PER_PACKET"])]
    assert packets == [3, 3, 1]
    assert len(accel(np.zeros((0, 28, 28), np.uint8))) == 0
    assert len(accel(images[0])) == 1  # one 28×28 image is a batch of one


def test_throughput_reports_counters(golden, digest):
    accel = LSTAccelerator(backend=FakeHardware(golden, digest), max_batch=4)
    tp = accel.throughput(8)
    assert tp["images"] == 8 and tp["cycles_per_image"] == (1960 * 8 + 250 * 2) / 8
    assert tp["images_per_s"] == pytest.approx(8 / (8 * 20e-6))
    assert tp["dma_seconds"] == pytest.approx(8 * 20e-6)


def test_framing_error_raises_and_clears(golden, digest):
    hw = FakeHardware(golden, digest)
    accel = LSTAccelerator(backend=hw)
    hw.mangle = lambda d: d[:-4]
    with pytest.raises(FramingError, match="1 framing error"):
        accel(_images(3))
    hw.mangle = None
    accel.clear_errors()
    assert accel.read("FRAMING_ERRORS") == 0
    assert np.array_equal(accel(_images(2)).logits, golden(_images(2)).logits)


def test_timeouts(golden, digest):
    hw = FakeHardware(golden, digest)
    accel = LSTAccelerator(backend=hw, timeout=0.5)
    hw.hang = True
    with pytest.raises(DMATimeout, match="clear_errors"):
        accel(_images(2))
    hw.regs[R["FRAMING_ERRORS"]] = 0

    def count_and_hang(data):
        hw.regs[R["FRAMING_ERRORS"]] += 1
        return data

    hw.mangle = count_and_hang
    with pytest.raises(FramingError, match="did not complete"):
        accel(_images(2))


def test_sequence_gap_and_short_receive(golden, digest):
    hw = FakeHardware(golden, digest)
    accel = LSTAccelerator(backend=hw)
    hw.skip_seq = True
    with pytest.raises(DMAError, match="sequence numbers"):
        accel(_images(3))
    hw.skip_seq = False
    orig = hw.wait_receive
    hw.wait_receive = lambda timeout: orig(timeout) - 44
    with pytest.raises(DMAError, match="received"):
        accel(_images(2))


def test_identification(golden, digest, tmp_path):
    with pytest.raises(BitstreamMismatch, match="MAGIC"):
        LSTAccelerator(backend=FakeHardware(golden, digest, magic=0xDEADBEEF))
    manifest = {"register_values": {"LANES": 28}, "weights_digest": f"0x{digest ^ 1:08X}"}
    with pytest.raises(BitstreamMismatch, match="weights_digest"):
        LSTAccelerator(backend=FakeHardware(golden, digest), manifest=manifest)
    manifest["weights_digest"] = f"0x{digest:08X}"
    accel = LSTAccelerator(backend=FakeHardware(golden, digest), manifest=manifest)
    assert accel.info["lanes"] == 28 and accel.info["logit_width"] == 30
    with pytest.raises(ValueError, match="max_batch"):
        LSTAccelerator(backend=FakeHardware(golden, digest), max_batch=0)
    with pytest.raises(ValueError, match="exactly one"):
        LSTAccelerator()


def test_pynq_backend_needs_hwh(tmp_path):
    bit = tmp_path / "lst.bit"
    with pytest.raises(AcceleratorError, match="no such bitstream"):
        PynqBackend(bit)
    bit.write_bytes(b"")
    with pytest.raises(AcceleratorError, match=r"lst\.hwh: missing"):
        PynqBackend(bit)


def test_driver_imports_without_amaranth_or_torch():
    code = (
        "import sys; sys.modules['amaranth'] = None; sys.modules['torch'] = None\n"
        "import boards.zynq.driver as d, boards.zynq.board_cli\n"
        "assert d.InferenceResult.__module__ == 'quant.golden'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def _run_action(argv):
    from boards.zynq.cli import add_actions

    parser = argparse.ArgumentParser()
    add_actions(parser.add_subparsers())
    args = parser.parse_args(argv)
    args.func(args)


def test_driver_folder_runs_standalone(tmp_path, capsys, fake_mnist):
    """``lst board driver``: the folder imports with neither the project nor Amaranth,
    and its CLI runs N images (here against the stand-in hardware)."""
    out = tmp_path / "drv"
    _run_action(["driver", "--out", str(out), "--json"])
    obj = json.loads(capsys.readouterr().out)
    assert obj["lanes"] == 28
    for f in obj["files"]:
        assert (out / f).exists(), f
    code = (
        "import sys; sys.modules['amaranth'] = None; sys.modules['quant'] = None\n"
        "import lst_zynq.driver as d, run_lst\n"
        "assert d.InferenceResult.__module__ == 'lst_zynq.driver'\n"
        "print(d.check_images(__import__('numpy').zeros((28, 28), 'u1')).shape)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run(
        [sys.executable, "-S", "-c", f"import sys; sys.path[:0] = ['{out}', *{sys.path[1:]!r}]\n"
         + code.replace("import sys; ", "")],
        cwd=out, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "(1, 28, 28)" in r.stdout


def test_board_cli(golden, digest, fake_mnist, capsys):
    from boards.zynq.board_cli import main

    hw = FakeHardware(golden, digest)
    rc = main(["--data-dir", str(fake_mnist), "-n", "5", "--batch", "2", "--json"], backend=hw)
    assert rc == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["images"] == 5 and 0 <= obj["accuracy"] <= 1
    assert obj["throughput"]["images"] == 5
    assert main(["--data-dir", str(fake_mnist / "none")], backend=hw) == 2
    assert "run_lst: error" in capsys.readouterr().err


@pytest.mark.slow
def test_driver_against_rtl():
    """The driver, unmodified, against wrapper + core in Icarus through cocotbext-axi:
    MNIST (when available) and stress images in two DMA transfers, then a framing error
    that must raise, then recovery."""
    from sim.axi_runner import run_axi_cocotb
    from sim.runner import available

    ok, why = available("icarus")
    if not ok:
        pytest.skip(why)
    from boards.zynq.generate import wrapper_config

    images = _images(6)
    r = run_axi_cocotb(wrapper_config(28), images, test_module="sim.driver_tb",
                       extra={"max_batch": 4})  # fmt: skip
    assert r["tests"] == 1 and r["failed"] == 0, f"see {r['log']}; trace {r['waves']}"
