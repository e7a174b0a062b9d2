"""The golden model: an independent scalar evaluation, error bounds against float,
determinism, the call signature, and the accuracy target on the full test set."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qhelpers import random_tensors, sample_images

from lst.arch import LST_MODELS, default_checkpoint, get_arch
from quant.contract import FixedConfig
from quant.fixed import q
from quant.golden import GoldenModel, InferenceResult
from quant.quantize import quantize_checkpoint, quantize_tensors
from quant.reference import float_forward


def scalar_inference(qm, image):
    """docs/fixed-point.md evaluated literally, one value at a time, in Python ints."""
    cfg, arch = qm.config, qm.arch
    ints = {k: v.tolist() for k, v in qm.ints.items()}
    stages = {s.name: s for s in qm.stages()}
    tin = cfg.tanh_in

    def act(acc, shift):
        t = (acc + (1 << (shift - 1))) >> shift  # Python's >> floors: round half up
        t = max(tin.min_int, min(tin.max_int, t))
        y = math.floor(math.tanh(abs(t) / 2**cfg.tanh_frac) * 2**cfg.act_frac + 0.5)
        y = min(y, 2**cfg.act_frac - 1)
        return y if t >= 0 else -y

    n = arch.n
    x = [[int(p) - 128 for p in row] for row in image]
    outs = []
    for b in range(arch.blocks):
        w1, b1 = ints[f"blocks.{b}.row.weight"], ints[f"blocks.{b}.row.bias"]
        w2, b2 = ints[f"blocks.{b}.col.weight"], ints[f"blocks.{b}.col.bias"]
        s1, s2 = stages[f"blocks.{b}.row"].shift, stages[f"blocks.{b}.col"].shift
        e = [
            [act(b1[j] + sum(w1[j][k] * x[i][k] for k in range(n)), s1) for j in range(n)]
            for i in range(n)
        ]
        y = [
            [act(b2[i] + sum(w2[i][k] * e[k][j] for k in range(n)), s2) for j in range(n)]
            for i in range(n)
        ]
        outs.append(y)
        x = y
    if arch.residual:
        x = [[outs[2][i][j] + outs[0][i][j] for j in range(n)] for i in range(n)]
    flat = [v for row in x for v in row]
    logits = [
        ints["out.bias"][c] + sum(w * v for w, v in zip(ints["out.weight"][c], flat, strict=True))
        for c in range(arch.classes)
    ]
    return logits.index(max(logits)), logits


@pytest.mark.parametrize(
    ("model", "fmt"), [("lst1", "q5.7"), ("lst1", "q3.5"), ("lst2", "q5.7"), ("reslst3", "q4.8")]
)
def test_matches_independent_scalar_evaluation(model, fmt):
    qm = quantize_tensors(get_arch(model), random_tensors(model, seed=3), FixedConfig.parse(fmt))
    images = sample_images(seed=1, n=2)
    result = GoldenModel(qm)(images)
    for i, img in enumerate(images):
        cls, logits = scalar_inference(qm, img)
        assert result.logits[i].tolist() == logits
        assert result.classes[i] == cls


def test_result_types_and_intermediates():
    qm = quantize_tensors(get_arch("reslst3"), random_tensors("reslst3"), FixedConfig())
    images = sample_images(n=3)
    r = GoldenModel(qm, chunk=2)(images, intermediates=True)  # chunking must not matter
    assert isinstance(r, InferenceResult) and len(r) == len(images)
    assert r.classes.dtype == np.int64 and r.logits.dtype == np.int64
    assert r.logits.shape == (len(images), 10)
    inter = r.intermediates
    for b in range(3):
        for s in ("row", "col"):
            assert inter[f"blocks.{b}.{s}"].shape == (len(images), 28, 28)
            assert np.abs(inter[f"blocks.{b}.{s}"]).max() <= 127
    np.testing.assert_array_equal(inter["features"], inter["blocks.2.col"] + inter["blocks.0.col"])
    np.testing.assert_array_equal(inter["input"], images.astype(np.int64) - 128)
    plain = GoldenModel(qm)(images)
    np.testing.assert_array_equal(plain.logits, r.logits)


def test_argmax_ties_go_to_lowest_class():
    qm = quantize_tensors(get_arch("lst1"), random_tensors(), FixedConfig())
    qm.ints["out.weight"][:] = 0
    qm.ints["out.bias"][:] = [0, 5, 3, 5, 5, 0, 0, 0, 0, 0]
    r = GoldenModel(qm)(sample_images(n=1))
    assert (r.classes == 1).all()


def test_deterministic():
    qm = quantize_tensors(get_arch("lst2"), random_tensors("lst2"), FixedConfig())
    images = sample_images(n=8)
    a, b = GoldenModel(qm)(images), GoldenModel(qm)(images)
    np.testing.assert_array_equal(a.logits, b.logits)


def test_input_validation():
    g = GoldenModel(quantize_tensors(get_arch("lst1"), random_tensors(), FixedConfig()))
    with pytest.raises(TypeError, match="uint8"):
        g(np.zeros((1, 28, 28), np.int32))
    with pytest.raises(ValueError, match="N×28×28"):
        g(np.zeros((1, 27, 28), np.uint8))
    assert len(g(np.zeros((28, 28), np.uint8))) == 1
    assert len(g(np.zeros((0, 28, 28), np.uint8))) == 0


def _bounds(qm, inter_f, logits_f):
    """Elementwise worst-case |fixed − float| of every stage, from the rounding of the
    stored numbers, propagated stage by stage.

    Pre-activation: Σ|ŵ|·ε_in + Σ|x|·δw + δb. Activation (mean value theorem, tanh' =
    sech² falls with |ξ|): sech²(max(0, |a| − d))·d with d = ε_pre + half a tanh-input
    LSB, plus the table's output rounding (2^-f with the clamp at ±(1 − 2^-f)) and what
    the input saturation can move (1 − tanh(2^r − 2^-g)).
    """
    cfg = qm.config
    deq = qm.dequantized()
    half_in = 2.0 ** -(cfg.tanh_frac + 1)
    clamp = 1 - math.tanh(2.0**cfg.tanh_range_log2 - 2.0**-cfg.tanh_frac)
    out = {}
    eps = np.zeros_like(inter_f["blocks.0.row.acc"])
    x = None
    errs = []
    for stg in qm.stages():
        w_abs = np.abs(deq[stg.tensor])
        dw = 2.0 ** -(stg.w.frac + 1) * (255 / 256 if stg.takes_pixels else 1)
        db = 2.0 ** -(stg.bias.frac + 1)
        kind = stg.name.rsplit(".", 1)[-1]
        if stg.takes_pixels:
            x_abs = np.ones_like(eps)  # |p/127.5 − 1| ≤ 1
        else:
            x_abs = np.abs(x)
        if kind == "row":
            pre = eps @ w_abs.T + x_abs.sum(axis=2, keepdims=True) * dw + db
        elif kind == "col":
            pre = w_abs @ eps + x_abs.sum(axis=1, keepdims=True) * dw + db
        else:
            n = len(eps)
            out["logits"] = (
                eps.reshape(n, -1) @ w_abs.T
                + x_abs.reshape(n, -1).sum(axis=1, keepdims=True) * dw
                + db
            )
            break
        out[stg.name + ".acc"] = pre
        a = inter_f[stg.name + ".acc"]
        d = pre + half_in
        slope = 1 / np.cosh(np.maximum(0, np.abs(a) - d)) ** 2
        eps = np.minimum(2.0, slope * d + 2.0**-cfg.act_frac + clamp)
        out[stg.name] = eps
        x = inter_f[stg.name]
        if kind == "col":
            errs.append(eps)
            if qm.arch.residual and stg.name == "blocks.2.col":
                eps = errs[0] + errs[2]  # features = Y3 + Y1
                x = inter_f["features"]
                out["features"] = eps
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    model=st.sampled_from(list(LST_MODELS)),
    seed=st.integers(0, 2**16),
    scale=st.floats(0.02, 0.6),
    fmt=st.sampled_from(["q5.7", "q3.5", "q4.10", "q2.6"]),
    style=st.sampled_from(["random", "sparse", "extremes"]),
)
def test_each_stage_within_error_bound_of_float(model, seed, scale, fmt, style):
    arch = get_arch(model)
    tensors = random_tensors(model, seed=seed, scale=scale)
    cfg = FixedConfig.parse(fmt)
    qm = quantize_tensors(arch, tensors, cfg)
    if qm.total_saturated:
        return  # saturation is outside the rounding-error model
    rng = np.random.default_rng(seed)
    if style == "random":
        images = rng.integers(0, 256, (3, 28, 28)).astype(np.uint8)
    elif style == "sparse":
        images = (rng.random((3, 28, 28)) < 0.15).astype(np.uint8) * 255
    else:
        images = sample_images(seed, n=0)
    g = GoldenModel(qm)
    fixed = g(images, intermediates=True)
    logits_f, inter_f = float_forward(arch, tensors, images)
    bounds = _bounds(qm, inter_f, logits_f)
    assert len(bounds) == 2 * 2 * arch.blocks + 1 + arch.residual
    for name, bound in bounds.items():
        if name == "logits":
            got, ref = qm.stages()[-1].acc.to_float(fixed.logits), logits_f
        else:
            got, ref = g.to_float(name, fixed.intermediates[name]), inter_f[name]
        excess = np.abs(got - ref) - bound
        assert excess.max() <= 1e-9, (name, float(excess.max()))


@pytest.mark.parametrize("model", list(LST_MODELS))
def test_q5_7_accuracy_target(model, mnist_test):
    """Target: Q5.7 accuracy ≥ float − 0.05 pp on all 10,000 test images (LST-1 is the
    issue's target; the others are checked to the same bar)."""
    from quant.accuracy import accuracy_report

    r = accuracy_report(
        model,
        default_checkpoint(model),
        "q5.7",
        data_dir=pytest.importorskip("conftest").mnist_dir(),
    )
    assert r["n"] == 10_000
    assert r["fixed_accuracy"] >= r["float_accuracy"] - 0.05, r


def test_golden_speed(mnist_test):
    """10,000 LST-1 images in at most 2 s (best of three, this machine)."""
    g = GoldenModel(quantize_checkpoint(default_checkpoint("lst1"), q("q5.7")))
    best = min(_time(g, mnist_test.images) for _ in range(3))
    assert best <= 2.0, f"{best:.2f} s"


def _time(g, images):
    t = time.perf_counter()
    g(images)
    return time.perf_counter() - t
