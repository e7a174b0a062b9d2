"""``lst quantize`` and ``lst accuracy`` (torch-free)."""

from __future__ import annotations

from lst.cliutil import add_data, add_json, emit

__all__ = ["register"]


def cmd_quantize(args):
    from .export import write_quantized
    from .quantize import quantize_checkpoint

    qm = quantize_checkpoint(args.checkpoint, args.format, model=args.model, strict=args.strict)
    manifest = write_quantized(qm, args.out)
    obj = {
        "model": manifest["model"],
        "format": qm.config.weight.name,
        "out": str(args.out),
        "saturated": qm.total_saturated,
        "saturated_by_tensor": {k: v for k, v in qm.saturated.items() if v},
        "accumulator_ranges": manifest["accumulator_ranges"],
        "checkpoint_sha256": qm.source["sha256"],
        "files": sorted(manifest["files_sha256"]),
    }
    text = (
        f"{obj['model']} quantized to {obj['format']} -> {args.out} "
        f"({obj['saturated']} value(s) saturated)"
    )
    emit(args, obj, text)


def cmd_accuracy(args):
    from .accuracy import accuracy_report, sweep

    if args.sweep:
        models = [args.model] if args.model else ["lst1", "lst2", "reslst3"]
        lo, hi = (int(v) for v in args.widths.split("-"))
        result = sweep(models, range(lo, hi + 1), data_dir=args.data_dir, out_dir=args.out)
        lines = [
            f"{r['model']:<8} {r['width']:>2} bits {r['format']:<7} float {r['float_accuracy']:.2f}"
            f"  fixed {r['fixed_accuracy']:.2f}  ({r['delta_pp']:+.2f} pp)"
            for r in result["rows"]
        ]
        lines += [f"narrowest within 0.05 pp: {result['narrowest_within_0.05pp']}"]
        emit(args, result, "\n".join(lines))
        return
    if not args.model:
        raise ValueError("--model is required (or use --sweep)")
    r = accuracy_report(
        args.model,
        args.checkpoint,
        args.format,
        data_dir=args.data_dir,
        act_frac=args.act_frac,
        tanh_frac=args.tanh_frac,
        activation=args.activation,
    )
    emit(
        args,
        r,
        f"{r['model']} {r['format']}: float {r['float_accuracy']:.2f} %, fixed "
        f"{r['fixed_accuracy']:.2f} % (n={r['n']}, {r['saturated']} saturated)",
    )


def register(sub):

    p = sub.add_parser("quantize", help="quantize a checkpoint to fixed-point ROM images")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--model", default=None, help="needed only if the checkpoint does not say")
    p.add_argument("--format", default="q5.7", help="weight format, e.g. q5.7, q3.5 or auto8")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--strict", action="store_true", help="fail if any value saturates")
    add_json(p)
    p.set_defaults(func=cmd_quantize)

    p = sub.add_parser("accuracy", help="float vs fixed-point test accuracy")
    p.add_argument("--model", default=None)
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--format", default="q5.7")
    p.add_argument("--act-frac", type=int, default=None, help="activation fractional bits")
    p.add_argument("--tanh-frac", type=int, default=None, help="tanh input fractional bits")
    p.add_argument("--activation", choices=("tanh", "paper"), default="tanh")
    p.add_argument("--sweep", action="store_true", help="sweep weight widths for every model")
    p.add_argument("--widths", default="6-16", help="sweep range, e.g. 6-16")
    p.add_argument("--out", default="docs", help="where --sweep writes its table and plot")
    add_data(p)
    add_json(p)
    p.set_defaults(func=cmd_accuracy)
