"""The quantizer: the input fold, saturation, errors, ROM files and the manifest."""

from __future__ import annotations

import json

import numpy as np
import pytest
from qhelpers import random_tensors, sample_images

from lst.arch import LST_MODELS, default_checkpoint, get_arch
from lst.checkpoint import CheckpointError, save_checkpoint
from lst.cli import main
from quant.contract import FixedConfig
from quant.export import write_quantized
from quant.fixed import q
from quant.golden import GoldenModel
from quant.quantize import (
    QuantizationError,
    QuantizedLST,
    auto_format,
    quantize_checkpoint,
    quantize_tensors,
    sha256_file,
)
from quant.rom import read_coe, read_mem, unpack_words


def _checkpoint(tmp_path, model="lst1", **override):
    t = random_tensors(model)
    t.update(override)
    path = tmp_path / f"{model}.safetensors"
    save_checkpoint(path, t, {"model": model})
    return path, t


def test_input_fold_is_exact():
    """acc of the first row stage = dequantized W·(p/127.5 − 1) + b exactly."""
    arch = get_arch("lst1")
    qm = quantize_tensors(arch, random_tensors(), FixedConfig())
    deq = qm.dequantized()
    images = sample_images()
    acc = GoldenModel(qm)(images, intermediates=True).intermediates["blocks.0.row.acc"]
    x = images.astype(np.float64) / 127.5 - 1
    ref = x @ deq["blocks.0.row.weight"].T + deq["blocks.0.row.bias"]
    np.testing.assert_allclose(acc / 2.0**14, ref, rtol=0, atol=1e-9)


def test_quantization_error_is_half_lsb():
    t = random_tensors()
    qm = quantize_tensors(get_arch("lst1"), t, FixedConfig())
    deq = qm.dequantized()
    for name in ("blocks.0.col.weight", "out.weight"):
        assert np.abs(deq[name] - t[name]).max() <= 2**-8 + 1e-12
    assert np.abs(deq["out.bias"] - t["out.bias"]).max() <= 2**-15 + 1e-12


def test_saturation_counted_and_strict():
    t = random_tensors()
    t["out.weight"][0, :5] = [20.0, -20.0, 15.999, 16.5, 3.0]
    qm = quantize_tensors(get_arch("lst1"), t, FixedConfig())
    assert qm.saturated["out.weight"] == 4  # 15.999 rounds to 2048: out of range too
    assert qm.ints["out.weight"][0, :5].tolist() == [2047, -2048, 2047, 2047, 384]
    with pytest.raises(
        QuantizationError, match=r"4 of 9474 weights and biases saturate .*out.weight"
    ):
        quantize_tensors(get_arch("lst1"), t, FixedConfig(), strict=True)


def test_strict_cli_leaves_no_output(tmp_path, capsys):
    path, _ = _checkpoint(tmp_path)
    out = tmp_path / "q"
    assert (
        main(
            [
                "quantize",
                "--checkpoint",
                str(path),
                "--format",
                "q1.3",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "saturate" in err[0] and "--allow-saturation" in err[0]
    assert not out.exists() and list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize(
    ("override", "msg"),
    [
        ({"out.bias": np.full(10, np.nan)}, "NaN or infinite"),
        ({"blocks.0.row.weight": np.full((28, 28), np.inf)}, "NaN or infinite"),
        ({"out.weight": np.zeros((10, 700))}, r"out.weight has shape \(10, 700\)"),
    ],
)
def test_bad_checkpoints_one_line_no_output(tmp_path, capsys, override, msg):
    path, _ = _checkpoint(tmp_path, **override)
    out = tmp_path / "q"
    assert main(["quantize", "--checkpoint", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert pytest.importorskip("re").search(msg, err[0])
    assert not out.exists()


def test_missing_tensor(tmp_path):
    t = random_tensors()
    del t["blocks.0.col.bias"]
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, t, {"model": "lst1"})
    with pytest.raises(CheckpointError, match="missing tensor blocks.0.col.bias"):
        quantize_checkpoint(path)


def test_bad_format_is_clear(tmp_path, capsys):
    path, _ = _checkpoint(tmp_path)
    assert (
        main(
            [
                "quantize",
                "--checkpoint",
                str(path),
                "--format",
                "q5,7",
                "--out",
                str(tmp_path / "q"),
            ]
        )
        == 2
    )
    assert "bad fixed-point format 'q5,7'" in capsys.readouterr().err


@pytest.mark.parametrize("model", list(LST_MODELS))
def test_rom_files_parse_back(tmp_path, model):
    path, _ = _checkpoint(tmp_path, model)
    qm = quantize_checkpoint(path, "q5.7")
    manifest = write_quantized(qm, tmp_path / "q")
    out = tmp_path / "q"
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == manifest
    assert manifest["source"]["sha256"] == sha256_file(path)
    assert manifest["model"] == model and manifest["config"]["weight"]["name"] == "q5.7"
    for name, ints in qm.ints.items():
        rom = manifest["roms"][name]
        assert rom["shape"] == list(ints.shape)
        for reader, key in ((read_mem, "mem"), (read_coe, "coe")):
            words = reader(out / rom[key])
            back = unpack_words(words, rom["width"], 1).reshape(ints.shape)
            np.testing.assert_array_equal(back, ints)
    tanh = unpack_words(read_mem(out / "rom/tanh.mem"), 8, 1).ravel()
    codes = np.arange(2048)
    codes = np.where(codes >= 1024, codes - 2048, codes)
    np.testing.assert_array_equal(tanh, qm.config.tanh(codes))
    assert read_coe(out / "rom/tanh.coe") == read_mem(out / "rom/tanh.mem")
    for rel, digest in manifest["files_sha256"].items():
        assert sha256_file(out / rel) == digest
    reloaded = QuantizedLST.load_npz(out / "model.npz")
    assert reloaded.config == qm.config
    for k in qm.ints:
        np.testing.assert_array_equal(reloaded.ints[k], qm.ints[k])


def test_output_is_deterministic(tmp_path):
    path, _ = _checkpoint(tmp_path)
    qm = quantize_checkpoint(path)
    a = write_quantized(qm, tmp_path / "a")["files_sha256"]
    b = write_quantized(quantize_checkpoint(path), tmp_path / "b")["files_sha256"]
    assert a == b


def test_auto_format_holds_weights_with_fewest_int_bits():
    t = random_tensors()
    t["out.weight"][0, 0] = 2.7
    arch = get_arch("lst1")
    fmt = auto_format(8, t, arch)
    assert fmt.name == "q3.5"  # 2.7 needs 2 integer bits plus the sign
    qm = quantize_tensors(arch, t, FixedConfig(fmt))
    assert all(v == 0 for k, v in qm.saturated.items() if k.endswith("weight"))
    assert quantize_tensors(arch, t, FixedConfig(q("q2.6"))).saturated["out.weight"] > 0


@pytest.mark.parametrize("model", list(LST_MODELS))
def test_shipped_weights_cannot_overflow(model):
    """Exact accumulator extremes over all inputs fit the contract's accumulators."""
    path = default_checkpoint(model)
    if not path.exists():
        pytest.fail(f"shipped checkpoint {path} missing")
    for fmt in ("q5.7", "auto8"):
        qm = quantize_checkpoint(path, fmt)
        ranges = qm.accumulator_ranges()
        for st in qm.stages():
            lo, hi = ranges[st.name]
            assert st.acc.min_int <= lo and hi <= st.acc.max_int, (fmt, st.name)
        assert qm.total_saturated == 0 or fmt != "q5.7"
