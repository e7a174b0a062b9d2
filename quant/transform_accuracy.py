"""Float against fixed-point accuracy of the transform-domain models (HT-1, DCT-1,
BWT-1) on the MNIST test set: ``lst accuracy --model ht1`` and their sweep rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lst.arch import default_checkpoint
from lst.data import load_mnist
from lst.transform.arch import load_transform_checkpoint

from .comparison import comparison
from .comparison import percent as _pct
from .quantize import INPUT_FOLD
from .transform_golden import TransformGoldenModel, transform_float_forward
from .transform_quantize import input_constant, quantize_transform, transform_config

__all__ = ["transform_accuracy_report", "transform_sweep_row"]


def transform_accuracy_report(
    model: str,
    checkpoint=None,
    fmt: str = "q5.7",
    *,
    data_dir=None,
    limit=None,
    data_frac: int | None = None,
    allow_saturation: bool = True,
) -> dict:
    """The report of :func:`quant.accuracy.accuracy_report` for a transform-domain model,
    with the coefficient format and the largest coefficient error against float."""
    path = Path(checkpoint) if checkpoint else default_checkpoint(model)
    arch, tensors, meta = load_transform_checkpoint(path, model)
    config = transform_config(fmt, arch, tensors, data_frac)
    qm = quantize_transform(arch, tensors, config, source={"path": str(path)})
    if not allow_saturation:
        qm.check_saturation()
    test = load_mnist("test", data_dir, limit=limit)
    fixed = TransformGoldenModel(qm)(test.images, intermediates=True)
    logits, inter = transform_float_forward(arch, tensors, test.images)
    float_pred = np.argmax(logits, axis=1)
    # The hardware's c is the float coefficients without the folded constant, over s.
    fmts = qm.formats
    want = (inter["coefficients"] - input_constant(arch)) / INPUT_FOLD
    coeff_err = float(np.abs(fmts.c.to_float(fixed.intermediates["col"]) - want).max())
    return {
        "model": arch.name,
        "format": config.weight.name,
        "act_format": fmts.c.name,
        "data_frac": config.data_frac,
        "matrix_format": fmts.matrix.name,
        "max_coefficient_error": round(coeff_err, 6),
        **comparison(fixed.classes, float_pred, test.labels, qm, path, meta),
    }


def transform_sweep_row(model: str, width: int, test, float_cache: dict) -> dict:
    """One row of the width sweep: the ``width``-bit format with the fewest integer bits
    that holds the learned values, data with as many fractional bits."""
    arch, tensors, _ = load_transform_checkpoint(default_checkpoint(model), model)
    if model not in float_cache:
        logits, _ = transform_float_forward(arch, tensors, test.images)
        float_cache[model] = _pct(np.argmax(logits, axis=1), test.labels)
    config = transform_config(f"auto{width}", arch, tensors)
    qm = quantize_transform(arch, tensors, config)
    fixed = _pct(TransformGoldenModel(qm)(test.images).classes, test.labels)
    return {
        "model": model,
        "width": width,
        "format": config.weight.name,
        "act_format": qm.formats.c.name,
        "float_accuracy": float_cache[model],
        "fixed_accuracy": fixed,
        "delta_pp": round(fixed - float_cache[model], 4),
        "saturated": qm.total_saturated,
    }
