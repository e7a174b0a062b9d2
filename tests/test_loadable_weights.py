"""Weights loadable at run time (``--weights loadable``, issue 13).

Fast: the load image and its CRC-32 (one function: hw.plan.load_image.words_crc), the
loader's CRC in Amaranth's simulator against zlib, the configuration option, the
quantize manifest's digests, the baked core unchanged by the option.
Slow: the board's driver, unmodified, against wrapper + core in Icarus (two models, a
corrupted word, a load during inference, a model of another shape), and the Verilator
harness loading a second model through the core's load port.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from conftest import mnist_dir
from qhelpers import sample_images

from hw.components.weight_loader import WeightLoader, crc32_update
from hw.plan.config import SUPPORTED_LANES, CoreConfig
from hw.plan.load_image import load_digest, load_image, load_regions, words_crc
from lst.errors import ConfigError
from quant.golden import GoldenModel
from quant.quantize import quantize_checkpoint


@pytest.fixture(scope="module")
def qmodel():
    return quantize_checkpoint(CoreConfig().checkpoint_path(), "q5.7")


@pytest.fixture(scope="module")
def second(tmp_path_factory):
    """A second LST-1 of the same format: the shipped one's weights perturbed."""
    from sim.perturbed import perturbed_checkpoint

    path = perturbed_checkpoint(
        CoreConfig().checkpoint_path(), tmp_path_factory.mktemp("ck") / "second.safetensors"
    )
    return path, quantize_checkpoint(path, "q5.7")


def _images(n):
    stress = sample_images(seed=5, n=3)
    d = mnist_dir()
    if d is None:
        return stress
    from lst.data import load_mnist

    return np.concatenate([load_mnist("test", d).images[: n - 3], stress])


def test_config_option_round_trips():
    c = CoreConfig(weights="loadable")
    assert CoreConfig.from_json(c.to_json()) == c
    assert c.name.endswith("_loadable") and not CoreConfig().name.endswith("_loadable")
    assert CoreConfig().weights == "baked"
    with pytest.raises(ConfigError, match="weights must be one of baked, loadable, not 'rom'"):
        CoreConfig(weights="rom")


def test_load_image_layout(qmodel):
    cfg = CoreConfig(weights="loadable")
    words = load_image(cfg, qmodel)
    regions = load_regions(cfg, qmodel)
    assert list(regions) == ["weights", "biases", "out_biases", "tanh"]
    assert len(words) == sum(regions.values()) == 28 * cfg.weight_words + 56 + 10 + 2048
    assert words.dtype == np.uint32
    # The digest is zlib's CRC-32 of the words as little-endian bytes.
    assert words_crc(words) == zlib.crc32(words.astype("<u4").tobytes())
    assert load_digest(cfg, qmodel) == words_crc(words)
    # Sign-extended values: the first region is the weight ROM lane by lane.
    from hw.plan.rom_images import RomImages

    rom = RomImages(cfg, qmodel).weight_rom()
    assert np.array_equal(words[: rom.size].view(np.int32), rom.reshape(-1))


def test_second_model_differs(qmodel, second):
    cfg = CoreConfig(weights="loadable")
    assert load_digest(cfg, qmodel) != load_digest(cfg, second[1])
    imgs = sample_images(seed=1, n=8)
    assert not np.array_equal(GoldenModel(qmodel)(imgs).logits, GoldenModel(second[1])(imgs).logits)


def test_loader_crc_matches_zlib():
    """The loader's CRC register, shifted in by Amaranth's simulator, equals zlib's, and
    the strobes walk the four regions in order."""
    from amaranth.sim import Simulator

    dut = WeightLoader(lanes=2, sizes=(4, 2, 1, 2))
    words = [0xDEADBEEF, 0, 0xFFFFFFFF, 1, 0x80000000, 0x12345678, 7, 0xFFFFF800, 42, 99]
    seen = []

    async def bench(ctx):
        ctx.set(dut.restart, 1)
        await ctx.tick()
        ctx.set(dut.restart, 0)
        for w in words:
            ctx.set(dut.words.valid, 1)
            ctx.set(dut.words.payload, w)
            await ctx.tick()
            seen.append(
                (
                    ctx.get(dut.w_en), ctx.get(dut.w_addr), ctx.get(dut.w_lanes),
                    ctx.get(dut.b_en), ctx.get(dut.ob_en), ctx.get(dut.t_en), ctx.get(dut.t_addr),
                )
            )  # fmt: skip
        ctx.set(dut.words.valid, 0)
        await ctx.tick()
        assert ctx.get(dut.count) == len(words)
        assert ctx.get(dut.crc) == zlib.crc32(np.array(words, "<u4").tobytes())

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    # weights (2 words × 2 lanes), biases ×2, out bias ×1, table ×2, then ignored words.
    assert [s[:3] for s in seen[:4]] == [(1, 0, 1), (1, 0, 2), (1, 1, 1), (1, 1, 2)]
    assert [s[3] for s in seen] == [0, 0, 0, 0, 1, 1, 0, 0, 0, 0]
    assert [s[4] for s in seen] == [0, 0, 0, 0, 0, 0, 1, 0, 0, 0]
    assert [(s[5], s[6]) for s in seen[7:]] == [(1, 0), (1, 1), (0, 1)]


def test_crc_update_is_zlib():
    state = 0xFFFFFFFF
    for w in (1, 2, 0xCAFEF00D):
        state = crc32_update(state, w)
    assert state ^ 0xFFFFFFFF == zlib.crc32(np.array([1, 2, 0xCAFEF00D], "<u4").tobytes())


def test_quantize_manifest_carries_digests(qmodel, tmp_path):
    from hw.plan.load_image import write_quantized_model as write_quantized

    manifest = write_quantized(qmodel, tmp_path / "q")
    cfg = CoreConfig(weights="loadable")
    assert manifest["load_digests"]["28"] == f"0x{load_digest(cfg, qmodel):08X}"
    assert set(manifest["load_digests"]) == {str(n) for n in SUPPORTED_LANES}


def test_baked_core_has_no_load_port(qmodel):
    from hw.core import LSTCore

    assert "load_data" not in LSTCore(CoreConfig(), qmodel).signature.members
    assert "load_data" in LSTCore(CoreConfig(weights="loadable"), qmodel).signature.members


@pytest.mark.slow
def test_driver_loads_models_against_rtl(qmodel, second, tmp_path):
    """The driver, unmodified, against the loadable wrapper in Icarus: a second model from
    its lst quantize directory and the shipped checkpoint, bit-exact on MNIST and stress
    images; a corrupted word, a load during inference, an LST-2 checkpoint refused."""
    from boards.zynq.generate import wrapper_config
    from hw.plan.load_image import write_quantized_model as write_quantized
    from sim.axi_runner import run_axi_cocotb
    from sim.runner import available

    ok, why = available("icarus")
    if not ok:
        pytest.skip(why)
    cfg = wrapper_config(28, weights="loadable")
    images = _images(5)
    second_dir = tmp_path / "second"
    write_quantized(second[1], second_dir)
    g2 = GoldenModel(second[1])(images)
    extra = {
        "first_checkpoint": str(cfg.checkpoint_path()),
        "second_dir": str(second_dir),
        "second_logits": g2.logits.tolist(),
        "second_classes": g2.classes.tolist(),
        "second_digest": f"0x{load_digest(cfg, second[1]):08X}",
        "other_checkpoint": str(CoreConfig(model="lst2").checkpoint_path()),
    }
    r = run_axi_cocotb(
        cfg, images, test_module="sim.load_tb", testcase="test_driver_loads_models", extra=extra
    )
    assert r["tests"] == 1 and r["failed"] == 0, f"see {r['log']}"
    print("load:", r["timing"])


@pytest.mark.slow
def test_rtl_harness_loads_second_model(second):
    """The Verilator harness writes the second model through the core's load port:
    the port's CRC is the model's digest and the results are its golden model's."""
    from sim.rtl_model import RTLModel
    from sim.runner import available
    from sim.verify import mismatch_report

    ok, why = available("verilator")
    if not ok:
        pytest.skip(why)
    cfg = CoreConfig(weights="loadable")
    rtl = RTLModel(cfg)
    words = load_image(cfg, second[1])
    rtl.load(words)
    images = _images(12)
    got = rtl(images)
    want = GoldenModel(second[1])(images)
    assert np.array_equal(got.logits, want.logits), mismatch_report(
        cfg, second[1], images, got.logits, words=words
    )
    assert np.array_equal(got.classes, want.classes)
    assert rtl.load_report == {
        "load_cycles": len(words),
        "load_count": len(words),
        "load_crc": words_crc(words),
    }


class FakeLoadPort:
    """Registers of a loadable wrapper at transaction level: identification, BUSY, and a
    load port that keeps zlib's CRC of the words written (refused while busy)."""

    clock_hz = 100e6

    def __init__(self, *, loadable=True, blocks=1, load_words=14658):
        from boards.zynq import regmap

        self.R = {r.name: r.offset for r in regmap.REGISTERS}
        self.regs = {
            self.R["MAGIC"]: regmap.MAGIC, self.R["VERSION"]: regmap.VERSION,
            self.R["LANES"]: 28, self.R["PIXELS_PER_BEAT"]: 4,
            self.R["FORMAT"]: 12 | 7 << 8 | 30 << 16, self.R["WEIGHTS_DIGEST"]: 0,
            self.R["MODEL"]: blocks | int(loadable) << 8,
            self.R["LOAD_WORDS"]: load_words if loadable else 0,
        }  # fmt: skip
        self.busy = False
        self.words = []
        self.refused = False
        self.corrupt_at = None

    def read(self, offset):
        R = self.R
        if offset == R["STATUS"]:
            return int(self.busy) << 1 | int(self.refused) << 3
        if offset == R["LOAD_COUNT"]:
            return len(self.words)
        if offset == R["LOAD_CRC"]:
            return words_crc(self.words)
        return self.regs.get(offset, 0)

    def write(self, offset, value):
        R = self.R
        if offset == R["STATUS"] and value & 8:
            self.refused = False
        elif offset in (R["LOAD_CONTROL"], R["LOAD_DATA"]) and self.busy:
            self.refused = True
        elif offset == R["LOAD_CONTROL"] and value & 1:
            self.words, self.refused = [], False
        elif offset == R["LOAD_DATA"]:
            if len(self.words) == self.corrupt_at:
                value ^= 1
            self.words.append(value)

    def write_many(self, offset, values):
        for v in values:
            self.write(offset, v)

    def reset_dma(self):
        pass

    def now(self):
        return 0.0


def test_driver_load_logic(qmodel, second, tmp_path):
    """load() against a transaction-level load port: success records the model and its
    digest; a corrupted word, a busy core, a baked bitstream and another model's shape
    are refused with the documented errors."""
    from boards.zynq.driver import LoadError, LSTAccelerator
    from hw.plan.load_image import write_quantized_model as write_quantized

    hw = FakeLoadPort()
    accel = LSTAccelerator(backend=hw)
    cfg = CoreConfig(weights="loadable")
    got = accel.load(second[0])  # a checkpoint, quantized to the bitstream's format
    assert got["digest"] == f"0x{load_digest(cfg, second[1]):08X}"
    assert got["model"] == "lst1" and got["words"] == 14658
    assert hw.words == load_image(cfg, second[1]).tolist()
    write_quantized(qmodel, tmp_path / "q")
    assert accel.load(tmp_path / "q")["digest"] == f"0x{load_digest(cfg, qmodel):08X}"
    hw.corrupt_at = 77
    with pytest.raises(LoadError, match="corrupted"):
        accel.load(tmp_path / "q")
    assert accel.loaded is None
    with pytest.raises(LoadError, match="last load failed"):
        accel(sample_images(seed=1, n=1))
    hw.corrupt_at = None
    hw.busy = True
    with pytest.raises(LoadError, match="busy"):
        accel.load(tmp_path / "q")
    hw.busy = False
    with pytest.raises(ConfigError, match=r"the model is lst2 q5\.7, the bitstream LST-1 q5\.7"):
        accel.load(CoreConfig(model="lst2").checkpoint_path())
    baked = LSTAccelerator(backend=FakeLoadPort(loadable=False))
    with pytest.raises(ConfigError, match="baked weights"):
        baked.load(tmp_path / "q")
    # A quantize directory whose model.npz no longer matches its manifest's digest.
    import json

    man = json.loads((tmp_path / "q" / "manifest.json").read_text())
    man["load_digests"]["28"] = "0x00000000"
    (tmp_path / "q" / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(ConfigError, match="modified"):
        accel.load(tmp_path / "q")


def test_area_block_in_docs():
    """docs/board.md has the generated area block, and the generator rewrites only it."""
    from pathlib import Path

    from report.loadable_area import DOC_MARKERS, update_doc

    text = (Path(__file__).resolve().parent.parent / "docs" / "board.md").read_text()
    assert all(m in text for m in DOC_MARKERS)
    area = {"LUT": 2, "LUT_logic": 2, "LUT_memory": 0, "FF": 3, "RAMB18_equiv": 1,
            "DSP48E1": 0, "CARRY4": 0}  # fmt: skip
    m = {"lanes": 28, "area": {"baked": area, "loadable": {**area, "LUT": 5}}, "load_words": 9}
    new = update_doc(text, m)
    assert "| difference | +3 | +0 |" in new
    assert new.split(DOC_MARKERS[0])[0] == text.split(DOC_MARKERS[0])[0]
    assert new.split(DOC_MARKERS[1])[1] == text.split(DOC_MARKERS[1])[1]
