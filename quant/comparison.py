"""Float against fixed point on a labelled test set: the fields every accuracy report has."""

from __future__ import annotations

import numpy as np

from .quantize import sha256_file

__all__ = ["comparison", "percent"]


def percent(pred, labels) -> float:
    """Share of ``pred`` equal to ``labels``, in percent, to four decimals."""
    return round(100.0 * float(np.mean(pred == labels)), 4)


def comparison(fixed_pred, float_pred, labels, qm, path, meta) -> dict:
    """The fields every accuracy report shares: both accuracies, their agreement, the
    quantization counts and the checkpoint."""
    return {
        "float_accuracy": percent(float_pred, labels),
        "fixed_accuracy": percent(fixed_pred, labels),
        "n": len(labels),
        "agreement": percent(fixed_pred, float_pred),
        **qm.quantization_counts(),
        "checkpoint": str(path),
        "checkpoint_sha256": sha256_file(path),
        "recorded_float_accuracy": meta.get("test_accuracy"),
    }
