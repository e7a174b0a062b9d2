"""Transforms: exact inverses, agreement of implementations, convolution theorems."""

from __future__ import annotations

import numpy as np
import pytest
import pywt
import scipy.fft
import scipy.linalg
import torch

from lst.transform import matrices
from lst.transform import transforms as tr

SIZES = (1, 2, 3, 5, 7, 8, 16, 28, 32)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


FUNCS = {
    "dct": (tr.dct, tr.idct),
    "hadamard": (tr.hadamard, tr.ihadamard),
    "bwt": (tr.bwt, tr.ibwt),
}


def _rand(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _inverse_kwargs(kind, n):
    return {} if kind == "dct" else {"length": n}


# ------------------------------------------------------------------ 1-D


@pytest.mark.parametrize("kind", tr.TRANSFORMS)
@pytest.mark.parametrize("n", SIZES)
def test_inverse_1d_every_size_and_implementation(kind, n):
    forward, inverse = FUNCS[kind]
    x = _rand(3, n, 4)
    for impl in tr.IMPLEMENTATIONS[kind]:
        c = forward(x, dim=1, implementation=impl)
        assert c.shape == (3, tr.padded_length(kind, n), 4)
        back = inverse(c, dim=1, implementation=impl, **_inverse_kwargs(kind, n))
        torch.testing.assert_close(back, x, rtol=0, atol=1e-11)


@pytest.mark.parametrize("kind", tr.TRANSFORMS)
@pytest.mark.parametrize("n", (3, 8, 28, 32))
def test_fast_equals_matrix_values_and_gradients(kind, n):
    forward, inverse = FUNCS[kind]
    p = tr.padded_length(kind, n)
    weights, inverse_weights = _rand(2, p, seed=1), _rand(2, n, seed=2)
    results = []
    for impl in tr.IMPLEMENTATIONS[kind]:
        x = _rand(2, n).requires_grad_()
        c = _rand(2, p, seed=3).requires_grad_()
        y = forward(x, implementation=impl)
        back = inverse(c, implementation=impl, **_inverse_kwargs(kind, n))
        ((y * weights).sum() + (back * inverse_weights).sum()).backward()
        results.append((y.detach(), back.detach(), x.grad, c.grad))
    for fast, matrix in zip(results[1], results[0], strict=True):
        torch.testing.assert_close(fast, matrix, rtol=0, atol=1e-11)


@pytest.mark.parametrize("norm", matrices.DCT_NORMS)
@pytest.mark.parametrize("n", (1, 4, 7, 28))
def test_dct_matches_scipy(norm, n):
    x = _rand(5, n)
    ref = scipy.fft.dct(x.numpy(), type=2, norm=None if norm == "backward" else "ortho")
    for impl in tr.IMPLEMENTATIONS["dct"]:
        np.testing.assert_allclose(
            tr.dct(x, norm=norm, implementation=impl).numpy(), ref, atol=1e-11
        )
    # The exact inverse is scipy's inverse with the same normalisation.
    c = torch.from_numpy(ref)
    ref_back = scipy.fft.idct(ref, type=2, norm=None if norm == "backward" else "ortho")
    np.testing.assert_allclose(tr.idct(c, norm=norm).numpy(), ref_back, atol=1e-11)


def test_dct_matrices():
    c = tr.dct_matrix(28)
    np.testing.assert_allclose(c @ c.T, np.eye(28), atol=1e-12)
    np.testing.assert_allclose(tr.idct_matrix(28), c.T)
    u = tr.dct_matrix(28, "backward")
    np.testing.assert_allclose(u[3, 5], 2 * np.cos(np.pi * 3 * 11 / 56))
    np.testing.assert_allclose(tr.idct_matrix(28, "backward"), np.linalg.inv(u), atol=1e-12)


@pytest.mark.parametrize("n", (1, 2, 4, 8, 32, 64))
def test_hadamard_matrix_is_sylvester_orthonormal(n):
    h = tr.hadamard_matrix(n)
    np.testing.assert_array_equal(h * np.sqrt(n), scipy.linalg.hadamard(n))
    np.testing.assert_allclose(h @ h, np.eye(n), atol=1e-12)


def test_hadamard_pads_with_zeros_and_crops():
    x = _rand(4, 28)
    padded = torch.cat([x, torch.zeros(4, 4, dtype=x.dtype)], dim=1)
    h = torch.tensor(tr.hadamard_matrix(32))
    for impl in tr.IMPLEMENTATIONS["hadamard"]:
        torch.testing.assert_close(tr.hadamard(x, implementation=impl), padded @ h.T)
    # Without a length, the inverse returns all 32 samples: the zero padding comes back.
    torch.testing.assert_close(tr.ihadamard(tr.hadamard(x)), padded, rtol=0, atol=1e-12)


def _packet_tree_reference(x, wavelet):
    """The BWT of a 1-D signal by recursion on PyWavelets' single-level DWT."""
    approx, detail = pywt.dwt(x, wavelet, mode="periodization")
    if len(approx) <= 1:
        return np.concatenate([approx, detail])
    return np.concatenate(
        [_packet_tree_reference(approx, wavelet), _packet_tree_reference(detail, wavelet)]
    )


@pytest.mark.parametrize("n", (2, 4, 8, 32))
def test_bwt_matrix_is_the_wavelet_packet_tree(n):
    x = _rand(n).numpy()
    np.testing.assert_allclose(tr.bwt_matrix(n) @ x, _packet_tree_reference(x, "bior1.3"))
    np.testing.assert_allclose(tr.ibwt_matrix(n) @ tr.bwt_matrix(n), np.eye(n), atol=1e-12)


def test_bwt_with_haar_is_a_permuted_hadamard():
    # Cross-check of the tree: with the Haar wavelet its rows are the Walsh functions.
    b = tr.bwt_matrix(16, "haar")
    h = tr.hadamard_matrix(16)
    matches = np.abs(b @ h.T) > 1 - 1e-12
    assert (matches.sum(axis=0) == 1).all() and (matches.sum(axis=1) == 1).all()


def test_bwt_is_biorthogonal_not_orthogonal():
    b = tr.bwt_matrix(32)
    assert not np.allclose(b @ b.T, np.eye(32))
    assert np.linalg.cond(b) < 10


# ------------------------------------------------------------------ 2-D module


@pytest.mark.parametrize("kind", tr.TRANSFORMS)
@pytest.mark.parametrize(("height", "width"), ((28, 28), (8, 8), (7, 12), (32, 16), (1, 5)))
def test_transform2d_inverse(kind, height, width):
    x = _rand(2, 3, height, width)
    for impl in tr.IMPLEMENTATIONS[kind]:
        t = tr.Transform2d(kind, height, width, implementation=impl).double()
        c = t(x)
        assert c.shape == (2, 3, tr.padded_length(kind, height), tr.padded_length(kind, width))
        torch.testing.assert_close(t.inverse(c), x, rtol=0, atol=1e-11)


@pytest.mark.parametrize("kind", tr.TRANSFORMS)
def test_transform2d_is_separable_and_implementations_agree(kind):
    height, width = 12, 28
    forward = FUNCS[kind][0]
    x = _rand(2, height, width)
    expected = forward(forward(x, dim=-1), dim=-2)
    for impl in tr.IMPLEMENTATIONS[kind]:
        t = tr.Transform2d(kind, height, width, implementation=impl).double()
        torch.testing.assert_close(t(x), expected, rtol=0, atol=1e-11)


def test_transform2d_buffers_not_in_state_dict_and_float32_default():
    t = tr.Transform2d("dct", 8, 8)
    assert dict(t.state_dict()) == {}
    x = torch.randn(1, 8, 8)
    assert t(x).dtype == torch.float32
    assert "dct, 8x8 -> 8x8" in repr(t)


def test_multiplication_counts():
    assert tr.Transform2d("dct", 32, 32).multiplications(16) == 16 * 2 * 32**3
    assert tr.Transform2d("bwt", 28, 28).multiplications(1) == 2 * 32**3
    assert tr.Transform2d("hadamard", 32, 32).multiplications(16) == 0


# ------------------------------------------------------------------ convolution theorems


def _symmetric_convolution(x, h):
    """Circular convolution of the half-sample symmetric extension of ``x`` (length 2N) with
    the even filter ``h[0..N]`` (extended by ``h[2N - n] = h[n]``); the first N samples."""
    n = len(x)
    extended = np.concatenate([x, x[::-1]])
    kernel = np.concatenate([h, h[1:n][::-1]])
    out = np.array(
        [sum(extended[m] * kernel[(i - m) % (2 * n)] for m in range(2 * n)) for i in range(n)]
    )
    return out


def _dct1(h):
    """DCT-I of h[0..N]: H_k = h_0 + (-1)^k h_N + 2 sum_{n=1}^{N-1} h_n cos(pi k n / N)."""
    return scipy.fft.dct(h, type=1)


@pytest.mark.parametrize("norm", matrices.DCT_NORMS)
@pytest.mark.parametrize("n", (5, 8, 28))
def test_dct_convolution_theorem_1d(norm, n):
    rng = np.random.default_rng(n)
    x, h = rng.standard_normal(n), rng.standard_normal(n + 1)
    y = _symmetric_convolution(x, h)
    gain = _dct1(h)[:n]
    lhs = tr.dct(torch.from_numpy(y), norm=norm)
    rhs = tr.dct(torch.from_numpy(x), norm=norm) * torch.from_numpy(gain)
    torch.testing.assert_close(lhs, rhs, rtol=1e-10, atol=1e-10)


def test_dct_convolution_theorem_2d():
    rng = np.random.default_rng(2)
    height, width = 6, 9
    x = rng.standard_normal((height, width))
    h_rows, h_cols = rng.standard_normal(width + 1), rng.standard_normal(height + 1)
    # Separable symmetric convolution: rows with h_rows, then columns with h_cols.
    y = np.array([_symmetric_convolution(r, h_rows) for r in x])
    y = np.array([_symmetric_convolution(c, h_cols) for c in y.T]).T
    gain = np.outer(_dct1(h_cols)[:height], _dct1(h_rows)[:width])
    t = tr.Transform2d("dct", height, width).double()
    torch.testing.assert_close(
        t(torch.from_numpy(y)),
        t(torch.from_numpy(x)) * torch.from_numpy(gain),
        rtol=1e-10,
        atol=1e-10,
    )


def _dyadic_convolution(x, h):
    n = len(x)
    return np.array([sum(x[m] * h[i ^ m] for m in range(n)) for i in range(n)])


@pytest.mark.parametrize("n", (2, 8, 32))
def test_hadamard_dyadic_convolution_theorem_1d(n):
    rng = np.random.default_rng(n)
    x, h = rng.standard_normal(n), rng.standard_normal(n)
    for impl in tr.IMPLEMENTATIONS["hadamard"]:
        lhs = tr.hadamard(torch.from_numpy(_dyadic_convolution(x, h)), implementation=impl)
        hx = tr.hadamard(torch.from_numpy(x), implementation=impl)
        hh = tr.hadamard(torch.from_numpy(h), implementation=impl)
        # Orthonormal H: H(x ⊛ h) = sqrt(n) · H(x) ∘ H(h).
        torch.testing.assert_close(lhs, np.sqrt(n) * hx * hh, rtol=1e-10, atol=1e-10)


def test_hadamard_dyadic_convolution_theorem_2d():
    rng = np.random.default_rng(3)
    height, width = 4, 8
    x, h = rng.standard_normal((height, width)), rng.standard_normal((height, width))
    y = np.zeros((height, width))
    for i in range(height):
        for j in range(width):
            y[i, j] = sum(x[a, b] * h[i ^ a, j ^ b] for a in range(height) for b in range(width))
    t = tr.Transform2d("hadamard", height, width).double()
    scale = np.sqrt(height * width)
    lhs = t(torch.from_numpy(y))
    rhs = scale * t(torch.from_numpy(x)) * t(torch.from_numpy(h))
    torch.testing.assert_close(lhs, rhs, rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ errors and benchmark


def test_errors_are_one_line_and_specific():
    with pytest.raises(ValueError, match="power of two, not 12 \\(pad to 16\\)"):
        tr.hadamard_matrix(12)
    with pytest.raises(ValueError, match="unknown transform 'fourier'"):
        tr.Transform2d("fourier", 8, 8)
    with pytest.raises(ValueError, match="unknown dct implementation 'fast'"):
        tr.dct(torch.zeros(4), implementation="fast")
    with pytest.raises(ValueError, match="unknown DCT normalisation"):
        tr.dct_matrix(4, "forward")
    with pytest.raises(ValueError, match="height must be a positive integer"):
        tr.Transform2d("dct", 0, 8)
    with pytest.raises(ValueError, match="spatial size 8x8, got shape \\(2, 8, 7\\)"):
        tr.Transform2d("dct", 8, 8)(torch.zeros(2, 8, 7))
    with pytest.raises(ValueError, match="coefficients of spatial size 32x32"):
        tr.Transform2d("hadamard", 28, 28).inverse(torch.zeros(28, 28))
    with pytest.raises(TypeError, match="floating-point"):
        tr.dct(torch.zeros(4, dtype=torch.int64))
    with pytest.raises(ValueError, match="cannot crop 32 coefficients to length 8"):
        tr.ihadamard(torch.zeros(32), length=8)


def test_next_power_of_two():
    assert [tr.next_power_of_two(n) for n in (1, 2, 3, 28, 32, 33)] == [1, 2, 4, 32, 32, 64]
    assert tr.padded_length("dct", 28) == 28 and tr.padded_length("bwt", 28) == 32


def test_benchmark_rows():
    rows = tr.benchmark(sizes=(4,), images=2, repeats=1)
    assert len(rows) == sum(len(v) for v in tr.IMPLEMENTATIONS.values())
    assert {r["transform"] for r in rows} == set(tr.TRANSFORMS)
    assert all(r["ms"] > 0 and r["n"] == 4 for r in rows)
    assert tr.DEFAULT_IMPLEMENTATION.keys() == tr.IMPLEMENTATIONS.keys()
