"""Soft-thresholding and the transform-domain layers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft
import torch

from lst.transform import matrices
from lst.transform import transforms as tr
from lst.transform.layers import SoftThreshold, TransformDomainLayer, soft_threshold

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _rand(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# ------------------------------------------------------------------ soft-thresholding


def test_soft_threshold_at_and_around_the_threshold():
    t = torch.tensor(0.5, dtype=torch.float64)
    eps = 1e-3
    f64 = torch.float64
    x = torch.tensor([-2, -0.5 - eps, -0.5, -0.5 + eps, 0, 0.5 - eps, 0.5, 0.5 + eps, 2], dtype=f64)
    expected = torch.tensor([-1.5, -eps, 0, 0, 0, 0, 0, eps, 1.5], dtype=f64)
    torch.testing.assert_close(soft_threshold(x, t), expected, rtol=0, atol=1e-12)
    # The sign of the threshold is ignored: S_T = S_|T|.
    torch.testing.assert_close(soft_threshold(x, -t), expected, rtol=0, atol=1e-12)
    # T = 0 is the identity.
    torch.testing.assert_close(soft_threshold(x, torch.zeros(())), x)


def test_soft_threshold_gradients():
    x = torch.tensor([-2.0, -0.3, 0.3, 2.0], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.5, 0.5, 0.5, -0.5], dtype=torch.float64, requires_grad=True)
    soft_threshold(x, t).sum().backward()
    # d/dx: 1 outside the dead zone, 0 inside. d/dT: -sign(x) sign(T) outside, 0 inside.
    torch.testing.assert_close(x.grad, torch.tensor([1.0, 0.0, 0.0, 1.0]).double())
    torch.testing.assert_close(t.grad, torch.tensor([1.0, 0.0, 0.0, 1.0]).double())


def test_soft_threshold_module_shape_and_initialisation():
    torch.manual_seed(0)
    st = SoftThreshold((3, 1, 32, 32))
    assert st.threshold.shape == (3, 1, 32, 32)
    assert st.threshold.min() >= 0 and st.threshold.max() < 0.1
    assert st.threshold.std() > 0.02  # uniform over [0, 0.1), not a constant
    y = st(torch.randn(2, 3, 5, 32, 32))
    assert y.shape == (2, 3, 5, 32, 32)
    with pytest.raises(ValueError, match="positive sizes"):
        SoftThreshold((3, 0))


# ------------------------------------------------------------------ layer


def _reference_layer(layer: TransformDomainLayer, x: torch.Tensor) -> torch.Tensor:
    """The layer's definition, literally: T⁻¹(Σᵢ S_Tᵢ(Vᵢ ⊛ (T(x) ∘ Aᵢ))) (+ x), with explicit
    transform matrices, A applied before V, one path at a time."""
    t = layer.transform
    fh = torch.tensor(matrices.forward_matrix(t.kind, t.height), dtype=x.dtype)
    fw = torch.tensor(matrices.forward_matrix(t.kind, t.width), dtype=x.dtype)
    ih = torch.tensor(matrices.inverse_matrix(t.kind, t.height), dtype=x.dtype)
    iw = torch.tensor(matrices.inverse_matrix(t.kind, t.width), dtype=x.dtype)
    coeffs = fh @ x @ fw.T
    total = 0
    for i in range(layer.paths):
        filtered = coeffs * layer.filters[i]
        mixed = torch.einsum("oc,bchw->bohw", layer.channel_mix[i], filtered)
        total = total + soft_threshold(mixed, layer.soft_threshold.threshold[i])
    y = ih @ total @ iw.T
    return y + x if layer.residual else y


@pytest.mark.parametrize("kind", tr.TRANSFORMS)
@pytest.mark.parametrize(
    ("cin", "cout", "size", "paths"), ((4, 4, 8, 1), (3, 5, 7, 3), (2, 2, 12, 2))
)
def test_layer_matches_its_definition(kind, cin, cout, size, paths):
    torch.manual_seed(1)
    layer = TransformDomainLayer(kind, cin, cout, size, size, paths=paths).double()
    assert layer.residual == (paths == 1 and cin == cout)
    x = _rand(2, cin, size, size)
    y = layer(x)
    assert y.shape == (2, cout, size, size)
    torch.testing.assert_close(y, _reference_layer(layer, x), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kind", tr.TRANSFORMS)
def test_parameters_filters_thresholds_and_mixing(kind):
    layer = TransformDomainLayer(kind, 16, 32, 28, 28, paths=3, residual=False)
    p = tr.padded_length(kind, 28)
    shapes = {name: tuple(v.shape) for name, v in layer.named_parameters()}
    assert shapes == {
        "filters": (3, p, p),
        "soft_threshold.threshold": (3, 1, p, p),
        "channel_mix": (3, 32, 16),
    }
    assert sum(v.numel() for v in layer.parameters()) == 3 * (2 * p * p + 16 * 32)
    assert layer.filters.min() >= 0 and layer.filters.max() < 1
    bound = 16**-0.5
    assert layer.channel_mix.abs().max() <= bound
    assert set(layer.state_dict()) == set(shapes)  # no transform matrices saved


@pytest.mark.parametrize("kind", tr.TRANSFORMS)
@pytest.mark.parametrize("paths", (1, 3))
def test_gradients_reach_filters_thresholds_and_mixing(kind, paths):
    torch.manual_seed(2)
    layer = TransformDomainLayer(kind, 3, 3, 12, 12, paths=paths)
    x = torch.randn(4, 3, 12, 12, requires_grad=True)
    (layer(x) ** 2).sum().backward()
    for name, param in layer.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
        assert (param.grad != 0).float().mean() > 0.5, name
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_zero_filters_give_the_shortcut_or_zero():
    x = _rand(2, 3, 8, 8)
    for residual in (True, False):
        layer = TransformDomainLayer("dct", 3, 3, 8, 8, residual=residual).double()
        with torch.no_grad():
            layer.filters.zero_()
        torch.testing.assert_close(layer(x), x if residual else torch.zeros_like(x))


def test_padded_layer_crops_back_to_the_input_size():
    layer = TransformDomainLayer("hadamard", 2, 2, 28, 28)
    assert layer.transform.padded_height == 32
    assert layer(torch.randn(1, 2, 28, 28)).shape == (1, 2, 28, 28)
    assert "coefficients 32x32" in repr(layer)


def test_dct_layer_without_threshold_is_a_symmetric_convolution():
    """With T = 0, V = 1 and no shortcut the single-path DCT layer filters by A: by the DCT
    convolution theorem it equals a symmetric convolution with the filter whose DCT-I is A."""
    n = 10
    rng = np.random.default_rng(5)
    h_rows, h_cols = rng.standard_normal(n + 1), rng.standard_normal(n + 1)
    gain = np.outer(scipy.fft.dct(h_cols, type=1)[:n], scipy.fft.dct(h_rows, type=1)[:n])
    layer = TransformDomainLayer("dct", 1, 1, n, n, residual=False).double()
    with torch.no_grad():
        layer.filters.copy_(torch.from_numpy(gain)[None])
        layer.soft_threshold.threshold.zero_()
        layer.channel_mix.fill_(1.0)
    x = rng.standard_normal((n, n))

    def symmetric_conv(v, h):
        ext = np.concatenate([v, v[::-1]])
        ker = np.concatenate([h, h[1:n][::-1]])
        return np.array(
            [sum(ext[m] * ker[(i - m) % (2 * n)] for m in range(2 * n)) for i in range(n)]
        )

    expected = np.array([symmetric_conv(r, h_rows) for r in x])
    expected = np.array([symmetric_conv(c, h_cols) for c in expected.T]).T
    y = layer(torch.from_numpy(x)[None, None])[0, 0]
    np.testing.assert_allclose(y.detach().numpy(), expected, atol=1e-10)


def test_authors_unnormalised_dct_is_the_same_layer_with_rescaled_thresholds():
    """The authors' layer (scipy's unnormalised DCT-II and its inverse) with thresholds T
    computes exactly our orthonormal layer with thresholds T / (s_k s_l), s the row scale
    from orthonormal to unnormalised coefficients: the function class is the same."""
    torch.manual_seed(3)
    n, c = 8, 3
    layer = TransformDomainLayer("dct", c, c, n, n, paths=2).double()
    x = _rand(2, c, n, n)
    u = torch.tensor(tr.dct_matrix(n, "backward"))
    u_inv = torch.tensor(tr.idct_matrix(n, "backward"))
    coeffs = u @ x @ u.T
    total = 0
    for i in range(2):
        mixed = torch.einsum("oc,bchw->bohw", layer.channel_mix[i], coeffs * layer.filters[i])
        total = total + soft_threshold(mixed, layer.soft_threshold.threshold[i])
    authors = u_inv @ total @ u_inv.T
    scale = torch.tensor(1.0 / matrices.dct_ortho_scale(n))
    with torch.no_grad():
        layer.soft_threshold.threshold.div_(torch.outer(scale, scale))
    torch.testing.assert_close(layer(x), authors, rtol=1e-10, atol=1e-10)


def test_multiplications_formula():
    # 1-path DCT layer, 16 channels at 32x32: transforms 2 x 16 x 2 x 32^3, A 16 x 32^2,
    # V 16^2 x 32^2.
    layer = TransformDomainLayer("dct", 16, 16, 32, 32)
    assert layer.multiplications() == 4 * 16 * 32**3 + 16 * 1024 + 256 * 1024
    ht = TransformDomainLayer("hadamard", 16, 8, 28, 28, paths=3, residual=False)
    assert ht.multiplications() == 3 * (16 * 1024 + 16 * 8 * 1024)


def test_layer_errors():
    with pytest.raises(ValueError, match="shortcut needs in_channels == out_channels"):
        TransformDomainLayer("dct", 3, 4, 8, 8, residual=True)
    with pytest.raises(ValueError, match="paths must be a positive integer"):
        TransformDomainLayer("dct", 3, 3, 8, 8, paths=0)
    with pytest.raises(ValueError, match="unknown transform 'wht'"):
        TransformDomainLayer("wht", 3, 3, 8, 8)
    with pytest.raises(
        ValueError, match=r"expects \(batch, 3, 8, 8\) input, got shape \(2, 4, 8, 8\)"
    ):
        TransformDomainLayer("dct", 3, 3, 8, 8)(torch.zeros(2, 4, 8, 8))
    with pytest.raises(ValueError, match="spatial size 8x8"):
        TransformDomainLayer("dct", 3, 3, 8, 8)(torch.zeros(2, 3, 8, 9))
