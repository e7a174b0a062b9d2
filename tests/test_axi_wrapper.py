"""The AXI wrapper (boards/zynq/axi_wrapper.py): its Verilog, and cocotb with
cocotbext-axi on Icarus (sim/axi_tb.py), every result bit-exact against the golden
model. Fast: the registers and a framing smoke test; slow: MNIST and stress images with
flow control, early and late tlast, soft reset mid-image, a batch at full rate."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import mnist_dir
from qhelpers import sample_images

from boards.zynq import regmap
from boards.zynq.generate import TOP, generate, wrapper_config
from hw.plan.config import CoreConfig
from lst.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def _icarus():
    from sim.runner import available

    ok, why = available("icarus")
    if not ok:
        pytest.skip(why)


def _images(n_mnist: int) -> np.ndarray:
    """MNIST test images (when MNIST_DIR is there) and the stress set."""
    stress = sample_images(seed=11, n=2)  # zeros, 255s, checkerboard, hot pixel, noise
    d = mnist_dir()
    if d is None or n_mnist == 0:
        return stress
    from lst.data import load_mnist

    return np.concatenate([load_mnist("test", d).images[:n_mnist], stress])


def test_rejects_bad_config():
    from boards.zynq.axi_wrapper import LSTAxiWrapper

    with pytest.raises(ConfigError, match="pixels_per_beat=4"):
        LSTAxiWrapper(CoreConfig(pixels_per_beat=1))
    with pytest.raises(TypeError, match="CoreConfig"):
        LSTAxiWrapper({"lanes": 28})


@pytest.fixture(scope="module")
def verilog(tmp_path_factory):
    out = tmp_path_factory.mktemp("axi")
    manifest = generate(wrapper_config(28), out / "hdl")
    return out / "hdl", manifest


def test_verilog_ports_and_attributes(verilog):
    hdl, manifest = verilog
    text = (hdl / f"{TOP}.v").read_text()
    header = re.search(r"^module lst_axi\((.*?)\);", text, re.S | re.M).group(1)
    ports = {p.strip() for p in header.split(",")}
    assert ports == set(manifest["ports"])
    for bus in ("s_axis", "m_axis"):
        assert {f"{bus}_{s}" for s in ("tdata", "tvalid", "tready", "tlast", "tkeep")} <= ports
    for ch in ("awaddr", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp",
               "bvalid", "bready", "araddr", "arvalid", "arready", "rdata", "rresp", "rvalid",
               "rready"):  # fmt: skip
        assert f"s_axi_ctrl_{ch}" in ports
    assert {"aclk", "aresetn", "interrupt"} <= ports and "clk" not in ports and "rst" not in ports
    top = text.split("endmodule")[0]
    assert '"ASSOCIATED_BUSIF s_axis:m_axis:s_axi_ctrl, ASSOCIATED_RESET aresetn"' in top
    assert '(* X_INTERFACE_PARAMETER = "POLARITY ACTIVE_LOW" *)\n  input aresetn;' in top
    assert "X_INTERFACE" not in text.split("endmodule", 1)[1], "only the top carries them"
    assert manifest["ports"]["s_axis_tdata"] == {"direction": "in", "width": 32}
    assert manifest["ports"]["m_axis_tdata"] == {"direction": "out", "width": 32}
    values = manifest["register_values"]
    assert values["MAGIC"] == regmap.MAGIC and values["PIXELS_PER_BEAT"] == 4
    assert values["FORMAT"] == 12 | 7 << 8 | 30 << 16
    if shutil.which("iverilog"):
        r = subprocess.run(["iverilog", "-g2005", "-o", "/dev/null", str(hdl / f"{TOP}.v")],
                           capture_output=True, text=True)  # fmt: skip
        assert r.returncode == 0, r.stderr  # the core's own lint is tests/test_verilog.py's


def test_generation_is_deterministic(verilog, tmp_path):
    hdl, _ = verilog
    again = generate(wrapper_config(28), tmp_path / "hdl")
    assert (tmp_path / "hdl" / f"{TOP}.v").read_bytes() == (hdl / f"{TOP}.v").read_bytes()
    assert again["files_sha256"] == json_load(hdl / f"{TOP}.json")["files_sha256"]


def json_load(path):
    import json

    return json.loads(Path(path).read_text())


def test_register_table_in_docs():
    """docs/board.md carries the register map exactly as the code generates it."""
    text = (REPO / "docs" / "board.md").read_text()
    assert regmap.update_doc(text) == text, "regenerate: boards.zynq.regmap.update_doc"


def test_amaranth_sim_reslst3():
    """Another model through the wrapper (Amaranth's simulator, no Icarus): a ResLST-3
    core's result frame for one image equals the golden model's, sequence number 0."""
    from amaranth.sim import Simulator

    from boards.zynq.axi_wrapper import LSTAxiWrapper
    from quant.golden import GoldenModel
    from quant.quantize import quantize_checkpoint

    cfg = wrapper_config(28, checkpoint=str(REPO / "models" / "reslst3.safetensors"))
    qm = quantize_checkpoint(cfg.checkpoint_path(), cfg.format)
    image = _images(0)[4]  # one hot pixel
    want = GoldenModel(qm)(image)
    dut = LSTAxiWrapper(cfg, qm)
    beats = np.frombuffer(image.tobytes(), "<u4")
    words = []

    async def testbench(ctx):
        ctx.set(dut.aresetn, 1)
        ctx.set(dut.m_axis_tready, 1)
        for i, beat in enumerate(beats):
            ctx.set(dut.s_axis_tdata, int(beat))
            ctx.set(dut.s_axis_tvalid, 1)
            ctx.set(dut.s_axis_tlast, i == len(beats) - 1)
            await ctx.tick().until(dut.s_axis_tready)
        ctx.set(dut.s_axis_tvalid, 0)
        for _ in range(3 * cfg.initiation_interval):
            valid, data, last = (
                ctx.get(dut.m_axis_tvalid),
                ctx.get(dut.m_axis_tdata),
                ctx.get(dut.m_axis_tlast),
            )
            await ctx.tick()
            if valid:
                words.append(data)
                if last:
                    return

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    sim.run()
    assert len(words) == regmap.RESULT_WORDS
    assert words[0] == int(want.classes[0])  # sequence number 0, no flags
    assert np.array(words[1:], np.uint32).view(np.int32).tolist() == want.logits[0].tolist()


def test_cocotb_registers_and_framing():
    """Fast subset: every register, two images around a short and a long packet, and a
    soft reset in the middle of a result frame."""
    _icarus()
    from sim.axi_runner import run_axi_cocotb

    images = _images(0)[[0, 4]]  # all-zero image, a hot pixel
    r = run_axi_cocotb(
        wrapper_config(28),
        images,
        testcase=["test_registers", "test_framing_smoke", "test_soft_reset_mid_frame"],
    )
    assert r["tests"] == 3 and r["failed"] == 0, f"see {r['log']}; trace {r['waves']}"


@pytest.mark.slow
def test_cocotb_all():
    """MNIST and stress images through every wrapper test; the batch at full rate must
    cost the core's initiation interval per image (plus the first image's latency)."""
    _icarus()
    from sim.axi_runner import run_axi_cocotb

    cfg = wrapper_config(28)
    images = _images(4)
    r = run_axi_cocotb(cfg, images)
    assert r["tests"] == 9 and r["failed"] == 0, f"see {r['log']}; trace {r['waves']}"
    t = r["timing"]
    assert t["images"] == len(images)
    assert cfg.initiation_interval <= t["cycles_per_image"] < cfg.initiation_interval * 1.1


@pytest.mark.slow
def test_axi_path_timing():
    """``bench/axi_timing.py``: one image per packet each way at full rate costs the core's
    initiation interval between TLASTs; an image's latency is its input beats, the core's
    compute and the 11 result words."""
    _icarus()
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "bench" / "axi_timing.py"
    spec = importlib.util.spec_from_file_location("axi_timing", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    r = bench.measure(28, _images(0)[:3])
    ii = r["core_initiation_interval"]
    assert r["tlast_interval_cycles"] == ii
    assert r["images_per_s_100mhz"] == round(100e6 / ii)
    beats = r["input_beats_per_image"]
    assert beats == 196
    assert beats + ii < r["latency_cycles"] < beats + ii + 400, r
    assert r["batch_cycles"] == r["latency_cycles"] + 2 * ii  # every interval is the II
