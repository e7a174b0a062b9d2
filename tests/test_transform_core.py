"""The transform-domain core (HT-1, DCT-1, BWT-1): bit-exact in Amaranth's simulator,
in cocotb on Verilator and Icarus (flow control, backpressure, reset) and through
``lst verify``; its Verilog (files, determinism, lint, the LST cores' ports); the
build request's refusals."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hwsim import pixel_feeder, simulate
from qhelpers import sample_images

from hw.plan.transform_config import TransformCoreConfig
from hw.transform_core import TransformCore
from hw.transform_verilog import generate_transform
from hw.verilog import lint
from quant.rom import read_coe, read_mem
from quant.transform_golden import TransformGoldenModel
from sim.runner import available, run_cocotb


@pytest.fixture(scope="module")
def images(request):
    """Four MNIST test images (when there) and two stress images (zeros, noise)."""
    stress = sample_images(seed=11, n=5)[[0, 4]]
    try:
        mnist = request.getfixturevalue("mnist_test").images[:4]
    except pytest.skip.Exception:
        return sample_images(seed=12, n=6)
    return np.concatenate([mnist, stress])


@pytest.mark.parametrize(
    "cfg",
    [
        TransformCoreConfig(model="ht1"),
        TransformCoreConfig(model="ht1", lanes=32),
        TransformCoreConfig(model="dct1", lanes=14, pixels_per_beat=2),
        TransformCoreConfig(model="bwt1", lanes=16, pixels_per_beat=7),
    ],
    ids=lambda c: c.name,
)
def test_amaranth_bit_exact_with_backpressure(cfg, images):
    """Three images at full rate, then the sink refusing results at random: every
    result bit-exact and in order, one initiation interval apart at full rate."""
    dut = TransformCore(cfg)
    imgs = images[[0, 1, 5]]
    want = TransformGoldenModel(dut.qmodel)(imgs)
    got, when = [], []
    rng = np.random.default_rng(5)

    async def sink(ctx):
        t = 0
        while len(got) < len(imgs):
            ready = len(got) < 2 or rng.random() < 0.3
            ctx.set(dut.result.ready, ready)
            # A transfer is valid and ready before the clock edge.
            valid, payload = ctx.get(dut.result.valid), ctx.get(dut.result.payload)
            await ctx.tick()
            t += 1
            if valid and ready:
                got.append((payload.cls, [int(v) for v in payload.logits]))
                when.append(t)

    simulate(
        dut,
        pixel_feeder(dut, imgs, cfg.pixels_per_beat),
        sink,
        deadline_cycles=6 * cfg.initiation_interval,
    )
    assert [c for c, _ in got] == want.classes.tolist()
    assert [lg for _, lg in got] == want.logits.tolist()
    assert when[1] - when[0] == cfg.initiation_interval


COCOTB = [
    ("verilator", TransformCoreConfig(model="ht1")),
    ("verilator", TransformCoreConfig(model="ht1", lanes=8, pixels_per_beat=4)),
    ("verilator", TransformCoreConfig(model="dct1")),
    ("verilator", TransformCoreConfig(model="bwt1", lanes=32, pixels_per_beat=28)),
    ("icarus", TransformCoreConfig(model="ht1", lanes=16, pixels_per_beat=4)),
    ("icarus", TransformCoreConfig(model="ht1", pixels_per_beat=2)),
    # Icarus for the other two models: test-slow (about a minute each).
    pytest.param("icarus", TransformCoreConfig(model="dct1"), marks=pytest.mark.slow),
    pytest.param("icarus", TransformCoreConfig(model="bwt1", lanes=16), marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("simulator", "cfg"), COCOTB, ids=lambda v: getattr(v, "name", v))
def test_cocotb_bit_exact(simulator, cfg, images):
    """sim/core_tb.py's six tests: back to back, idle gaps, backpressure, a long stall,
    both at once, a reset in the middle of an image."""
    ok, why = available(simulator)
    if not ok:
        pytest.skip(why)
    if simulator == "icarus":
        images = images[[0, 4]]
    result = run_cocotb(cfg, simulator, images)
    assert result["tests"] == 6, result
    assert result["failed"] == 0, f"see {result['log']}"
    assert set(result["timing"]["intervals"]) == {cfg.initiation_interval}, result["timing"]


def test_verify_with_flow_control(mnist):
    """lst verify's model: 200 test images with idle gaps and backpressure."""
    from sim.verify import verify

    r = verify(
        TransformCoreConfig(model="dct1", lanes=7),
        data_dir=mnist,
        limit=200,
        gap=0.3,
        stall=0.3,
        progress=False,
    )
    assert r["n"] == 200 and r["mismatches"] == 0, r
    assert r["rtl_accuracy"] == r["golden_accuracy"]


@pytest.fixture(scope="module")
def ht1_verilog(tmp_path_factory):
    out = tmp_path_factory.mktemp("tverilog")
    return out, generate_transform(TransformCoreConfig(model="ht1", lanes=32), out / "a")


def test_verilog_outputs(ht1_verilog):
    out, manifest = ht1_verilog
    a = out / "a"
    on_disk = json.loads((a / "lst_core.json").read_text())
    assert on_disk["ports"] == manifest["ports"]
    assert set(on_disk["ports"]) == {
        "clk",
        "rst",
        "pixels__valid",
        "pixels__ready",
        "pixels__payload",
        "result__valid",
        "result__ready",
        "result__payload",
    }
    assert on_disk["result_payload"]["logit_width"] == 38
    assert on_disk["timing"]["initiation_interval"] == 1814
    assert on_disk["timing"]["multipliers"] == {"passes": 0, "scale": 1, "output_layer": 10}
    for rom in on_disk["roms"].values():
        assert read_mem(a / rom["mem"]) == read_coe(a / rom["coe"])
        assert len(read_mem(a / rom["mem"])) == rom["depth"]
    # The matrix ROM is the Sylvester sign pattern: bit l of word j is M[l, j] < 0.
    words = read_mem(a / "rom/matrix.mem")
    assert words[0] == 0 and words[1] == int("10" * 16, 2)


def test_butterfly_verilog(tmp_path):
    """The butterfly core: no matrix ROM, no multiplier in the passes, lint-clean."""
    m = generate_transform(TransformCoreConfig(model="ht1"), tmp_path / "bf")
    assert m["config"]["hadamard"] == "butterfly" and "matrix" not in m["roms"]
    assert m["timing"]["initiation_interval"] == 1084
    assert m["timing"]["multipliers"]["passes"] == 0
    for tool, (ok, text) in lint(tmp_path / "bf" / "lst_core.v").items():
        assert ok, f"{tool}: {text}"


def test_verilog_deterministic_and_lint_clean(ht1_verilog):
    out, manifest = ht1_verilog
    again = generate_transform(TransformCoreConfig(model="ht1", lanes=32), out / "b")
    assert again["files_sha256"] == manifest["files_sha256"]
    for tool, (ok, text) in lint(out / "a" / "lst_core.v").items():
        assert ok, f"{tool}: {text}"


def _lst(*args):
    return subprocess.run([sys.executable, "-m", "lst", *args], capture_output=True, text=True)


def test_cli_verilog(tmp_path):
    r = _lst("verilog", "--model", "bwt1", "--lanes", "16", "--out", tmp_path / "v", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["config"]["model"] == "bwt1" and out["config"]["lanes"] == 16
    assert out["build_request"]["request"]["lanes"] == 16
    assert out["build_request"]["fit"]["fits"] is True
    assert (tmp_path / "v" / "lst_core.v").is_file()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["verilog", "--model", "ht1", "--lanes", "28"], "lanes must divide its 32×32"),
        (["verilog", "--model", "ht1", "--hadamard", "butterfly", "--lanes", "8"], "no lanes"),
        (["verilog", "--model", "dct1", "--hadamard", "butterfly"], "applies to ht1 only"),
        (["verilog", "--model", "lst1", "--hadamard", "lanes"], "applies to the ht1 core only"),
        (["verilog", "--model", "dct1", "--packed-dsp"], "--packed-dsp applies to the LST cores"),
        (["verilog", "--model", "ht1", "--format", "q2.6"], "saturate in q2.6"),
        (["verilog", "--model", "lst1", "--lanes", "32"], "lanes"),
        (["board", "vivado", "--model", "ht1"], "the ht1 core has no such flow yet"),
        (["verify", "--model", "ht1", "--diff"], "the ht1 core has none"),
    ],
)
def test_cli_refusals(args, needle, tmp_path, mnist):
    extra = ["--out", str(tmp_path / "o")] if args[0] in ("verilog", "board") else []
    if args[0] == "verify":
        extra = ["--data-dir", str(mnist), "--limit", "1"]
    r = _lst(*args, *extra)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("lst: error: ") and needle in lines[-1], r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()
