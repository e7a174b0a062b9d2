"""HadamardPasses: two images' coefficients in emission order against the golden model,
the second image's row pass overlapping the first's column pass; no multiplier."""

from __future__ import annotations

import json
import subprocess

import pytest
from hwsim import simulate
from qhelpers import sample_images

from hw.components.hadamard_passes import HadamardPasses
from hw.plan.transform_config import TransformCoreConfig
from quant.transform_golden import TransformGoldenModel
from quant.transform_quantize import quantize_transform_checkpoint


def test_two_images_overlap_and_match():
    cfg = TransformCoreConfig(model="ht1", pixels_per_beat=4)
    qm = quantize_transform_checkpoint(None, cfg.format, model="ht1")
    dut = HadamardPasses(cfg, formats=qm.formats)
    images = sample_images(seed=4, n=5)[[4, 2]]  # noise, checkerboard
    words = [
        [sum(int(img.ravel()[w * 4 + k]) << (8 * k) for k in range(4)) for w in range(196)]
        for img in images
    ]
    state = {"image": 0, "releases": [], "first_coeff": None}
    coeffs = []

    async def pixel_buffer(ctx):  # holds both images; release moves to the next
        async for _, _, addr, release in ctx.tick().sample(dut.pix_addr, dut.release):
            if release:
                state["image"] += 1
            img = min(state["image"], 1)
            ctx.set(dut.pix_data, words[img][addr % 196])
            ctx.set(dut.image_ready, state["image"] < 2)

    async def tb(ctx):
        ctx.set(dut.col_allowed, 1)
        t = 0
        while len(coeffs) < 2 * 1024:
            if ctx.get(dut.release):
                state["releases"].append(t)
            if ctx.get(dut.coeffs_valid):
                coeffs.append(ctx.get(dut.coeffs[0]))
                if state["first_coeff"] is None:
                    state["first_coeff"] = t
            await ctx.tick()
            t += 1
            assert t < 5000

    simulate(dut, tb, processes=[pixel_buffer])
    g = TransformGoldenModel(qm)(images, intermediates=True).intermediates["col"]
    want = [int(g[b, k, col]) for b in range(2) for col in range(32) for k in range(32)]
    assert coeffs == want
    # The second image's pixels were all read before the first image's last coefficient.
    assert state["releases"][1] < state["first_coeff"] + 1024


def test_no_multiplier(tmp_path):
    from amaranth.back import rtlil

    from report.synthesis import yosys_executable

    cfg = TransformCoreConfig(model="ht1")
    qm = quantize_transform_checkpoint(None, cfg.format, model="ht1")
    (tmp_path / "p.il").write_text(rtlil.convert(HadamardPasses(cfg, formats=qm.formats), name="p"))
    script = (
        "read_rtlil p.il; synth_xilinx -family xc7 -top p -flatten; tee -q -o s.json stat -json"
    )
    subprocess.run([yosys_executable(), "-q", "-p", script], cwd=tmp_path, check=True)
    cells = json.loads((tmp_path / "s.json").read_text())["design"]["num_cells_by_type"]
    assert "DSP48E1" not in cells and not any("MUL" in k.upper() for k in cells), cells
    # The delay lines are shift-register LUTs, not flip-flops (no reset on them).
    assert cells.get("SRL16E", 0) + cells.get("SRLC32E", 0) > 0, cells
    assert sum(n for k, n in cells.items() if k.startswith(("LUT", "SRL"))) < 800, cells


def test_refuses_other_transforms():
    cfg = TransformCoreConfig(model="dct1")
    qm = quantize_transform_checkpoint(None, cfg.format, model="dct1")
    with pytest.raises(ValueError, match="compute the Hadamard transform, not dct1's"):
        HadamardPasses(cfg, formats=qm.formats)
