"""Full regression: every MNIST test image through the RTL, compared with the golden model."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from hw.plan.config import CoreConfig
from lst.data import load_mnist
from lst.errors import ConfigError
from quant.golden import GoldenModel
from quant.quantize import quantize_checkpoint

from .divergence import first_divergences
from .rtl_model import RTLModel
from .runner import golden_model, quantized
from .waves import check_waves_request, fst_available, write_gtkw

__all__ = ["DIFF_CHUNK", "TRACE_IMAGES", "mismatch_report", "trace_failure", "verify"]

#: ``--waves`` traces at most this many images (a 28-lane image is about 1.3 MB of FST).
TRACE_IMAGES = 100
#: Images per harness run with ``--diff`` (the probe records of 500 images: about 60 MB).
DIFF_CHUNK = 500


def _model(config: CoreConfig, words, **kwargs) -> RTLModel:
    model = RTLModel(config, **kwargs)
    if words is not None:
        model.load(words)
    return model


def _traced_run(model: RTLModel, config, images, path: Path, **kwargs):
    """Run ``images`` on a trace build with the trace going to ``path``: written under a
    temporary name and renamed when the run ends (nothing half-written), with its GTKWave
    save file. Returns ``(result, save file)``."""
    tmp = path.with_name(f".{path.name}.part{path.suffix}")
    try:
        r = model(images, trace_file=tmp, **kwargs)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
    return r, write_gtkw(path, config, model.manifest)


def mismatch_report(
    config: CoreConfig, qm, images, logits, *, words=None, waves_dir="build/waves"
) -> str:
    """For a bit-exact test's failure message: which images differ from the golden model,
    and the first one's trace and first divergence (:func:`trace_failure`). Costs nothing
    unless called, i.e. unless the assertion fails."""
    want = GoldenModel(qm)(images).logits
    bad = np.flatnonzero((np.asarray(logits) != want).any(axis=1))
    if not len(bad):
        return "the logits agree with the golden model"
    f = trace_failure(config, qm, words, images, int(bad[0]), waves_dir)
    div = f["divergence"]["text"] if f["divergence"] else "alone it matches the golden model"
    return f"images {bad[:10].tolist()} differ; image {f['image']} alone: trace {f['trace']}; {div}"


def trace_failure(
    config: CoreConfig, qm, words, images, index: int, waves_dir, *, gap=0.0, stall=0.0, seed=1
) -> dict:
    """Run image ``index`` alone on the trace build (FST, else VCD where the FST writer
    cannot be built) with the same flow control; return where its trace went and its
    first divergence (``None`` when the image alone matches the golden model)."""
    waves_dir = Path(waves_dir)
    waves_dir.mkdir(parents=True, exist_ok=True)
    fmt = "fst" if fst_available()[0] else "vcd"
    model = _model(config, words, trace=fmt)
    path = waves_dir / f"{config.name}-image{index}.{fmt}"
    one = images[index : index + 1]
    r, gtkw = _traced_run(model, config, one, path, gap=gap, stall=stall, seed=seed, probe=True)
    g = GoldenModel(qm)(one, intermediates=True)
    found = first_divergences(
        config, qm, model.manifest, model.probe_data, g, r.logits, offset=index
    )
    return {
        "image": index,
        "trace": str(path),
        "gtkw": str(gtkw),
        "reproduced": bool((r.logits != g.logits).any()),
        "divergence": found[0].to_dict() if found else None,
    }


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
    diff=False,
    waves=None,
    trace_images=TRACE_IMAGES,
    waves_dir="build/waves",
    on_failure=True,
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

    Debugging (``docs/debugging.md``): ``diff`` runs the probe build and compares every
    stage of every image with the golden model's intermediates (:mod:`sim.divergence`);
    ``waves`` (a ``.fst`` or ``.vcd`` path) writes a trace of the first ``trace_images``
    images, with a GTKWave save file beside it. ``on_failure``: when an image's result
    differs, the first such image runs again alone on the trace build, its trace goes to
    ``waves_dir`` and its first divergence is reported (``failure``).
    """
    from tqdm import tqdm

    from hw.plan.transform_config import TransformCoreConfig

    transform = isinstance(config, TransformCoreConfig)
    if transform and (diff or waves is not None):
        raise ConfigError(
            f"--diff and --waves use the LST cores' probe ports; the {config.model} core has none"
        )
    fmt = None
    if waves is not None:
        try:
            waves, fmt = check_waves_request(waves)
        except ValueError as e:
            raise ConfigError(f"--waves {e}") from None
    test = load_mnist("test", data_dir, limit=limit)
    qm = qmodel if qmodel is not None else quantized(config)
    loadable = config.weights == "loadable"
    if loadable and load is not None:
        from quant.quantize import QuantizedLST

        path = Path(load)
        if path.is_dir():
            qm = QuantizedLST.load_npz(path / "model.npz")
        else:
            qm = quantize_checkpoint(path, config.format, model=config.model)
    elif load is not None:
        raise ConfigError(f"--load {load}: the core's weights are baked; add --weights loadable")
    t0 = time.time()
    golden = golden_model(qm)(test.images)
    t_golden = time.time() - t0
    t0 = time.time()
    words = None
    if loadable:
        from hw.plan.load_image import load_image, words_crc

        words = load_image(config, qm)
    rtl = _model(config, words, probes=diff)
    traced = None
    if fmt:
        try:
            traced = _model(config, words, trace=fmt)
        except RuntimeError as e:
            raise ConfigError(f"--waves {waves}: {e}") from None
    t_build = time.time() - t0
    if diff:
        chunk = min(chunk, DIFF_CHUNK)
    divergences, diverging = [], 0
    t0 = time.time()
    logits, classes, intervals, latency = [], [], [], None
    bar = tqdm(
        total=len(test),
        desc=f"RTL {config.name}",
        unit="img",
        file=sys.stderr,
        disable=not progress,
    )
    trace_info = None
    for start in range(0, len(test), chunk):
        images = test.images[start : start + chunk]
        flow = {"gap": gap, "stall": stall, "seed": seed + start, "probe": diff}
        model = traced if traced is not None and start == 0 else rtl
        if model is traced:
            traced_n = min(trace_images, len(images))
            r, gtkw = _traced_run(model, config, images, waves, trace_images=traced_n, **flow)
            trace_info = {"file": str(waves), "images": traced_n, "gtkw": str(gtkw)}
        else:
            r = model(images, **flow)
        if diff:
            g = GoldenModel(qm)(images, intermediates=True)
            found = first_divergences(
                config, qm, model.manifest, model.probe_data, g, r.logits, offset=start
            )
            diverging += len(found)
            divergences += found[: max(0, 10 - len(divergences))]
        logits.append(r.logits)
        classes.append(r.classes)
        intervals.append(model.timing.intervals)
        latency = model.timing.latency if latency is None else latency
        bar.update(len(r.classes))
    bar.close()
    t_rtl = time.time() - t0
    logits = np.concatenate(logits)
    classes = np.concatenate(classes)
    intervals = np.concatenate(intervals)
    bad = np.flatnonzero((logits != golden.logits).any(axis=1))
    failure = None
    if len(bad) and on_failure and not transform:
        failure = trace_failure(
            config, qm, words, test.images, int(bad[0]), waves_dir, gap=gap, stall=stall, seed=seed
        )
    load_info = None
    if loadable:
        rep = rtl.load_report or traced.load_report  # one chunk: only the traced run
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
            "dsp_lanes": getattr(config, "dsp_lanes", None),
            "packed_dsp": getattr(config, "packed_dsp", False),
            "fabric_lanes": getattr(config, "fabric_lanes", 0),
        },
        "load": load_info,
        "n": len(test),
        "mismatches": len(bad),
        "first_mismatches": bad[:10].tolist(),
        "class_mismatches": int((classes != golden.classes).sum()),
        "rtl_accuracy": round(100.0 * float(np.mean(classes == test.labels)), 4),
        "golden_accuracy": round(100.0 * float(np.mean(golden.classes == test.labels)), 4),
        "flow_control": {"gap": gap, "stall": stall, "seed": seed},
        "diff": {
            "images": len(test),
            "diverging_images": diverging,
            "first": [d.to_dict() for d in divergences],
        }
        if diff
        else None,
        "trace": trace_info,
        "failure": failure,
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
