"""Transform-domain models: exact sizes, MACs, forward passes and the registry."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lst.registry import count_params, get_info, registry
from lst.transform import models as tdmodels
from lst.transform.layers import TransformDomainLayer

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# The paper's parameter counts (batch-norm affine parameters counted, running statistics not).
CIFAR_PARAMS = {
    "resnet20": 272_474,
    "resnet20-1c-dct": 151_514,
    "resnet20-2c-dct": 175_706,
    "resnet20-3c-dct": 199_898,
    "resnet20-4c-dct": 224_090,
    "resnet20-5c-dct": 248_282,
    "resnet20-all-dct": 51_034,
    "resnet20-plus-1c-dct": 276_826,
}
# The paper's MACs in millions (two decimals).
CIFAR_MACS = {
    "resnet20": 41.32,
    "resnet20-1c-dct": 30.79,
    "resnet20-3c-dct": 35.68,
    "resnet20-1c-ht": 22.53,
    "resnet20-3c-ht": 27.42,
}


def _on_meta(factory):
    with torch.device("meta"):
        return factory()


@pytest.mark.parametrize(("name", "params"), CIFAR_PARAMS.items())
def test_cifar_parameter_counts_equal_the_paper(name, params):
    assert count_params(get_info(name).build()) == params


@pytest.mark.parametrize("family", ("ht", "bwt"))
def test_other_families_have_the_same_cifar_sizes(family):
    # 32, 16 and 8 are powers of two: no padding, so the counts equal the DCT models'.
    for variant in ("1c", "3c", "all"):
        dct = count_params(get_info(f"resnet20-{variant}-dct").build())
        assert count_params(get_info(f"resnet20-{variant}-{family}").build()) == dct


@pytest.mark.parametrize(("name", "millions"), CIFAR_MACS.items())
def test_cifar_macs_round_to_the_paper(name, millions):
    macs = get_info(name).macs()
    assert round(macs / 1e6, 2) == millions


def test_cifar_mac_differences_are_the_layer_formula():
    # 1C vs baseline, per block: stage 1 (16 ch, 32x32), 2 (32 ch, 16x16), 3 (64 ch, 8x8).
    def conv(c, n):
        return 9 * c * c * n * n

    def layer(c, n, transform=True):
        return (4 * c * n**3 if transform else 0) + c * n * n + c * c * n * n

    stages = ((16, 32), (32, 16), (64, 8))
    saving = 3 * sum(conv(c, n) - layer(c, n) for c, n in stages)
    base = get_info("resnet20").macs()
    assert base - get_info("resnet20-1c-dct").macs() == saving
    hadamard_saving = 3 * sum(conv(c, n) - layer(c, n, transform=False) for c, n in stages)
    assert base - get_info("resnet20-1c-ht").macs() == hadamard_saving


def test_torchvision_parameter_counts():
    assert count_params(_on_meta(tdmodels.make_resnet18)) == 11_689_512
    assert count_params(_on_meta(tdmodels.make_resnet50)) == 25_557_032


@pytest.mark.parametrize(
    ("factory", "params"),
    (
        (lambda: tdmodels.make_resnet18("dct", 1), 6_135_612),  # paper: 6.14 M
        (lambda: tdmodels.make_resnet18("dct", 3), 7_561_572),  # paper: 7.56 M
        (lambda: tdmodels.make_resnet50("dct", 3), 22_615_382),  # paper: 22.62 M
    ),
)
def test_imagenet_variant_parameter_counts(factory, params):
    assert count_params(_on_meta(factory)) == params


def test_imagenet_structure_follows_torchvision():
    net = _on_meta(tdmodels.make_resnet50)
    names = {n for n, _ in net.named_parameters()}
    assert {
        "conv1.weight",
        "layer1.0.downsample.0.weight",
        "layer4.2.bn3.bias",
        "fc.weight",
    } <= names
    # Stride on the 3x3 convolution of the bottleneck (v1.5), not on the first 1x1.
    assert net.layer2[0].conv2.stride == (2, 2) and net.layer2[0].conv1.stride == (1, 1)
    dct = _on_meta(lambda: tdmodels.make_resnet50("dct", 3))
    replaced = [
        (s, i)
        for s, stage in enumerate((dct.layer1, dct.layer2, dct.layer3, dct.layer4))
        for i, block in enumerate(stage)
        if isinstance(block.conv2, TransformDomainLayer)
    ]
    assert replaced == [(0, 1), (1, 1), (1, 3), (2, 1), (2, 3), (2, 5), (3, 1)]
    sizes = [getattr(dct, f"layer{s + 1}")[i].conv2.height for s, i in replaced]
    assert sizes == [56, 28, 28, 14, 14, 14, 7]


@pytest.mark.parametrize("kind", ("dct", "hadamard", "bwt"))
def test_imagenet_variants_run_at_a_small_size(kind):
    torch.manual_seed(0)
    for factory in (tdmodels.make_resnet18, tdmodels.make_resnet50):
        net = factory(kind, 3, num_classes=7, image_size=64)
        net.eval()
        with torch.no_grad():
            assert net(torch.randn(2, 3, 64, 64)).shape == (2, 7)


@pytest.mark.parametrize(
    "name", ("resnet20", "resnet20-2c-dct", "resnet20-all-bwt", "resnet20-plus-1c-dct")
)
def test_cifar_forward_backward(name):
    torch.manual_seed(0)
    net = get_info(name).build()
    logits = net(torch.randn(4, 3, 32, 32))
    assert logits.shape == (4, 10)
    nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2, 3])).backward()
    layers = [m for m in net.modules() if isinstance(m, TransformDomainLayer)]
    assert bool(layers) == (name != "resnet20")
    for layer in layers:
        for pname, p in layer.named_parameters():
            assert p.grad is not None and p.grad.abs().sum() > 0, pname


def test_all_replaced_structure():
    net = get_info("resnet20-all-dct").build()
    first = net.layer2[0].conv1
    assert isinstance(first, nn.Sequential) and isinstance(first[0], nn.AvgPool2d)
    layer = first[1]
    assert (layer.in_channels, layer.out_channels, layer.height, layer.residual) == (
        16,
        32,
        16,
        False,
    )
    assert net.layer2[1].conv1.residual and net.stem[0].kernel_size == (3, 3)
    assert not any(
        isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3) for m in net.layer1.modules()
    )


def test_model_input_errors():
    with pytest.raises(ValueError, match=r"expected \(batch, 3, 32, 32\) images"):
        get_info("resnet20").build()(torch.zeros(1, 3, 28, 28))
    with pytest.raises(ValueError, match=r"expected \(batch, 28, 28\) images"):
        get_info("dct1").build()(torch.zeros(1, 32, 32))
    with pytest.raises(ValueError, match="resnet20 \\(cifar10\\) has no dropout.*lst cifar-train"):
        get_info("resnet20").build(dropout=0.1)


# ------------------------------------------------------------------ MNIST models


@pytest.mark.parametrize(
    ("name", "params", "size"), (("dct1", 9_419, 28), ("ht1", 12_299, 32), ("bwt1", 12_299, 32))
)
def test_mnist_models(name, params, size):
    torch.manual_seed(0)
    net = get_info(name).build(dropout=0.1)
    assert count_params(net) == params
    assert net.layer.residual and net.layer.paths == 1 and net.out.in_features == size * size
    x = torch.rand(5, 28, 28) * 2 - 1
    logp = net(x)
    assert logp.shape == (5, 10)
    torch.testing.assert_close(logp.exp().sum(1), torch.ones(5))
    logp.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_ht1_pads_with_the_background_value():
    net = get_info("ht1").build(dropout=0.0)
    with torch.no_grad():
        net.layer.filters.zero_()  # the layer is then its shortcut: features = padded image
        x = torch.rand(2, 28, 28)
        f = net.features(x)
    assert f.shape == (2, 32, 32)
    torch.testing.assert_close(f[:, :28, :28], x)
    assert (f[:, 28:, :] == -1).all() and (f[:, :, 28:] == -1).all()


def test_mnist_macs_are_matrix_products():
    assert get_info("dct1").macs() == 4 * 28**3 + 2 * 784 + 7840
    assert get_info("ht1").macs() == 2 * 1024 + 10240
    assert get_info("bwt1").macs() == 4 * 32**3 + 2 * 1024 + 10240


# ------------------------------------------------------------------ MAC counter and registry


def test_count_macs_conventions_on_a_small_network():
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 2),
    )
    conv = 8 * 8 * 4 * 27
    assert tdmodels.count_macs(net, (3, 8, 8), convention="core") == conv + 8
    paper = (conv + 256) + 2 * 256 + 256 + 256 + (8 + 2)
    assert tdmodels.count_macs(net, (3, 8, 8)) == paper
    assert net.training  # restored


def test_count_macs_refuses_unknown_modules():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))

        def forward(self, x):
            return x * self.w

    with pytest.raises(TypeError, match="no MAC counting rule for Scale"):
        tdmodels.count_macs(nn.Sequential(Scale()), (3,))


def test_every_model_is_registered_with_macs():
    reg = registry()
    expected = {"resnet20", "resnet18", "resnet50", "dct1", "ht1", "bwt1", *CIFAR_PARAMS}
    expected |= {f"resnet20-{p}c-{f}" for p in (1, 3) for f in ("ht", "bwt")}
    expected |= {f"resnet18-{p}c-{f}" for p in (1, 3) for f in ("dct", "ht", "bwt")}
    expected |= {f"resnet50-3c-{f}" for f in ("dct", "ht", "bwt")}
    assert expected <= set(reg)
    for name in expected:
        assert reg[name].macs is not None, name
    assert {reg[n].dataset for n in expected} == {"cifar10", "imagenet", "mnist"}


@pytest.mark.slow
def test_models_cli_lists_every_model(capsys):
    import json

    from lst.cli import main

    assert main(["models", "--json"]) == 0
    rows = {m["name"]: m for m in json.loads(capsys.readouterr().out)["models"]}
    assert rows["resnet20-1c-dct"]["params"] == 151_514
    assert round(rows["resnet20"]["macs"] / 1e6, 2) == 41.32
    assert rows["resnet50-3c-dct"]["params"] == 22_615_382


# ------------------------------------------------------------------ shipped checkpoints


@pytest.mark.parametrize("name", ("dct1", "ht1", "bwt1"))
def test_shipped_checkpoint_loads(name):
    from lst.arch import default_checkpoint
    from lst.evaluate import load_any_model

    path = default_checkpoint(name)
    assert path.is_file(), f"{path} is missing"
    net, meta, _ = load_any_model(name)
    assert meta["model"] == name and meta["checkpoint_rule"] == "last epoch"
    assert meta["epochs"] == 300 and meta["params"] == count_params(net)


@pytest.mark.full_data
@pytest.mark.parametrize("name", ("dct1", "ht1", "bwt1"))
def test_shipped_checkpoint_accuracy_matches_its_record(name, mnist):
    from lst.evaluate import evaluate_checkpoint

    r = evaluate_checkpoint(name, data_dir=mnist)
    assert r["n"] == 10_000
    assert r["accuracy"] == round(r["recorded_accuracy"], 4)  # exact, to the image
