"""``lst verify --diff``: faults injected through the load port are found where they enter.

Each test changes one value of a loadable core's load image (a row-pass weight, a
column-pass weight, a tanh table entry, an output-layer weight, a drain bias) while the
golden model keeps the checkpoint's values, runs an image through the probe build and
checks that :func:`sim.divergence.first_divergences` names the stage, block, row or
column and lane that the changed value feeds, worked out here from the load image's
layout (``hw/plan/load_image.py``), not from the decoder.
"""

from __future__ import annotations

import numpy as np
import pytest

from hw.plan.config import CoreConfig, N
from hw.plan.load_image import load_image, load_regions
from quant.golden import GoldenModel
from quant.quantize import quantize_checkpoint

pytestmark = pytest.mark.usefixtures("verilator")


@pytest.fixture(scope="module")
def verilator():
    from sim.runner import available

    ok, why = available("verilator")
    if not ok:
        pytest.skip(why)


_MODELS: dict = {}


def _setup(lanes: int, model: str):
    """The loadable configuration, its quantized model and its probe build (cached)."""
    from sim.rtl_model import RTLModel

    key = (lanes, model)
    if key not in _MODELS:
        cfg = CoreConfig(lanes=lanes, model=model, weights="loadable")
        qm = quantize_checkpoint(cfg.checkpoint_path(), cfg.format, model=model)
        _MODELS[key] = (cfg, qm, RTLModel(cfg, probes=True))
    return _MODELS[key]


def run_fault(lanes, model, images, region, offset, delta):
    """Change value ``offset`` of load-image ``region`` by ``delta``; return the first
    divergences and the golden model's intermediates."""
    from sim.divergence import first_divergences

    cfg, qm, rtl = _setup(lanes, model)
    words = load_image(cfg, qm).copy()
    base = 0
    for name, size in load_regions(cfg, qm).items():
        if name == region:
            break
        base += size
    value = int(np.int32(np.uint32(words[base + offset])))
    words[base + offset] = np.uint32((value + delta) & 0xFFFFFFFF)
    rtl.load(words)
    got = rtl(images, probe=True)
    golden = GoldenModel(qm)(images, intermediates=True)
    found = first_divergences(cfg, qm, rtl.manifest, rtl.probe_data, golden, got.logits)
    return found, golden, cfg, qm


def _narrow(golden, qm, stage, acc):
    st = {s.name: s for s in qm.stages()}[stage]
    t = (acc + (1 << (st.shift - 1))) >> st.shift
    return np.clip(t, qm.config.tanh_in.min_int, qm.config.tanh_in.max_int)


# (lanes, model, block of the row fault, block of the column fault)
CASES = [(28, "lst1", 0, 0), (28, "reslst3", 1, 2)]


@pytest.mark.parametrize(("lanes", "model", "rb", "cb"), CASES)
def test_row_weight_fault(mnist_test, lanes, model, rb, cb):
    """Weight word ``k`` of block ``rb``'s row pass, lane ``l``: ``W1[l, k]``, which every
    row's output column ``l`` uses."""
    images = mnist_test.images[:1]
    cfg = CoreConfig(lanes=lanes, model=model)
    k, lane = 10, 5
    found, golden, cfg, _qm = run_fault(
        lanes, model, images, "weights", (rb * cfg.block_words + k) * lanes + lane, 64
    )
    assert len(found) == 1, [d.describe() for d in found]
    d = found[0]
    x = (
        golden.intermediates["input"][0]
        if rb == 0
        else golden.intermediates[f"blocks.{rb - 1}.col"][0]
    )
    assert d.stage == f"blocks.{rb}.row.acc", d.describe()
    assert d.index[1] == lane and d.lane == lane, d.describe()
    assert d.actual - d.expected == 64 * x[d.index[0], k]
    assert d.differing == int((x[:, k] != 0).sum())


@pytest.mark.parametrize(("lanes", "model", "rb", "cb"), CASES)
def test_column_weight_fault(mnist_test, lanes, model, rb, cb):
    """Column-pass word ``k`` of block ``cb``, lane ``l``: ``W2[l, k]``, used for output
    row ``l`` of every column."""
    images = mnist_test.images[:1]
    cfg = CoreConfig(lanes=lanes, model=model)
    k, lane = 7, 12
    word = cb * cfg.block_words + cfg.out_groups * N + k
    found, golden, cfg, _qm = run_fault(lanes, model, images, "weights", word * lanes + lane, -32)
    assert len(found) == 1, [d.describe() for d in found]
    d = found[0]
    e = golden.intermediates[f"blocks.{cb}.row"][0]
    assert d.stage == f"blocks.{cb}.col.acc", d.describe()
    assert d.index[0] == lane and d.lane == lane, d.describe()
    assert d.actual - d.expected == -32 * e[k, d.index[1]]
    assert d.differing == int((e[k, :] != 0).sum())


@pytest.mark.parametrize(("lanes", "model"), [(28, "lst1"), (28, "reslst3")])
def test_tanh_table_fault(mnist_test, lanes, model):
    """One table entry: the first activation looked up there, in block 0's row pass."""
    images = mnist_test.images[:1]
    _, qm, _ = _setup(lanes, model)
    acc = GoldenModel(qm)(images, intermediates=True).intermediates["blocks.0.row.acc"][0]
    t = int(_narrow(None, qm, "blocks.0.row", acc)[3, 3])
    address = t & ((1 << qm.config.tanh_in.width) - 1)
    value = int(qm.config.tanh_table[t - qm.config.tanh_in.min_int])
    delta = -1 if value == qm.config.act.max_int else 1
    found, golden, cfg, qm = run_fault(lanes, model, images, "tanh", address, delta)
    d = found[0]
    narrowed = _narrow(golden, qm, "blocks.0.row", acc)
    assert d.stage == "blocks.0.row", d.describe()
    assert narrowed[d.index] == t and d.actual - d.expected == delta, d.describe()
    assert d.differing == int((narrowed == t).sum())
    assert d.lane == d.index[1] % cfg.group_lanes


@pytest.mark.parametrize(("lanes", "model"), [(28, "lst1"), (28, "reslst3")])
def test_output_weight_fault(mnist_test, lanes, model):
    """Output-layer word ``o``, lane ``l``: the lane sum of lane ``l`` in round ``o //
    depth`` (its class ``l mod 10``), for a tap whose feature is not zero."""
    images = mnist_test.images[:1]
    cfg, qm, _ = _setup(lanes, model)
    feats = GoldenModel(qm)(images, intermediates=True).intermediates["features"][0]
    lane = 13
    P, depth = cfg.partitions, cfg.partition_depth
    part = min(lane // 10, P - 1)  # the partition (Y bank) the lane reads
    for o in range(cfg.output_cycles):
        tap = (o % depth) * P + part  # t' = 28 j + i
        if tap < N * N and feats[tap % N, tap // N] != 0:
            break
    word = cfg.blocks * cfg.block_words + o
    found, _golden, cfg, qm = run_fault(lanes, model, images, "weights", word * lanes + lane, 3)
    d = found[0]
    assert d.stage == "out.lanes", d.describe()
    assert d.lane == lane and d.index == (o // depth, lane), d.describe()
    assert d.actual - d.expected == 3 * feats[tap % N, tap // N]
    assert d.note == f"class {lane % 10}"


def test_drain_bias_fault(mnist_test):
    """The row bias of output column ``j`` (drain ROM ``56·0 + j``): every row's column ``j``."""
    images = mnist_test.images[:1]
    found, _, _cfg, _ = run_fault(28, "lst1", images, "biases", 9, 1 << 10)
    d = found[0]
    assert (d.stage, d.index[1], d.lane, d.differing) == ("blocks.0.row.acc", 9, 9, N)
    assert d.actual - d.expected == 1 << 10


def test_no_fault_no_divergence(mnist_test):
    """The checkpoint's own load image: every stage of every image agrees."""
    from sim.divergence import first_divergences

    cfg, qm, rtl = _setup(28, "lst1")
    rtl.load(load_image(cfg, qm))
    images = mnist_test.images[:20]
    got = rtl(images, probe=True, gap=0.2, stall=0.3, seed=3)
    golden = GoldenModel(qm)(images, intermediates=True)
    assert first_divergences(cfg, qm, rtl.manifest, rtl.probe_data, golden, got.logits) == []


@pytest.mark.slow  # a 56-lane probe build
def test_second_lane_group_fault(mnist_test):
    """56 lanes, two groups: lane 33 is group 1's lane 5; it computes the odd rows."""
    images = mnist_test.images[:1]
    k, lane = 4, 33
    found, golden, _cfg, _ = run_fault(56, "lst1", images, "weights", k * 56 + lane, 16)
    d = found[0]
    x = golden.intermediates["input"][0]
    assert (d.stage, d.index[1], d.lane) == ("blocks.0.row.acc", 5, 33), d.describe()
    assert d.index[0] % 2 == 1
    assert d.differing == int((x[1::2, k] != 0).sum())


@pytest.mark.slow  # probe builds of multi-block models with several lane groups
@pytest.mark.parametrize(
    ("lanes", "model", "ppb"), [(56, "lst2", 1), (56, "reslst3", 1), (14, "lst2", 4)]
)
def test_every_stage_decodes(mnist_test, lanes, model, ppb):
    """Baked weights, X and R buffers, several groups: no divergence anywhere."""
    from sim.divergence import first_divergences
    from sim.rtl_model import RTLModel

    cfg = CoreConfig(lanes=lanes, model=model, pixels_per_beat=ppb)
    qm = quantize_checkpoint(cfg.checkpoint_path(), cfg.format, model=model)
    rtl = RTLModel(cfg, probes=True)
    images = mnist_test.images[:6]
    got = rtl(images, probe=True)
    golden = GoldenModel(qm)(images, intermediates=True)
    assert first_divergences(cfg, qm, rtl.manifest, rtl.probe_data, golden, got.logits) == []
