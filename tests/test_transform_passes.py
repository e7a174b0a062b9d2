"""TransformPasses: E and the coefficients of real images against the golden model's
intermediates; the Hadamard passes synthesize without a multiplier."""

from __future__ import annotations

import json
import subprocess

import pytest
from hwsim import simulate
from qhelpers import sample_images

from hw.components.transform_passes import TransformPasses
from hw.plan.transform_config import TransformCoreConfig
from quant.transform_golden import TransformGoldenModel
from quant.transform_quantize import quantize_transform_checkpoint


def run_passes(model, lanes, ppb, image):
    cfg = TransformCoreConfig(model=model, lanes=lanes, pixels_per_beat=ppb)
    qm = quantize_transform_checkpoint(None, cfg.format, model=model)
    dut = TransformPasses(cfg, matrix=qm.ints["matrix"].tolist(), formats=qm.formats)
    flat = image.ravel()
    words = [sum(int(flat[w * ppb + k]) << (8 * k) for k in range(ppb)) for w in range(784 // ppb)]
    coeffs = []

    async def memory(ctx):  # the pixel buffer's registered read
        async for _, _, addr in ctx.tick().sample(dut.pix_addr):
            ctx.set(dut.pix_data, words[addr])

    async def tb(ctx):
        ctx.set(dut.start_row, 1)
        await ctx.tick()
        ctx.set(dut.start_row, 0)
        while True:
            await ctx.tick()
            if ctx.get(dut.row_done):
                break
        assert ctx.get(dut.busy)
        await ctx.tick()
        assert not ctx.get(dut.busy)
        ctx.set(dut.start_col, 1)
        await ctx.tick()
        ctx.set(dut.start_col, 0)
        while True:
            if ctx.get(dut.coeffs_valid):
                coeffs.append([ctx.get(dut.coeffs[lane]) for lane in range(lanes)])
            if ctx.get(dut.col_done):
                break
            await ctx.tick()

    simulate(dut, tb, processes=[memory])
    golden = TransformGoldenModel(qm)(image[None], intermediates=True)
    c = golden.intermediates["col"][0]  # [row k, column l]
    p = cfg.size
    # Rounds leave in order: column l, round r: rows r·lanes … r·lanes + lanes − 1.
    want = [
        c[r * lanes : (r + 1) * lanes, col].tolist() for col in range(p) for r in range(cfg.rounds)
    ]
    assert coeffs == want


@pytest.mark.parametrize(
    ("model", "lanes", "ppb"), [("ht1", 32, 1), ("ht1", 8, 4), ("dct1", 28, 2), ("bwt1", 16, 7)]
)
def test_coefficients_bit_exact(model, lanes, ppb):
    image = sample_images(seed=4, n=5)[4]  # noise: every pixel value matters
    run_passes(model, lanes, ppb, image)


def test_hadamard_passes_have_no_multiplier(tmp_path):
    """Synthesized alone for the XC7Z010, HT-1's passes have no DSP48E1 and no
    multiplier cell; DCT-1's have one DSP48E1 per lane (the test can fail)."""
    from amaranth.back import rtlil

    from report.synthesis import yosys_executable

    counts = {}
    for model, lanes in (("ht1", 32), ("dct1", 28)):
        cfg = TransformCoreConfig(model=model, lanes=lanes)
        qm = quantize_transform_checkpoint(None, cfg.format, model=model)
        dut = TransformPasses(cfg, matrix=qm.ints["matrix"].tolist(), formats=qm.formats)
        work = tmp_path / model
        work.mkdir()
        (work / "passes.il").write_text(rtlil.convert(dut, name="passes"))
        script = (
            "read_rtlil passes.il; synth_xilinx -family xc7 -top passes -flatten; "
            "tee -q -o stat.json stat -json"
        )
        subprocess.run([yosys_executable(), "-q", "-p", script], cwd=work, check=True)
        cells = json.loads((work / "stat.json").read_text())["design"]["num_cells_by_type"]
        counts[model] = cells
    assert "DSP48E1" not in counts["ht1"]
    assert not any("MUL" in kind.upper() for kind in counts["ht1"]), counts["ht1"]
    assert counts["dct1"].get("DSP48E1") == 28
