"""LST models: parameter counts and the forward pass against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lst.arch import LST_MODELS, get_arch, normalize
from lst.models import L2DST, LSTNet, build_model


@pytest.mark.parametrize(("name", "params"), [("lst1", 9474), ("lst2", 11098), ("reslst3", 12722)])
def test_parameter_counts(name, params):
    model = build_model(name)
    assert sum(p.numel() for p in model.parameters()) == params
    assert get_arch(name).params == params
    assert set(model.state_dict()) == set(get_arch(name).tensor_shapes())


def _np_l2dst(x, w1, b1, w2, b2):
    e = np.tanh(x @ w1.T + b1)  # every row through the shared map
    y = np.tanh(w2 @ e + b2[:, None])  # every column; b2[i] added along row i
    return e, y


def _weights(block):
    return [
        t.detach().double().numpy()
        for t in (block.row.weight, block.row.bias, block.col.weight, block.col.bias)
    ]


def test_l2dst_matches_numpy():
    torch.manual_seed(1)
    block = L2DST(28).double().eval()
    with torch.no_grad():
        for p in block.parameters():
            p.uniform_(-0.5, 0.5)  # non-zero biases too
    x = np.random.default_rng(2).uniform(-1, 1, (5, 28, 28))
    e_ref, y_ref = _np_l2dst(x, *_weights(block))
    with torch.no_grad():
        y = block(torch.from_numpy(x)).numpy()
        e2, y2 = block.get_embeddings(torch.from_numpy(x))
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(e2.numpy(), e_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(y2.numpy(), y_ref, rtol=0, atol=1e-12)


def test_row_and_column_maps_are_shared():
    """Rows are transformed independently by the same map (permuting rows permutes E)."""
    torch.manual_seed(3)
    block = L2DST(28).double().eval()
    x = torch.rand(1, 28, 28, dtype=torch.float64)
    perm = torch.randperm(28)
    with torch.no_grad():
        e, _ = block.get_embeddings(x)
        e_perm, _ = block.get_embeddings(x[:, perm])
    torch.testing.assert_close(e_perm, e[:, perm])


@pytest.mark.parametrize("name", list(LST_MODELS))
def test_model_matches_numpy(name):
    torch.manual_seed(4)
    model = build_model(name).double().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.empty_like(p).uniform_(-0.1, 0.1))
    x = np.random.default_rng(5).uniform(-1, 1, (3, 28, 28))
    blocks = [_weights(b) for b in model.blocks]
    h = x
    outs = []
    for w in blocks:
        h = _np_l2dst(h, *w)[1]
        outs.append(h)
    feat = outs[2] + outs[0] if get_arch(name).residual else outs[-1]
    logits = feat.reshape(3, -1) @ model.out.weight.detach().double().numpy().T
    logits += model.out.bias.detach().double().numpy()
    ref = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    with torch.no_grad():
        got = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-10)
    embeddings = model.get_embeddings(torch.from_numpy(x))
    assert len(embeddings) == len(blocks)
    np.testing.assert_allclose(embeddings[-1][1].detach().numpy(), outs[-1], atol=1e-12)


def test_normalize():
    p = np.array([0, 127, 128, 255], dtype=np.uint8)
    np.testing.assert_allclose(normalize(p), p / 127.5 - 1, atol=1e-7)
    assert normalize(p).dtype == np.float32
    with pytest.raises(TypeError, match="uint8"):
        normalize(p.astype(np.float32))


def test_glorot_initialisation():
    torch.manual_seed(0)
    model = build_model("lst1")
    w = model.blocks[0].row.weight
    bound = np.sqrt(6 / (28 + 28))
    w = w.detach()
    assert float(w.abs().max()) <= bound
    assert float(w.abs().max()) > 0.9 * bound
    assert float(model.blocks[0].row.bias.detach().abs().max()) == 0.0


def test_dropout_only_in_training():
    torch.manual_seed(0)
    model = LSTNet(get_arch("lst1"))
    x = torch.rand(4, 28, 28)
    model.eval()
    a, b = model(x), model(x)
    torch.testing.assert_close(a, b)
    model.train()
    assert not torch.equal(model(x), model(x))


def test_unknown_model():
    with pytest.raises(ValueError, match="unknown LST model 'lst9'"):
        get_arch("lst9")
