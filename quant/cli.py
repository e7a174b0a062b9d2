"""``lst accuracy``, and the quantizing step every hardware command shares (torch-free)."""

from __future__ import annotations

from lst.cliutil import ConfigError, add_data, add_force, add_json, emit

__all__ = ["register"]


def quantize_for_command(checkpoint, fmt, *, model=None, allow_saturation=False):
    """Quantize a checkpoint for a command (:func:`~quant.quantize.quantize_checked`)
    and report its saturated and rounded-to-zero counts on stderr."""
    from .quantize import quantize_checked

    qm = quantize_checked(checkpoint, fmt, model=model, allow_saturation=allow_saturation)
    print_counts(qm)
    return qm


def print_counts(qm) -> None:
    """One line on stderr: the quantized model's saturated and rounded-to-zero counts."""
    import sys

    c = qm.quantization_counts()
    print(
        f"quantized {qm.arch.name} to {qm.config.weight.name}: {c['saturated']} saturated, "
        f"{c['rounded_to_zero']} rounded to zero",
        file=sys.stderr,
    )


def add_quantize_args(p) -> None:
    """``--allow-saturation``, for every command that quantizes."""
    p.add_argument(
        "--allow-saturation",
        action="store_true",
        help="go on although some weights or biases saturate (the network then changes)",
    )


def cmd_accuracy(args):
    from .accuracy import accuracy_report, sweep

    if args.sweep:
        models = [args.model] if args.model else None
        lo, hi = args.widths
        result = sweep(
            *([models] if models else []),
            widths=range(lo, hi + 1),
            data_dir=args.data_dir,
            out_dir=args.out,
            force=args.force,
        )
        lines = [
            f"{r['model']:<8} {r['width']:>2} bits {r['format']:<7} float {r['float_accuracy']:.2f}"
            f"  fixed {r['fixed_accuracy']:.2f}  ({r['delta_pp']:+.2f} pp)"
            for r in result["rows"]
        ]
        lines += [f"narrowest within 0.05 pp: {result['narrowest_within_0.05pp']}"]
        emit(args, result, "\n".join(lines))
        return
    if not args.model:
        raise ConfigError("--model is required (or use --sweep)")
    r = accuracy_report(
        args.model,
        args.checkpoint,
        args.format,
        data_dir=args.data_dir,
        act_frac=args.act_frac,
        tanh_frac=args.tanh_frac,
        activation=args.activation,
        allow_saturation=args.allow_saturation,
        data_frac=args.data_frac,
    )
    emit(
        args,
        r,
        f"{r['model']} {r['format']}: float {r['float_accuracy']:.2f} %, fixed "
        f"{r['fixed_accuracy']:.2f} % (n={r['n']}, {r['saturated']} saturated)",
    )


def _width_range(text: str) -> tuple[int, int]:
    import argparse

    from .contract import MAX_WEIGHT_WIDTH, MIN_WEIGHT_WIDTH

    try:
        lo, hi = (int(v) for v in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a range such as 6-16") from None
    if not MIN_WEIGHT_WIDTH <= lo <= hi <= MAX_WEIGHT_WIDTH:
        raise argparse.ArgumentTypeError(
            f"{text!r}: widths must satisfy {MIN_WEIGHT_WIDTH} <= low <= high <= {MAX_WEIGHT_WIDTH}"
        )
    return lo, hi


def register(sub):

    p = sub.add_parser("accuracy", help="float vs fixed-point test accuracy")
    p.add_argument("--model", default=None)
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--format", default="q5.7")
    p.add_argument("--act-frac", type=int, default=None, help="activation fractional bits")
    p.add_argument("--tanh-frac", type=int, default=None, help="tanh input fractional bits")
    p.add_argument("--activation", choices=("tanh", "paper"), default="tanh")
    p.add_argument(
        "--data-frac",
        type=int,
        default=None,
        help="transform-domain models: fractional bits of the coefficients (default: the "
        "weight format's)",
    )
    p.add_argument("--sweep", action="store_true", help="sweep weight widths for every model")
    p.add_argument("--widths", type=_width_range, default=(6, 16), help="sweep range, e.g. 6-16")
    p.add_argument("--out", default="docs", help="where --sweep writes its table and plot")
    add_force(p, "the --sweep files if 'lst accuracy --sweep' did not write them")
    add_quantize_args(p)
    add_data(p)
    add_json(p)
    p.set_defaults(func=cmd_accuracy)
