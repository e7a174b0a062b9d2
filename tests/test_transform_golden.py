"""The transform-domain golden model: the contract evaluated literally, the exact
Hadamard passes, the float reference against torch, accuracy, and ``lst accuracy``."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from lst.arch import default_checkpoint
from lst.transform.arch import TRANSFORM_MODELS, load_transform_checkpoint
from lst.transform.matrices import hadamard_matrix
from quant.transform_golden import TransformGoldenModel, transform_float_forward
from quant.transform_quantize import quantize_transform_checkpoint

MODELS = list(TRANSFORM_MODELS)


def _rhu(v: int, shift: int) -> int:
    """Round half up of v / 2^shift in Python ints (floor division rounds down)."""
    return (v + (1 << (shift - 1))) // (1 << shift) if shift else v


def literal(qm, image) -> list[int]:
    """docs/fixed-point.md's transform section, one value at a time, in Python ints."""
    f, ints = qm.formats, {k: v.tolist() for k, v in qm.ints.items()}
    m, n, p = ints["matrix"], qm.arch.n, qm.arch.size
    x = [[int(v) - 128 for v in row] for row in image]
    e = [
        [_rhu(sum(x[i][j] * m[k][j] for j in range(n)), f.e_shift) for k in range(p)]
        for i in range(n)
    ]
    c = [
        [_rhu(sum(m[k][i] * e[i][l] for i in range(n)), f.c_shift) for l in range(p)]
        for k in range(p)
    ]
    u = []
    for k in range(p):
        for l in range(p):
            g = _rhu(ints["scale"][k][l] * c[k][l] + ints["offset"][k][l], f.g_shift)
            g = min(max(g, f.g.min_int), f.g.max_int)
            mag = max(abs(g) - ints["threshold"][k][l], 0)
            u.append((mag if g >= 0 else -mag) + c[k][l])
    return [
        sum(wv * uv for wv, uv in zip(w, u, strict=True)) + b
        for w, b in zip(ints["out.weight"], ints["out.bias"], strict=True)
    ]


@pytest.mark.parametrize("model", MODELS)
def test_golden_equals_literal_contract(model):
    qm = quantize_transform_checkpoint(None, "q5.7", model=model)
    rng = np.random.default_rng(7)
    images = np.stack([np.zeros((28, 28)), np.full((28, 28), 255), rng.integers(0, 256, (28, 28))])
    images = images.astype(np.uint8)
    got = TransformGoldenModel(qm)(images)
    for img, logits in zip(images, got.logits, strict=True):
        assert literal(qm, img) == logits.tolist()


def test_hadamard_passes_are_exact_integers():
    qm = quantize_transform_checkpoint(None, "q5.7", model="ht1")
    images = np.random.default_rng(3).integers(0, 256, (8, 28, 28), dtype=np.uint8)
    r = TransformGoldenModel(qm)(images, intermediates=True)
    hu = np.rint(hadamard_matrix(32) * np.sqrt(32)).astype(np.int64)[:, :28]
    x = images.astype(np.int64) - 128
    np.testing.assert_array_equal(r.intermediates["row.acc"], x @ hu.T)
    np.testing.assert_array_equal(r.intermediates["col.acc"], hu @ x @ hu.T)


@pytest.mark.parametrize("model", MODELS)
def test_intermediates_stay_in_their_formats(model, mnist_test):
    qm = quantize_transform_checkpoint(None, "q5.7", model=model)
    f = qm.formats
    r = TransformGoldenModel(qm)(mnist_test.images[:2000], intermediates=True)
    for name, fmt in (
        ("row.acc", f.e_acc),
        ("row", f.e),
        ("col.acc", f.c_acc),
        ("col", f.c),
        ("scale", f.g),
        ("threshold", f.g),
        ("features", f.u),
    ):
        assert fmt.in_range(r.intermediates[name]).all(), name
    assert f.logits.in_range(r.logits).all()


@pytest.mark.parametrize("model", MODELS)
def test_q5_7_accuracy_target(model, mnist_test):
    """Target: q5.7 within 0.05 pp of float on all 10,000 test images."""
    from quant.accuracy import accuracy_report

    r = accuracy_report(model, fmt="q5.7", data_dir=pytest.importorskip("conftest").mnist_dir())
    assert r["n"] == 10_000
    assert r["fixed_accuracy"] >= r["float_accuracy"] - 0.05, r
    assert r["float_accuracy"] == TRANSFORM_MODELS[model].trained_accuracy
    assert r["agreement"] >= 99.5, r


@pytest.mark.parametrize("model", MODELS)
def test_float_reference_matches_torch(model):
    torch = pytest.importorskip("torch")
    from lst.registry import build_model

    arch, tensors, _ = load_transform_checkpoint(default_checkpoint(model))
    net = build_model(model)
    net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in tensors.items()})
    net.eval().double()
    images = np.random.default_rng(5).integers(0, 256, (32, 28, 28), dtype=np.uint8)
    from lst.arch import normalize

    with torch.no_grad():
        x = torch.from_numpy(normalize(images).astype(np.float64))
        want = net.out(net.features(x).flatten(1)).numpy()
    got, _ = transform_float_forward(arch, tensors, images)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)


def _lst(*args):
    return subprocess.run([sys.executable, "-m", "lst", *args], capture_output=True, text=True)


def test_cli_accuracy_json(mnist):
    r = _lst("accuracy", "--model", "dct1", "--format", "q5.7", "--json", "--data-dir", str(mnist))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["model"], out["format"], out["act_format"], out["matrix_format"]) == (
        "dct1",
        "q5.7",
        "q6.7",
        "q1.11",
    )
    assert out["n"] == 10_000 and out["saturated"] == 0


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--model", "ht1", "--format", "q2.6"], "saturate in q2.6 (first in scale)"),
        (["--model", "bwt1", "--act-frac", "6"], "bwt1 has no tanh"),
        (["--model", "lst1", "--data-frac", "8"], "--data-frac applies to the transform"),
        (["--model", "dct1", "--data-frac", "0"], "data fractional bits must be 1..16"),
    ],
)
def test_cli_bad_input(args, needle, mnist):
    r = _lst("accuracy", *args, "--data-dir", str(mnist))
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lst: error: ") and needle in lines[0]
    assert r.stdout == ""


def test_documented_accuracy_table(mnist):
    """docs/fixed-point.md's transform accuracy table is what lst accuracy measures."""
    from pathlib import Path

    from quant.accuracy import accuracy_report

    doc = (Path(__file__).resolve().parent.parent / "docs" / "fixed-point.md").read_text()
    for model in MODELS:
        r = accuracy_report(model, fmt="q5.7", data_dir=mnist)
        delta = f"{r['fixed_accuracy'] - r['float_accuracy']:+.2f}".replace("-", "−")
        row = (
            f"| {model} | {r['float_accuracy']:.2f} | {r['fixed_accuracy']:.2f} | {delta} | "
            f"{r['agreement']:.2f} % |"
        )
        assert row in doc, row
