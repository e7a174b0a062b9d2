"""Float vs fixed-point accuracy on the MNIST test set, and the width sweep."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from lst.arch import LST_MODELS, default_checkpoint
from lst.checkpoint import load_lst_checkpoint
from lst.cliutil import dumps
from lst.data import load_mnist
from lst.errors import ConfigError
from lst.outputs import check_files, write_files
from lst.transform.arch import TRANSFORM_MODELS, is_transform_model

from .comparison import comparison
from .comparison import percent as _pct
from .contract import FixedConfig
from .fixed import FixedFormat
from .golden import GoldenModel
from .quantize import auto_format, auto_width, quantize_tensors
from .reference import float_forward

__all__ = ["accuracy_report", "narrowest_within", "sweep"]

#: Fixed-point accuracy may fall at most this far below float (percentage points).
TOLERANCE_PP = 0.05


def accuracy_report(
    model: str,
    checkpoint=None,
    fmt: str = "q5.7",
    *,
    data_dir=None,
    limit=None,
    act_frac: int | None = None,
    tanh_frac: int | None = None,
    activation: str = "tanh",
    allow_saturation: bool = True,
    data_frac: int | None = None,
) -> dict:
    """``{"model", "format", "float_accuracy", "fixed_accuracy", "n", ...}`` on the test set.

    ``fmt`` is a weight format (``q5.7``) or ``autoN`` (see :func:`quant.quantize.auto_format`).
    The float side is the float64 NumPy reference on the checkpoint's weights. Unless
    ``allow_saturation``, a weight or bias that saturates raises
    :class:`~quant.quantize.QuantizationError`. The transform-domain models (``ht1``,
    ``dct1``, ``bwt1``) go to :func:`quant.transform_accuracy.transform_accuracy_report`
    (``data_frac`` applies only to them, the tanh options only to LST).
    """
    if is_transform_model(model):
        from .transform_accuracy import transform_accuracy_report

        if act_frac is not None or tanh_frac is not None or activation != "tanh":
            raise ConfigError(
                f"{model} has no tanh: --act-frac, --tanh-frac and --activation "
                "apply to the LST models only"
            )
        return transform_accuracy_report(
            model,
            checkpoint,
            fmt,
            data_dir=data_dir,
            limit=limit,
            data_frac=data_frac,
            allow_saturation=allow_saturation,
        )
    if data_frac is not None:
        raise ConfigError("--data-frac applies to the transform-domain models only")
    path = Path(checkpoint) if checkpoint else default_checkpoint(model)
    arch, tensors, meta = load_lst_checkpoint(path, model)
    if (width := auto_width(fmt)) is not None:
        weight = auto_format(width, tensors, arch)
    else:
        weight = FixedFormat.parse(fmt)
    config = FixedConfig(weight, act_frac, tanh_frac, activation)
    qm = quantize_tensors(arch, tensors, config, source={"path": str(path)})
    if not allow_saturation:
        qm.check_saturation()
    test = load_mnist("test", data_dir, limit=limit)
    fixed = GoldenModel(qm)(test.images, intermediates=True)
    logits, inter = float_forward(arch, tensors, test.images)
    float_pred = np.argmax(logits, axis=1)
    act_err = max(
        float(np.abs(config.act.to_float(fixed.intermediates[k]) - inter[k]).max())
        for k in inter
        if k.endswith((".row", ".col"))
    )
    return {
        "model": arch.name,
        "format": config.weight.name,
        "act_format": config.act.name,
        "tanh_in_format": config.tanh_in.name,
        "activation": activation,
        "max_activation_error": round(act_err, 6),
        **comparison(fixed.classes, float_pred, test.labels, qm, path, meta),
    }


def narrowest_within(rows: list[dict], tol: float = TOLERANCE_PP) -> dict | None:
    """The narrowest swept width from which every wider width stays within ``tol`` of float."""
    ok = None
    for row in sorted(rows, key=lambda r: -r["width"]):
        if row["fixed_accuracy"] >= row["float_accuracy"] - tol - 1e-9:
            ok = row
        else:
            break
    return ok


def sweep(
    models=(*LST_MODELS, *TRANSFORM_MODELS),
    widths=range(6, 17),
    *,
    data_dir=None,
    out_dir=None,
    progress=True,
    force=False,
) -> dict:
    """Fixed-point accuracy against weight width for each model; table + PNG in ``out_dir``.

    At each width the weight format has the fewest integer bits that hold the model's
    weights (chosen from the weights, not from accuracy), and activations keep as many
    fractional bits as the weights (``q1.f``); for the transform-domain models the
    coefficients and the data after them do.
    """
    from tqdm import tqdm

    if out_dir:
        check_files(sweep_files(Path(out_dir)).values(), kind="accuracy-sweep", force=force)
    test = load_mnist("test", data_dir)
    rows = []
    summary = {}
    jobs = [(m, w) for m in models for w in widths]
    bar = tqdm(jobs, desc="sweep", unit="format", file=sys.stderr, disable=not progress)
    float_cache = {}
    for model, width in bar:
        if is_transform_model(model):
            from .transform_accuracy import transform_sweep_row

            rows.append(transform_sweep_row(model, width, test, float_cache))
            continue
        arch, tensors, _ = load_lst_checkpoint(default_checkpoint(model), model)
        if model not in float_cache:
            logits, _ = float_forward(arch, tensors, test.images)
            float_cache[model] = _pct(np.argmax(logits, axis=1), test.labels)
        config = FixedConfig(weight=auto_format(width, tensors, arch))
        qm = quantize_tensors(arch, tensors, config)
        fixed = GoldenModel(qm)(test.images)
        rows.append(
            {
                "model": model,
                "width": width,
                "format": config.weight.name,
                "act_format": config.act.name,
                "float_accuracy": float_cache[model],
                "fixed_accuracy": _pct(fixed.classes, test.labels),
                "delta_pp": round(_pct(fixed.classes, test.labels) - float_cache[model], 4),
                "saturated": qm.total_saturated,
            }
        )
    for model in models:
        best = narrowest_within([r for r in rows if r["model"] == model])
        summary[model] = best["format"] if best else None
    result = {"rows": rows, "narrowest_within_0.05pp": summary, "n": len(test)}
    if out_dir:
        result["files"] = write_sweep(result, Path(out_dir), force=force)
    return result


def sweep_files(out_dir: Path) -> dict[str, Path]:
    """The files :func:`write_sweep` writes, by type."""
    return {t: out_dir / f"accuracy-sweep.{t}" for t in ("csv", "png", "md", "json")}


def write_sweep(result: dict, out_dir: Path, *, force: bool = False) -> dict:
    """Write the sweep's table (CSV, Markdown, JSON) and plot into ``out_dir`` through
    :func:`lst.outputs.write_files` (atomic; only this command's files are replaced)."""
    files = sweep_files(out_dir)
    rows = result["rows"]

    def write_csv(path):
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)

    write_files(
        {
            files["csv"]: write_csv,
            files["png"]: lambda path: _plot_sweep(rows, path),
            files["md"]: lambda path: path.write_text(_sweep_markdown(result)),
            files["json"]: lambda path: path.write_text(dumps(result, indent=2) + "\n"),
        },
        kind="accuracy-sweep",
        force=force,
    )
    return {t: str(files[t]) for t in ("csv", "png", "md")}


def _plot_sweep(rows: list[dict], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(r["model"] for r in rows))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for m in models:
        mr = [r for r in rows if r["model"] == m]
        (line,) = ax.plot(
            [r["width"] for r in mr], [r["fixed_accuracy"] for r in mr], "o-", label=f"{m} fixed"
        )
        ax.axhline(
            mr[0]["float_accuracy"],
            color=line.get_color(),
            ls="--",
            lw=0.8,
            label=f"{m} float ({mr[0]['float_accuracy']:.2f} %)",
        )
    ax.set_xlabel("weight width (bits); activations q1.f with the weights' fractional bits")
    ax.set_ylabel("MNIST test accuracy (%)")
    lo = min(r["fixed_accuracy"] for r in rows)
    ax.set_ylim(max(lo - 0.5, 80 if lo > 80 else lo - 1), 99.0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("Fixed-point accuracy against width (10,000 test images)")
    fig.tight_layout()
    fig.savefig(png, dpi=120, format="png")
    plt.close(fig)


def _sweep_markdown(result: dict) -> str:
    rows = result["rows"]
    lines = [
        "# Fixed-point accuracy against width",
        "",
        "Generated by `lst accuracy --sweep` on the 10,000 MNIST test images with the shipped",
        "checkpoints. At each width the weight format has the fewest integer bits that hold",
        "every weight (chosen from the weights, not from accuracy); activations are `q1.f`",
        "with the weights' fractional bits; biases sit at the product precision. For the",
        "transform-domain models (ht1, dct1, bwt1) the data column is the coefficients'",
        "format, which has the weights' fractional bits too (docs/fixed-point.md).",
        "",
        "| model | width | weight format | activations / data | float % | fixed % | Δ pp | "
        "saturated |",
        "|---|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['width']} | {r['format']} | {r['act_format']} | "
            f"{r['float_accuracy']:.2f} | {r['fixed_accuracy']:.2f} | {r['delta_pp']:+.2f} | "
            f"{r['saturated']} |"
        )
    lines += ["", "Narrowest format within 0.05 pp of float (and every wider width too):", ""]
    for m, f in result["narrowest_within_0.05pp"].items():
        lines.append(f"- {m}: {f or 'none in the sweep'}")
    lines += ["", "![accuracy against width](accuracy-sweep.png)", ""]
    return "\n".join(lines)
