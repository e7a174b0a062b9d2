"""Full regression: every MNIST test image through the RTL, compared with the golden model."""

from __future__ import annotations

import sys
import time

import numpy as np

from hw.plan.config import CoreConfig
from lst.data import load_mnist
from quant.golden import GoldenModel
from quant.quantize import quantize_checkpoint

from .rtl_model import RTLModel

__all__ = ["verify"]


def verify(
    config: CoreConfig,
    *,
    data_dir=None,
    limit=None,
    gap=0.0,
    stall=0.0,
    seed=1,
    chunk=2000,
    progress=True,
    load=None,
    qmodel=None,
) -> dict:
    """Stream the test set through the Verilator-built core; compare with the golden model.

    Returns counts of images whose logits differ anywhere (``mismatches``) and whose
    class differs, both accuracies, and the cycle counts measured at the ports.

    With ``config.weights == "loadable"`` every run first writes a model through the
    core's load port: ``load`` (a checkpoint, quantized to ``config.format``, or an
    ``lst quantize`` directory), else the configuration's checkpoint; the golden model is
    that model's, and the port's CRC-32 must equal its digest. ``qmodel``: the
    configuration's quantized model when the caller has it (``lst verify`` passes
    :func:`hw.request.prepare`'s), else quantized here.
    """
    from tqdm import tqdm

    test = load_mnist("test", data_dir, limit=limit)
    qm = qmodel
    if qm is None:
        qm = quantize_checkpoint(config.checkpoint_path(), config.format, model=config.model)
    loadable = config.weights == "loadable"
    if loadable and load is not None:
        from pathlib import Path

        from quant.quantize import QuantizedLST

        path = Path(load)
        if path.is_dir():
            qm = QuantizedLST.load_npz(path / "model.npz")
        else:
            qm = quantize_checkpoint(path, config.format, model=config.model)
    elif load is not None:
        from lst.errors import ConfigError

        raise ConfigError(f"--load {load}: the core's weights are baked; add --weights loadable")
    t0 = time.time()
    golden = GoldenModel(qm)(test.images)
    t_golden = time.time() - t0
    t0 = time.time()
    rtl = RTLModel(config)
    if loadable:
        from hw.plan.load_image import load_image, words_crc

        words = load_image(config, qm)
        rtl.load(words)
    t_build = time.time() - t0
    t0 = time.time()
    logits, classes, intervals, latency = [], [], [], None
    bar = tqdm(
        total=len(test),
        desc=f"RTL {config.name}",
        unit="img",
        file=sys.stderr,
        disable=not progress,
    )
    for start in range(0, len(test), chunk):
        r = rtl(test.images[start : start + chunk], gap=gap, stall=stall, seed=seed + start)
        logits.append(r.logits)
        classes.append(r.classes)
        intervals.append(rtl.timing.intervals)
        latency = rtl.timing.latency if latency is None else latency
        bar.update(len(r.classes))
    bar.close()
    t_rtl = time.time() - t0
    logits = np.concatenate(logits)
    classes = np.concatenate(classes)
    intervals = np.concatenate(intervals)
    bad = np.flatnonzero((logits != golden.logits).any(axis=1))
    load_info = None
    if loadable:
        rep = rtl.load_report
        load_info = {
            "source": str(load or config.checkpoint),
            "words": len(words),
            "cycles": rep["load_cycles"],
            "crc32": f"0x{words_crc(words):08X}",
            "hardware_crc32": f"0x{rep['load_crc']:08X}",
        }
        if rep["load_crc"] != words_crc(words) or rep["load_count"] != len(words):
            raise RuntimeError(f"the load port's CRC or count differs: {load_info}")
    return {
        "config": {
            "lanes": config.lanes,
            "pixels_per_beat": config.pixels_per_beat,
            "format": config.format,
            "checkpoint": config.checkpoint,
            "weights": config.weights,
            "model": config.model,
            "dsp_lanes": config.dsp_lanes,
            "fabric_lanes": config.fabric_lanes,
        },
        "load": load_info,
        "n": len(test),
        "mismatches": len(bad),
        "first_mismatches": bad[:10].tolist(),
        "class_mismatches": int((classes != golden.classes).sum()),
        "rtl_accuracy": round(100.0 * float(np.mean(classes == test.labels)), 4),
        "golden_accuracy": round(100.0 * float(np.mean(golden.classes == test.labels)), 4),
        "flow_control": {"gap": gap, "stall": stall, "seed": seed},
        "latency_cycles": latency,
        "initiation_interval_cycles": sorted(set(intervals.tolist()))
        if gap == stall == 0
        else None,
        "seconds": {
            "golden": round(t_golden, 2),
            "build": round(t_build, 1),
            "rtl": round(t_rtl, 1),
        },
    }
