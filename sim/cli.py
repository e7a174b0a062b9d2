"""``lst verify``: the full-test-set RTL regression (torch-free)."""

from __future__ import annotations

from lst.cliutil import (
    UserError,
    add_data,
    add_json,
    emit,
    int_at_least,
    positive_int,
    probability,
)

__all__ = ["register"]


def cmd_verify(args):
    from hw.cli import core_config
    from quant.cli import quantize_for_command

    from .verify import verify

    config = core_config(args)
    quantize_for_command(
        config.checkpoint_path(),
        config.format,
        model=getattr(config, "model", None),
        allow_saturation=args.allow_saturation,
    )
    r = verify(
        config,
        data_dir=args.data_dir,
        limit=args.limit,
        gap=args.gap,
        stall=args.stall,
        seed=args.seed,
        load=args.load,
    )
    text = (
        f"{r['n']} images through the {config.lanes}-lane RTL: {r['mismatches']} mismatches, "
        f"RTL accuracy {r['rtl_accuracy']:.2f} %, golden {r['golden_accuracy']:.2f} %, "
        f"II {r['initiation_interval_cycles']} cycles, latency {r['latency_cycles']} cycles"
    )
    if r["mismatches"] or r["rtl_accuracy"] != r["golden_accuracy"]:
        raise UserError(
            f"RTL and golden model differ on {r['mismatches']} of {r['n']} image(s) "
            f"(RTL accuracy {r['rtl_accuracy']} %, golden {r['golden_accuracy']} %): "
            f"{r['first_mismatches']}"
        )
    emit(args, r, text)


def register(sub):
    from hw.cli import add_core_args

    p = sub.add_parser("verify", help="stream MNIST test images through the RTL (Verilator)")
    add_core_args(p)
    p.add_argument("--limit", type=positive_int, default=None, help="only the first N test images")
    p.add_argument("--gap", type=probability, default=0.0, help="input idle probability per cycle")
    p.add_argument("--stall", type=probability, default=0.0, help="output refusal probability")
    p.add_argument("--seed", type=int_at_least(0), default=1)
    p.add_argument(
        "--load",
        default=None,
        help="with --weights loadable: the checkpoint or lst quantize directory to load "
        "through the load port (default: --checkpoint's)",
    )
    add_data(p)
    add_json(p)
    p.set_defaults(func=cmd_verify)
