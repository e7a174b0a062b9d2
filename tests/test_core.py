"""LSTCore in Amaranth's simulator: bit-exact against the golden model, per configuration.

The cocotb tests (test_sim_core.py) run the generated Verilog on Verilator and Icarus
with flow-control patterns; these run the Amaranth design itself, quickly.
"""

from __future__ import annotations

import numpy as np
import pytest
from amaranth import Signal
from hwsim import pixel_feeder, simulate
from qhelpers import random_tensors, sample_images

from hw.components.activation_buffers import ActivationBuffers
from hw.components.sequencer import Sequencer
from hw.core import LSTCore
from hw.plan.config import CoreConfig
from hw.plan.schedule import writeback_latency
from lst.arch import default_checkpoint, get_arch
from quant.contract import FixedConfig, logit_format
from quant.golden import GoldenModel
from quant.quantize import quantize_checkpoint, quantize_tensors


def run_core(cfg: CoreConfig, images: np.ndarray, qm):
    dut = LSTCore(cfg, qm)
    ppb = cfg.pixels_per_beat
    results = []

    feed = pixel_feeder(dut, images, ppb)

    async def collect(ctx):
        ctx.set(dut.result.ready, 1)
        for _ in images:
            await ctx.tick().until(dut.result.valid)
            r = ctx.get(dut.result.payload)
            results.append((r.cls, [r.logits[i] for i in range(10)]))

    simulate(dut, feed, collect)
    return results


@pytest.mark.parametrize(
    "cfg",
    [
        CoreConfig(lanes=4),
        CoreConfig(lanes=14, pixels_per_beat=4),
        CoreConfig(lanes=28),
        CoreConfig(lanes=56, pixels_per_beat=2),
        CoreConfig(lanes=7, format="q5.9"),
    ],
    ids=lambda c: c.name,
)
def test_bit_exact_against_golden(cfg):
    qm = quantize_checkpoint(default_checkpoint("lst1"), cfg.format)
    images = sample_images(seed=cfg.lanes, n=1)[[0, 1, 2, 4]]  # zeros, 255s, checker, noise
    ref = GoldenModel(qm)(images)
    got = run_core(cfg, images, qm)
    assert [g[1] for g in got] == ref.logits.tolist()
    assert [g[0] for g in got] == ref.classes.tolist()


def test_mnist_images_8_bit_format(mnist_test):
    """An 8-bit weight format through the same core (auto8 from the shipped weights)."""
    from lst.checkpoint import load_lst_checkpoint
    from quant.quantize import auto_format

    arch, tensors, _ = load_lst_checkpoint(default_checkpoint("lst1"))
    fmt = auto_format(8, tensors, arch).name
    cfg = CoreConfig(lanes=28, format=fmt)
    qm = quantize_checkpoint(default_checkpoint("lst1"), fmt)
    images = mnist_test.images[:3]
    ref = GoldenModel(qm)(images)
    got = run_core(cfg, images, qm)
    assert [g[1] for g in got] == ref.logits.tolist()


def extreme_tensors(model: str) -> dict:
    """Weights that saturate every activation: an all-255 image drives every block's
    output to +127/128 and an all-0 image to −127/128, so ResLST-3's residual sum
    reaches ±254/128; the output weights and biases at their format's limits push the
    logits close to the contract's bound."""
    out = {}
    for name, shape in get_arch(model).tensor_shapes().items():
        out[name] = np.full(shape, 0.5) if name.endswith("weight") else np.zeros(shape)
    wo = np.zeros((10, 784))
    wo[0], wo[1] = 16.0, -16.0  # saturate to the format's ends
    wo[2, ::2], wo[2, 1::2] = 16.0, -16.0
    wo[3:] = np.random.default_rng(3).normal(0, 4, (7, 784))
    out["out.weight"] = wo
    out["out.bias"] = np.array([100.0, -100.0] + [0.0] * 8)  # saturate too
    return out


MODEL_CASES = [
    CoreConfig(model="lst2", lanes=4, pixels_per_beat=2),
    pytest.param(CoreConfig(model="lst2", lanes=56), marks=pytest.mark.slow),
    CoreConfig(model="reslst3", lanes=7),
    CoreConfig(model="reslst3", lanes=56, pixels_per_beat=4),
    CoreConfig(model="reslst3", lanes=14, pixels_per_beat=7, format="q5.9"),  # 11-bit sums
]


@pytest.mark.parametrize("cfg", MODEL_CASES, ids=lambda c: getattr(c, "name", None))
def test_models_bit_exact_against_golden(cfg):
    """LST-2 and ResLST-3: random weights with stress images, back to back."""
    qm = quantize_tensors(
        get_arch(cfg.model),
        random_tensors(cfg.model, seed=cfg.lanes, scale=0.6),
        FixedConfig.parse(cfg.format),
    )
    images = sample_images(seed=cfg.lanes, n=1)[[1, 2, 4]]  # 255s, checkerboard, noise
    ref = GoldenModel(qm)(images)
    got = run_core(cfg, images, qm)
    assert [g[1] for g in got] == ref.logits.tolist()
    assert [g[0] for g in got] == ref.classes.tolist()


@pytest.mark.parametrize(
    "cfg",
    [
        CoreConfig(model="reslst3", lanes=14),
        CoreConfig(model="lst2", lanes=28),
    ],
    ids=lambda c: c.name,
)
def test_residual_sum_and_logits_at_their_extremes(cfg):
    qm = quantize_tensors(get_arch(cfg.model), extreme_tensors(cfg.model), FixedConfig())
    images = sample_images(n=0)[[1, 0, 2]]  # all 255, all 0, checkerboard
    ref = GoldenModel(qm)(images, intermediates=True)
    if cfg.residual:  # the test reaches what it claims
        assert ref.intermediates["features"][0].min() == 254
        assert ref.intermediates["features"][1].max() == -254
    bound = logit_format(qm.arch, qm.config).max_int
    # ResLST-3's logits use the top bit of the 30 their port carries (q16.14).
    assert np.abs(ref.logits).max() > bound // (2 if cfg.residual else 4)
    got = run_core(cfg, images, qm)
    assert [g[1] for g in got] == ref.logits.tolist()
    assert [g[0] for g in got] == ref.classes.tolist()


def test_packed_pairs_and_narrow_lanes_at_their_extremes():
    """Two lanes per DSP48E1 slice, with every weight at a q2.6 end (−128 or +127
    codes; an all-0 image gives −128 × −128, the largest product), saturated
    activations and ResLST-3's residual features, and lane accumulators narrower than
    the logits (24 of 26 bits at 56 lanes): bit-exact."""
    cfg = CoreConfig(model="reslst3", lanes=56, format="q2.6", packed_dsp=True, pixels_per_beat=2)
    tensors = extreme_tensors(cfg.model)
    for name in tensors:
        if name.startswith("blocks.") and name.endswith("weight"):
            tensors[name][:] = -2.0  # the most negative q2.6 weight: −128 × −128 products
    qm = quantize_tensors(get_arch(cfg.model), tensors, FixedConfig.parse("q2.6"))
    w = qm.ints["blocks.0.row.weight"]
    assert w.min() == w.max() == -128
    assert qm.ints["out.weight"].min() == -128 and qm.ints["out.weight"].max() == 127
    images = sample_images(n=0)[[1, 0, 2]]  # all 255, all 0, checkerboard
    ref = GoldenModel(qm)(images)
    got = run_core(cfg, images, qm)
    assert [g[1] for g in got] == ref.logits.tolist()


# ------------------------------------------------------------ many groups, fabric lanes

GROUP_CASES = [
    # 7 groups of 14 lanes, 80 DSP + 18 fabric lanes (the XC7Z010's default split).
    CoreConfig(lanes=98, pixels_per_beat=4),
    # 7 groups of 28 lanes: the output layer needs a gap after the last column pass.
    CoreConfig(lanes=196, pixels_per_beat=4, format="q2.6", device="xc7z020"),
    CoreConfig(model="reslst3", lanes=112, pixels_per_beat=4, device="xc7z020"),
    # Ragged groups (6 × 28: the last row and column rounds leave 2 groups idle) with
    # LST-2's block output X. (LST-1 at 140 lanes and q2.6 packed at 196: every test
    # image in CI, make verify-ci.)
    pytest.param(CoreConfig(model="lst2", lanes=168, pixels_per_beat=4), marks=pytest.mark.slow),
]


@pytest.mark.parametrize("cfg", GROUP_CASES, ids=lambda c: c.name)
def test_groups_and_fabric_lanes_bit_exact(cfg):
    qm = quantize_checkpoint(default_checkpoint(cfg.model), cfg.format)
    images = sample_images(seed=cfg.lanes, n=1)[[1, 2, 4]]
    ref = GoldenModel(qm)(images)
    got = run_core(cfg, images, qm)
    assert [g[1] for g in got] == ref.logits.tolist()


def test_without_its_gap_the_output_layer_reads_stale_values(monkeypatch):
    """The gap of hw.plan.schedule.pass_gaps is needed: without it, 196 lanes read Y too early."""
    cfg = CoreConfig(lanes=196, pixels_per_beat=4, device="xc7z020")
    assert cfg.pass_gaps["column_to_output"] > 0
    monkeypatch.setattr(
        CoreConfig, "pass_gaps", property(lambda self: dict.fromkeys(Sequencer.GAPS, 0))
    )
    qm = quantize_checkpoint(default_checkpoint("lst1"), cfg.format)
    images = sample_images(seed=5, n=1)[[2, 4]]
    ref = GoldenModel(qm)(images)
    assert [g[1] for g in run_core(cfg, images, qm)] != ref.logits.tolist()


def test_writeback_latency_is_what_the_gaps_assume():
    """hw.plan.schedule.writeback_latency: the first E write comes that many cycles after the
    row pass's first dot product's last op (the buffers register it for WRITE_LATENCY
    cycles after their ``e_written`` strobe)."""
    cfg = CoreConfig(lanes=28, pixels_per_beat=28)
    qm = quantize_checkpoint(default_checkpoint("lst1"), cfg.format)

    class Probe(LSTCore):
        def elaborate(self, platform):
            m = super().elaborate(platform)
            row, bufs = m.submodules.row, m.submodules.buffers
            m.d.comb += [
                self.last_op.eq(row.valid & row.last),
                self.e_write.eq(bufs.e_written),
            ]
            return m

    dut = Probe(cfg, qm)
    dut.last_op, dut.e_write = Signal(), Signal()
    seen = {}

    async def watch(ctx):
        for t in range(200):
            for name in ("last_op", "e_write"):
                if ctx.get(getattr(dut, name)):
                    seen.setdefault(name, t)
            await ctx.tick()

    simulate(dut, pixel_feeder(dut, sample_images(n=0)[[2]], 28), watch)
    latency = seen["e_write"] - seen["last_op"] + ActivationBuffers.WRITE_LATENCY
    assert latency == writeback_latency()
