"""``sim/verify.py`` and ``lst verify`` (``make verify-full``) report every mismatch, and
``sim/rtl_model.py`` runs the Verilator-built core with the golden model's call signature.

The comparison is tested with stand-ins for the RTL model, behind the same call
signature: one exact, and ones wrong in a single logit of a single image. The real
RTL model runs a few stress images, with and without flow control.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
from qhelpers import sample_images

import sim.verify
from hw.plan.config import CoreConfig
from lst.cli import main
from lst.data import load_mnist
from quant.golden import GoldenModel, InferenceResult
from quant.quantize import quantize_checkpoint
from sim.rtl_model import RTLTiming

CONFIG = CoreConfig(lanes=28)


def fake_rtl(wrong_image: np.ndarray | None = None, *, cls: str = "other", delta: int = 1):
    """An RTL model stand-in: the golden model, except one logit of ``wrong_image``.

    ``cls="other"`` changes a logit that is not the largest (the class stays right);
    ``cls="winner"`` lowers the largest below the runner-up (the class changes too).
    """

    class FakeRTL:
        calls: ClassVar[list[int]] = []  # images per call

        def __init__(self, config, **_):
            self.golden = GoldenModel(quantize_checkpoint(config.checkpoint_path(), config.format))
            self.ii = config.initiation_interval
            self.timing = None

        def __call__(self, images, *, gap=0.0, stall=0.0, seed=1, max_cycles=None, probe=False):
            r = self.golden(images)
            logits, classes = r.logits.copy(), r.classes.copy()
            FakeRTL.calls.append(len(images))
            for n, img in enumerate(images):
                if wrong_image is None or not np.array_equal(img, wrong_image):
                    continue
                best = int(classes[n])
                if cls == "other":
                    logits[n, (best + 1) % 10] += delta
                else:
                    logits[n, best] = np.sort(logits[n])[-2] - 1
                    classes[n] = int(np.argmax(logits[n]))
            n = len(images)
            self.timing = RTLTiming(
                n * self.ii + 100,
                np.arange(n) * self.ii + 100 + self.ii,
                np.arange(n) * self.ii + 100,
            )
            return InferenceResult(classes, logits)

    return FakeRTL


@pytest.fixture
def data(fake_mnist):
    return fake_mnist, load_mnist("test", fake_mnist, limit=7).images


@pytest.fixture
def failures(monkeypatch):
    """The failure path without a simulator: which image it was asked to trace."""
    calls = []

    def trace_failure(config, qm, words, images, index, waves_dir, **flow):
        calls.append(index)
        return {
            "image": index,
            "trace": f"{waves_dir}/{config.name}-image{index}.fst",
            "gtkw": "",
            "reproduced": True,
            "divergence": {"text": f"image {index}: first divergence in logits"},
        }

    monkeypatch.setattr(sim.verify, "trace_failure", trace_failure)
    return calls


def test_exact_model_has_no_mismatches(monkeypatch, data, failures):
    data_dir, _ = data
    fake = fake_rtl()
    monkeypatch.setattr(sim.verify, "RTLModel", fake)
    r = sim.verify.verify(CONFIG, data_dir=data_dir, limit=7, chunk=3, progress=False)
    assert fake.calls == [3, 3, 1]
    assert r["n"] == 7 and r["mismatches"] == 0 and r["class_mismatches"] == 0
    assert r["first_mismatches"] == []
    assert r["rtl_accuracy"] == r["golden_accuracy"]
    assert r["initiation_interval_cycles"] == [CONFIG.initiation_interval]
    assert failures == [] and r["failure"] is None


@pytest.mark.parametrize("index", [0, 4, 6])  # first chunk, a later chunk, the last image
@pytest.mark.parametrize("cls", ["other", "winner"])
def test_one_wrong_logit_is_a_mismatch(monkeypatch, data, failures, index, cls):
    data_dir, images = data
    monkeypatch.setattr(sim.verify, "RTLModel", fake_rtl(images[index], cls=cls))
    r = sim.verify.verify(CONFIG, data_dir=data_dir, limit=7, chunk=3, progress=False)
    assert r["mismatches"] == 1
    assert r["first_mismatches"] == [index]
    assert r["class_mismatches"] == (1 if cls == "winner" else 0)
    assert failures == [index] and r["failure"]["image"] == index


@pytest.mark.parametrize("delta", [1, -1, 1 << 20])
def test_cli_exit_code(monkeypatch, capsys, data, failures, delta):
    """``lst verify`` exits 2 with one line naming the image; 0 when all agree."""
    data_dir, images = data
    args = ["verify", "--limit", "7", "--data-dir", str(data_dir)]
    monkeypatch.setattr(sim.verify, "RTLModel", fake_rtl())
    assert main(args) == 0
    capsys.readouterr()
    monkeypatch.setattr(sim.verify, "RTLModel", fake_rtl(images[5], delta=delta))
    assert main(args) == 2
    err = [s for s in capsys.readouterr().err.splitlines() if s.strip()]
    errors = [s for s in err if s.startswith("lst: error:")]
    assert len(errors) == 1 and err[-1] == errors[0], err  # one error line, the last
    assert "1 " in errors[0] and "[5]" in errors[0], errors
    assert "image 5 alone: trace build/waves/lst1_l28_p1_q5_7-image5.fst" in errors[0]


@pytest.mark.slow  # a Verilator build of the harness (1-2 minutes); CI also runs verify-full
def test_rtl_model_matches_golden():
    """The Verilator harness on stress images (extremes, noise), full rate and with idle
    input and refused output cycles; intervals measured at the ports."""
    from sim.rtl_model import RTLModel
    from sim.runner import available
    from sim.verify import mismatch_report

    ok, why = available("verilator")
    if not ok:
        pytest.skip(why)
    images = sample_images(seed=21, n=2)
    qm = quantize_checkpoint(CONFIG.checkpoint_path(), CONFIG.format)
    want = GoldenModel(qm)(images)
    rtl = RTLModel(CONFIG)
    got = rtl(images)
    assert got.logits.tolist() == want.logits.tolist(), mismatch_report(
        CONFIG, qm, images, got.logits
    )
    assert got.classes.tolist() == want.classes.tolist()
    assert set(rtl.timing.intervals.tolist()) == {CONFIG.initiation_interval}
    got = rtl(images[::-1], gap=0.3, stall=0.6, seed=5)
    assert got.logits.tolist() == want.logits[::-1].tolist()


def test_failure_traces_the_first_mismatching_image(monkeypatch, tmp_path, mnist, capsys):
    """A weight changed through the load port (``W1[5, 10]`` of the 28-lane core): ``lst
    verify`` re-runs the first mismatching image alone with tracing and names, in its one
    error line, the trace and the stage, column and lane where the fault enters."""
    import hw.plan.load_image
    from sim.runner import available

    ok, why = available("verilator")
    if not ok:
        pytest.skip(why)
    correct = hw.plan.load_image.load_image

    def faulty(config, qm):
        words = correct(config, qm).copy()
        words[10 * config.lanes + 5] = np.uint32(
            (int(np.int32(words[10 * config.lanes + 5])) + 64) & 0xFFFFFFFF
        )
        return words

    monkeypatch.setattr(hw.plan.load_image, "load_image", faulty)
    args = ["verify", "--weights", "loadable", "--limit", "3", "--data-dir", str(mnist)]
    assert main([*args, "--waves-dir", str(tmp_path)]) == 2
    cap = capsys.readouterr()
    err = [s for s in cap.err.splitlines() if s.startswith("lst: error:")]
    assert len(err) == 1
    name = CoreConfig(lanes=28, weights="loadable").name
    trace = tmp_path / f"{name}-image0.fst"
    assert f"image 0 alone: trace {trace}" in err[0], err
    assert "first divergence in blocks.0.row.acc" in err[0], err
    assert "column 5, lane 5" in err[0], err
    assert trace.stat().st_size > 0 and (tmp_path / f"{name}-image0.fst.gtkw").exists()
    assert not list(tmp_path.glob(".*part*"))


def test_diff_names_the_fault_on_the_command_line(monkeypatch, tmp_path, mnist, capsys):
    """``lst verify --diff`` with one tanh table entry changed: the stage-by-stage line on
    stdout, the first divergence (a stage after tanh, never an accumulator) in the one
    error line."""
    import re

    import hw.plan.load_image
    from sim.runner import available

    ok, why = available("verilator")
    if not ok:
        pytest.skip(why)
    correct = hw.plan.load_image.load_image

    def faulty(config, qm):  # the tanh table's entry for input 0: used by every image
        words = correct(config, qm).copy()
        entry = len(words) - len(qm.config.tanh_table)  # address 0 = input code 0
        words[entry] = np.uint32((int(np.int32(words[entry])) + 1) & 0xFFFFFFFF)
        return words

    monkeypatch.setattr(hw.plan.load_image, "load_image", faulty)
    args = ["verify", "--weights", "loadable", "--limit", "2", "--data-dir", str(mnist), "--diff"]
    after_tanh = (
        r"first divergence in blocks\.\d\.(row|col) \(block \d, (row|column) pass after tanh\)"
    )
    assert main([*args, "--waves-dir", str(tmp_path)]) == 2
    cap = capsys.readouterr()
    err = [s for s in cap.err.splitlines() if s.startswith("lst: error:")]
    assert len(err) == 1 and re.search(after_tanh, err[0]), err
    line = next(s for s in cap.out.splitlines() if s.startswith("stage by stage:"))
    assert re.match(r"stage by stage: [12] of 2 image\(s\) diverge; first: image 0: ", line)
    assert re.search(after_tanh, line), line


def test_mismatch_report_names_the_trace(monkeypatch, tmp_path, mnist_test):
    """What a bit-exact test prints when it fails: the differing images, the first one's
    trace and first divergence (here: the core's logits with one value changed)."""
    from sim.runner import available
    from sim.verify import mismatch_report

    ok, why = available("verilator")
    if not ok:
        pytest.skip(why)
    qm = quantize_checkpoint(CONFIG.checkpoint_path(), CONFIG.format)
    images = mnist_test.images[:3]
    logits = GoldenModel(qm)(images).logits
    assert mismatch_report(CONFIG, qm, images, logits) == "the logits agree with the golden model"
    logits[1, 4] += 1  # the RTL itself agrees: alone, image 1 matches
    text = mismatch_report(CONFIG, qm, images, logits, waves_dir=tmp_path)
    trace = tmp_path / f"{CONFIG.name}-image1.fst"
    assert (
        text
        == f"images [1] differ; image 1 alone: trace {trace}; alone it matches the golden model"
    )
    assert trace.exists()


def test_diff_without_the_golden_models_data(tmp_path, capsys):
    """``--diff`` needs the test images the golden model runs on: without them one line,
    exit 2, nothing built or written."""
    assert main(["verify", "--diff", "--limit", "2", "--data-dir", str(tmp_path / "none")]) == 2
    err = [s for s in capsys.readouterr().err.splitlines() if s.strip()]
    assert len(err) == 1 and err[0].startswith("lst: error: MNIST not found in"), err
    assert not (tmp_path / "none").exists()
