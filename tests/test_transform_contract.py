"""The transform-domain contract and quantizer: formats, exact bounds, the folds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lst.arch import default_checkpoint
from lst.checkpoint import CheckpointError, save_checkpoint
from lst.errors import ConfigError
from lst.transform.arch import TRANSFORM_MODELS, get_transform_arch, load_transform_checkpoint
from lst.transform.matrices import forward_matrix, hadamard_matrix
from quant.fixed import FixedFormat
from quant.quantize import INPUT_FOLD, QuantizationError
from quant.transform_contract import TransformConfig, formats, transform_matrix
from quant.transform_golden import transform_float_forward
from quant.transform_quantize import (
    auto_transform_format,
    folded_parameters,
    quantize_transform,
    quantize_transform_checkpoint,
)

MODELS = list(TRANSFORM_MODELS)


def _tensors(model):
    return load_transform_checkpoint(default_checkpoint(model))[:2]


def test_q5_7_formats():
    """The formats the documentation states, at q5.7 (HT-1: exact integer passes)."""
    f = formats(get_transform_arch("ht1"), TransformConfig.parse("q5.7"))
    assert (f.matrix.name, f.e.name, f.e_shift, f.c_acc.name, f.c_shift) == (
        "q2.0",
        "q6.7",
        0,
        "q6.12",
        5,
    )
    assert (f.c.name, f.g.name, f.tau.name, f.u.name) == ("q6.7", "q7.7", "uq6.7", "q8.7")
    assert f.logits.width == 12 + 15 + 11
    for model in ("dct1", "bwt1"):
        f = formats(get_transform_arch(model), TransformConfig.parse("q5.7"))
        assert f.matrix.name == "q1.11"
        assert (f.e.frac, f.c.frac, f.u.frac) == (7, 7, 7)


@pytest.mark.parametrize("model", MODELS)
def test_hadamard_matrix_is_sylvester(model):
    arch = get_transform_arch(model)
    m, frac = transform_matrix(arch, TransformConfig())
    assert m.shape == (arch.size, arch.n)
    if arch.kind == "hadamard":
        assert frac == 0 and set(np.unique(m)) == {-1, 1}
        np.testing.assert_array_equal(m, np.rint(hadamard_matrix(32)[:, :28] * math.sqrt(32)))
    else:
        fmt = formats(arch, TransformConfig()).matrix
        err = np.abs(fmt.to_float(m) - forward_matrix(arch.kind, arch.size)[:, :28]).max()
        assert err <= fmt.lsb / 2


@pytest.mark.parametrize("fmt", ["q5.7", "q3.5", "q4.8", "q6.10"])
@pytest.mark.parametrize("model", MODELS)
def test_accumulators_cannot_overflow(model, fmt):
    """The widest sums any input can reach fit each accumulator: every pixel at the end
    of its range that pushes a sum outwards, every later value at its format's end."""
    arch = get_transform_arch(model)
    cfg = TransformConfig.parse(fmt)
    f = formats(arch, cfg)
    m, _ = transform_matrix(arch, cfg)
    pos, neg = np.maximum(m, 0), np.minimum(m, 0)
    e_hi = (pos * 127 + neg * -128).sum(axis=1).max()
    e_lo = (pos * -128 + neg * 127).sum(axis=1).min()
    assert f.e_acc.min_int <= e_lo and e_hi <= f.e_acc.max_int
    e_mag = max(-round_half_up(e_lo, f.e_shift), round_half_up(e_hi, f.e_shift))
    assert e_mag <= f.e.max_int
    c_mag = np.abs(m).sum(axis=1).max() * e_mag
    assert c_mag <= f.c_acc.max_int
    assert round_half_up(c_mag, f.c_shift) <= f.c.max_int
    w = cfg.weight
    g_mag = -w.min_int * -f.c.min_int + -f.beta.min_int
    assert g_mag <= f.g_acc.max_int
    u_mag = -f.g.min_int + -f.c.min_int
    assert u_mag <= f.u.max_int
    logit_mag = arch.size**2 * -w.min_int * u_mag + -f.out_bias.min_int
    assert logit_mag <= f.logits.max_int


def round_half_up(v, shift):
    return (int(v) + (1 << (shift - 1))) >> shift if shift else int(v)


@pytest.mark.parametrize("model", MODELS)
def test_folds_are_exact_in_the_reals(model):
    """The contract's rewriting (padding and input encoding folded into β, bq; inverse
    transform and shortcut into Wq) gives the float model's logits in float64."""
    arch, tensors = _tensors(model)
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (16, 28, 28), dtype=np.uint8)
    images[:4] = 0
    images[4:8] = 255
    want, _ = transform_float_forward(arch, tensors, images)
    fold = folded_parameters(arch, tensors)
    s, k = fold["s"], fold["K"]
    f28 = forward_matrix(arch.kind, arch.size)[:, :28]
    x = (images.astype(np.float64) - 128) / 128
    c = f28 @ x @ f28.T
    g = fold["scale"] * c + fold["scale"] * k / s
    z = np.sign(g) * np.maximum(np.abs(g) - fold["threshold"], 0)
    w = (s * fold["w_prime"]).reshape(arch.classes, -1)
    bias = fold["bias"] + fold["w_prime"].reshape(arch.classes, -1) @ k.reshape(-1)
    got = (z + c).reshape(len(images), -1) @ w.T + bias
    # The float reference normalises in float32, as the model was trained (each pixel
    # within 3e-8 of p/127.5 − 1); everything after it is float64.
    np.testing.assert_allclose(got, want, rtol=0, atol=5e-6)


def test_input_fold_constant():
    assert INPUT_FOLD == 256 / 255


@pytest.mark.parametrize("model", MODELS)
def test_q5_7_stores_everything_unsaturated(model):
    qm = quantize_transform_checkpoint(None, "q5.7", model=model, allow_saturation=False)
    assert qm.total_saturated == 0
    for name, values in qm.ints.items():
        assert qm.tensor_format(name).in_range(values).all(), name


def test_saturating_format_is_refused():
    """HT-1's largest scale is about −4.04: q2.6 holds ±2 and must be refused."""
    with pytest.raises(QuantizationError, match=r"saturate in q2\.6 \(first in scale\)"):
        quantize_transform_checkpoint(None, "q2.6", model="ht1", allow_saturation=False)
    qm = quantize_transform_checkpoint(None, "q2.6", model="ht1", allow_saturation=True)
    assert qm.saturated["scale"] > 0


@pytest.mark.parametrize("model", MODELS)
def test_auto_format_holds_the_learned_values(model):
    arch, tensors = _tensors(model)
    for width in (8, 12):
        fmt = auto_transform_format(width, arch, tensors)
        assert fmt.width == width
        qm = quantize_transform(arch, tensors, TransformConfig(fmt))
        assert qm.saturated["scale"] == qm.saturated["out.weight"] == 0
        narrower = FixedFormat(width, fmt.frac + 1)
        qn = quantize_transform(arch, tensors, TransformConfig(narrower))
        assert qn.saturated["scale"] + qn.saturated["out.weight"] > 0


def test_bad_configs():
    with pytest.raises(ConfigError, match="data fractional bits must be 1..16"):
        TransformConfig(data_frac=0)
    with pytest.raises(ConfigError, match="weight format must be signed"):
        TransformConfig(FixedFormat(8, 4, signed=False))
    with pytest.raises(ConfigError, match="unknown transform-domain model 'ht2'"):
        get_transform_arch("ht2")
    with pytest.raises(ConfigError, match="lower data_frac"):
        formats(get_transform_arch("ht1"), TransformConfig(FixedFormat(12, 7), 13))


def test_checkpoint_of_another_model_is_refused(tmp_path):
    _, tensors = _tensors("ht1")
    path = save_checkpoint(tmp_path / "x.safetensors", tensors, {"model": "ht1"})
    with pytest.raises(CheckpointError, match="checkpoint is for model ht1, not dct1"):
        load_transform_checkpoint(path, "dct1")
    with pytest.raises(CheckpointError, match="the transform-domain models are"):
        load_transform_checkpoint(default_checkpoint("lst1"))
    bad = dict(tensors)
    bad["layer.filters"] = bad["layer.filters"][:, :28, :28]
    path = save_checkpoint(tmp_path / "y.safetensors", bad, {"model": "ht1"})
    with pytest.raises(CheckpointError, match=r"layer\.filters has shape \(1, 28, 28\)"):
        load_transform_checkpoint(path)


def test_npz_round_trip(tmp_path):
    qm = quantize_transform_checkpoint(None, "q5.7", model="bwt1")
    back = type(qm).load_npz(qm.save_npz(tmp_path / "q.npz"))
    assert back.config == qm.config and back.arch == qm.arch
    for k, v in qm.ints.items():
        np.testing.assert_array_equal(back.ints[k], v)
